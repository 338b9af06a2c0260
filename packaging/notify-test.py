#!/usr/bin/env python3
"""sd_notify from `runledger serve`, as systemd would see it for a Type=notify unit: NOTIFY_SOCKET points at a
unix datagram socket this script listens on. Checks that READY=1 arrives once, only when HTTP answers and the
source has been read to its end (lag 0), that WATCHDOG=1 keeps arriving when WATCHDOG_USEC is set, and that
none is sent when it is not. Loopback only; every wait is bounded.

Usage: notify-test.py BINARY LOG   (prints one line per check and 'N passed, N failed'; exit 1 on a failure)
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

binary, sample = sys.argv[1], sys.argv[2]
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok: " if ok else "FAIL: ") + name + ("" if ok else f" ({detail})"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
            return r.status, r.read().decode()
    except Exception as e:  # refused, or an HTTP error: either is "not serving that"
        return None, str(e)


def serve(watchdog_usec):
    """Starts serve on a copy of the sample log; returns (process, port, socket, dir)."""
    d = tempfile.mkdtemp(prefix="rl-notify-")
    log = os.path.join(d, "executor.log")
    shutil.copy(sample, log)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(os.path.join(d, "notify.sock"))
    env = dict(os.environ, NOTIFY_SOCKET=os.path.join(d, "notify.sock"))
    env.pop("WATCHDOG_USEC", None)
    env.pop("WATCHDOG_PID", None)
    if watchdog_usec:
        env["WATCHDOG_USEC"] = str(watchdog_usec)
    port = free_port()
    args = [binary, "serve", "--db", os.path.join(d, "l.db"), "--listen", f"127.0.0.1:{port}", log]
    p = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, "err"), "w"))
    return p, port, sock, d, log


def messages(sock, until, stop=lambda m: False):
    """Datagrams received before `until` (monotonic), each with the time it arrived; ends early on `stop`."""
    got = []
    while time.monotonic() < until:
        sock.settimeout(max(0.01, until - time.monotonic()))
        try:
            data = sock.recv(4096).decode()
        except socket.timeout:
            break
        for line in data.split("\n"):
            if line:
                got.append((time.monotonic(), line))
                if stop(line):
                    return got
    return got


def finish(p, sock, d):
    p.send_signal(signal.SIGTERM)
    try:
        code = p.wait(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        code = p.wait()
    sock.close()
    shutil.rmtree(d, ignore_errors=True)
    return code


# With a watchdog of 0.4 s (WatchdogSec=400ms): READY=1 when serving and caught up, then WATCHDOG=1 beats.
p, port, sock, d, log = serve(400_000)
got = messages(sock, time.monotonic() + 30, stop=lambda m: m == "READY=1")
ready = [m for _, m in got if m == "READY=1"]
check("READY=1 arrives within 30 s", len(ready) == 1, f"got {[m for _, m in got]}")
status, body = get(port, "/healthz")
check("HTTP answers when READY=1 arrives", status == 200, body[:200])
status, body = get(port, "/metrics")
lag = re.search(r'runledger_source_lag_bytes\{source="[^"]*executor\.log"\} (\S+)', body or "")
check("the source is read to its end when READY=1 arrives", lag is not None and float(lag.group(1)) == 0,
      lag.group(0) if lag else body[:200])
later = messages(sock, time.monotonic() + 2)
beats = [t for t, m in later if m == "WATCHDOG=1"]
check("WATCHDOG=1 arrives at least 8 times in 2 s with WATCHDOG_USEC=400000", len(beats) >= 8, f"{len(beats)} beats")
gaps = [b - a for a, b in zip(beats, beats[1:])]
check("no gap between beats reaches the watchdog's 0.4 s", bool(gaps) and max(gaps) < 0.4, f"gaps {gaps}")
check("READY=1 is sent once", all(m != "READY=1" for _, m in later), f"{[m for _, m in later]}")
check("serve exits 0 on SIGTERM", finish(p, sock, d) == 0)

# Without WATCHDOG_USEC: READY=1, and no beats.
p, port, sock, d, log = serve(None)
got = messages(sock, time.monotonic() + 30, stop=lambda m: m == "READY=1")
check("READY=1 arrives without a watchdog", any(m == "READY=1" for _, m in got), f"{[m for _, m in got]}")
later = messages(sock, time.monotonic() + 1)
check("no WATCHDOG=1 without WATCHDOG_USEC", all(m != "WATCHDOG=1" for _, m in got + later),
      f"{[m for _, m in got + later]}")
check("serve exits 0 on SIGTERM (no watchdog)", finish(p, sock, d) == 0)

print(f"notify: {results.count(True)} passed, {results.count(False)} failed")
sys.exit(0 if all(results) else 1)
