"""System-test harness: the real daemons against a real Postgres, in a private sandbox.

    from harness import System, run

    def test(s):
        status, body = s.post("/v1/applications", {...}, key="k1")
        s.check("submit answers 201", status == 201, body)

    run(test)        # prints "N passed, N failed", exits non-zero on any failure

`System` (a context manager) creates a fresh database with a random name in the cluster
named by OW_TEST_DATABASE_URL (an admin URL), provisions it with `owctl db init`, writes a
configuration file in a private temporary directory (ipc:// sockets in that directory,
free 127.0.0.1 TCP ports for the HTTP listeners, the test clock on), starts every daemon,
waits for every /readyz, loads the demonstration data, and on exit stops the daemons,
prints the tail of each daemon's log when the test failed, and drops the database.

Nothing here uses a fixed port or a fixed directory, so any number of runs can share a
machine; every wait is bounded in time. Python stdlib plus python3-zmq and python3-psycopg2
(Debian's /usr/bin/python3). """

import contextlib
import datetime as _dt
import http.client
import json
import os
import random
import shutil
import signal
import socket
import string
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import uuid

import psycopg2

# Daemon name -> event source / schema / endpoint name (None: busd has none).
DAEMONS = [
    ("busd", None),
    ("intaked", "intake"),
    ("routingd", "routing"),
    ("deadlined", "deadline"),
    ("evaluationd", "evaluation"),
    ("notifyd", "notify"),
    ("gatewayd", "gateway"),
]
SOURCES = [src for _, src in DAEMONS if src]
SOURCE_OF = dict(DAEMONS)
DAEMON_OF = {src: name for name, src in DAEMONS if src}

STOP_GRACE_S = 10.0
READY_TIMEOUT_S = 60.0

# Status codes (common/ow_status.h).
OK, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND = 0, 3, 4, 5
ALREADY_EXISTS, PERMISSION_DENIED, FAILED_PRECONDITION, UNIMPLEMENTED = 6, 7, 9, 12


def source_dir():
    return os.environ.get("OW_SOURCE_DIR") or os.path.abspath(
        os.path.join(os.path.dirname(__file__), "..", ".."))


