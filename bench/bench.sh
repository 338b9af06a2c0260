#!/usr/bin/env bash
# `make bench`: RunLedger side by side with mtail and grep on the same files, in one run.
# Corpora are generated once into .bench-cache/ (git-ignored) and reused. Never part of `make test`.
#   BENCH_LINES=1e6 (the side-by-side corpus: 1e5, 1e6 or 1e7)   BENCH_BIG=1e7 (restart/RSS corpus)
#   BENCH_ROUNDS=3 (rounds of the side-by-side part; medians are printed)
#   BENCH_EQUIV=../shared/bench/executor-equivalent.mtail (the 13-rule mtail program the ratio leads with)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/runledger}
CACHE=${CACHE:-.bench-cache}
SIZE=${BENCH_LINES:-1e6}
BIG=${BENCH_BIG:-1e7}
PORT=${BENCH_PORT:-19477}
mkdir -p "$CACHE"
# Runs per corpus, so that each has about its number of lines (all six executor eras since issue 11).
declare -A RUNS=([1e5]=2400 [1e6]=24000 [1e7]=240000)

corpus() { # size -> path (generated on first use)
  local f="$CACHE/$1.log"
  if [ ! -s "$f" ]; then
    echo "bench: generating $f (${RUNS[$1]} runs; once)" >&2
    python3 bench/gen-corpus.py --runs "${RUNS[$1]}" --seed 1 --log "$f.tmp" --truth "$CACHE/$1.truth" >/dev/null
    mv "$f.tmp" "$f"
  fi
  echo "$f"
}

# timed OUT ERR CMD...: runs CMD under GNU time with its output in OUT and ERR; prints
# "wall cpu peak_rss_kib" (CPU = user + sys).
timed() {
  local t out=$1 err=$2; shift 2
  t=$(mktemp)
  local t0=$EPOCHREALTIME # GNU time prints wall time to 10 ms only; grep -c needs better
  /usr/bin/time -f "%U %S %M" -o "$t" "$@" >"$out" 2>"$err"
  local t1=$EPOCHREALTIME
  awk -v w="$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}')" '{printf "%.3f %.3f %d\n", w, $1 + $2, $3}' "$t"
  rm -f "$t"
}

