#!/usr/bin/env python3
"""A stand-in for the executor's status API on 127.0.0.1, for tests and trials.

Answers `GET /api/v1/workflows/claude-code/run/{run_id}/status` from an executor `workflow_runs` table
(the real API reads the same table), in the `EnhancedStatusResponse` shape of
shared/executor-log-formats.md section 5b. A run id the table lacks gets 404 with FastAPI's JSON
`detail`. With --api-key, a request without that key in --header (default X-API-Key) gets 401.

Modes (--mode): `ok` (the default); `running` (every run says it is still running); `garbage` (200
with an HTML page); `500`; `slow:SECONDS` (waits, then answers as `ok`); `down` (prints a free port
and exits without listening). Every request is recorded as one JSON line in --log (path, whether the
key matched, the answer's status), on arrival. Prints its port on stdout and stops by itself after --seconds.

    tools/status-api-stand-in.py --db workflow_runs.db --log requests.jsonl [--port 0] [--mode ok]
                                 [--api-key KEY] [--header X-API-Key] [--seconds 60]
"""
import argparse
import json
import re
import socket
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATUS_PATH = re.compile(r"^/api/v1/workflows/claude-code/run/([^/?]+)/status(\?.*)?$")


def iso(text):
    """SQLite's `YYYY-MM-DD HH:MM:SS` (UTC) as the API's `…T…Z`; None stays None."""
    return text.replace(" ", "T") + "Z" if text else None


def status_body(row, mode):
    """The status response the executor's API builds from one workflow_runs row."""
    meta = json.loads(row["metadata"] or "{}")
    status = row["status"]
    # The API's model knows pending/running/completed/failed only; the table also has killed.
    api_status = "running" if mode == "running" else ("failed" if status == "killed" else status)
    ended = api_status in ("completed", "failed")
    turns = meta.get("total_turns", meta.get("final_turns"))
    cache_created = meta.get("cache_created", 0) or 0
    cache_read = meta.get("cache_read", 0) or 0
    cached = cache_created + cache_read
    return {
        "run_id": row["run_id"],
        "status": api_status,
        "workflow_name": row["workflow_name"],
        "started_at": iso(row["created_at"]),
        "completed_at": iso(row["completed_at"]) if ended else None,
        "execution_time_seconds": row["duration_seconds"],
        "progress": {
            "turns": turns,
            "max_turns": meta.get("max_turns"),
            "completion_percentage": 100.0 if ended else 50.0,
            "current_phase": "completed" if ended else "implementation",
            "phases_completed": ["initialization", "planning", "analysis", "implementation"] if ended else [],
            "is_running": not ended,
            "estimated_completion": None,
        },
        "metrics": {
            "cost_usd": row["cost_estimate"],
            "tokens": {
                "total": row["total_tokens"],
                "input": row["input_tokens"],
                "output": row["output_tokens"],
                "cache_created": cache_created,
                "cache_read": cache_read,
                "cache_efficiency": round(cache_read * 100.0 / cached, 1) if cached else 0.0,
            },
            "tools_used": meta.get("tools_used", []),
            "api_duration_ms": meta.get("api_duration_ms"),
            "performance_score": 85.0 if status == "completed" else 60.0,
        },
        "result": {
            "success": status == "completed",
            "completion_type": status,
            "message": row["error_message"] or "",
            "final_output": row["result"],
            "files_created": [],
            "git_commits": [],
        },
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--mode", default="ok")
    p.add_argument("--api-key")
    p.add_argument("--header", default="X-API-Key")
    p.add_argument("--seconds", type=float, default=60)
    a = p.parse_args()

    if a.mode == "down":
        s = socket.socket()
        s.bind(("127.0.0.1", a.port))
        print(s.getsockname()[1], flush=True)
        s.close()
        return

    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            code, body, content_type = self.plan()
            # Recorded on arrival, so that a request still waiting (slow mode) is counted too.
            with lock, open(a.log, "a") as f:
                f.write(json.dumps({"path": self.path, "key_ok": key_ok(self.headers), "answer": code}) + "\n")
            if a.mode.startswith("slow:"):
                time.sleep(float(a.mode[5:]))
            payload = (json.dumps(body) if content_type == "application/json" else body).encode()
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def plan(self):
            """The answer: status code, body, content type."""
            if a.api_key is not None and not key_ok(self.headers):
                return 401, {"detail": "Invalid or missing API key"}, "application/json"
            m = STATUS_PATH.match(self.path)
            if not m:
                return 404, {"detail": "Not Found"}, "application/json"
            if a.mode == "garbage":
                return 200, "<html><body><h1>Welcome to nginx!</h1></body></html>", "text/html"
            if a.mode == "500":
                return 500, "Internal Server Error", "text/plain"
            db = sqlite3.connect(f"file:{a.db}?mode=ro", uri=True)
            db.row_factory = sqlite3.Row
            try:
                row = db.execute("SELECT * FROM workflow_runs WHERE run_id = ?", (m.group(1),)).fetchone()
            finally:
                db.close()
            if row is None:
                return 404, {"detail": f"Workflow run {m.group(1)} not found"}, "application/json"
            return 200, status_body(row, a.mode), "application/json"

    def key_ok(headers):
        return a.api_key is None or headers.get(a.header) == a.api_key

    server = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    print(server.server_address[1], flush=True)
    threading.Timer(a.seconds, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