def build_dir():
    return os.environ.get("OW_BUILD_DIR") or os.path.join(source_dir(), "build")


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago (bound to 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def db_url_with_name(url, dbname):
    """The admin URL with its database replaced (libpq URL or key=value conninfo)."""
    if url.startswith(("postgresql://", "postgres://")):
        parts = urllib.parse.urlsplit(url)
        query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        query = [(k, v) for k, v in query if k != "dbname"]
        # urlunsplit would drop the empty host ("postgresql:///db?host=/sock"): build it by hand.
        out = "%s://%s/%s" % (parts.scheme, parts.netloc, urllib.parse.quote(dbname))
        if query:
            out += "?" + urllib.parse.urlencode(query, safe="/")
        return out
    return url + " dbname=" + dbname


def _die_with_parent():
    """In the child before exec: SIGTERM when the thread that started us goes away, so a
    test killed by ctest's time-out leaves no daemon behind."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def crash_test_start(s):
    """The crash tests' start: a seed (OW_SEED, else random; logged, so that a run can be
    repeated) with its random generator, and a demonstration item with the materials that make
    an application complete. Returns (seed, rng, item, materials)."""
    seed = int(os.environ.get("OW_SEED") or random.randrange(1 << 30))
    log("seed %d (OW_SEED=%d reproduces the kill moments)" % (seed, seed))
    item = pick_item(demo_items(s))
    complete = [m["code"] for m in item["materials"] if m["required"] or m["optional_given"]]
    return seed, random.Random(seed), item, complete


class PacedLoad:
    """Hands out the numbers 1..total to a load's threads, each at its moment of an even pace
    over load_s seconds from began (monotonic): next() returns the next number once its moment
    has come, or None when all are out or halt is set meanwhile."""

    def __init__(self, total, load_s, began, halt):
        self.total, self.load_s, self.began, self.halt = total, load_s, began, halt
        self._lock = threading.Lock()
        self._given = 0

    def next(self):
        with self._lock:
            if self._given >= self.total:
                return None
            self._given += 1
            n = self._given
        pause = self.began + n * self.load_s / self.total - time.monotonic()
        if pause > 0 and self.halt.wait(pause):
            return None
        return n


def kill_twice_under_load(s, name, rng, load_s, began, threads, halt, join_until,
                          mark=time.monotonic):
    """The crash tests' killer: starts threads (the load), SIGKILLs daemon `name` at two random
    moments of the load (one in each half, drawn from rng), restarting it after a random pause
    of 0.3-1.5 s, then joins the threads (until join_until, monotonic). Runs on the main thread,
    so that the daemons it starts die with the test. Returns [(mark() at the kill, mark() at the
    restart, the killed process's return code)]; an exception sets halt first."""
    kill_times = [rng.uniform(0.1, 0.4) * load_s, rng.uniform(0.55, 0.8) * load_s]
    kills = []
    for t in threads:
        t.start()
    try:
        for at in kill_times:
            time.sleep(max(0.0, began + at - time.monotonic()))
            s.kill(name, signal.SIGKILL)
            down = mark()
            rc = s.daemons[name].proc.returncode
            log("SIGKILL %s at %.1f s" % (name, time.monotonic() - began))
            time.sleep(rng.uniform(0.3, 1.5))
            s.start(name)
            up = mark()
            s.wait_ready(name)
            kills.append((down, up, rc))
            log("%s restarted at %.1f s" % (name, time.monotonic() - began))
    except BaseException:
        halt.set()
        raise
    finally:
        for t in threads:
            t.join(timeout=max(1.0, join_until - time.monotonic()))
    return kills


def wait_until(predicate, timeout=10.0, interval=0.1):
    """Calls predicate() until it returns something truthy or timeout seconds pass.
    Returns the last value (falsy on time-out). Exceptions from predicate count as falsy
    until the last attempt, which re-raises."""
    deadline = time.monotonic() + timeout
    value = None
    while True:
        last = time.monotonic() >= deadline
        try:
            value = predicate()
        except Exception:
            if last:
                raise
            value = None
        if value or last:
            return value
        time.sleep(interval)


# ---------------------------------------------------------------------------------------
# Minimal protobuf wire format: enough to build a Request and read a Reply by hand.

def pb_varint(n):
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_field_varint(num, value):
    return pb_varint(num << 3 | 0) + pb_varint(value)


def pb_field_bytes(num, data):
    if isinstance(data, str):
        data = data.encode()
    return pb_varint(num << 3 | 2) + pb_varint(len(data)) + data


class PbError(ValueError):
    pass


def pb_read_varint(buf, pos):
    result, shift = 0, 0
    while True:
        if pos >= len(buf):
            raise PbError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise PbError("varint too long")


def pb_decode(buf):
    """Decodes one message into {field number: [values]}: varints as int, length-delimited
    fields as bytes, fixed32/64 as int. Raises PbError on malformed input."""
    fields = {}
    pos = 0
    while pos < len(buf):
        key, pos = pb_read_varint(buf, pos)
        num, wire = key >> 3, key & 7
        if num == 0:
            raise PbError("field number 0")
        if wire == 0:
            value, pos = pb_read_varint(buf, pos)
        elif wire == 2:
            n, pos = pb_read_varint(buf, pos)
            if pos + n > len(buf):
                raise PbError("truncated length-delimited field %d" % num)
            value, pos = bytes(buf[pos:pos + n]), pos + n
        elif wire == 1:
            if pos + 8 > len(buf):
                raise PbError("truncated fixed64")
            value, pos = struct.unpack_from("<Q", buf, pos)[0], pos + 8
        elif wire == 5:
            if pos + 4 > len(buf):
                raise PbError("truncated fixed32")
            value, pos = struct.unpack_from("<I", buf, pos)[0], pos + 4
        else:
            raise PbError("wire type %d" % wire)
        fields.setdefault(num, []).append(value)
    return fields


def _first(fields, num, default):
    return fields.get(num, [default])[-1]


def _signed(v, bits=64):
    return v - (1 << bits) if v >= 1 << (bits - 1) else v


def encode_request(method, request_id=None, payload=b"", idempotency_key="", deadline_ms=None,
                   caller="system-test"):
    """A packed onewindow.v1.Request (proto/onewindow/v1/envelope.proto)."""
    if request_id is None:
        request_id = str(uuid.uuid4())
    if deadline_ms is None:
        deadline_ms = int(time.time() * 1000) + 10_000
    out = pb_field_bytes(1, request_id) + pb_field_bytes(2, method)
    if idempotency_key:
        out += pb_field_bytes(3, idempotency_key)
    out += pb_field_varint(4, deadline_ms)
    if payload:
        out += pb_field_bytes(5, payload)
    if caller:
        out += pb_field_bytes(6, caller)
    return out


def decode_reply(buf):
    """onewindow.v1.Reply as a dict; raises PbError when buf is not one."""
    f = pb_decode(buf)
    violations = []
    for v in f.get(5, []):
        vf = pb_decode(v)
        violations.append({"field": _first(vf, 1, b"").decode(errors="replace"),
                           "description": _first(vf, 2, b"").decode(errors="replace")})
    return {
        "request_id": _first(f, 1, b"").decode(errors="replace"),
        "status": _signed(_first(f, 2, 0), 64),
        "message": _first(f, 3, b"").decode(errors="replace"),
        "payload": _first(f, 4, b""),
        "violations": violations,
    }


def decode_clock_reply(buf):
    """onewindow.v1.ClockReply (the "_clock" method's payload)."""
    f = pb_decode(buf)
    return {"now_us": _signed(_first(f, 1, 0)), "offset_us": _signed(_first(f, 2, 0)),
            "test_clock": bool(_first(f, 3, 0))}


def encode_envelope(event_id, source, seq, type_, time_us, case_no="", centre_id="", payload=b""):
    out = (pb_field_bytes(1, event_id) + pb_field_bytes(2, source) + pb_field_varint(3, seq) +
           pb_field_bytes(4, type_) + pb_field_varint(5, time_us))
    if case_no:
        out += pb_field_bytes(6, case_no)
    if centre_id:
        out += pb_field_bytes(7, centre_id)
    if payload:
        out += pb_field_bytes(8, payload)
    return out


# ---------------------------------------------------------------------------------------
# Results

class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failures = []

    def check(self, name, ok, detail=None):
        if ok:
            self.passed += 1
            log("PASS %s" % name)
        else:
            self.failed += 1
            text = name if detail is None else "%s -- %s" % (name, _short(detail))
            self.failures.append(text)
            log("FAIL %s" % text)
        return bool(ok)

    def summary(self):
        return "%d passed, %d failed" % (self.passed, self.failed)


def _short(detail, limit=1500):
    if not isinstance(detail, str):
        try:
            detail = json.dumps(detail, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            detail = repr(detail)
    return detail if len(detail) <= limit else detail[:limit] + "…"


# ---------------------------------------------------------------------------------------
# The system

class Daemon:
    def __init__(self, name, source, http_port, log_path):
        self.name = name
        self.source = source
        self.http_port = http_port
        self.log_path = log_path
        self.proc = None
        self.starts = 0
        self.stopped_by_test = False


class System:
    """The whole system in a sandbox. Use as `with System() as s:`."""

    def __init__(self, results=None, daemons=None, load_demo=True, extra_config=None):
        self.results = results or Results()
        self.names = daemons or [name for name, _ in DAEMONS]
        self.load_demo = load_demo
        self.extra_config = extra_config or {}
        self.bin = os.path.join(build_dir(), "bin")
        self.src = source_dir()
        self.admin_url = os.environ.get("OW_TEST_DATABASE_URL", "")
        self.dir = None
        self.dbname = None
        self.db_url = None
        self.daemons = {}
        self.endpoints = {}
        self.api_port = None
        self.config_path = None
        self.sink_path = None
        self._conn = None
        self._db_created = False

    # -- life cycle ---------------------------------------------------------------------

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self._stop(failed=True)
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        self._stop(failed=exc_type is not None)
        return False

    def _start(self):
        if not self.admin_url:
            raise RuntimeError("OW_TEST_DATABASE_URL is not set: give the admin URL of a running "
                               "Postgres cluster (scripts/test starts one)")
        for name in self.names + ["owctl"]:
            path = os.path.join(self.bin, name)
            if not os.access(path, os.X_OK):
                raise RuntimeError("%s is missing: build first (OW_BUILD_DIR=%s)" % (path, build_dir()))
        self.dir = tempfile.mkdtemp(prefix="owsys-")
        os.chmod(self.dir, 0o755)
        os.makedirs(os.path.join(self.dir, "logs"))
        log("sandbox %s" % self.dir)

        self.dbname = "ow_test_" + "".join(random.choices(string.ascii_lowercase + string.digits, k=12))
        with contextlib.closing(psycopg2.connect(self.admin_url)) as c:
            c.autocommit = True
            with c.cursor() as cur:
                cur.execute('CREATE DATABASE "%s"' % self.dbname)
        self._db_created = True
        self.db_url = db_url_with_name(self.admin_url, self.dbname)
        log("database %s" % self.dbname)
        self.run_checked([os.path.join(self.bin, "owctl"), "db", "init", "--database-url", self.db_url],
                         "owctl db init")

        # A port found free may be taken by someone else before the daemon binds it: then
        # start again on new ports (the daemon says "Address already in use" and exits).
        for attempt in range(1, 4):
            self._write_config()
            try:
                for name in self.names:
                    self.start(name)
                for name in self.names:
                    self.wait_ready(name)
                break
            except RuntimeError:
                clash = [n for n in self.names if "Address already in use" in self.log_tail(n, 5)]
                if not clash or attempt == 3:
                    raise
                log("port taken under %s: starting again on new ports" % ", ".join(clash))
                self._terminate_all()
        if self.load_demo:
            self.run_checked([os.path.join(self.src, "scripts", "demo-load"), self.db_url],
                             "scripts/demo-load")
        log("system up: API http://127.0.0.1:%d" % self.api_port)

    def _write_config(self):
        d = self.dir
        self.endpoints = {
            "bus.publish": "ipc://%s/bus-pub.sock" % d,
            "bus.subscribe": "ipc://%s/bus-sub.sock" % d,
        }
        for src in SOURCES:
            self.endpoints["endpoint." + src] = "ipc://%s/%s.sock" % (d, src)
        self.api_port = free_port()
        self.sink_path = os.path.join(d, "notifications.jsonl")
        lines = [
            "# written by tests/system/harness.py",
            "mode = development",
            "test_clock = true",
            "log.level = debug",
            "database.url = %s" % self.db_url,
            "database.connect_timeout_s = 20",
            "sink.file = %s" % self.sink_path,
        ]
        lines += ["%s = %s" % kv for kv in self.endpoints.items()]
        lines += ["%s = %s" % kv for kv in self.extra_config.items()]
        for name, src in DAEMONS:
            port = free_port()
            self.daemons[name] = Daemon(name, src, port, os.path.join(d, "logs", name + ".log"))
            lines += ["", "[%s]" % name, "http.bind = 127.0.0.1:%d" % port]
            if name == "gatewayd":
                lines.append("api.bind = 127.0.0.1:%d" % self.api_port)
                lines.append("api.bootstrap_token_sha256 = %s" % self._admin_token_hash())
        self.config_path = os.path.join(d, "onewindow.conf")
        with open(self.config_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def _env(self):
        # The file is the whole configuration: nothing inherited may override it.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("OW_") and k not in ("DATABASE_URL", "PGDATABASE", "PGHOST",
                                                        "PGUSER", "PGPASSWORD", "PGSERVICE")}
        return env

    def run_checked(self, argv, what, timeout=120):
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           env=self._env(), timeout=timeout, cwd=self.src)
        if p.returncode != 0:
            raise RuntimeError("%s failed (exit %d):\n%s" % (what, p.returncode,
                                                           p.stdout.decode(errors="replace")[-4000:]))
        return p.stdout.decode(errors="replace")

    def start(self, name):
        d = self.daemons[name]
        if d.proc and d.proc.poll() is None:
            raise RuntimeError("%s is already running" % name)
        with open(d.log_path, "ab") as logf:
            logf.write(("--- start %d at %s ---\n" % (d.starts + 1, time.strftime("%H:%M:%S"))).encode())
            logf.flush()
            # PR_SET_PDEATHSIG fires when the starting *thread* ends: only for the main thread
            # (the kill test restarts routingd from a helper thread).
            main = threading.current_thread() is threading.main_thread()
            d.proc = subprocess.Popen([os.path.join(self.bin, name), "--config", self.config_path],
                                      stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                                      env=self._env(), cwd=self.dir,
                                      preexec_fn=_die_with_parent if main else None)
        d.starts += 1
        d.stopped_by_test = False

    def wait_ready(self, name, timeout=READY_TIMEOUT_S):
        d = self.daemons[name]
        deadline = time.monotonic() + timeout
        why = ""
        while time.monotonic() < deadline:
            if d.proc.poll() is not None:
                raise RuntimeError("%s exited with %s during start-up:\n%s"
                                   % (name, d.proc.returncode, self.log_tail(name)))
            try:
                status, body = self.ops_get(name, "/readyz", timeout=2)
                if status == 200:
                    return
                why = "%s %s" % (status, body)
            except OSError as e:
                why = str(e)
            time.sleep(0.1)
        raise RuntimeError("%s not ready after %.0f s (%s):\n%s" % (name, timeout, why, self.log_tail(name)))

    def kill(self, name, sig=signal.SIGKILL):
        d = self.daemons[name]
        if d.proc and d.proc.poll() is None:
            ending = sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT)
            d.stopped_by_test = d.stopped_by_test or ending
            d.proc.send_signal(sig)
            if ending:
                try:
                    d.proc.wait(timeout=STOP_GRACE_S)
                except subprocess.TimeoutExpired:
                    d.proc.kill()
                    d.proc.wait(timeout=STOP_GRACE_S)

    def restart(self, name, sig=signal.SIGTERM, wait=True):
        self.kill(name, sig)
        self.start(name)
        if wait:
            self.wait_ready(name)

    def alive(self, name):
        d = self.daemons[name]
        return d.proc is not None and d.proc.poll() is None

    def _terminate_all(self):
        """SIGTERM to every running daemon, SIGKILL to any still up STOP_GRACE_S later.
        Returns the daemons that were running."""
        procs = [d for d in self.daemons.values() if d.proc and d.proc.poll() is None]
        # Front first, bus last, so nothing is left talking to a stopped bus.
        for d in reversed(procs):
            with contextlib.suppress(ProcessLookupError):
                d.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for d in procs:
            try:
                d.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log("%s ignored SIGTERM for %.0f s: SIGKILL" % (d.name, STOP_GRACE_S))
                d.proc.kill()
                d.proc.wait(timeout=STOP_GRACE_S)
        return procs

    def _stop(self, failed):
        if not failed:
            # A daemon that died on its own during the test is a failure, whatever was checked.
            for d in self.daemons.values():
                if d.proc and not d.stopped_by_test:
                    self.check("%s stayed up through the test" % d.name, d.proc.poll() is None,
                               "exit status %s" % d.proc.returncode)
        procs = self._terminate_all()
        if not failed:
            for d in procs:
                self.check("%s stopped cleanly on SIGTERM" % d.name, d.proc.returncode == 0,
                           "exit status %s" % d.proc.returncode)
        failed = failed or self.results.failed > 0
        if failed and self.daemons:
            for name in self.daemons:
                if os.path.exists(self.daemons[name].log_path):
                    print("----- %s log (tail) -----\n%s" % (name, self.log_tail(name)), flush=True)
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
        if self._db_created:
            try:
                with contextlib.closing(psycopg2.connect(self.admin_url)) as c:
                    c.autocommit = True
                    with c.cursor() as cur:
                        cur.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % self.dbname)
            except Exception as e:  # the result of the test stands; say what was left behind
                log("could not drop database %s: %s" % (self.dbname, e))
        if self.dir:
            if os.environ.get("OW_KEEP") or (failed and os.environ.get("OW_KEEP_FAILED")):
                log("kept %s (OW_KEEP / OW_KEEP_FAILED)" % self.dir)
            else:
                shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, name, lines=40):
        try:
            with open(self.daemons[name].log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - 64 * 1024))
                text = f.read().decode(errors="replace")
        except OSError as e:
            return "(no log: %s)" % e
        return "\n".join(text.splitlines()[-lines:])

    # -- checks -------------------------------------------------------------------------

    def check(self, name, ok, detail=None):
        return self.results.check(name, ok, detail)

    # -- HTTP ---------------------------------------------------------------------------

    def _http(self, port, method, path, body=None, headers=None, timeout=15):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            hdrs = {"Accept": "application/json"}
            if port == self.api_port and not any(k.lower() == "authorization" for k in (headers or {})):
                hdrs["Authorization"] = "Bearer " + self._admin_token_hash(token=True)
            data = None
            if body is not None:
                data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
                hdrs["Content-Type"] = "application/json"
            hdrs.update({k: v for k, v in (headers or {}).items() if v is not None})
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            raw = resp.read()
            ctype = resp.getheader("Content-Type", "")
            try:
                parsed = json.loads(raw.decode()) if raw and "json" in ctype else raw.decode(errors="replace")
            except ValueError:
                parsed = raw.decode(errors="replace")
            return resp.status, parsed
        finally:
            conn.close()

    def get(self, path, timeout=15):
        """GET on the gateway API. Returns (status, JSON body or text)."""
        return self._http(self.api_port, "GET", path, timeout=timeout)

    def post(self, path, body, key=None, timeout=15, headers=None):
        """POST JSON on the gateway API with an Idempotency-Key (a fresh one unless given;
        key=False sends none). Returns (status, JSON body or text)."""
        hdrs = dict(headers or {})
        if key is None:
            key = str(uuid.uuid4())
        if key:
            hdrs["Idempotency-Key"] = key
        return self._http(self.api_port, "POST", path, body=body, headers=hdrs, timeout=timeout)

    def ops_get(self, name, path, timeout=5):
        """GET on a daemon's operations port (/healthz, /readyz, /metrics)."""
        return self._http(self.daemons[name].http_port, "GET", path, timeout=timeout)

    def ops_status(self, name, path):
        """The HTTP status of a daemon's ops endpoint, or None when it does not answer."""
        try:
            return self.ops_get(name, path)[0]
        except OSError:
            return None

    @property
    def api_url(self):
        return "http://127.0.0.1:%d" % self.api_port

    # -- database -----------------------------------------------------------------------

    def sql(self, query, params=None):
        """Runs SQL on the test database as the admin; returns all rows (or [] for
        statements without a result)."""
        for attempt in (1, 2):
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = psycopg2.connect(self.db_url)
                    self._conn.autocommit = True
                with self._conn.cursor() as cur:
                    cur.execute(query, params)
                    return cur.fetchall() if cur.description else []
            except psycopg2.OperationalError:
                self._conn = None
                if attempt == 2:
                    raise

    def sql_value(self, query, params=None):
        rows = self.sql(query, params)
        return rows[0][0] if rows else None

    # -- notifications ------------------------------------------------------------------

    def notifications(self):
        """Every complete line of notifyd's file sink, parsed."""
        out = []
        try:
            with open(self.sink_path, "rb") as f:
                data = f.read().decode(errors="replace")
        except FileNotFoundError:
            return out
        for line in data.split("\n")[:-1]:  # a last line without its newline is still being written
            line = line.strip()
            if line:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    out.append({"_unparsable": line})
        return out

    # -- ZeroMQ -------------------------------------------------------------------------

    def endpoint(self, source):
        return self.endpoints["endpoint." + source]

    def zmq_request(self, ctx, source, frames, timeout=5.0):
        """Sends frames from a fresh DEALER to source's request socket; returns the list of
        frames of the first message answered, or None after timeout seconds."""
        import zmq
        sock = ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        try:
            sock.connect(self.endpoint(source))
            sock.send_multipart(frames)
            if sock.poll(int(timeout * 1000), zmq.POLLIN):
                return sock.recv_multipart(zmq.NOBLOCK)
            return None
        finally:
            sock.close()

    # -- owctl --------------------------------------------------------------------------

    def owctl(self, *args, timeout=60):
        """Runs bin/owctl with args; returns (exit code, stdout, stderr)."""
        env = self._env()
        env["OW_TOKEN"] = self._admin_token_hash(token=True)
        p = subprocess.run([os.path.join(self.bin, "owctl")] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env, timeout=timeout, cwd=self.dir)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def run(test_fn, **system_kwargs):
    """Runs test_fn(system) in a fresh System, prints "N passed, N failed", and exits 0 only
    when every check passed and nothing raised."""
    results = Results()

    def on_term(signum, frame):  # ctest's time-out, or a person: clean up on the way out
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    try:
        with System(results=results, **system_kwargs) as s:
            test_fn(s)
    except Exception:
        results.check("test ran to the end without an exception", False, traceback.format_exc())
    except (SystemExit, KeyboardInterrupt) as e:
        results.check("test ran to the end", False, "interrupted (%r)" % e)
    if results.passed == 0 and results.failed == 0:
        results.check("the test made at least one check", False)
    if results.failures:
        print("failures:", flush=True)
        for f in results.failures:
            print("  - " + f, flush=True)
    print(results.summary(), flush=True)
    sys.exit(1 if results.failed else 0)


