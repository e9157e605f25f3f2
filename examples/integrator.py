#!/usr/bin/python3
"""An example OneWindow integrator (docs/integration.md): follows the live event stream of
the gateway over HTTP Server-Sent Events and keeps every event exactly once, across its own
restarts and the gateway's.

    examples/integrator.py --gateway http://127.0.0.1:8080 --token-file TOKEN --store FILE

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
N seconds. 2 when the gateway refuses the token (401/403): retrying would not help."""

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
        for _, mod, _ in PAYLOADS:
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gateway", required=True, help="http://host:port")
    ap.add_argument("--token-file", required=True, help="file holding the integrator's bearer token")
    ap.add_argument("--store", required=True, help="JSON-lines file of applied events (and the cursor)")
    ap.add_argument("--proto-dir", help="proto/ of OneWindow: decode payloads with protoc's modules")
    ap.add_argument("--exit-after-idle", type=float, default=0, help="stop after N quiet seconds")
    args = ap.parse_args()
    with open(args.token_file) as f:
        token = f.read().strip()
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True) or sys.exit(0))
    store = Store(args.store)
    decoder = Decoder(args.proto_dir)
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
