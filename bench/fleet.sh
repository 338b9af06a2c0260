#!/usr/bin/env bash
# `make bench-fleet`: the PostgreSQL ledger's scale figures (issue 16), on a throwaway server of its own
# (Debian's postgresql, 127.0.0.1, fsync on as a real one would be). Never part of `make test`.
#   1. replay of the 1M-line corpus into SQLite and into PostgreSQL, alternating, BENCH_ROUNDS rounds;
#   2. four instances replaying four logs (250k lines each) into one PostgreSQL ledger at once;
#   3. the ledger's size per run (SQLite file; PostgreSQL tables with indexes and TOAST);
#   4. /api/runs with filters on a ledger of BENCH_FLEET_RUNS runs (default 1M: the corpus's runs copied
#      under new ids), BENCH_REQUESTS requests each, through `serve`: p50 and p99 of curl's total time.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/runledger}
CACHE=${CACHE:-.bench-cache}
ROUNDS=${BENCH_ROUNDS:-3}
TOTAL_RUNS=${BENCH_FLEET_RUNS:-1000000}
REQUESTS=${BENCH_REQUESTS:-200}
HTTP_PORT=${BENCH_PORT:-19478}
mkdir -p "$CACHE"
[ -x "$BIN" ] || { echo "bench-fleet: build first (swift build -c release)"; exit 1; }
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

corpus() { # name runs seed -> path (generated on first use; bench.sh's 1e6 is the same file)
  local f="$CACHE/$1.log"
  if [ ! -s "$f" ]; then
    python3 bench/gen-corpus.py --runs "$2" --seed "$3" --log "$f.tmp" --truth "$CACHE/$1.truth" >/dev/null
    mv "$f.tmp" "$f"
  fi
  echo "$f"
}
LOG=$(corpus 1e6 24000 1)

# The server: as the postgres user when run as root (initdb refuses root).
WORK=$(mktemp -d /tmp/runledger-bench-pg.XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$WORK"
PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg "$PGBIN/initdb" -D "$WORK/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w \
  -o "-p $PGPORT -k $WORK -c listen_addresses=127.0.0.1 -c shared_buffers=256MB" start >/dev/null
SERVE_PID=
cleanup() {
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null || true
  as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
psql_() { psql -X -q -A -t -h "$WORK" -p "$PGPORT" -U postgres "$@"; }
newdb() { psql_ -d postgres -c "CREATE DATABASE $1" >/dev/null; echo "postgresql://postgres@127.0.0.1:$PGPORT/$1"; }
seconds() { local t0=$EPOCHREALTIME; "$@" >/dev/null 2>&1; awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b - a}'; }
median() { tr ' ' '\n' | sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
LINES=$(wc -l <"$LOG")

echo "bench-fleet: $LINES lines ($(du -m "$LOG" | cut -f1) MiB), PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}'), $(nproc) cores"
sq=() pg=()
for r in $(seq "$ROUNDS"); do
  rm -f "$WORK/s.db"*
  sq+=("$(seconds "$BIN" replay --db "$WORK/s.db" --utc-offset Z --deliver-for 0 "$LOG")")
  uri=$(newdb "r$r")
  pg+=("$(seconds "$BIN" replay --db "$uri" --instance bench --utc-offset Z --deliver-for 0 "$LOG")")
done
S=$(echo "${sq[*]}" | median) P=$(echo "${pg[*]}" | median)
echo "replay into SQLite:     ${S} s median (${sq[*]}), $(awk -v l="$LINES" -v s="$S" 'BEGIN{printf "%d", l/s}') lines/s"
echo "replay into PostgreSQL: ${P} s median (${pg[*]}), $(awk -v l="$LINES" -v s="$P" 'BEGIN{printf "%d", l/s}') lines/s"
RUNS=$("$BIN" runs --db "$WORK/s.db" --json | grep -c '"run_id"')
echo "runs: $RUNS in both: $("$BIN" runs --db "$uri" --json | grep -c '"run_id"')"
echo "size per run: SQLite $(( $(stat -c %s "$WORK/s.db") / RUNS )) bytes;" \
  "PostgreSQL $(( $(psql_ -d "r$ROUNDS" -c "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'") / RUNS )) bytes (tables with indexes and TOAST)"

# Four instances at once, each its own log, into one ledger.
uri=$(newdb four)
for i in 1 2 3 4; do corpus "fleet-q$i" 6000 $((10 + i)) >/dev/null; done
t0=$EPOCHREALTIME
for i in 1 2 3 4; do
  "$BIN" replay --db "$uri" --instance "host-$i" --utc-offset Z --deliver-for 0 "$CACHE/fleet-q$i.log" >/dev/null 2>&1 &
done
wait
FOUR=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b - a}')
QL=$(cat "$CACHE"/fleet-q[1-4].log | wc -l)
echo "four instances at once: $QL lines in ${FOUR} s ($(awk -v l="$QL" -v s="$FOUR" 'BEGIN{printf "%d", l/s}') lines/s together);" \
  "runs $(psql_ -d four -c 'SELECT count(*) FROM runs') (by instance: $(psql_ -d four -c "SELECT string_agg(instance || '=' || n, ' ') FROM (SELECT instance, count(*) n FROM runs GROUP BY instance ORDER BY instance) x"))"

# A ledger of TOTAL_RUNS runs: the corpus's runs copied under new ids (their records name the new id too).
psql_ -d "r$ROUNDS" >/dev/null <<SQL
INSERT INTO runs(run_id, instance, workflow, status, started_at_ms, ended_at_ms, cost_nano, turns, total_tokens,
                 taskgroup_error, false_failure, flagged, attribution, record, has_mismatch, stalled)
SELECT run_id || '-' || g, instance, workflow, status, started_at_ms + g * 1000, ended_at_ms + g * 1000, cost_nano,
       turns, total_tokens, taskgroup_error, false_failure, flagged, attribution,
       jsonb_set(record, '{runId}', to_jsonb(run_id || '-' || g)), has_mismatch, stalled
FROM runs, generate_series(1, ceil($TOTAL_RUNS::numeric / $RUNS)::int - 1) AS g;
VACUUM ANALYZE;
SQL
uri="postgresql://postgres@127.0.0.1:$PGPORT/r$ROUNDS"
echo "api: $(psql_ -d "r$ROUNDS" -c 'SELECT count(*) FROM runs') runs"
: >"$WORK/empty.log"
"$BIN" serve --db "$uri" --instance api --listen "127.0.0.1:$HTTP_PORT" --utc-offset Z "$WORK/empty.log" 2>"$WORK/serve.err" &
SERVE_PID=$!
for _ in $(seq 100); do curl -sf "127.0.0.1:$HTTP_PORT/healthz" >/dev/null && break; sleep 0.1; done
for q in "limit=100" "false_failure=1&limit=100" "workflow=builder&status=failed&limit=50" "mismatch=any&limit=100" \
  "since=2025-06-19&until=2025-06-20&limit=100" "q=abc"; do
  for _ in $(seq "$REQUESTS"); do
    curl -s -o /dev/null -w '%{time_total}\n' "127.0.0.1:$HTTP_PORT/api/runs?$q"
  done | sort -n | awk -v q="$q" '{v[NR]=$1} END{printf "  /api/runs?%-45s p50 %.1f ms  p99 %.1f ms  (%d requests)\n", q, v[int(NR*0.5)]*1000, v[int(NR*0.99)]*1000, NR}'
done
