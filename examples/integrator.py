#!/usr/bin/python3
"""An example OneWindow integrator (docs/integration.md): follows the live event stream of
the gateway over HTTP Server-Sent Events and keeps every event exactly once, across its own
restarts and the gateway's.

    examples/integrator.py --gateway http://127.0.0.1:8080 --token-file TOKEN --store FILE
    examples/integrator.py --curve tcp://127.0.0.1:7170 --key acme.key --store FILE

The second form reads the same events over the gateway's CURVE endpoint instead (docs/
integration.md 3.4) with python3-zmq and an integrator's key file (`owctl centre keygen
--integrator`): at every completed CURVE handshake (the first, and each after the gateway
came back) it sends remote.subscribe after its cursor and applies the reply's backlog and
every pushed batch. Records are the same as over SSE, with `time_us`
(the envelope's) in place of the RFC 3339 `time`.

Each event is applied (here: appended as one JSON line to FILE, with its payload decoded)
together with its cursor: the cursor IS the seq of the last complete line, so "what was done"
and "where to resume" cannot disagree. At start-up, and after every lost connection (the
gateway restarting, a proxy timing out), the stream is opened again with Last-Event-ID set to
that seq; the gateway sends what follows it and nothing before it. An event whose seq is not
above the cursor is skipped, so a repeated one changes nothing.

Payloads are protobuf messages (proto/onewindow/v1/). With --proto-dir and `protoc` on PATH
(Debian protobuf-compiler) the modules are generated at start-up and each payload is decoded
with python3-protobuf by its type; otherwise (or for a type not in the table) the wire format
is decoded by hand into {"field number": [values]}. Needs only Debian's python3 (and
python3-protobuf for the first way).

Exit: runs until SIGTERM/SIGINT (exit 0) or, with --exit-after-idle N, until nothing arrived for
N seconds. 2 when the gateway refuses the token (401/403) or the CURVE key (UNAUTHENTICATED,
PERMISSION_DENIED): retrying would not help."""

import argparse
import base64
import http.client
import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

# Event type (by prefix, longest first) → (proto module, message). docs/events.md.
PAYLOADS = [
    ("case.accepted", "intake_pb2", "CaseAccepted"),
    ("case.decided", "routing_pb2", "CaseDecided"),
    ("case.suspended", "routing_pb2", "CaseSuspended"),
    ("case.resumed", "routing_pb2", "CaseResumed"),
    ("case.extended", "routing_pb2", "CaseExtended"),
    ("case.delivered", "routing_pb2", "Delivery"),
    ("case.", "intake_pb2", "CaseChanged"),
    ("task.", "routing_pb2", "Task"),
    ("stage.", "routing_pb2", "StageEvent"),
    ("delivery.overdue", "routing_pb2", "Delivery"),
    ("workflow.defined", "routing_pb2", "Workflow"),
    ("organisation.changed", "routing_pb2", "OrganisationChanged"),
    ("absence.", "routing_pb2", "Absence"),
    ("deadline.", "deadline_pb2", "Clock"),
    ("timer.fired", "deadline_pb2", "Timer"),
    ("rating.invitation_due", "evaluation_pb2", "RatingInvitation"),
    ("rating.recorded", "evaluation_pb2", "Rating"),
    ("rectification.", "evaluation_pb2", "RectificationTicket"),
    ("clock.advanced", "envelope_pb2", "ClockAdvanced"),
]


def log(msg):
    print("integrator: " + msg, file=sys.stderr, flush=True)


# ---- payload decoding -----------------------------------------------------------------

def _varint(buf, pos):
    out, shift = 0, 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        out |= (b & 0x7F) << shift
        if not b & 0x80:
            return out, pos
        shift += 7


def decode_wire(buf, depth=0):
    """The protobuf wire format by hand: {field number (as text): [values]}; a length-delimited
    value is shown as text when it is UTF-8, as a nested message when it parses as one."""
    out, pos = {}, 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            val, pos = _varint(buf, pos)
        elif wt == 1:
            val, pos = int.from_bytes(buf[pos:pos + 8], "little"), pos + 8
        elif wt == 5:
            val, pos = int.from_bytes(buf[pos:pos + 4], "little"), pos + 4
        elif wt == 2:
            n, pos = _varint(buf, pos)
            raw, pos = buf[pos:pos + n], pos + n
            if len(raw) < n:
                raise ValueError("truncated field")
            val = None
            if depth < 8:
                try:
                    val = decode_wire(raw, depth + 1) if raw else None
                except ValueError:
                    val = None
            if val is None or not val:
                try:
                    val = raw.decode()
                except UnicodeDecodeError:
                    val = base64.b64encode(raw).decode()
        else:
            raise ValueError("wire type %d" % wt)
        out.setdefault(str(num), []).append(val)
    return out


