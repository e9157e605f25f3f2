#!/usr/bin/env bash
# tests/bench/evaluation_ingest.sh [BUILD_DIR] [SECONDS=10] [WINDOW=2000] [CASES=600000] [BAD=40] [INSTANCES=1]
# Ratings recorded per second through evaluationd's real request socket (ipc, durable
# commits: synchronous_commit on), by a C client keeping WINDOW evaluation.rate calls in
# flight — printed beside raw pgbench single-row inserts (one durable commit each) on the
# same Postgres in the same run. The roll-ups are folded behind ingest (rollup_applier.c): it
# prints how far behind they were while ingesting and how long they took to catch up. Starts its own throwaway cluster and evaluationd; run by hand,
# not by ctest. Bounded: SECONDS per phase, ipc only, CASES decided cases seeded with SQL.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build=${1:-$root/build}
secs=${2:-10}
window=${3:-2000}
cases=${4:-600000}
# The share of bad reviews (grades 1–2) in percent: each opens a rectification ticket, an
# assessment record of the staff member rated and two timers, so the mix moves the rate. 40 is
# what uniform grades 1–5 give (the mix of the earlier runs); real ratings have far fewer.
bad=${5:-40}
# evaluationd instances sharing the schema (docs/configuration.md "Several instances"): the
# client deals its calls among them, and each has its own connection to PostgreSQL.
instances=${6:-1}
bench_init eval
bench_client evaluation_ingest evaluation_ingest "$build"
bench_database "$build"
bench_config evaluationd warn
endpoints=$(seq "$instances" | sed "s|.*|ipc://$work/evaluation&.sock|" | paste -sd, -)
sed -i "s|^endpoint.evaluation = .*|endpoint.evaluation = $endpoints|" "$work/ow.conf"
OW_RPC_BIND="ipc://$work/evaluation1.sock" bench_daemon "$build" evaluationd evaluation.rollups
evals=("${pids[0]}")
for i in $(seq 2 "$instances"); do
  OW_RPC_BIND="ipc://$work/evaluation$i.sock" "$build/bin/evaluationd" --config "$work/ow.conf" \
    2>"$work/evaluationd$i.log" &
  pids+=($!)
  evals+=($!)
done
echo "== seeding $cases decided cases (SQL)"
psql "$url" -X -q -v ON_ERROR_STOP=1 -c "INSERT INTO evaluation.served_cases (case_no, item_code,
  department_code, centre_id, channel, accepted_at_us, decided_at_us)
  SELECT 'B' || g, 'I' || (g % 300), 'D' || (g % 40),
         (ARRAY['330122000000', '330122101000', '330122101201'])[1 + g % 3], 'window', 1,
         -- decided now: evaluation.rate refuses a rating after the 7-day window (DOMAIN.md §6)
         (extract(epoch FROM clock_timestamp()) * 1000000)::bigint
  FROM generate_series(1, $cases) g" -c "VACUUM ANALYZE evaluation.served_cases"

bench_wal_recycled
psql "$url" -X -q -c 'CHECKPOINT' >/dev/null
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)  ($(nproc) cores, shared)"
echo "== reference: pgbench single-row inserts, durable commits, 16 clients, ${secs}s"
psql "$url" -X -q -c 'CREATE TABLE bench_ref (id bigserial PRIMARY KEY, v text NOT NULL)'
echo "INSERT INTO bench_ref (v) VALUES ('x');" > "$work/insert.sql"
"$pgbin/pgbench" -n -c 16 -j 2 -T "$secs" -f "$work/insert.sql" "$url" 2>/dev/null |
  grep -E "^(tps|latency average)"
