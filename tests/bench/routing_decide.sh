#!/usr/bin/env bash
# tests/bench/routing_decide.sh [BUILD_DIR] [SECONDS] [WINDOW] — issue 4's benchmark through
# routingd's real request socket (ipc): with 10,000 staff and 100,000 open tasks, the p99 of
# "my tasks" (routing.work_list mine, one request at a time) and routing.decide per second with
# durable commits (synchronous_commit on; decisions that arrive together share one commit),
# printed beside raw pgbench single-row inserts on the same Postgres in the same run. Starts its
# own throwaway cluster and routingd; run by hand, not by ctest. Bounded: SECONDS (default 10)
# per phase, ipc only. (routing_worklist.sh measures the bare SQL instead.)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$root/build}
secs=${2:-10}
window=${3:-64}
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
work=$(mktemp -d /tmp/ow-bench-routing.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  "$root/scripts/pg" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

cc -O2 -o "$work/routing_decide" "$root/tests/bench/routing_decide.c" -I"$root/common" \
  -I"$build/proto" "$build/common/libow_common.a" "$build/proto/libow_proto.a" \
  $(pkg-config --libs libzmq libevent libprotobuf-c libpq) -lm

admin=$("$root/scripts/pg" start "$work/pg" | tail -n 1)
psql "$admin" -X -q -c 'CREATE DATABASE owbench' >/dev/null
url=${admin/\/postgres\?/\/owbench?}
"$build/bin/owctl" db init --database-url "$url" >/dev/null

cat > "$work/ow.conf" <<CONF
database.url = $url
log.level = warn
bus.publish = ipc://$work/bus-pub.sock
bus.subscribe = ipc://$work/bus-sub.sock
endpoint.intake = ipc://$work/intake.sock
endpoint.deadline = ipc://$work/deadline.sock
endpoint.routing = ipc://$work/routing.sock
endpoint.gateway = ipc://$work/gateway.sock
[routingd]
http.bind = 127.0.0.1:0
CONF
"$build/bin/routingd" --config "$work/ow.conf" 2>"$work/routingd.log" &
pids+=($!)
for _ in $(seq 100); do
  psql "$url" -X -qtA -c "SELECT 1 FROM pg_views WHERE schemaname='routing' AND viewname='audit_trail'" 2>/dev/null | grep -q 1 && break
  sleep 0.2
done
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
