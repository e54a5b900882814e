#!/usr/bin/env python3
"""https-receiver.py - a small HTTPS event receiver for the log-to tests
(tests/cli/t0810-logsend-https.sh), the way Splunk HEC, Elastic or Loki
take events: one POST per record, a bearer token.

Each POST whose "Authorization: Bearer TOKEN" matches the first line of
--token-file is answered 201 and its body stored as OUT/N.body, its
headers as OUT/N.headers (N counts from 1); a wrong or missing token gets
401 and nothing is stored.  A path ending in /fail answers 503; one ending
in /moved answers 301 and stores nothing; one ending in /continue sends
an interim "100 Continue" first (unasked, as some servers do).  Listens
on 127.0.0.1 only.  No Debian package stores request bodies this plainly,
hence this script (Python's standard library alone).
"""
import argparse
import http.server
import os
import ssl
import threading

lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, code, text):
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if self.path.endswith("/fail"):
            self.answer(503, "not now\n")
            return
        if self.path.endswith("/moved"):
            self.send_response(301)
            self.send_header("Location", "https://elsewhere.invalid/in")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.endswith("/continue"):
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
        want = "Bearer " + self.server.token
        if self.headers.get("Authorization") != want:
            self.answer(401, "no\n")
            return
        with lock:
            self.server.count += 1
            base = os.path.join(self.server.out, str(self.server.count))
            with open(base + ".headers", "w") as f:
                f.write("POST %s\n" % self.path)
                for k, v in self.headers.items():
                    f.write("%s: %s\n" % (k, v))
            with open(base + ".body.tmp", "wb") as f:
                f.write(body)
            os.rename(base + ".body.tmp", base + ".body")
        self.answer(201, "stored\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.token = open(a.token_file).readline().strip()
    srv.out = a.out
    srv.count = 0
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