# ---------------------------------------------------------------------------------------
# Domain oracles, computed independently of the daemons (DOMAIN.md).

CHINA = _dt.timezone(_dt.timedelta(hours=8))


def _days(*ranges):
    out = set()
    for first, last in ranges:
        d, last = _dt.date.fromisoformat(first), _dt.date.fromisoformat(last)
        while d <= last:
            out.add(d)
            d += _dt.timedelta(days=1)
    return out


# The State Council calendars (DOMAIN.md §5): days off, and weekend days that are worked.
HOLIDAYS = _days(("2025-01-01", "2025-01-01"), ("2025-01-28", "2025-02-04"), ("2025-04-04", "2025-04-06"),
                 ("2025-05-01", "2025-05-05"), ("2025-05-31", "2025-06-02"), ("2025-10-01", "2025-10-08"),
                 ("2026-01-01", "2026-01-03"), ("2026-02-15", "2026-02-23"), ("2026-04-04", "2026-04-06"),
                 ("2026-05-01", "2026-05-05"), ("2026-06-19", "2026-06-21"), ("2026-09-25", "2026-09-27"),
                 ("2026-10-01", "2026-10-07"))
MAKEUP_DAYS = {_dt.date.fromisoformat(d) for d in (
    "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
    "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10")}


def is_working_day(d):
    if d in MAKEUP_DAYS:
        return True
    if d in HOLIDAYS:
        return False
    return d.weekday() < 5


