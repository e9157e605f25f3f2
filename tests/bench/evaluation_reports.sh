#!/usr/bin/env bash
# Benchmark of evaluationd's ratings store (issue 6), run by hand (not a ctest):
#   1. ingest: batches of B ratings per transaction with durable commits (synchronous_commit
#      on), each batch = the rating rows, their rating.recorded outbox rows and the roll-up
#      upsert of rollups.c — beside raw pgbench single-row inserts on the same Postgres;
#   2. reports: with N ratings stored (generated with SQL), the report query of rollups.c
#      (department × month for a year) p50/p99 — beside the same report as a plain SQL
#      aggregate over the raw ratings.
# Usage: tests/bench/evaluation_reports.sh [ADMIN_URL] [N=10000000] [B=1000] [SECONDS=10]
set -euo pipefail
URL=${1:-'postgresql:///postgres?host=/tmp/owdev/sock&user=postgres'}
N=${2:-10000000}
B=${3:-1000}
SECS=${4:-10}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCHEMA=owbench_eval_$$
export PGOPTIONS="-c search_path=$SCHEMA -c synchronous_commit=on"
psql() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$URL" "$@"; }
cleanup() { psql -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true; }
trap cleanup EXIT
psql -c "CREATE SCHEMA $SCHEMA"
for f in "$ROOT"/common/migrations/*.sql "$ROOT"/services/evaluation/migrations/*.sql; do
    psql -f "$f" >/dev/null
done

# Roll-up upsert for the ratings of one batch (the statement of rollups.c, sign +1).
ROLLUP_SQL=$(sed -n '/^#define S_SELECT/,/GROUP BY 1, 2, 3, 4"/p' "$ROOT/services/evaluation/rollups.c" |
    sed -e '1d' -e 's/^ *"//' -e 's/" *\\$//' -e 's/"$//' | tr -d '\n')
UPSERT_SQL=$(sed -n '/^#define S_UPSERT_TAIL/,/revisited + EXCLUDED.revisited"/p' "$ROOT/services/evaluation/rollups.c" |
    sed -e '1d' -e 's/^ *"//' -e 's/" *\\$//' -e 's/"$//' | tr -d '\n')
COUNTERS="total, excluded, active, defaults, good, bad, g1, g2, g3, g4, g5, sum_overall, n_overall, sum_efficiency, n_efficiency, sum_level, n_level, sum_attitude, n_attitude, sum_guide_accuracy, n_guide_accuracy, sum_convenience, n_convenience, sum_usability, n_usability, rectified, revisited"
rollup_for() { # $1 = WHERE clause on r
    local sel=${ROLLUP_SQL//\$2::int/1}
    sel=${sel//%s/$1}
    echo "INSERT INTO rollups AS o (dimension, key, period, period_start, $COUNTERS) $sel $UPSERT_SQL"
}

echo "== seeding $N served cases and ratings with SQL"
T0=$(date +%s)
psql <<SQL
INSERT INTO served_cases (case_no, item_code, department_code, centre_id, channel, accepted_at_us, decided_at_us)
SELECT 'C' || g, 'I' || (g % 300), 'D' || (g % 40),
       CASE g % 3 WHEN 0 THEN '330122000000' WHEN 1 THEN '330122' || lpad((100 + g % 16)::text, 3, '0') || '000'
            ELSE '330122' || lpad((100 + g % 16)::text, 3, '0') || lpad((1 + g % 300)::text, 3, '0') END,
       'window', 1, 2
FROM generate_series(1, $N + 2000000) g;
INSERT INTO ratings (rating_id, case_no, grade, is_bad, channel, rated_at_us, department_code, item_code, centre_id, window_id, staff_id, level, scores)
SELECT gen_random_uuid(), 'C' || g, gr, gr <= 2,
       (ARRAY['window_device','qr','web','app','mini_program','sms','hotline','paper'])[1 + g % 8],
       1735660800000000 + g::bigint * (63072000000000 / $N),  -- spread over 2025-2026 (730 days)
       'D' || (g % 40), 'I' || (g % 300),
       CASE g % 3 WHEN 0 THEN '330122000000' WHEN 1 THEN '330122' || lpad((100 + g % 16)::text, 3, '0') || '000'
            ELSE '330122' || lpad((100 + g % 16)::text, 3, '0') || lpad((1 + g % 300)::text, 3, '0') END,
       'W' || (g % 60), 'S' || (g % 200),
       (ARRAY['county','township','village'])[1 + g % 3],
       ARRAY[gr, 1 + g % 5, 1 + g % 4, 1 + (g / 7) % 5, 0, 0, 0]::smallint[]
FROM (SELECT g, (1 + (g::bigint * 7919) % 5)::smallint AS gr FROM generate_series(1, $N) g) s;
SQL
echo "   ratings inserted in $(( $(date +%s) - T0 )) s; building roll-ups"
psql -c "$(rollup_for 'true')"
psql -c "VACUUM ANALYZE ratings" -c "VACUUM ANALYZE rollups"
echo "   seeded in $(( $(date +%s) - T0 )) s; roll-up rows: $(psql -Atc 'SELECT count(*) FROM rollups')"

echo "== reports, 50 runs each (raw aggregates 5)"
# Reports as evaluation.report reads them (rollups.c), each beside the same figures as a plain
# aggregate over the raw ratings. The row count each returns is printed: a report over nothing
# would time nothing.
REPORT="SELECT key, period_start, $COUNTERS FROM rollups WHERE dimension = 'department' AND period = 'month' AND period_start BETWEEN '2026-01-01' AND '2026-12-31' ORDER BY period_start, key"
RAW="SELECT department_code, date_trunc('month', to_timestamp(rated_at_us / 1e6) AT TIME ZONE 'Asia/Shanghai')::date AS m, count(*), count(*) FILTER (WHERE excluded), count(*) FILTER (WHERE NOT excluded AND NOT is_default), count(*) FILTER (WHERE NOT excluded AND is_default), count(*) FILTER (WHERE NOT excluded AND grade >= 3), count(*) FILTER (WHERE NOT excluded AND grade <= 2), sum(scores[1]) FILTER (WHERE NOT excluded), sum(scores[2]) FILTER (WHERE NOT excluded) FROM ratings WHERE rated_at_us >= 1767196800000000 AND rated_at_us < 1798732800000000 GROUP BY 1, 2 ORDER BY 2, 1"
# evaluation.report answers a page of at most 1000 rows (reports.h): the month's 6,000
# staff-days are six calls; one full page is what a call costs.
STAFF="SELECT key, period_start, $COUNTERS FROM rollups WHERE dimension = 'staff' AND period = 'day' AND period_start BETWEEN '2026-06-01' AND '2026-06-30' ORDER BY period_start, key LIMIT 1000"
STAFF_RAW="SELECT staff_id, (to_timestamp(rated_at_us / 1e6) AT TIME ZONE 'Asia/Shanghai')::date AS d, count(*), count(*) FILTER (WHERE excluded), count(*) FILTER (WHERE NOT excluded AND grade >= 3), count(*) FILTER (WHERE NOT excluded AND grade <= 2), sum(scores[1]) FILTER (WHERE NOT excluded) FROM ratings WHERE rated_at_us >= 1780243200000000 AND rated_at_us < 1782835200000000 GROUP BY 1, 2 ORDER BY 2, 1"
ITEM="SELECT key, period_start, $COUNTERS FROM rollups WHERE dimension = 'item' AND period = 'quarter' AND period_start BETWEEN '2026-01-01' AND '2026-12-31' ORDER BY period_start, key"
rows_of() { psql -Atc "SELECT count(*) FROM ($1) q"; }
timeit() { # $1 label, $2 sql, $3 runs
    local f; f=$(mktemp)
    for _ in $(seq "$3"); do echo "$2;"; done > "$f.sql"
    "$PGBIN/pgbench" -n -f "$f.sql" -t 1 -r "$URL" 2>/dev/null >/dev/null || true
    python3 - "$URL" "$2" "$3" "$1" <<'PY'
import subprocess, sys, time, os
url, sql, runs, label = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
psql = [os.popen("ls -d /usr/lib/postgresql/*/bin | tail -1").read().strip() + "/psql", "-X", "-q", url]
p = subprocess.Popen(psql, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
script = "\\timing on\n\\o /dev/null\n" + (sql + ";\n") * runs + "\\q\n"
out, _ = p.communicate(script)
ms = sorted(float(l.split()[1]) for l in out.splitlines() if l.startswith("Time:"))
p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
print(f"   {label:<32} runs {len(ms)}  p50 {ms[len(ms)//2]:9.2f} ms  p99 {p99:9.2f} ms")
PY
    rm -f "$f" "$f.sql"
}
echo "   department x month 2026: $(rows_of "$REPORT") rows"
timeit "roll-up report (rollups.c)" "$REPORT" 50
timeit "raw aggregate over ratings" "$RAW" 5
echo "   staff x day, June 2026, first page: $(rows_of "$STAFF") rows"
timeit "roll-up report (rollups.c)" "$STAFF" 50
timeit "raw aggregate over ratings" "$STAFF_RAW" 5
echo "   item x quarter 2026: $(rows_of "$ITEM") rows"
timeit "roll-up report (rollups.c)" "$ITEM" 50

