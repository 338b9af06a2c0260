#!/usr/bin/env python3
"""A stand-in for Slack, Discord, Teams and other webhooks on 127.0.0.1, for tests and trials.

Records every request (path, headers, JSON body) as one JSON line in --log, and answers each path from
a plan: `--plan '{"/slack": ["429:1", "500", "200:ok"]}'` answers the first request to /slack with 429
and `Retry-After: 1`, the second with 500, then 200 with the body `ok` (as Slack does) from then on
(the last entry repeats). `slow:SECONDS` waits before answering 200; `302:URL` (any 3xx) answers with
`Location: URL`, for checking that a redirect is not followed. Paths without a plan get 200 `ok`.
Prints its port on stdout and stops by itself after --seconds.

Each request line also holds `seq` (its number) and `t` (arrival, seconds since the epoch). After a
`slow:` wait it adds a line `{"seq": N, "client_gone": true|false}`: true when the client had closed
the connection before the answer (killed mid-request), so the answer was never read.

With --idempotent it honours `Idempotency-Key` as Stripe-like APIs do: a key it already accepted (any
2xx or slow answer, decided on arrival) gets `200 ok` at once, is recorded with `"duplicate": true` and
is not a new delivery.

    tools/webhook-receiver.py --log requests.jsonl --seconds 60 [--port 0] [--plan JSON] [--idempotent]
"""
import argparse
import json
import select
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def client_gone(conn):
    """True when the client closed its end: it sent its whole request, so a readable socket with
    nothing to read means it is gone (its process killed) and will never read the answer."""
    try:
        readable, _, _ = select.select([conn], [], [], 0)
        return bool(readable) and conn.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--log", required=True)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--plan", default="{}")
    p.add_argument("--idempotent", action="store_true")
    a = p.parse_args()
    plan = json.loads(a.plan)
    seen = {}
    accepted = set()
    count = [0]
    lock = threading.Lock()

    def record(entry):
        with open(a.log, "a") as f:
            f.write(json.dumps(entry) + "\n")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            arrived = time.time()
            key = self.headers.get("Idempotency-Key")
            with lock:
                seq = count[0]
                count[0] += 1
                duplicate = a.idempotent and key is not None and key in accepted
                if duplicate:
                    step = "200:ok"  # the answer it gave before; the plan is for new deliveries
                else:
                    n = seen.get(self.path, 0)
                    seen[self.path] = n + 1
                    steps = plan.get(self.path, ["200:ok"])
                    step = steps[min(n, len(steps) - 1)]
                    if key is not None and (step.startswith("slow:") or step.startswith("2")):
                        accepted.add(key)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                record({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body, "answer": step, "seq": seq, "t": arrived, "duplicate": duplicate})
            if step.startswith("slow:"):
                time.sleep(float(step[5:]))
                step = "200:ok"
                gone = client_gone(self.connection)
                with lock:
                    record({"seq": seq, "client_gone": gone})
                if gone:
                    return  # nobody to answer
            code, _, extra = step.partition(":")
            self.send_response(int(code))
            if code == "429" and extra:
                self.send_header("Retry-After", extra)
                extra = ""
            elif code.startswith("3") and extra:
                self.send_header("Location", extra)
                extra = ""
            payload = extra.encode()
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    print(server.server_address[1], flush=True)
    threading.Timer(a.seconds, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