def add_working_days(accepted, n):
    """The date of the n-th working day after `accepted` (a date): counting starts the
    working day after acceptance (次日起算)."""
    d, counted = accepted, 0
    while counted < n:
        d += _dt.timedelta(days=1)
        if is_working_day(d):
            counted += 1
    return d


def parse_time(text):
    """RFC 3339 text from the API as an aware datetime (None for null/empty)."""
    if not text:
        return None
    return _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def resident_id(seq, birth="19800101", area="330122"):
    """A well-formed 18-digit resident ID (GB 11643, ISO 7064 MOD 11-2 check digit)."""
    body = "%s%s%03d" % (area, birth, seq % 1000)
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(body, weights))
    return body + "10X98765432"[total % 11]


def applicant(seq, name="张三"):
    return {"name": name, "id_type": "resident_id", "id_number": resident_id(seq),
            "phone": "139%08d" % (seq % 100000000), "email": ""}


# ---------------------------------------------------------------------------------------
# The demo data, read from the services' own tables (the test database, as admin).

def demo_items(s):
    """The current catalogue versions with their materials, from intake's catalogue tables:
    [{code, version, name, department_code, promised_limit, limit_unit, legal_limit,
      handling_kind, materials: [{code, name, required, tolerable, shared, optional_given}]}]."""
    items = {}
    for row in s.sql("""SELECT impl_code, version, name, department_code, promised_limit, limit_unit,
                               legal_limit, handling_kind
                          FROM intake.items WHERE retired_at IS NULL ORDER BY impl_code"""):
        items[(row[0], row[1])] = {
            "code": row[0], "version": row[1], "name": row[2], "department_code": row[3],
            "promised_limit": row[4], "limit_unit": row[5], "legal_limit": row[6],
            "handling_kind": row[7], "materials": []}
    for row in s.sql("""SELECT impl_code, version, material_code, name, required, rongque_allowed,
                               shared_by_data
                          FROM intake.item_materials ORDER BY impl_code, version, position, material_code"""):
        item = items.get((row[0], row[1]))
        if item is not None:
            item["materials"].append({"code": row[2], "name": row[3], "required": row[4] and not row[6],
                                      "tolerable": row[5], "shared": row[6], "optional_given": False})
    return list(items.values())


