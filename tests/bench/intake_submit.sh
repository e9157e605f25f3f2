#!/usr/bin/env bash
# tests/bench/intake_submit.sh [BUILD_DIR] [SECONDS] [WINDOW] — accepted applications per second
# through intaked's request socket (ipc, durable commits: synchronous_commit on), and the
# latency at a fixed 2,000/s, printed beside raw pgbench single-row inserts on the same
# Postgres in the same run. Starts its own throwaway cluster and intaked; run by hand, not
# by ctest. Bounded: SECONDS (default 10) per phase, 127.0.0.1/ipc only.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build=${1:-$root/build}
secs=${2:-10}
window=${3:-256}
bench_init intake
bench_client intake_submit intake_submit "$build"
bench_database "$build"
bench_wal_recycled # (each phase's settle checkpoints)
bench_config intaked info
bench_daemon "$build" intaked intake.cases
{ printf 'SET ROLE ow_intake;\nSET search_path = intake;\n'; cat "$root/deploy/demo/intake.sql"; } |
  psql "$url" -X -q -v ON_ERROR_STOP=1 --single-transaction -f - >/dev/null

echo "load average: $(cut -d" " -f1-3 /proc/loadavg)"
echo "== reference: pgbench single-row inserts, durable commits, 16 clients, ${secs}s"
psql "$url" -X -q -c 'CREATE TABLE bench_ref (id bigserial PRIMARY KEY, v text NOT NULL)'
echo "INSERT INTO bench_ref (v) VALUES ('x');" > "$work/insert.sql"
"$pgbin/pgbench" -n -c 16 -j 2 -T "$secs" -f "$work/insert.sql" "$url" 2>/dev/null |
  grep -E "^(tps|latency average)"
ops=$(bench_ops_port intaked)
batches() {
  curl -s "http://127.0.0.1:$ops/metrics" |
    awk '/^onewindow_intake_batches_total/{b=$NF} /^onewindow_intake_batched_requests_total/{r=$NF}
         /^onewindow_intake_batches_predicted_total/{p=$NF} /^onewindow_intake_batches_prediction_refused_total/{x=$NF}
         END {printf "%d %d %d %d\n", b, r, p, x}'
}
report_batches() {
  read -r b0 r0 p0 x0 <<<"$1"
  read -r b1 r1 p1 x1 <<<"$(batches)"
  awk -v b="$((b1 - b0))" -v r="$((r1 - r0))" -v p="$((p1 - p0))" -v x="$((x1 - x0))" 'BEGIN {
    printf "  group commit: %d requests in %d transactions = %.1f per transaction\n", r, b, b ? r / b : 0
    printf "  predicted (one round trip): %d transactions, %d refused and read\n", p, x }'
}
# Each phase starts from a settled cluster: the previous phase's tables vacuumed and every
# dirty page flushed, so a checkpoint or an autovacuum it caused is not billed to the next one.
# VACUUM before CHECKPOINT: the other way round, the pages the vacuum dirtied (visibility and
# hint bits of every page the phase wrote) were written out during the next phase. An
# autovacuum worker the previous phase started is waited for (at most 30 s).
settle() {
  psql "$url" -X -q -c 'VACUUM ANALYZE' -c 'CHECKPOINT' >/dev/null
  for _ in $(seq 60); do
    [ "$(psql "$url" -X -qtA -c "SELECT count(*) FROM pg_stat_activity
                                  WHERE backend_type = 'autovacuum worker'")" = 0 ] && break
    sleep 0.5
  done
}
settle
before=$(batches)
echo "== intaked: intake.submit, ${window} in flight, ${secs}s (group commit: one transaction per drained batch)"
"$work/intake_submit" "ipc://$work/intake.sock" max "$secs" "$window"
report_batches "$before"
bench_statements "the 256-in-flight phase"
bench_slow "the 256-in-flight phase"
settle
before=$(batches)
echo "== intaked: intake.submit at a fixed 2000/s, ${secs}s"
"$work/intake_submit" "ipc://$work/intake.sock" rate "$secs" 2000 || true
report_batches "$before"
psql "$url" -X -qtA -c "SELECT 'cases committed: ' || count(*) FROM intake.cases"
echo "load average: $(cut -d" " -f1-3 /proc/loadavg)"
bench_statements "the fixed-rate phase"
bench_slow "the settling and the fixed-rate phase"
