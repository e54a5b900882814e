#!/usr/bin/env python3
# qmp.py SOCKET COMMAND [JSON-ARGS] - one QMP command to a running qemu
# (image/qemu --qmp SOCKET); prints its "return" as JSON, or exits non-zero
# with qemu's error.
import json
import socket
import sys

s = socket.socket(socket.AF_UNIX)
s.settimeout(60)
s.connect(sys.argv[1])
f = s.makefile("rw")


def reply():
    while True:
        line = f.readline()
        if not line:
            sys.exit("qmp: connection closed")
        m = json.loads(line)
        if "return" in m or "error" in m:
            return m


json.loads(f.readline())		# greeting
f.write(json.dumps({"execute": "qmp_capabilities"}) + "\n")
f.flush()
reply()
cmd = {"execute": sys.argv[2]}
if len(sys.argv) > 3 and sys.argv[3]:
    cmd["arguments"] = json.loads(sys.argv[3])
f.write(json.dumps(cmd) + "\n")
f.flush()
m = reply()
if "error" in m:
    sys.exit("qmp: %s: %s" % (sys.argv[2], m["error"].get("desc")))
print(json.dumps(m["return"]))
