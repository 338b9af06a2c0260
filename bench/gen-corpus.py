#!/usr/bin/env python3
"""Benchmark corpora: tools/gen-executor-log.py (every executor release era, all envelopes, concurrent
runs, status polls, access-log and traceback noise), with an optional wider set of workflow names so
that `/metrics` can be measured with many series.

    bench/gen-corpus.py --runs 24000 --seed 1 --log F --truth T [--workflows 130]
"""
import argparse
import importlib.util
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("gen", os.path.join(here, "..", "tools", "gen-executor-log.py"))
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)

p = argparse.ArgumentParser()
p.add_argument("--workflows", type=int, default=0, help="use this many workflow names instead of the 9 real ones")
args, rest = p.parse_known_args()
if args.workflows:
    gen.WORKFLOWS[:] = [f"wf{i:04d}" for i in range(args.workflows)]
sys.argv = [sys.argv[0]] + rest + ["--envelopes", "mixed"]
gen.main()
