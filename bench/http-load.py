#!/usr/bin/env python3
"""`/metrics` latency while abusive clients read big pages of `/api/runs` (issue 13, finding 7).

Starts `runledger serve` on a ledger that already holds the corpus (replayed into DB first if DB does
not exist), then runs CLIENTS processes that each read `/api/runs?limit=LIMIT` in a loop on a
keep-alive connection, while this process asks `/metrics` every 50 ms for SECONDS seconds. Prints the
`/metrics` latency percentiles and what the abusers got. Bounded throughout; never part of the tests.

    bench/http-load.py BIN DB LOG [--clients 4] [--limit 1000] [--seconds 20] [--port 19479]
"""
import argparse
import http.client
import multiprocessing
import os
import signal
import subprocess
import sys
import time


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def abuser(port, path, stop_at, done, nbytes, statuses):
    conn = None
    while time.monotonic() < stop_at:
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read()
            with done.get_lock():
                done.value += 1
                nbytes.value += len(body)
            if r.status != 200:
                with statuses.get_lock():
                    statuses.value += 1
        except (OSError, http.client.HTTPException):
            conn = None  # closed by the server (timeouts): connect again
            time.sleep(0.01)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("binary")
    p.add_argument("db")
    p.add_argument("log")
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--limit", type=int, default=1000)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--port", type=int, default=19479)
    a = p.parse_args()
    if not os.path.exists(a.db):
        t0 = time.monotonic()
        subprocess.run([a.binary, "replay", "--db", a.db, a.log], check=True, stderr=subprocess.DEVNULL)
        print(f"replayed {a.log} into {a.db} in {time.monotonic() - t0:.1f} s", flush=True)
    proc = subprocess.Popen([a.binary, "serve", "--db", a.db, "--listen", f"127.0.0.1:{a.port}", a.log],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                sys.exit("http-load: serve did not start")
            try:
                c = http.client.HTTPConnection("127.0.0.1", a.port, timeout=5)
                c.request("GET", "/healthz")
                c.getresponse().read()
                break
            except OSError:
                time.sleep(0.05)
        c = http.client.HTTPConnection("127.0.0.1", a.port, timeout=30)
        c.request("GET", f"/api/runs?limit={a.limit}")
        first = c.getresponse()
        page = first.read()
        print(f"/api/runs?limit={a.limit}: HTTP {first.status}, {len(page)} bytes", flush=True)
        c.close()

        def metrics_latencies(seconds):
            out = []
            conn = None
            stop = time.monotonic() + seconds
            while time.monotonic() < stop:
                t = time.monotonic()
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=30)
                    conn.request("GET", "/metrics")
                    conn.getresponse().read()
                    out.append(time.monotonic() - t)
                except (OSError, http.client.HTTPException):
                    conn = None
                    out.append(time.monotonic() - t)
                time.sleep(0.05)
            return out

        quiet = metrics_latencies(min(5, a.seconds))
        stop_at = time.monotonic() + a.seconds + 1
        done = multiprocessing.Value("q", 0)
        nbytes = multiprocessing.Value("q", 0)
        bad = multiprocessing.Value("q", 0)
        path = f"/api/runs?limit={a.limit}"
        workers = [multiprocessing.Process(target=abuser, args=(a.port, path, stop_at, done, nbytes, bad))
                   for _ in range(a.clients)]
        for w in workers:
            w.start()
        time.sleep(0.5)
        loaded = metrics_latencies(a.seconds)
        for w in workers:
            w.join(timeout=40)
            if w.is_alive():
                w.kill()
        with open("/proc/loadavg") as f:
            load = f.read().split()[0]
        for name, xs in (("alone", quiet), (f"beside {a.clients} clients", loaded)):
            ms = [x * 1000 for x in xs]
            print(f"/metrics {name}: n={len(ms)} p50={pct(ms, 50):.1f} ms p90={pct(ms, 90):.1f} ms "
                  f"p99={pct(ms, 99):.1f} ms max={max(ms):.1f} ms", flush=True)
        print(f"abusers: {done.value} pages ({done.value / a.seconds:.1f}/s, {nbytes.value / a.seconds / 1e6:.1f} MB/s), "
              f"{bad.value} not 200; load average {load}", flush=True)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