class Decoder:
    def __init__(self, proto_dir):
        self.modules = {}
        self._tmp = None
        if proto_dir and shutil.which("protoc"):
            self._generate(proto_dir)

    def _generate(self, proto_dir):
        try:
            from google.protobuf import json_format  # python3-protobuf
        except ImportError:
            log("python3-protobuf is missing: decoding payloads by hand")
            return
        self._tmp = tempfile.mkdtemp(prefix="ow-integrator-pb-")
        protos = [os.path.join(proto_dir, "onewindow", "v1", f)
                  for f in sorted(os.listdir(os.path.join(proto_dir, "onewindow", "v1")))
                  if f.endswith(".proto")]
        subprocess.run(["protoc", "-I", proto_dir, "--python_out", self._tmp] + protos, check=True)
        self.json_format = json_format
        sys.path.insert(0, self._tmp)
        for mod in [m for _, m, _ in PAYLOADS] + ["gateway_pb2"]:
            if mod not in self.modules:
                self.modules[mod] = importlib.import_module("onewindow.v1." + mod)
        log("payloads decoded with protoc-generated modules")

    def close(self):
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def decode(self, type_, payload):
        if self.modules:
            for prefix, mod, name in PAYLOADS:
                if type_ == prefix or (prefix.endswith(".") and type_.startswith(prefix)):
                    msg = getattr(self.modules[mod], name)()
                    msg.ParseFromString(payload)
                    return self.json_format.MessageToDict(msg, preserving_proto_field_name=True)
        return decode_wire(payload)


# ---- the store: applied events and the cursor, one file -------------------------------

class Store:
    """Appends one JSON line per applied event. The cursor is the seq of the last complete
    line; a line cut short by a crash is dropped at start-up (its event was not applied, and
    the stream sends it again)."""

    def __init__(self, path):
        self.path = path
        self.cursor = 0
        good = 0
        if os.path.exists(path):
            with open(path, "rb") as f:
                data = f.read()
            for line in data.split(b"\n")[:-1]:  # the part after the last newline is cut short
                self.cursor = json.loads(line)["seq"]
                good += len(line) + 1
            if good != len(data):
                with open(path, "r+b") as f:
                    f.truncate(good)
        self.f = open(path, "ab")

    def apply(self, record):
        self.f.write(json.dumps(record, ensure_ascii=False, sort_keys=True).encode() + b"\n")
        self.f.flush()
        os.fsync(self.f.fileno())
        self.cursor = record["seq"]


# ---- the stream -----------------------------------------------------------------------

class Refused(Exception):
    pass


