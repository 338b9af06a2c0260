#!/usr/bin/env python3
"""A stand-in for Slack, Discord, Teams and other webhooks on 127.0.0.1, for tests and trials.

Records every request (path, headers, JSON body) as one JSON line in --log, and answers each path from
a plan: `--plan '{"/slack": ["429:1", "500", "200:ok"]}'` answers the first request to /slack with 429
and `Retry-After: 1`, the second with 500, then 200 with the body `ok` (as Slack does) from then on
(the last entry repeats). `slow:SECONDS` waits before answering 200. Paths without a plan get 200 `ok`.
Prints its port on stdout and stops by itself after --seconds.

    tools/webhook-receiver.py --log requests.jsonl --seconds 60 [--port 0] [--plan JSON]
"""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--log", required=True)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--plan", default="{}")
    a = p.parse_args()
    plan = json.loads(a.plan)
    seen = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            with lock:
                n = seen.get(self.path, 0)
                seen[self.path] = n + 1
                steps = plan.get(self.path, ["200:ok"])
                step = steps[min(n, len(steps) - 1)]
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                with open(a.log, "a") as f:
                    f.write(json.dumps({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                        "body": body, "answer": step}) + "\n")
            if step.startswith("slow:"):
                time.sleep(float(step[5:]))
                step = "200:ok"
            code, _, extra = step.partition(":")
            self.send_response(int(code))
            if code == "429" and extra:
                self.send_header("Retry-After", extra)
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
