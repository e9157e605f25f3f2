#!/usr/bin/env bash
# routing_worklist — "my tasks" latency and decision throughput on routing's own schema, beside
# raw pgbench single-row inserts on the same Postgres in the same run (issue 4 benchmark).
#
#   tests/bench/routing_worklist.sh ADMIN_URL [SECONDS] [CLIENTS]
#   e.g. tests/bench/routing_worklist.sh 'postgresql:///postgres?host=/tmp/owdev/sock&user=postgres' 10 4
#
# Builds a scratch schema with routing's migrations (common + services/routing/migrations),
# 10,000 staff in 100 departments and 100,000 open tasks; then, with pgbench:
#   1. "my tasks": the routing_work_mine statement (task_store.c) for a random staff member,
#      one client, p50/p99 from pgbench's per-transaction log;
#   2. decisions: the statements routing.decide runs in one durable transaction (lock the task,
#      close it, audit entry, two outbox events, idempotency row), CLIENTS clients;
#   3. reference: raw single-row INSERTs, CLIENTS clients.
# synchronous_commit stays on (durable commits, as ow_db). Drops the schema at the end.
# It measures the SQL routingd runs, not the ZeroMQ round trip in front of it.
set -euo pipefail
URL=${1:?admin URL}
SECS=${2:-10}
CLIENTS=${3:-4}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCHEMA=routing_bench_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
WORK=$(mktemp -d)
trap 'psql "$URL" -qc "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1; rm -rf "$WORK"' EXIT
PSQL=(psql "$URL" -v ON_ERROR_STOP=1 -q)

# pgbench takes no URL query options for search_path: pass it through PGOPTIONS.
export PGOPTIONS="-c search_path=$SCHEMA"
"${PSQL[@]}" -c "CREATE SCHEMA $SCHEMA"
for f in "$ROOT"/common/migrations/*.sql "$ROOT"/services/routing/migrations/*.sql; do
  "${PSQL[@]}" -f "$f"
done
echo "seeding 10,000 staff and 100,000 open tasks in $SCHEMA ..."
"${PSQL[@]}" <<'SQL'
INSERT INTO departments (code, name) SELECT 'D' || d, '部门' || d FROM generate_series(1, 100) d;
INSERT INTO staff (staff_id, name, department_code, role)
  SELECT 'S' || s, '员工' || s, 'D' || (1 + s % 100), 'approver' FROM generate_series(1, 10000) s;
INSERT INTO tasks (case_no, item_code, department_code, assignee, stage, created_at, lane_rank, due_at)
  SELECT '3301222026' || lpad(t::text, 8, '0'), 'ITEM', 'D' || (1 + s % 100), 'S' || s, '审查决定',
         now() - t * interval '1 second', (t % 50 = 0)::int + (t % 97 = 0)::int,
         now() + (t % 20) * interval '1 day'
    FROM generate_series(1, 100000) t, LATERAL (SELECT 1 + (t * 7919) % 10000 AS s) x;
CREATE TABLE bench_task_no (n int PRIMARY KEY, task_id uuid NOT NULL);
INSERT INTO bench_task_no SELECT row_number() OVER (ORDER BY task_id), task_id FROM tasks;
CREATE TABLE bench_ref (id bigserial PRIMARY KEY, v text NOT NULL);
ANALYZE;
SQL

cat > "$WORK/mine.sql" <<'SQL'
\set s random(1, 10000)
SELECT task_id, case_no, item_code, department_code, assignee, state, coalesce(decision, ''), comment,
       ts_to_us(created_at), coalesce(ts_to_us(decided_at), 0), coalesce(decided_by, ''), stage,
       centre_id, on_behalf_of, coalesce(post_code, '')
  FROM tasks WHERE assignee = 'S' || :s AND state = 'open'
 ORDER BY lane_rank DESC, due_at NULLS LAST, created_at, task_id LIMIT 50;
SQL
cat > "$WORK/decide.sql" <<'SQL'
\set n random(1, 100000)
BEGIN;
SELECT t.task_id, t.state FROM tasks t JOIN bench_task_no b USING (task_id) WHERE b.n = :n FOR UPDATE OF t;
UPDATE tasks SET state = 'done', decision = 'approve', comment = '', decided_by = assignee, decided_at = now()
 WHERE task_id = (SELECT task_id FROM bench_task_no WHERE n = :n) AND state = 'open';
INSERT INTO audit_trail (at, actor, on_behalf_of, action, task_id, case_no, detail, before, after)
  SELECT now(), 'S1', '', 'task.decided', task_id, 'C' || :n, '', 'open', 'done' FROM bench_task_no WHERE n = :n;
INSERT INTO outbox (type, case_no, time_us, payload) VALUES ('task.decided', 'C' || :n, 1, '\x0a24');
INSERT INTO outbox (type, case_no, time_us, payload) VALUES ('case.decided', 'C' || :n, 1, '\x0a24');
INSERT INTO idempotency (key, method, request_hash, reply)
  VALUES (gen_random_uuid()::text, 'routing.decide', '\x00', '\x00');
COMMIT;
SQL
cat > "$WORK/ref.sql" <<'SQL'
INSERT INTO bench_ref (v) VALUES ('x');
SQL

echo "synchronous_commit: $("${PSQL[@]}" -Atc 'SHOW synchronous_commit')   cores: $(nproc)   load: $(cut -d' ' -f1-3 /proc/loadavg)"
cd "$WORK"
"$PGBIN/pgbench" "$URL" -n -f mine.sql -c 1 -T "$SECS" -l --log-prefix=mine >/dev/null 2>&1
cat mine.* | awk '{print $3}' | sort -n > mine.lat
N=$(wc -l < mine.lat)
P50=$(awk -v n="$N" 'NR == int(n * 0.50) + 1 {print $1 / 1000; exit}' mine.lat)
P99=$(awk -v n="$N" 'NR == int(n * 0.99) + 1 {print $1 / 1000; exit}' mine.lat)
printf '"my tasks" (50 of ~10 open, work order): %d queries, p50 %.3f ms, p99 %.3f ms (target < 5 ms)\n' "$N" "$P50" "$P99"

tps() { "$PGBIN/pgbench" "$URL" -n -f "$1" -c "$CLIENTS" -j "$CLIENTS" -T "$SECS" 2>&1 |
          awk -F'= ' '/^tps/ {split($2, a, " "); print a[1]}'; }
DEC=$(tps decide.sql)
REF=$(tps ref.sql)
printf 'decisions (durable, 6 statements + commit), %d clients: %.0f /s (target >= 1000)\n' "$CLIENTS" "$DEC"
printf 'reference: raw pgbench single-row INSERT, %d clients:   %.0f /s\n' "$CLIENTS" "$REF"
