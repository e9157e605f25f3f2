#!/usr/bin/env bash
# tests/bench/deadline_clocks.sh [BUILD_DIR] [OPEN] [DUE] — deadlined's card scan at scale
# (issue 5): OPEN open case clocks (default 1,000,000, inserted with generate_series), DUE of
# them (default 100,000) with their yellow card falling due within the same minute; prints how
# late each card was raised (must be within 10 s of its due time), deadlined's resident memory
# (/proc/PID/status VmRSS) with all of them open, and the cost of one scheduling pass (the
# scan's claim query, idle and with a full batch of 500), beside pgbench single-row inserts
# on the same Postgres in the same run. Starts its own throwaway cluster and deadlined (ipc
# and 127.0.0.1 only); run by hand, not by ctest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build=${1:-$root/build}
open=${2:-1000000}
due=${3:-100000}
bench_init deadline
bench_database "$build"
bench_config deadlined info
bench_daemon "$build" deadlined deadline.yellow_thresholds
dpid=${pids[0]}
rss() { awk '/^VmRSS/{print $2 " kB"}' "/proc/$dpid/status"; }
echo "load average: $(cut -d" " -f1-3 /proc/loadavg)"
echo "deadlined resident memory before loading clocks: $(rss)"

echo "== reference: pgbench single-row inserts, durable commits, 1 client, 5 s"
psql "$url" -X -q -c 'CREATE TABLE bench_ref (id bigserial PRIMARY KEY, v text NOT NULL)'
echo "INSERT INTO bench_ref (v) VALUES ('x');" >"$work/insert.sql"
"$pgbin/pgbench" -n -c 1 -T 5 -f "$work/insert.sql" "$url" 2>/dev/null | grep -E "^(tps|latency average)"

# The clocks: OPEN - DUE far in the future; DUE whose yellow card falls in one minute that
# starts 20 s after they are inserted (what the scan has to catch).
echo "== inserting $open open clocks ($due due in one minute)"
t0=$(date +%s.%N)
psql "$url" -X -q -v ON_ERROR_STOP=1 <<SQL
SET search_path = deadline;
INSERT INTO clocks (case_no, scope, centre_id, item_code, department_code, state, started_at_us,
                    limit_value, unit, legal_limit, due_at_us, yellow_at_us, next_fire_us,
                    source_event_id)
SELECT 'B' || g, 'case', '330122000000', 'I-' || (g % 50), 'D' || (g % 20), 'running', 0, 20,
       'working_days', 20, 4102444800000000 + g, 4102358400000000 + g, 4102358400000000 + g,
       '6f1c1b52-3f0e-4a7c-9a43-0d6b6b7c0001'
  FROM generate_series(1, $open - $due) g;
INSERT INTO clocks (case_no, scope, centre_id, item_code, department_code, state, started_at_us,
                    limit_value, unit, legal_limit, due_at_us, yellow_at_us, next_fire_us,
                    source_event_id)
SELECT 'D' || g, 'case', '330122000000', 'I-' || (g % 50), 'D' || (g % 20), 'running', 0, 20,
       'working_days', 20, t + 86400000000, t, t, '6f1c1b52-3f0e-4a7c-9a43-0d6b6b7c0001'
  FROM generate_series(1, $due) g,
       LATERAL (SELECT (extract(epoch FROM clock_timestamp()) * 1e6)::bigint + 20000000
                       + (g::bigint * 60000000 / $due) AS t) x;
ANALYZE clocks;
SQL
echo "  inserted in $(echo "$(date +%s.%N) - $t0" | bc) s"
echo "deadlined resident memory with $open clocks open: $(rss)"

echo "== one scheduling pass: the scan's claim query over $open clocks (pgbench, 1 client, 200 passes)"
cat >"$work/idle.sql" <<'SQL'
BEGIN;
SELECT clock_id FROM deadline.clocks WHERE state = 'running' AND next_fire_us <= 0 ORDER BY next_fire_us LIMIT 500 FOR UPDATE SKIP LOCKED;
ROLLBACK;
SQL
"$pgbin/pgbench" -n -c 1 -t 200 -f "$work/idle.sql" "$url" 2>/dev/null | grep -E "^latency average" | sed 's/^/  idle pass (nothing due): /'
cat >"$work/full.sql" <<'SQL'
BEGIN;
SELECT clock_id FROM deadline.clocks WHERE state = 'running' AND next_fire_us <= 4102358400000000 + 500 ORDER BY next_fire_us LIMIT 500 FOR UPDATE SKIP LOCKED;
ROLLBACK;
SQL
"$pgbin/pgbench" -n -c 1 -t 200 -f "$work/full.sql" "$url" 2>/dev/null | grep -E "^latency average" | sed 's/^/  claim of a full batch (500 clocks): /'

echo "== waiting for the $due yellow cards (the minute starts 20 s after the insert)"
for _ in $(seq 240); do
  left=$(psql "$url" -X -qtA -c "SELECT count(*) FROM deadline.clocks WHERE case_no LIKE 'D%' AND yellow_raised_at_us IS NULL")
  [ "$left" = 0 ] && break
  sleep 0.5
done
psql "$url" -X -qtA -F ' ' <<'SQL'
SELECT 'cards raised: ' || count(*) FILTER (WHERE yellow_raised_at_us IS NOT NULL) || ' of ' || count(*)
       || '; lateness (raised - due): max ' || round(max(yellow_raised_at_us - yellow_at_us) / 1e6, 2)
       || ' s, p99 ' || round((percentile_cont(0.99) WITHIN GROUP (ORDER BY yellow_raised_at_us - yellow_at_us) / 1e6)::numeric, 2)
       || ' s, mean ' || round(avg(yellow_raised_at_us - yellow_at_us) / 1e6, 2) || ' s; within 10 s: '
       || count(*) FILTER (WHERE yellow_raised_at_us - yellow_at_us <= 10000000)
  FROM deadline.clocks WHERE case_no LIKE 'D%';
SELECT 'deadline.yellow events: ' || count(*) || ', raised twice: '
       || (SELECT count(*) FROM (SELECT case_no FROM deadline.outbox WHERE type = 'deadline.yellow'
                                 GROUP BY 1 HAVING count(*) > 1) d)
  FROM deadline.outbox WHERE type = 'deadline.yellow';
SQL
echo "deadlined resident memory after the minute: $(rss)"
echo "load average: $(cut -d" " -f1-3 /proc/loadavg)"