def follow(url, token, store, decoder, idle_exit, stop):
    """One connection: reads events until it ends. Returns the time of the last event."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=40)  # pings every 15 s
    headers = {"Authorization": "Bearer " + token, "Accept": "text/event-stream",
               "Last-Event-ID": str(store.cursor)}
    try:
        conn.request("GET", "/v1/events/stream", headers=headers)
        resp = conn.getresponse()
        if resp.status in (401, 403):
            raise Refused("%d %s" % (resp.status, resp.read(500).decode(errors="replace")))
        if resp.status != 200:
            raise OSError("stream answered %d" % resp.status)
        log("streaming after seq %d" % store.cursor)
        fields = {}
        last = time.monotonic()
        while not stop["now"]:
            if idle_exit and time.monotonic() - last > idle_exit:
                stop["now"] = True
                break
            line = resp.readline()
            if not line:
                raise OSError("the gateway ended the stream")
            line = line.decode().rstrip("\r\n")
            if line.startswith(":"):  # a keep-alive comment
                continue
            if line:
                name, _, value = line.partition(":")
                fields[name] = value[1:] if value.startswith(" ") else value
                continue
            if "data" in fields and "id" in fields:
                ev = json.loads(fields["data"])
                if ev["seq"] > store.cursor:  # a repeat after a reconnection changes nothing
                    payload = base64.b64decode(ev.get("payload_base64") or "")
                    ev["payload"] = decoder.decode(ev["type"], payload) if payload else None
                    store.apply(ev)
                last = time.monotonic()
            fields = {}
    finally:
        conn.close()


# ---- the CURVE subscription (python3-zmq) ---------------------------------------------

OK, PERMISSION_DENIED, UNAUTHENTICATED = 0, 7, 16


def _pb_varint(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def _pb_bytes(num, data):
    data = data.encode() if isinstance(data, str) else data
    return _pb_varint(num << 3 | 2) + _pb_varint(len(data)) + data


def _pb_fields(buf):
    """{field number: [int or bytes]}: the raw wire format, nothing interpreted."""
    out, pos = {}, 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            val, pos = _varint(buf, pos)
        elif wt == 2:
            n, pos = _varint(buf, pos)
            val, pos = bytes(buf[pos:pos + n]), pos + n
        elif wt == 1:
            val, pos = int.from_bytes(buf[pos:pos + 8], "little"), pos + 8
        elif wt == 5:
            val, pos = int.from_bytes(buf[pos:pos + 4], "little"), pos + 4
        else:
            raise ValueError("wire type %d" % wt)
        out.setdefault(num, []).append(val)
    return out


def _signed(v, bits=64):
    return v - (1 << bits) if v >= 1 << (bits - 1) else v


def read_key_file(path):
    out = {}
    with open(path) as f:
        for line in f:
            if "=" in line and not line.lstrip().startswith("#"):
                k, v = line.split("=", 1)
                out[k.strip()] = v.strip()
    for k in ("public-key", "secret-key", "server-key"):
        if k not in out:
            raise SystemExit("integrator: %s has no %s" % (path, k))
    return out


class Curve:
    """One DEALER socket to the gateway's CURVE endpoint (one frame each way: a packed
    onewindow.v1.Request, a packed onewindow.v1.Reply)."""

    def __init__(self, endpoint, key, decoder):
        import zmq  # python3-zmq
        self.zmq = zmq
        self.decoder = decoder
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RECONNECT_IVL, 200)
        self.sock.setsockopt(zmq.RECONNECT_IVL_MAX, 2000)
        self.sock.curve_serverkey = key["server-key"].encode()
        self.sock.curve_publickey = key["public-key"].encode()
        self.sock.curve_secretkey = key["secret-key"].encode()
        # Connection events tell us when the gateway went and when a (new) one is there.
        self.monitor = self.sock.get_monitor_socket(
            zmq.EVENT_DISCONNECTED | zmq.EVENT_HANDSHAKE_SUCCEEDED)
        self.sock.connect(endpoint)

    def close(self):
        self.sock.disable_monitor()
        self.monitor.close()
        self.sock.close()
        self.ctx.term()

    def send(self, method, payload=b""):
        rid = str(uuid.uuid4())
        req = (_pb_bytes(1, rid) + _pb_bytes(2, method) +
               _pb_varint(4 << 3) + _pb_varint(int(time.time() * 1000) + 10000) +
               (_pb_bytes(5, payload) if payload else b"") + _pb_bytes(6, "example-integrator"))
        self.sock.send(req, self.zmq.NOBLOCK)
        return rid

    def reply(self, frame):
        if "envelope_pb2" in self.decoder.modules:
            r = self.decoder.modules["envelope_pb2"].Reply()
            r.ParseFromString(frame)
            return {"request_id": r.request_id, "status": r.status, "message": r.message,
                    "payload": r.payload}
        f = _pb_fields(frame)
        return {"request_id": f.get(1, [b""])[0].decode(), "status": _signed(f.get(2, [0])[0]),
                "message": f.get(3, [b""])[0].decode(errors="replace"),
                "payload": f.get(4, [b""])[0]}

    def events(self, payload):
        """RemoteEvents → [record] in the shape of the HTTP one; and next_after."""
        out = []
        if "gateway_pb2" in self.decoder.modules:
            re_ = self.decoder.modules["gateway_pb2"].RemoteEvents()
            re_.ParseFromString(payload)
            items = [(e.seq, e.envelope) for e in re_.events]
        else:
            items = [(f.get(1, [0])[0], f.get(2, [b""])[0])
                     for f in (_pb_fields(e) for e in _pb_fields(payload).get(1, []))]
        for seq, env_bytes in items:
            if "envelope_pb2" in self.decoder.modules:
                e = self.decoder.modules["envelope_pb2"].Envelope()
                e.ParseFromString(env_bytes)
                env = dict(event_id=e.event_id, source=e.source, source_seq=e.seq, type=e.type,
                           time_us=e.time_us, case_no=e.case_no, centre_id=e.centre_id,
                           payload=e.payload)
            else:
                f = _pb_fields(env_bytes)

                def s(n):
                    return f.get(n, [b""])[0].decode()
                env = dict(event_id=s(1), source=s(2), source_seq=f.get(3, [0])[0], type=s(4),
                           time_us=_signed(f.get(5, [0])[0]), case_no=s(6), centre_id=s(7),
                           payload=f.get(8, [b""])[0])
            payload_bytes = env.pop("payload")
            env["seq"] = seq
            env["payload_base64"] = base64.b64encode(payload_bytes).decode()
            env["payload"] = self.decoder.decode(env["type"], payload_bytes) if payload_bytes else None
            out.append(env)
        return out


def follow_curve(endpoint, key, store, decoder, idle_exit, stop):
    """Runs until stopped or refused. Subscribes after the cursor at every (re)connection."""
    zmq_curve = Curve(endpoint, key, decoder)
    zmq = zmq_curve.zmq
    from zmq.utils.monitor import recv_monitor_message
    pending = None      # request id of the subscribe in flight, and when it was sent
    sent_at = 0.0
    subscribed = False
    last = time.monotonic()

    def apply(records):
        for ev in records:
            if ev["seq"] > store.cursor:  # a repeat after a reconnection changes nothing
                store.apply(ev)

    def subscribe():
        # RemoteEventsAfter {after = cursor, limit = 500}
        return zmq_curve.send("remote.subscribe",
                              _pb_varint(1 << 3) + _pb_varint(store.cursor) +
                              _pb_varint(2 << 3) + _pb_varint(500))
    poller = zmq.Poller()
    poller.register(zmq_curve.sock, zmq.POLLIN)
    poller.register(zmq_curve.monitor, zmq.POLLIN)
    try:
        while not stop["now"]:
            if idle_exit and time.monotonic() - last > idle_exit:
                return
            if pending and time.monotonic() - sent_at > 10:
                log("no answer to remote.subscribe: asking again after seq %d" % store.cursor)
                pending, sent_at = subscribe(), time.monotonic()
            ready = dict(poller.poll(500))
            if zmq_curve.monitor in ready:
                ev = recv_monitor_message(zmq_curve.monitor)
                if ev["event"] == zmq.EVENT_DISCONNECTED and (subscribed or pending):
                    log("stream lost (the gateway went away): reconnecting after seq %d" % store.cursor)
                    subscribed, pending = False, None
                elif ev["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                    pending, sent_at = subscribe(), time.monotonic()
            if zmq_curve.sock in ready:
                r = zmq_curve.reply(zmq_curve.sock.recv())
                if r["status"] in (UNAUTHENTICATED, PERMISSION_DENIED):
                    raise Refused("status %d %s" % (r["status"], r["message"]))
                if r["status"] != OK:
                    log("gateway answered %d %s" % (r["status"], r["message"]))
                    if r["request_id"] == pending:
                        pending, sent_at = None, 0.0
                        time.sleep(1.0)
                        pending, sent_at = subscribe(), time.monotonic()
                    continue
                if r["request_id"] == pending:
                    pending, subscribed = None, True
                    log("streaming after seq %d" % store.cursor)
                elif r["request_id"] != "push":
                    continue  # an answer to a subscribe we gave up on
                apply(zmq_curve.events(r["payload"]))
                last = time.monotonic()
    finally:
        zmq_curve.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gateway", help="http://host:port (Server-Sent Events)")
    ap.add_argument("--token-file", help="file holding the integrator's bearer token")
    ap.add_argument("--curve", metavar="ENDPOINT", help="tcp://host:port of the gateway's CURVE endpoint")
    ap.add_argument("--key", help="the integrator's key file (owctl centre keygen --integrator)")
    ap.add_argument("--store", required=True, help="JSON-lines file of applied events (and the cursor)")
    ap.add_argument("--proto-dir", help="proto/ of OneWindow: decode payloads with protoc's modules")
    ap.add_argument("--exit-after-idle", type=float, default=0, help="stop after N quiet seconds")
    args = ap.parse_args()
    if bool(args.curve) == bool(args.gateway) or (args.curve and not args.key) or \
            (args.gateway and not args.token_file):
        ap.error("either --gateway URL --token-file FILE or --curve ENDPOINT --key FILE")
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True) or sys.exit(0))
    store = Store(args.store)
    decoder = Decoder(args.proto_dir)
    if args.curve:
        try:
            follow_curve(args.curve, read_key_file(args.key), store, decoder,
                         args.exit_after_idle, stop)
        except Refused as e:
            log("the gateway refuses the key: %s" % e)
            return 2
        except KeyboardInterrupt:
            pass
        finally:
            decoder.close()
        return 0
    with open(args.token_file) as f:
        token = f.read().strip()
    backoff = 0.2
    try:
        while not stop["now"]:
            try:
                follow(args.gateway, token, store, decoder, args.exit_after_idle, stop)
                backoff = 0.2
            except Refused as e:
                log("the gateway refuses the token: %s" % e)
                return 2
            except (OSError, http.client.HTTPException, ValueError) as e:
                # Lost connection, gateway restarting: resume from the stored cursor.
                log("stream lost (%s): reconnecting in %.1f s after seq %d" % (e, backoff, store.cursor))
                time.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
    except KeyboardInterrupt:
        pass
    finally:
        decoder.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