def pick_item(items):
    """A 承诺件 counted in working days with the most strictly required materials (those
    neither 容缺-tolerable nor obtained by data sharing): the richest case for the checks."""
    def strict(item):
        return [m for m in item["materials"] if m["required"] and not m["tolerable"]]

    candidates = [i for i in items if i["handling_kind"] == "promised" and i["limit_unit"] == "working_days"
                  and i["promised_limit"] > 0 and strict(i)]
    if not candidates:
        raise RuntimeError("the demo catalogue has no 承诺件 in working days with required materials: %r"
                           % [(i["code"], i["handling_kind"], i["limit_unit"]) for i in items])
    candidates.sort(key=lambda i: (-min(len(strict(i)), 2), i["code"]))
    return candidates[0]


def other_staff(s, staff_id):
    """A staff id other than staff_id: a real one from routing's tables when there is one."""
    try:
        cols = s.sql("""SELECT table_name, column_name FROM information_schema.columns
                         WHERE table_schema = 'routing' AND column_name = 'staff_id'
                         ORDER BY table_name = 'staff' DESC, table_name""")
    except Exception:
        cols = []
    for table, column in cols[:1]:
        rows = s.sql('SELECT DISTINCT "%s" FROM routing."%s" WHERE "%s" <> %%s ORDER BY 1 LIMIT 1'
                     % (column, table, column), (staff_id,))
        if rows:
            return rows[0][0]
    return staff_id + "-other"


