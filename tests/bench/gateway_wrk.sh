#!/usr/bin/env bash
# tests/bench/gateway_wrk.sh [BUILD_DIR] [SECONDS] [CONNECTIONS] — requests per second and p99
# latency through gatewayd with wrk, for a case lookup (GET /v1/cases/{no}) and a submission
# (POST /v1/applications, a unique Idempotency-Key per request), each printed beside the same
# requests sent straight to the services' request sockets in the same run (gateway_direct.c,
# built here: the lookup's four calls at once, intake.submit). Starts a throwaway Postgres
# cluster and the whole system through tests/system/harness.py (rate limit lifted, info
# logs); run by hand, not by ctest. Bounded: SECONDS (default 10) per phase, CONNECTIONS
# (default 16) in flight, 127.0.0.1/ipc only.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
secs=${2:-10}
conns=${3:-16}
command -v wrk >/dev/null || { echo "gateway_wrk: wrk is missing (Debian package wrk)" >&2; exit 1; }
work=$(mktemp -d /tmp/ow-bench-gateway.XXXXXX)
chmod 755 "$work"
cleanup() {
  "$root/scripts/pg" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

cc -O2 -D_GNU_SOURCE -o "$work/gateway_direct" "$root/tests/bench/gateway_direct.c" \
  -I"$root/common" -I"$root/services/gateway" -I"$build/proto" \
  "$build/services/gateway/libgateway_api.a" "$build/common/libow_common.a" \
  "$build/proto/libow_proto.a" \
  $(pkg-config --libs libzmq libevent libprotobuf-c libpq jansson libcrypto) -lm

# wrk's Lua: one line "requests/s R p99_ms P non2xx N" per run, as gateway_direct prints.
cat > "$work/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
            + summary.errors.write + summary.errors.timeout
  io.write(string.format("requests/s %.0f p99_ms %.2f failed %d\n",
    (summary.requests - bad) / (summary.duration / 1e6), latency:percentile(99) / 1000, bad))
end
LUA
# Each wrk thread has its own Lua state: its id and a counter make every key unique, and the
# run's start time keeps a second run from replaying the first one's answers.
cat > "$work/submit.lua" <<'LUA'
local threads_made = 0
function setup(thread)
  threads_made = threads_made + 1
  thread:set("tid", threads_made)
end
local n = 0
local run = os.getenv("OW_BENCH_RUN") or tostring(os.time())
request = function()
  n = n + 1
  wrk.headers["Idempotency-Key"] = "wrk-" .. run .. "-" .. tostring(tid) .. "-" .. n
  return wrk.format("POST", "/v1/applications")
end
LUA
cat "$work/report.lua" >> "$work/submit.lua"

admin=$("$root/scripts/pg" start "$work/pg" | tail -n 1)
OW_TEST_DATABASE_URL=$admin OW_BUILD_DIR=$build OW_SOURCE_DIR=$root BENCH_WORK=$work \
  BENCH_SECS=$secs BENCH_CONNS=$conns /usr/bin/python3 - <<'PY'
import json, os, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["OW_SOURCE_DIR"], "tests", "system"))
import harness

work, secs, conns = os.environ["BENCH_WORK"], os.environ["BENCH_SECS"], os.environ["BENCH_CONNS"]
ITEM = "113301220025190176000117004000"  # demo 食品经营许可, as tests/bench/intake_submit.c
body = {"item_code": ITEM, "applicant": {"name": "压测申请人", "id_type": "resident_id",
        "id_number": "11010519491231002X", "phone": "13800000000"},
        "materials": ["SPJY-01", "SPJY-03", "SPJY-04", "SPJY-05"]}
config = {"api.rate_per_s": "1000000", "api.rate_burst": "1000000", "log.level": "info"}

def figures(line):
    f = line.split()
    return float(f[1]), float(f[3]), int(f[5])

def run(argv, env=None):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       env=dict(os.environ, **(env or {})))
    lines = [l for l in p.stdout.splitlines() if l.startswith("requests/s")]
    if not lines:
        sys.exit("bench: %s gave no figures:\n%s%s" % (argv[0], p.stdout, p.stderr[-2000:]))
    return figures(lines[-1])

with harness.System(extra_config=config) as s:
    st, answer, _ = s.request("POST", "/v1/applications", body, token="admin")
    if st != 201:
        sys.exit("bench: the first submission failed: %s %s" % (st, answer))
    case_no = answer["case"]["case_no"]
    token = s._admin_token_hash(token=True)
    url = "http://127.0.0.1:%d" % s.api_port
    ep = {src: s.endpoint(src) for src in ("intake", "routing", "deadline", "evaluation")}
    wrk = ["wrk", "-t2", "-c" + conns, "-d" + secs + "s", "--latency", "-H",
           "Authorization: Bearer " + token]
    with open(os.path.join(work, "body.json"), "w") as f:
        json.dump(body, f, ensure_ascii=False)
    # wrk sends the body the Lua script sets once, for every request.
    with open(os.path.join(work, "submit.lua")) as f:
        lua = f.read()
    with open(os.path.join(work, "submit.lua"), "w", encoding="utf-8") as f:
        # A Lua long string: no escapes to translate (Lua 5.1 has no \u escapes).
        f.write('wrk.method = "POST"\nwrk.body = [==[%s]==]\nwrk.headers["Content-Type"] = "application/json"\n'
                % json.dumps(body, ensure_ascii=False) + lua)

    print("load average before: %s" % open("/proc/loadavg").read().split(" ", 3)[:3])
    print("%-34s %12s %10s %8s" % ("", "requests/s", "p99 ms", "failed"))
    rows = [
        ("case lookup, gateway (wrk)", wrk + ["-s", os.path.join(work, "report.lua"),
                                              url + "/v1/cases/" + case_no], None),
        ("case lookup, services direct", [os.path.join(work, "gateway_direct"), "lookup", secs, conns,
                                          case_no, ep["intake"], ep["routing"], ep["deadline"],
                                          ep["evaluation"]], None),
        ("submission, gateway (wrk)", wrk + ["-s", os.path.join(work, "submit.lua"),
                                             url + "/v1/applications"],
         {"OW_BENCH_RUN": os.path.basename(work)}),
        ("submission, intake direct", [os.path.join(work, "gateway_direct"), "submit", secs, conns,
                                       ITEM, ep["intake"]], None),
    ]
    for name, argv, env in rows:
        rps, p99, failed = run(argv, env)
        print("%-34s %12.0f %10.2f %8d" % (name, rps, p99, failed), flush=True)
    print("load average after: %s" % open("/proc/loadavg").read().split(" ", 3)[:3])
    print("(%s s per row, %s connections / requests in flight, wrk -t2)" % (secs, conns))
PY
