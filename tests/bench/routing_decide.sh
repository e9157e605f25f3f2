#!/usr/bin/env bash
# tests/bench/routing_decide.sh [BUILD_DIR] [SECONDS] [WINDOW] — issue 4's benchmark through
# routingd's real request socket (ipc): with 10,000 staff and 100,000 open tasks, the p99 of
# "my tasks" (routing.work_list mine, one request at a time) and routing.decide per second with
# durable commits (synchronous_commit on; decisions that arrive together share one commit),
# printed beside raw pgbench single-row inserts on the same Postgres in the same run. Starts its
# own throwaway cluster and routingd; run by hand, not by ctest. Bounded: SECONDS (default 10)
# per phase, ipc only. (routing_worklist.sh measures the bare SQL instead.)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build=${1:-$root/build}
secs=${2:-10}
window=${3:-64}
bench_init routing
bench_client routing_decide routing_decide "$build"
bench_database "$build"
bench_config routingd warn
bench_daemon "$build" routingd routing.audit_trail
echo "seeding 10,000 staff and 100,000 open tasks ..."
psql "$url" -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET ROLE ow_routing;
SET search_path = routing;
INSERT INTO departments (code, name) SELECT 'D' || d, '部门' || d FROM generate_series(1, 100) d;
INSERT INTO staff (staff_id, name, department_code, role)
  SELECT 'S' || s, '员工' || s, 'D' || (1 + s % 100), 'approver' FROM generate_series(1, 10000) s;
INSERT INTO tasks (case_no, item_code, department_code, assignee, stage, created_at, lane_rank, due_at)
  SELECT '3301222026' || lpad(t::text, 8, '0'), 'ITEM', 'D' || (1 + s % 100), 'S' || s, '审查决定',
         now() - t * interval '1 second', (t % 50 = 0)::int + (t % 97 = 0)::int,
         now() + (t % 20) * interval '1 day'
    FROM generate_series(1, 100000) t, LATERAL (SELECT 1 + (t * 7919) % 10000 AS s) x;
ANALYZE departments, staff, tasks;
SQL
psql "$url" -X -qtA -F ' ' -c "SELECT task_id, assignee FROM routing.tasks ORDER BY random()" > "$work/tasks.txt"

echo "== reference: pgbench single-row inserts, durable commits, $window clients, ${secs}s"
psql "$url" -X -q -c 'CREATE TABLE bench_ref (id bigserial PRIMARY KEY, v text NOT NULL)'
echo "INSERT INTO bench_ref (v) VALUES ('x');" > "$work/insert.sql"
"$pgbin/pgbench" -n -c "$window" -j 2 -T "$secs" -f "$work/insert.sql" "$url" 2>/dev/null |
  grep -E "^(tps|latency average)"
echo "== reference: pgbench single-row inserts, durable commits, 1 client, ${secs}s"
"$pgbin/pgbench" -n -c 1 -T "$secs" -f "$work/insert.sql" "$url" 2>/dev/null |
  grep -E "^(tps|latency average)"
echo "== routingd, ${secs}s each"
"$work/routing_decide" "ipc://$work/routing.sock" mine "$secs" 10000
"$work/routing_decide" "ipc://$work/routing.sock" decide "$secs" "$window" "$work/tasks.txt"
psql "$url" -X -qtA -c "SELECT 'tasks decided: ' || count(*) FROM routing.tasks WHERE state = 'done'"
psql "$url" -X -qtA -c "SELECT 'outbox events: ' || count(*) FROM routing.outbox"
