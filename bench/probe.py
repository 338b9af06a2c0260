#!/usr/bin/env python3
"""Measures a running `runledger serve` from outside, over loopback HTTP (bounded waits throughout).

    probe.py metrics  URL [--n 200]              /metrics render time (server-side dominated), series count
    probe.py latency  BIN DB LOG PORT [--n 1000] append one line at a time; time until /metrics counts it
    probe.py restart  BIN DB LOG PORT LINES      start serve on an already-read log; time until /metrics
                                                 shows all LINES lines, then its RSS
    probe.py shutdown BIN DB LOG PORT            start serve on an unread log; once its first batch has
                                                 committed, SIGTERM; time until it exits, lines it kept
"""
import http.client
import os
import signal
import statistics
import subprocess
import sys
import time


def get(conn, path="/metrics"):
    conn.request("GET", path)
    r = conn.getresponse()
    return r.status, r.read()


def lines_total(body, source=None):
    n = 0
    for line in body.split(b"\n"):
        if line.startswith(b"runledger_lines_total{") and (source is None or source.encode() in line):
            n += int(float(line.rsplit(b" ", 1)[1]))
    return n


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def start_serve(binary, db, log, port):
    proc = subprocess.Popen([binary, "serve", "--db", db, "--listen", f"127.0.0.1:{port}", log],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc


def connect(port, proc, deadline):
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"probe: runledger serve exited with {proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            get(c, "/healthz")
            return c
        except OSError:
            time.sleep(0.002)
    sys.exit("probe: serve did not answer within the deadline")


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        fields = dict(l.split(":", 1) for l in f if ":" in l)
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def cmd_metrics(url_port, n=200):
    c = http.client.HTTPConnection("127.0.0.1", int(url_port), timeout=10)
    times = []
    body = b""
    for _ in range(n):
        t = time.perf_counter()
        status, body = get(c)
        times.append((time.perf_counter() - t) * 1000)
        assert status == 200
    series = sum(1 for l in body.split(b"\n") if l and not l.startswith(b"#"))
    print(f"metrics_series={series} metrics_bytes={len(body)} metrics_ms_p50={pct(times, 50):.2f} "
          f"metrics_ms_p99={pct(times, 99):.2f} metrics_ms_min={min(times):.2f}")


def cmd_latency(binary, db, log, port, n=1000, sample=None):
    port = int(port)
    proc = start_serve(binary, db, log, port)
    try:
        c = connect(port, proc, time.monotonic() + 30)
        _, body = get(c)
        base = lines_total(body)
        with open(sample, "rb") as f:
            pool = [l for l in f.read().split(b"\n") if l][:n]
        lat = []
        with open(log, "ab", buffering=0) as out:
            for i, line in enumerate(pool):
                t = time.perf_counter()
                out.write(line + b"\n")
                deadline = time.monotonic() + 5
                while True:
                    _, body = get(c)
                    if lines_total(body) >= base + i + 1:
                        break
                    if time.monotonic() > deadline:
                        sys.exit(f"probe: line {i + 1} not visible after 5 s")
                lat.append((time.perf_counter() - t) * 1000)
        print(f"append_lines={len(lat)} append_ms_p50={pct(lat, 50):.2f} append_ms_p99={pct(lat, 99):.2f} "
              f"append_ms_max={max(lat):.2f}")
    finally:
        stop(proc)


def cmd_restart(binary, db, log, port, expect):
    port, expect = int(port), int(expect)
    t = time.perf_counter()
    proc = start_serve(binary, db, log, port)
    try:
        c = connect(port, proc, time.monotonic() + 60)
        deadline = time.monotonic() + 120
        while True:
            _, body = get(c)
            if lines_total(body) >= expect:
                break
            if time.monotonic() > deadline:
                sys.exit(f"probe: /metrics shows {lines_total(body)} of {expect} lines after 120 s")
            time.sleep(0.002)
        ready = (time.perf_counter() - t) * 1000
        time.sleep(0.5)
        rss, hwm = rss_kib(proc.pid)
        print(f"restart_ready_ms={ready:.0f} serve_rss_mib={rss / 1024:.1f} serve_peak_rss_mib={hwm / 1024:.1f}")
    finally:
        stop(proc)


def cmd_shutdown(binary, db, log, port):
    port = int(port)
    proc = start_serve(binary, db, log, port)
    c = connect(port, proc, time.monotonic() + 60)
    deadline = time.monotonic() + 120
    while lines_total(get(c)[1]) == 0:
        if time.monotonic() > deadline:
            sys.exit("probe: no batch committed within 120 s")
        time.sleep(0.005)
    c.close()
    t = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        sys.exit("probe: serve did not exit within 30 s of SIGTERM")
    print(f"sigterm_exit_ms={(time.perf_counter() - t) * 1000:.0f} exit_code={code}")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    opts = {}
    while args and args[-2:-1] and args[-2].startswith("--"):
        opts[args[-2][2:]] = args[-1]
        args = args[:-2]
    if cmd == "metrics":
        cmd_metrics(*args, n=int(opts.get("n", 200)))
    elif cmd == "latency":
        cmd_latency(*args, n=int(opts.get("n", 1000)), sample=opts["sample"])
    elif cmd == "restart":
        cmd_restart(*args)
    elif cmd == "shutdown":
        cmd_shutdown(*args)
    else:
        sys.exit(__doc__)