# ---------------------------------------------------------------------------------------
# Authentication (issue 8): the gateway admits only bearer tokens. At set-up the harness
# makes a development admin token and gives gatewayd only its SHA-256
# (api.bootstrap_token_sha256); get/post/owctl send it unless a test gives its own
# Authorization header (None sends none).

def _admin_token_hash(self, token=False):
    if getattr(self, "admin_token", None) is None:
        import hashlib
        import secrets
        self.admin_token = "owt_" + secrets.token_hex(32)
        self.admin_token_sha256 = hashlib.sha256(self.admin_token.encode()).hexdigest()
    return self.admin_token if token else self.admin_token_sha256


System._admin_token_hash = _admin_token_hash


def _request(self, method, path, body=None, token=None, key=None, headers=None, timeout=15):
    """Any method on the gateway API as the bearer of `token` (None: no Authorization at all;
    "admin": the harness's admin token). POSTs get a fresh Idempotency-Key unless key is
    given (False: none). Returns (status, JSON body or text, response headers dict)."""
    hdrs = dict(headers or {})
    if token == "admin":
        token = self._admin_token_hash(token=True)
    hdrs["Authorization"] = ("Bearer " + token) if token else None
    if method == "POST" and key is not False:
        hdrs["Idempotency-Key"] = key or str(uuid.uuid4())
    conn = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=timeout)
    try:
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        conn.request(method, path, body=data, headers={k: v for k, v in hdrs.items() if v is not None})
        resp = conn.getresponse()
        raw = resp.read()
        ctype = resp.getheader("Content-Type", "")
        try:
            parsed = json.loads(raw.decode()) if raw and "json" in ctype else raw.decode(errors="replace")
        except ValueError:
            parsed = raw.decode(errors="replace")
        return resp.status, parsed, {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


System.request = _request


def _issue_token(self, subject, role, centre_id, subscriptions=None, ttl_seconds=None):
    """Issues a token through POST /v1/admin/tokens as the admin; returns (token, token_id)."""
    body = {"subject": subject, "role": role, "centre_id": centre_id}
    if subscriptions is not None:
        body["subscriptions"] = subscriptions
    if ttl_seconds is not None:
        body["ttl_seconds"] = ttl_seconds
    status, answer, _ = self.request("POST", "/v1/admin/tokens", body, token="admin")
    if status != 201:
        raise RuntimeError("issuing a %s token failed: %s %s" % (role, status, answer))
    return answer["token"], answer["issued"]["token_id"]


System.issue_token = _issue_token


# ---------------------------------------------------------------------------------------
# A daemon's request methods, called directly over ZeroMQ (for methods the gateway does not
# expose): the payload is hand-encoded protobuf (pb_field_bytes / pb_field_varint).

def _call(self, source, method, payload=b"", key="", caller="system-test", timeout=10.0):
    """Calls method on source's request socket; returns decode_reply's dict, or None when no
    answer came within timeout seconds."""
    import zmq
    ctx = zmq.Context.instance()
    frames = self.zmq_request(ctx, source, [encode_request(method, payload=payload, idempotency_key=key,
                                                           caller=caller)], timeout=timeout)
    return decode_reply(frames[-1]) if frames else None


System.call = _call
