#!/usr/bin/env python3
"""Bytes `runledger serve` writes per commit while a burst never ends (issue 13, finding 5).

    open-burst.py BIN WORKDIR PORT [--held 19800] [--appended 200] [--rate 10]

Writes a log with one run's start line and HELD burst lines (`Captured tool usage`, no end line), lets
`serve` read it, then appends APPENDED more burst lines at RATE lines a second. Each appended line is
its own commit: the probe waits (bounded) until the ledger's saved position counts it before the next.
Prints what the process handed to write(2) meanwhile (`wchar` in /proc/PID/io), per commit. The wait
reads the ledger with sqlite3 from outside, so no HTTP response is counted in the figure.
"""
import os
import sqlite3
import subprocess
import sys
import time

START = ("2025-06-19 18:00:00,114 - src.agents.claude_code.agent - INFO - Created workflow run record "
         "1e81868b-1e74-45db-851e-b49875416896 for run_id 476a6bde-947e-4dad-a5c9-e32997b7dcda\n")
TOOL = ("2025-06-19 18:00:01,419 - src.agents.claude_code.sdk_executor - INFO - SDK Executor: Captured tool "
        "usage - Edit (id: toolu_{:024d})\n")


def wchar(pid):
    with open(f"/proc/{pid}/io") as f:
        return int(dict(l.split(": ") for l in f.read().splitlines())["wchar"])


def saved_lines(db):
    try:
        c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        row = c.execute("SELECT max(lines) FROM positions").fetchone()
        c.close()
        return row[0] or 0
    except sqlite3.Error:
        return 0


def wait_for(db, lines, proc, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"open-burst: serve exited with {proc.returncode}")
        if saved_lines(db) >= lines:
            return
        time.sleep(0.005)
    sys.exit(f"open-burst: the ledger did not reach line {lines} within {seconds} s")


def main(binary, work, port, held=19800, appended=200, rate=10.0):
    os.makedirs(work, exist_ok=True)
    log, db = os.path.join(work, "open-burst.log"), os.path.join(work, "open-burst.db")
    for p in (log, db, db + "-wal", db + "-shm"):
        if os.path.exists(p):
            os.remove(p)
    with open(log, "w") as f:
        f.write(START)
        for i in range(held):
            f.write(TOOL.format(i))
    proc = subprocess.Popen([binary, "serve", "--db", db, "--listen", f"127.0.0.1:{port}", log],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(db, held + 1, proc, 120)
        time.sleep(0.5)
        before, t0 = wchar(proc.pid), time.monotonic()
        with open(log, "a") as f:
            for i in range(appended):
                f.write(TOOL.format(held + i))
                f.flush()
                wait_for(db, held + 2 + i, proc, 20)
                time.sleep(max(0.0, t0 + (i + 1) / rate - time.monotonic()))
        written = wchar(proc.pid) - before
        print(f"open burst of {held} lines, {appended} commits of one line each at {rate:g} lines/s: "
              f"{written / appended / 1024:.1f} KiB written per commit ({written / 1048576:.1f} MiB in all), "
              f"cpu {cpu_seconds(proc.pid):.1f} s since start")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    args, opts = [], {}
    argv = sys.argv[1:]
    while argv:
        a = argv.pop(0)
        if a.startswith("--"):
            opts[a[2:]] = argv.pop(0)
        else:
            args.append(a)
    if len(args) != 3:
        sys.exit(__doc__)
    main(*args, held=int(opts.get("held", 19800)), appended=int(opts.get("appended", 200)),
         rate=float(opts.get("rate", 10)))