LOG=$(corpus "$SIZE")
LINES=$(wc -l <"$LOG")
BYTES=$(stat -c %s "$LOG")
MIB=$(awk -v b="$BYTES" 'BEGIN{printf "%.1f", b/1048576}')
echo "== corpus: $LOG  $LINES lines  $MIB MiB  ($(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'))"
cat "$LOG" >/dev/null # into the page cache for all three

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# BENCH_ROUNDS rounds (default 3), interleaved (replay, mtail-equiv, mtail, grep; then again), and the median of each
# column: wall time on this shared machine moves by +-20 % between runs of the same binary, and the
# ratios should not hang on one lucky or unlucky run of either side.
ROUNDS=${BENCH_ROUNDS:-3}
mkdir -p "$WORK/progs"; cp bench/mtail/*.mtail "$WORK/progs/"
# The reference the ratio leads with: mtail running only the 13 rules for the facts RunLedger extracts
# (../shared/bench/executor-equivalent.mtail). bench/mtail/ matches more patterns per line, which makes
# mtail slower and so flatters RunLedger; both are timed, in the same rounds.
EQUIV=${BENCH_EQUIV:-../shared/bench/executor-equivalent.mtail}
[ -s "$EQUIV" ] || { echo "bench: $EQUIV is missing (the 13-rule mtail program)" >&2; exit 1; }
mkdir -p "$WORK/equiv"; cp "$EQUIV" "$WORK/equiv/"
mtail_run() { # progs-dir out err
  timed "$2" "$3" mtail --one_shot --one_shot_format=prometheus --emit_prog_label=false --progs "$1" --logs "$LOG" --logtostderr
}
declare -a RW RC RR MW MC MR EW EC ER GW GC GR
for ((i = 0; i < ROUNDS; i++)); do
  rm -f "$WORK"/replay.db*
  read -r RW[i] RC[i] RR[i] < <(timed /dev/null "$WORK/replay.err" "$BIN" replay --db "$WORK/replay.db" "$LOG")
  read -r EW[i] EC[i] ER[i] < <(mtail_run "$WORK/equiv" "$WORK/equiv.out" "$WORK/equiv.err")
  read -r MW[i] MC[i] MR[i] < <(mtail_run "$WORK/progs" "$WORK/mtail.out" "$WORK/mtail.err")
  # GNU grep stops at the first match when its output is /dev/null: write the count to a file.
  read -r GW[i] GC[i] GR[i] < <(timed "$WORK/grep.out" /dev/null grep -c -F 'Status endpoint for' "$LOG")
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
rw=$(median "${RW[@]}") rc=$(median "${RC[@]}") rr=$(median "${RR[@]}")
mw=$(median "${MW[@]}") mc=$(median "${MC[@]}") mr=$(median "${MR[@]}")
ew=$(median "${EW[@]}") ec=$(median "${EC[@]}") er=$(median "${ER[@]}")
gw=$(median "${GW[@]}") gc=$(median "${GC[@]}") gr=$(median "${GR[@]}")

row() { awk -v n="$1" -v w="$2" -v c="$3" -v r="$4" -v l="$LINES" -v b="$BYTES" \
  'BEGIN{printf "%-11s wall %7.3f s  cpu %7.3f s  peak RSS %7.1f MiB  %11.0f lines/s  %8.1f MiB/s\n", n, w, c, r/1024, l/w, b/1048576/w}'; }
echo "-- replay / mtail / grep on the same file (median of $ROUNDS interleaved rounds)"
# First: replay against mtail running the 13-rule executor-equivalent program (above 1: replay is faster).
awk -v r="$rw" -v e="$ew" 'BEGIN{
  printf "ratio: runledger replay : mtail(executor-equivalent, 13 rules) = %.2fx (replay %.3f s, mtail %.3f s)\n", e/r, r, e }'
echo "   wall per round: runledger ${RW[*]} s; mtail-equiv ${EW[*]} s; mtail ${MW[*]} s; grep ${GW[*]} s"
row runledger "$rw" "$rc" "$rr"
row mtail-equiv "$ew" "$ec" "$er"
row mtail "$mw" "$mc" "$mr"
row "grep -c" "$gw" "$gc" "$gr"
awk -v r="$rw" -v m="$mw" -v g="$gw" 'BEGIN{
  printf "ratio: runledger/mtail(bench/mtail) lines/s = %.1fx (target >= 20x)\n", m/r
  printf "ratio: runledger/grep  lines/s = %.1f%% (target >= 25%%)\n", 100*g/r }'
echo "   (mtail matched lines: $(sed -n 's/^executor_lines_total //p' "$WORK/mtail.out"); mtail-equiv runs started: $(sed -n 's/^runs_started_total //p' "$WORK/equiv.out"); runs in ledger: $("$BIN" runs --db "$WORK/replay.db" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'))"

echo "-- /metrics with >= 10k series (ledger from a corpus with 140 workflow names)"
WIDE="$CACHE/wide.log"
[ -s "$WIDE" ] || python3 bench/gen-corpus.py --runs 6000 --seed 2 --workflows 140 --log "$WIDE" --truth "$CACHE/wide.truth" >/dev/null
"$BIN" replay --db "$WORK/wide.db" "$WIDE" 2>/dev/null
"$BIN" serve --db "$WORK/wide.db" --listen "127.0.0.1:$PORT" "$WIDE" >/dev/null 2>&1 &
SERVE=$!
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.05; done
python3 bench/probe.py metrics "$PORT" --n 200 || true
kill "$SERVE"; wait "$SERVE" || true

echo "-- serve: append-to-/metrics latency (1000 lines appended one by one to a followed file)"
head -n 20000 "$LOG" >"$WORK/follow.log"
"$BIN" replay --db "$WORK/follow.db" "$WORK/follow.log" 2>/dev/null
sed -n '20001,21000p' "$LOG" >"$WORK/sample.log"
python3 bench/probe.py latency "$BIN" "$WORK/follow.db" "$WORK/follow.log" "$PORT" --n 1000 --sample "$WORK/sample.log"

BIGLOG=$(corpus "$BIG")
BIGLINES=$(wc -l <"$BIGLOG")
echo "-- restart on a fully read $BIG-line log ($BIGLINES lines) and RSS with its runs in the ledger"
read -r bw bc br < <(timed /dev/null /dev/null "$BIN" replay --db "$WORK/big.db" "$BIGLOG")
awk -v w="$bw" -v c="$bc" -v r="$br" -v l="$BIGLINES" 'BEGIN{printf "replay %s: wall %.1f s  cpu %.1f s  peak RSS %.1f MiB  %.0f lines/s\n", "big", w, c, r/1024, l/w}'
echo "runs in ledger: $(sqlite3 "$WORK/big.db" 'select count(*) from runs' 2>/dev/null || echo '?')"
python3 bench/probe.py restart "$BIN" "$WORK/big.db" "$BIGLOG" "$PORT" "$BIGLINES"

echo "-- SIGTERM in the middle of a catch-up of the $BIG-line log, then the next start resumes exactly"
python3 bench/probe.py shutdown "$BIN" "$WORK/stopped.db" "$BIGLOG" "$PORT"
echo "lines kept at the stop: $(sqlite3 "$WORK/stopped.db" "select sum(value) from rollups where series like 'runledger_lines_total%'" 2>/dev/null || echo '?')"
"$BIN" replay --db "$WORK/stopped.db" "$BIGLOG" 2>/dev/null
if [ "$("$BIN" metrics --db "$WORK/stopped.db")" = "$("$BIN" metrics --db "$WORK/big.db")" ]; then
  echo "resumed: metrics equal one uninterrupted replay's"
else
  echo "resumed: METRICS DIFFER from one uninterrupted replay's"
fi
