#!/usr/bin/env python3
"""A loopback webhook receiver for the alert tests: records every request and
answers as the path asks.

    python3 tests/tools/webhook_receiver.py [--port 0] [--lifetime 120]

prints "PORT <n>" once listening on 127.0.0.1, then serves until --lifetime
seconds have passed (it exits on its own: a test that dies never leaves it).

The first segment of a POST's path chooses the answer; counters are kept per
whole path, so each test uses its own path:
    /ok/...              200 "ok"
    /fail500-N/...       500 the first N times, then 200
    /r429-S/...          429 with "Retry-After: S" the first time, then 200
    /bad400/...          400 "invalid_payload" (always)
    /hang-S/...          sleeps S seconds before answering 200 (S > the client's timeout)
    /slow-S/...          sleeps S seconds, then 200 (S < the client's timeout)
    /redirect/...        302 to /ok/...
A mode may also be set for an exact path: POST /__mode {"path": P, "mode":
"fail500-2"} (a mode named as above).  GET /__log returns
{"requests": [{"method", "path", "headers", "body", "status", "t"}]} (only
one path with ?path=P); POST /__clear forgets them.
"""
import argparse
import json
import os
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
LOG = []          # every request, in arrival order
SEEN = {}         # path -> POSTs so far
MODES = {}        # exact path -> mode text


def parse_mode(text):
    m = re.fullmatch(r"(ok|bad400|redirect)|fail500-(\d+)|r429-(\d+(?:\.\d+)?)|hang-(\d+(?:\.\d+)?)|slow-(\d+(?:\.\d+)?)",
                     text or "")
    if not m:
        return ("ok", 0)
    if m.group(1):
        return (m.group(1), 0)
    if m.group(2):
        return ("fail500", int(m.group(2)))
    if m.group(3):
        return ("r429", float(m.group(3)))
    if m.group(4):
        return ("hang", float(m.group(4)))
    return ("slow", float(m.group(5)))


class Handler(BaseHTTPRequestHandler):
    server_version = "webhook-receiver/1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def answer(self, status, body=b"", headers=None):
        try:
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (hang)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        if u.path != "/__log":
            self.answer(404, b"not found")
            return
        q = urllib.parse.parse_qs(u.query)
        with LOCK:
            reqs = [r for r in LOG if "path" not in q or r["path"] == q["path"][0]]
            body = json.dumps({"requests": reqs}).encode()
        self.answer(200, body, {"Content-Type": "application/json"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(n) if n > 0 else b""
        path = urllib.parse.urlsplit(self.path).path
        if path == "/__clear":
            with LOCK:
                LOG.clear()
                SEEN.clear()
            self.answer(200, b"cleared")
            return
        if path == "/__mode":
            m = json.loads(data)
            with LOCK:
                MODES[m["path"]] = m["mode"]
            self.answer(200, b"ok")
            return
        with LOCK:
            SEEN[path] = SEEN.get(path, 0) + 1
            k = SEEN[path]
            mode, arg = parse_mode(MODES.get(path) or path.split("/")[1])
        status, body, headers, sleep = 200, b"ok", {}, 0.0
        if mode == "fail500" and k <= arg:
            status, body = 500, b"internal error, try again"
        elif mode == "r429" and k == 1:
            status, body, headers = 429, b"rate_limited", {"Retry-After": ("%g" % arg)}
        elif mode == "bad400":
            status, body = 400, b"invalid_payload"
        elif mode == "redirect":
            status, headers = 302, {"Location": "/ok" + path[len("/redirect"):]}
        elif mode in ("hang", "slow"):
            sleep = arg
        with LOCK:
            LOG.append({"method": "POST", "path": path, "headers": {k2.lower(): v for k2, v in self.headers.items()},
                        "body": data.decode("utf-8", "replace"), "status": status, "t": time.time()})
        if sleep:
            time.sleep(sleep)
        self.answer(status, body, headers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--lifetime", type=float, default=120.0)
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    threading.Timer(a.lifetime, lambda: os._exit(0)).start()
    sys.stdout.write("PORT %d\n" % srv.server_address[1])
    sys.stdout.flush()
    srv.serve_forever()


if __name__ == "__main__":
    main()