psql "$url" -X -q -c 'CHECKPOINT' >/dev/null # what pgbench wrote is recycled too
# CPU time (clock ticks) of evaluationd, and of the whole cluster (the postmaster, every live
# child, and the children it has reaped): per rating, a figure a shared machine's load moves far
# less than the rate.
ticks() {
  awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
pg_ticks() {
  local pm total=0 p
  pm=$(head -n 1 "$work/pg/data/postmaster.pid")
  total=$(ticks "$pm")
  for p in $(ps -o pid= --ppid "$pm"); do total=$((total + $(ticks "$p"))); done
  echo "$total"
}
echo "== evaluationd: evaluation.rate, $window in flight, ${secs}s (batched per drain)"
# The roll-ups trail ingest (rollup_applier.c): sample how far behind they are while it runs —
# the age of the oldest rating not folded yet. Since migration 0009 the applier folds from the
# outbox after its watermark; a build from before it kept a queue table (rollup_pending), and one
# from before the applier had neither (nothing trails).
if [ "$(psql "$url" -X -qtA -c "SELECT to_regclass('evaluation.rollup_applier_state') IS NOT NULL")" = t ]; then
  # (Through the seq index: a sampler that read the whole outbox twice a second would be
  # billed to the ratings.)
  waiting="FROM evaluation.outbox WHERE type = 'rating.recorded'
    AND seq > (SELECT last_seq FROM evaluation.rollup_applier_state)"
  lag_sql="SELECT coalesce(((extract(epoch FROM clock_timestamp()) * 1000000)::bigint
    - (SELECT time_us $waiting ORDER BY seq LIMIT 1)) / 1000, 0)"
elif [ "$(psql "$url" -X -qtA -c "SELECT to_regclass('evaluation.rollup_pending') IS NOT NULL")" = t ]; then
  waiting="FROM evaluation.rollup_pending"
  lag_sql="SELECT coalesce(((extract(epoch FROM clock_timestamp()) * 1000000)::bigint
    - min(rated_at_us)) / 1000, 0) $waiting"
else
  waiting=""
  lag_sql="SELECT 0"
fi
# (The cluster's own psql: the wrapper on PATH starts perl each time, 3 % of the CPU.)
( end=$((SECONDS + secs + 5)); while [ $SECONDS -lt $end ]; do
    "$pgbin/psql" "$url" -X -qtA -c "$lag_sql" 2>/dev/null; sleep 0.5; done > "$work/lag.txt" ) &
pids+=($!)
eval_ticks() {
  local total=0 p
  for p in "${evals[@]}"; do total=$((total + $(ticks "$p"))); done
  echo "$total"
}
eval_before=$(eval_ticks); pg_before=$(pg_ticks)
echo "== $bad % of the ratings are bad reviews (grades 1-2)"
echo "== $instances evaluationd instance(s): $endpoints"
"$work/evaluation_ingest" "$endpoints" "$secs" "$window" "$cases" "$bad" || true
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
start_ms=$(date +%s%3N)
for _ in $(seq 600); do
  [ -n "$waiting" ] || break
  [ "$(psql "$url" -X -qtA -c "SELECT count(*) $waiting")" = 0 ] && break
  sleep 0.1
done
eval_after=$(eval_ticks); pg_after=$(pg_ticks)
n=$(psql "$url" -X -qtA -c 'SELECT count(*) FROM evaluation.ratings')
hz=$(getconf CLK_TCK)
awk -v n="$n" -v hz="$hz" -v e=$((eval_after - eval_before)) -v p=$((pg_after - pg_before)) \
  'BEGIN { if (n > 0) printf "CPU per rating, roll-ups included: %.0f us (evaluationd %.0f, PostgreSQL %.0f)\n",
           (e + p) * 1e6 / hz / n, e * 1e6 / hz / n, p * 1e6 / hz / n }'
echo "roll-ups caught up $(( $(date +%s%3N) - start_ms )) ms after the last reply;" \
  "lag while ingesting (oldest unfolded rating, sampled every 0.5 s): max" \
  "$(sort -n "$work/lag.txt" | tail -n 1) ms, median $(sort -n "$work/lag.txt" |
  awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') ms"
psql "$url" -X -qtA -c "SELECT 'ratings committed: ' || count(*) FROM evaluation.ratings" \
  -c "SELECT 'rating.recorded events: ' || count(*) FROM evaluation.outbox WHERE type = 'rating.recorded'" \
  -c "SELECT 'roll-up total (all, year): ' || coalesce(sum(total), 0) FROM evaluation.rollups WHERE dimension = 'all' AND period = 'year'" \
  -c "SHOW synchronous_commit"
[ -n "$waiting" ] && psql "$url" -X -qtA -c "SELECT 'ratings not yet in the roll-ups: ' || count(*) $waiting"
bench_statements
grep -v "replay failed" "$work/evaluationd.log" | head -5 || true
