#!/usr/bin/env python3
"""Half-open connections against `runledger serve` (issue 13, finding 7): opens up to 5000 connections
that each send half a request header and stop, then prints serve's RSS and open descriptors, how long
`/healthz` takes beside them, and both again 6 s later (past the 5 s header timeout). Bounded: 20 s
to connect, 2 s per connection. Never part of the tests.

    bench/http-flood.py BIN DB LOG
"""
import socket, subprocess, time, sys, os
binary, db, log = sys.argv[1:4]
port = 19481
p = subprocess.Popen([binary, "serve", "--db", db, "--listen", f"127.0.0.1:{port}", log], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
def rss(): return int([l for l in open(f"/proc/{p.pid}/status") if l.startswith("VmRSS")][0].split()[1]) // 1024
def fds(): return len(os.listdir(f"/proc/{p.pid}/fd"))
try:
    for _ in range(200):
        try: socket.create_connection(("127.0.0.1", port), timeout=1).close(); break
        except OSError: time.sleep(0.05)
    time.sleep(1)
    print(f"start: rss {rss()} MiB, fds {fds()}")
    socks = []
    t = time.monotonic()
    while len(socks) < 5000 and time.monotonic() - t < 20:
        try:
            s = socket.socket(); s.settimeout(2); s.connect(("127.0.0.1", port)); s.send(b"GET / HTTP/1.1\r\nHost: x\r\n"); socks.append(s)
        except OSError: pass
    time.sleep(0.5)
    print(f"{len(socks)} half-open connections in {time.monotonic()-t:.1f} s: rss {rss()} MiB, fds {fds()}")
    t = time.monotonic()
    c = socket.create_connection(("127.0.0.1", port), timeout=5); c.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    print(f"healthz: {c.recv(20)!r} in {1000*(time.monotonic()-t):.1f} ms"); c.close()
    time.sleep(6)
    print(f"6 s later (clients still open): rss {rss()} MiB, fds {fds()}")
    for s in socks: s.close()
finally:
    p.terminate(); p.wait(timeout=20)
