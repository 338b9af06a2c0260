#!/usr/bin/env python3
"""Turns an executor log into Journal Export Format, as journald would have stored the executor's output.

Each line becomes one entry of `--unit` (with SYSLOG_IDENTIFIER `--identifier`). With `--message-only` the
verbose envelope (`date - logger - LEVEL - `) is dropped, as with the executor's default format, and the
entry's own timestamp dates the line. A MESSAGE holding control bytes (the executor's ANSI colours) is
written in the binary form, as journald does. `--noise-unit` interleaves entries of another unit.

    tools/log-to-journal-export.py executor.log --message-only | /lib/systemd/systemd-journal-remote -o x.journal -
"""
import argparse
import re
import struct
import sys

ENVELOPE = re.compile(rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - \S+ - [A-Z]+ - ")


def field(name, value):
    if any(b < 0x20 and b not in (0x09,) for b in value) or b"\n" in value:
        return name + b"\n" + struct.pack("<Q", len(value)) + value + b"\n"
    return name + b"=" + value + b"\n"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("log")
    p.add_argument("--unit", default="automagik-agents.service")
    p.add_argument("--identifier", default="python")
    p.add_argument("--message-only", action="store_true")
    p.add_argument("--noise-unit", default=None)
    p.add_argument("--start-us", type=int, default=1750366800000000)  # 2025-06-19 21:00:00 UTC
    p.add_argument("--skip", type=int, default=0, help="skip the first N lines")
    p.add_argument("--count", type=int, default=None, help="write at most N lines")
    a = p.parse_args()
    out = sys.stdout.buffer
    t = a.start_us
    with open(a.log, "rb") as f:
        lines = f.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    lines = lines[a.skip:]
    if a.count is not None:
        lines = lines[: a.count]
    for i, line in enumerate(lines):
        t += 1000
        message = ENVELOPE.sub(b"", line) if a.message_only else line
        out.write(b"__REALTIME_TIMESTAMP=%d\n" % t)
        out.write(field(b"MESSAGE", message))
        out.write(b"_SYSTEMD_UNIT=" + a.unit.encode() + b"\n")
        out.write(b"SYSLOG_IDENTIFIER=" + a.identifier.encode() + b"\n\n")
        if a.noise_unit and i % 3 == 0:
            t += 1
            # Another service logging lines that look like the executor's: must not be read.
            noise = b"SDK Executor: Captured final metrics during streaming - Cost: $9.9999, Turns: 99"
            out.write(b"__REALTIME_TIMESTAMP=%d\n" % t)
            out.write(field(b"MESSAGE", noise))
            out.write(b"_SYSTEMD_UNIT=" + a.noise_unit.encode() + b"\nSYSLOG_IDENTIFIER=other\n\n")


if __name__ == "__main__":
    main()
