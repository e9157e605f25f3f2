# tests/bench/lib.sh — what the daemon benchmarks share, sourced by them (not run alone):
# a throwaway work directory and Postgres cluster cleaned up on exit, the C load client
# compiled against the build, a database initialised with `owctl db init`, and a config file
# pointing every endpoint at an ipc socket in the work directory.
#
#   bench_init NAME                       sets root, pgbin, work; cleans up on exit
#   bench_client SOURCE OUT BUILD         compiles tests/bench/SOURCE.c to $work/OUT
#   bench_database BUILD                  starts the cluster; sets admin and url
#   bench_config DAEMON LOG_LEVEL         writes $work/ow.conf for DAEMON
#   bench_daemon BUILD DAEMON SCHEMA.REL  starts DAEMON, waits until its migrations made REL
#   bench_ops_port DAEMON                 prints DAEMON's /metrics port from its log
#   bench_statements [PHASE]              with OW_BENCH_STATEMENTS=N in the environment, prints
#                                         the N statements that took the most server time
#                                         (pg_stat_statements), to show where the time goes,
#                                         then resets the counts so that the next call shows
#                                         the next phase alone
#   OW_BENCH_SLOW_MS=N                    in the environment: the server logs every statement
#                                         slower than N ms, checkpoints and autovacuum runs,
#                                         and the run ends with those of each phase counted
#                                         by statement (bench_slow PHASE) — to tell a stall of
#                                         the disk (slow COMMITs) from one of the work
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pids=()

bench_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  "$root/scripts/pg" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}

bench_init() {
  work=$(mktemp -d "/tmp/ow-bench-$1.XXXXXX")
  # The cluster runs as an unprivileged user when we are root (scripts/pg): it must reach
  # its directory.
  chmod 755 "$work"
  trap bench_cleanup EXIT
}

bench_client() {
  cc -O2 -o "$work/$2" "$root/tests/bench/$1.c" -I"$root/common" -I"$3/proto" \
    "$3/common/libow_common.a" "$3/proto/libow_proto.a" \
    $(pkg-config --libs libzmq libevent libprotobuf-c libpq) -lm
}

bench_database() {
  admin=$("$root/scripts/pg" start "$work/pg" | tail -n 1)
  if [ -n "${OW_BENCH_STATEMENTS:-}" ]; then
    echo "shared_preload_libraries = 'pg_stat_statements'" >>"$work/pg/data/postgresql.conf"
    "$root/scripts/pg" stop "$work/pg" >/dev/null
    admin=$("$root/scripts/pg" start "$work/pg" | tail -n 1)
  fi
  psql "$admin" -X -q -c 'CREATE DATABASE owbench' >/dev/null
  url=${admin/\/postgres\?/\/owbench?}
  "$1/bin/owctl" db init --database-url "$url" >/dev/null
  if [ -n "${OW_BENCH_SLOW_MS:-}" ]; then
    psql "$admin" -X -q -c "ALTER SYSTEM SET log_min_duration_statement = $OW_BENCH_SLOW_MS" \
      -c "ALTER SYSTEM SET log_checkpoints = on" -c "ALTER SYSTEM SET log_autovacuum_min_duration = 0" \
      -c "SELECT pg_reload_conf()" >/dev/null
  fi
  if [ -n "${OW_BENCH_STATEMENTS:-}" ]; then
    # Planning counts too: a statement planned on every execution pays it in every batch.
    psql "$url" -X -q -c 'CREATE EXTENSION pg_stat_statements' \
      -c 'ALTER SYSTEM SET pg_stat_statements.track_planning = on' -c 'SELECT pg_reload_conf()' >/dev/null
  fi
}

# With OW_BENCH_SLOW_MS: what the server logged since the last call, slow statements counted by
# kind (mean and max ms), then checkpoints and autovacuum runs as logged.
slow_from=1
bench_slow() {
  [ -n "${OW_BENCH_SLOW_MS:-}" ] || return 0
  echo "== statements slower than ${OW_BENCH_SLOW_MS} ms, checkpoints and autovacuum${1:+ ($1)}"
  tail -n +"$slow_from" "$work/pg/server.log" | awk '
    /duration: [0-9.]+ ms/ {
      match($0, /duration: [0-9.]+/); ms = substr($0, RSTART + 10, RLENGTH - 10) + 0
      q = $0; sub(/.*duration: [0-9.]+ ms +(execute [^:]*|statement): */, "", q); q = substr(q, 1, 50)
      n[q]++; sum[q] += ms; if (ms > max[q]) max[q] = ms; next }
    /checkpoint (starting|complete)|automatic (vacuum|analyze)/ { sub(/^[^]]*\] /, ""); print "  " substr($0, 1, 150) }
    END { for (q in n) printf "  %5d x %-50s mean %7.1f ms, max %7.1f ms\n", n[q], q, sum[q] / n[q], max[q] }'
  slow_from=$(($(wc -l <"$work/pg/server.log") + 1))
}

# WAL as a production cluster at a high write rate keeps it: segments recycled after a
# checkpoint instead of created and zero-filled during a run (a 16 MB file every second or two
# at these rates, each a stall of tens of ms on this disk; docs/configuration.md). A CHECKPOINT
# after this makes the segments written so far (the seeding's) ready for recycling.
bench_wal_recycled() {
  psql "$url" -X -q -c "ALTER SYSTEM SET min_wal_size = '2GB'" -c "ALTER SYSTEM SET max_wal_size = '4GB'" \
    -c "SELECT pg_reload_conf()" >/dev/null
}

bench_statements() {
  [ -n "${OW_BENCH_STATEMENTS:-}" ] || return 0
  echo "== the $OW_BENCH_STATEMENTS statements that took the most server time${1:+ ($1)}"
  psql "$url" -X -q -P pager=off -c "SELECT round(total_exec_time)::bigint AS ms,
      round(100 * total_exec_time / sum(total_exec_time) OVER ())::int AS pct, calls, rows,
      round(mean_exec_time::numeric, 3) AS mean_ms, plans, round(total_plan_time)::bigint AS plan_ms,
      left(regexp_replace(query, '\s+', ' ', 'g'), 100) AS query
    FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT $OW_BENCH_STATEMENTS"
  psql "$url" -X -q -c 'SELECT pg_stat_statements_reset()' >/dev/null
}

bench_config() {
  cat >"$work/ow.conf" <<CONF
database.url = $url
log.level = $2
bus.publish = ipc://$work/bus-pub.sock
bus.subscribe = ipc://$work/bus-sub.sock
endpoint.intake = ipc://$work/intake.sock
endpoint.deadline = ipc://$work/deadline.sock
endpoint.routing = ipc://$work/routing.sock
endpoint.evaluation = ipc://$work/evaluation.sock
endpoint.notify = ipc://$work/notify.sock
endpoint.gateway = ipc://$work/gateway.sock
[$1]
http.bind = 127.0.0.1:0
CONF
}

bench_daemon() {
  "$1/bin/$2" --config "$work/ow.conf" 2>"$work/$2.log" &
  pids+=($!)
  local schema=${3%%.*} rel=${3#*.}
  for _ in $(seq 100); do
    psql "$url" -X -qtA -c "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                             WHERE n.nspname = '$schema' AND c.relname = '$rel'" 2>/dev/null |
      grep -q 1 && return 0
    sleep 0.2
  done
  echo "bench: $2 did not create $3 within 20 s; its log:" >&2
  tail -n 20 "$work/$2.log" >&2
  exit 1
}

bench_ops_port() {
  grep -o '"ops_port":"\?[0-9]*' "$work/$1.log" | grep -o '[0-9]*$' | head -n 1
}
