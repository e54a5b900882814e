#!/usr/bin/env python3
# tests/tools/report-log.py TEMPLATE.jsonl N OUT.jsonl [SEED [hostile]] - a chained log of N
# records made from the last fixed (else final) record of a real log bootfix wrote (its
# machine, volumes and findings), each a different machine (product_serial
# M<n>) with its own site, operator, time over the 30 hours up to the
# template's, outcome and next
# action, as docs/log.md describes: some fixed after a begun record, a few
# begun records alone (interrupted), BitLocker key IDs on one in ten, the
# machine's uptime (machine.uptime_s) on two in three.
# With "hostile", one record in 37 has markup, quotes, controls and bidi
# characters in its site, operator, computer name and serial (a URL in them
# is $REPORT_HOSTILE_URL).  Writes OUT.jsonl.head too; the log verifies (no signatures).  Used by
# tests/cli/t0595-log-report.sh and scripts/bench-report.
import copy
import hashlib
import json
import random
import sys

template_path, n, out_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
lines = [json.loads(l) for l in open(template_path, "rb") if l.strip()]
final = [l for l in lines if l.get("stage") != "begun"]
fixed = [l for l in final if l.get("outcome") == "fixed"]
t = (fixed or final)[-1]
for k in ("seq", "prev", "sig", "sig_key", "recovered_torn_tail"):
    t.pop(k, None)

SITES = ["Ward A", "Ward B", "Radiology", "ICU", "Pharmacy", "Admissions", "Lab",
         "Theatre 2", "Outpatients", "Kitchen"]
OPERATORS = ["Ana Lima", "Bo Chen", "Chidi Okafor", "Dana Levi"]
# (outcome, problem, locked, verdict, share)
KINDS = [("fixed", "none", False, "faulty", 80), ("refused", "hibernated", False, "faulty", 4),
         ("refused", "none", True, None, 3), ("nothing-to-fix", "none", False, "unknown", 2),
         ("failed", "none", False, "faulty", 2), ("nothing-to-fix", "none", False, None, 5),
         ("nothing-to-fix", "none", False, "novol", 2),
         ("left", "fast-restart", False, "faulty", 1), ("interrupted", "none", False, "faulty", 1)]
weights = [k[4] for k in KINDS]
HOSTILE = len(sys.argv) > 5 and sys.argv[5] == "hostile"
URL = __import__("os").environ.get("REPORT_HOSTILE_URL", "http://127.0.0.1:9/x")
SERIAL = __import__("os").environ.get("REPORT_SERIAL", "M")  # machines M0000000, ...
EVIL = ["<script>document.title='pwned'</script>",
        "<img src=\"%s\" onerror=\"document.body.setAttribute('data-pwned','1')\">" % URL,
        "\"><svg onload=\"document.title='pwned'\"><a href=\"%s\">" % URL,
        "<link rel=stylesheet href=\"%s\"><style>body{display:none;background:url(%s)}</style>"
        % (URL, URL),
        "\u202eexe.Ward\u202c \u2066RTL\u2069 \u200f",
        "PC\x1b[2J\x1b]0;pwned\x07\n\r\x7f'\"&amp;"]
START = None


def stamp(s):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(s))


import calendar
import time as _time
try:
    END = calendar.timegm(_time.strptime(t["time"], "%Y-%m-%dT%H:%M:%SZ"))
except (KeyError, ValueError):
    END = 1721469600  # 2024-07-20T10:00:00Z
START = END - 30 * 3600


out = open(out_path, "wb")
prev, seq, first = "0" * 64, 0, None


def put(r):
    global prev, seq, first
    seq += 1
    r["seq"], r["prev"] = seq, prev
    b = json.dumps(r, separators=(",", ":"), ensure_ascii=False).encode()
    prev = hashlib.sha256(b).hexdigest()
    first = first or prev
    out.write(b + b"\n")


made = it = 0
while made < n:
    it += 1
    outcome, problem, locked, verdict, _ = rng.choices(KINDS, weights)[0]
    r = copy.deepcopy(t)
    m = made
    r["time"] = stamp(START + int(30 * 3600 * (m / max(n, 1))) - rng.randrange(600))
    r["site"] = SITES[int(rng.paretovariate(1.2)) % len(SITES)]
    r["operator"] = OPERATORS[m % len(OPERATORS)]
    r["machine"] = {"product_serial": SERIAL + "%07d" % m, "nics": [], "disks": []}
    r["run"] = "%032x" % rng.getrandbits(128)
    r["duration_ms"] = int(rng.lognormvariate(10.5, 0.5))
    # two in three records give the machine's uptime (boot to record: the stick's
    # boot, then the run); the others are as older bootfix wrote them, without
    urng = random.Random(m)
    if m % 3:
        r["machine"]["uptime_s"] = r["duration_ms"] // 1000 + urng.randrange(40, 240)
    r["outcome"] = outcome
    v = r["volumes"][0] if r.get("volumes") else {}
    v["problem"], v["bitlocker_locked"] = problem, locked
    dev = v.get("device", "/dev/sda3")
    why = {"hibernated": "refusing to change %s: Windows is hibernated on it" % dev,
           "fast-restart": "left as it is: Windows is in fast restart on it"}.get(problem)
    if locked:
        why = "BitLocker locked: no key for key ID 4F8E2A1C on the stick"
    elif outcome == "failed":
        why = "cannot mount %s read-write: Input/output error" % dev
    elif outcome == "nothing-to-fix" and verdict == "unknown":
        why = ("no faulty files; 1 file to check: %s: Windows\\System32\\drivers\\"
               "CrowdStrike\\C-00000291-00000000-00000099.sys" % dev)
    elif outcome == "nothing-to-fix":
        why = "no faulty files"
    if why and r["volumes"]:
        v["reason"], r["reason"] = why, "%s: %s" % (dev, why)
    if HOSTILE and it % 37 == 5:
        e = EVIL[(it // 37) % len(EVIL)]
        r["site"], r["operator"] = e, e
        r["machine"]["product_serial"] = e + " %d" % m
        if r["volumes"]:
            v["computer_name"] = e
    v["outcome"] = {"nothing-to-fix": "none", "interrupted": "fixed"}.get(outcome, outcome)
    for f in v.get("findings", []):
        if verdict:
            f["verdict"] = verdict
        f["done"] = outcome == "fixed" and verdict == "faulty"
    if verdict is None:
        v["findings"] = []
    if verdict == "novol":
        r["volumes"], r["reason"] = [], "no NTFS or BitLocker volume found on /dev/sda"
    r["bitlocker"] = []
    if rng.random() < 0.1:
        r["bitlocker"] = [{"device": v.get("device", "/dev/sda3"),
                           "key_id": "%08X-%04X-%04X-%04X-%012X" % (
                               rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16),
                               rng.getrandbits(16), rng.getrandbits(48)),
                           "source": "keys/recovery-keys.csv"}]
    if outcome in ("fixed", "interrupted") and made + 1 < n:
        b = copy.deepcopy(r)
        b["stage"], b["outcome"] = "begun", "interrupted"
        b["reason"] = ("the fix began and no final record followed (power cut, pulled stick, "
                       "or bootfix killed): check the volume with bootfix scan")
        put(b)
        made += 1
        if outcome == "interrupted":
            continue
    elif outcome == "interrupted":
        continue
    r.pop("stage", None)
    put(r)
    made += 1
out.close()
head = {"schema": 1, "log": first, "seq": seq, "sha256": prev}
open(out_path + ".head", "w").write(json.dumps(head, separators=(",", ":")) + "\n")