psql -c "CREATE SEQUENCE bseq MINVALUE 0 START 0" >/dev/null
echo "== ingest: $SECS s of batches of $B ratings, durable commits"
cat > /tmp/owbench_eval_$$.sql <<SQL
SELECT $N + nextval('bseq') * $B AS base \gset
BEGIN;
WITH ins AS (
  INSERT INTO ratings (case_no, grade, is_bad, channel, rated_at_us, department_code, item_code, centre_id, window_id, staff_id, level, scores)
  SELECT 'C' || (:base + g), gr, gr <= 2, 'web', 1790000000000000 + g, 'D' || (g % 40), 'I' || (g % 300),
         '330122000000', 'W' || (g % 60), 'S' || (g % 200), 'county', ARRAY[gr,0,0,0,0,0,0]::smallint[]
  FROM (SELECT g, (1 + g % 5)::smallint AS gr FROM generate_series(1, $B) g) s
  RETURNING rating_id, case_no, centre_id, rated_at_us)
INSERT INTO outbox (type, case_no, centre_id, time_us, payload)
  SELECT 'rating.recorded', case_no, centre_id, rated_at_us, convert_to(rating_id::text, 'UTF8') FROM ins;
$(rollup_for "r.case_no IN (SELECT 'C' || (:base + g) FROM generate_series(1, $B) g)");
COMMIT;
SQL
OUT=$("$PGBIN/pgbench" -n -c 2 -j 2 -T "$SECS" -f /tmp/owbench_eval_$$.sql "$URL" 2>&1 || true)
[ -n "$(echo "$OUT" | grep "^tps")" ] || echo "$OUT" | grep -i error | head -3
TPS=$(echo "$OUT" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
echo "   batches/s $TPS  => ratings/s $(python3 -c "print(round(${TPS:-0} * $B))") "
rm -f /tmp/owbench_eval_$$.sql
psql -c "CREATE TABLE pgb (id bigserial PRIMARY KEY, v int)" >/dev/null
echo "\\set v random(1, 1000000)
INSERT INTO pgb (v) VALUES (:v);" > /tmp/owbench_ref_$$.sql
REF=$("$PGBIN/pgbench" -n -c 2 -j 2 -T "$SECS" -f /tmp/owbench_ref_$$.sql "$URL" 2>&1 | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
rm -f /tmp/owbench_ref_$$.sql
echo "   reference: pgbench single-row inserts, one per durable commit: $REF rows/s"
