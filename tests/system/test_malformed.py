#!/usr/bin/python3
"""Hostile bytes on every socket. Each request socket (ROUTER) answers garbage with one
frame, a Reply with status INVALID_ARGUMENT (3), and keeps serving; busd forwards garbage
it is given without falling over, the consumers survive it, and the whole flow still works
afterwards. Requests and replies are encoded by hand (harness.encode_request/decode_reply):
no generated code, so the test checks the wire format itself."""

import os
import random
import signal
import sys
import time
import uuid

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (INVALID_ARGUMENT, OK, UNIMPLEMENTED, DEADLINE_EXCEEDED, PbError,  # noqa: E402
                     applicant, decode_clock_reply, decode_reply, encode_envelope, encode_request,
                     log, pb_field_bytes, wait_until)


def garbage_requests(rng):
    """(name, frames) of malformed requests."""
    # Field 0 with wire type 7 can never start a valid message, whatever follows.
    random_bytes = b"\x07" + bytes(rng.getrandbits(8) for _ in range(200))
    # A valid request cut inside its last length-delimited field (the payload).
    full = encode_request("_clock", payload=b"x" * 40)
    truncated = full[:-10]
    over_long_varint = b"\x08" + b"\xff" * 11 + b"\x01"
    length_past_end = pb_field_bytes(1, "r1") + b"\x12\x50_clock"  # method: 80 bytes said, 6 given
    return [
        ("random bytes", [random_bytes]),
        ("a truncated protobuf", [truncated]),
        ("a two-frame message", [encode_request("_clock"), b"an extra frame"]),
        ("an over-long varint", [over_long_varint]),
        ("a length past the end", [length_past_end]),
    ]


def check_reply(s, where, what, frames, want_status, want_request_id=None):
    if frames is None:
        s.check("%s answers %s" % (where, what), False, "no reply within 5 s")
        return None
    s.check("%s answers %s with one frame" % (where, what), len(frames) == 1, [len(f) for f in frames])
    try:
        reply = decode_reply(frames[-1])
    except PbError as e:
        s.check("%s answers %s with a Reply" % (where, what), False, "%s: %r" % (e, frames[-1][:80]))
        return None
    ok = reply["status"] == want_status
    if want_request_id is not None:
        ok = ok and reply["request_id"] == want_request_id
    s.check("%s answers %s with status %d" % (where, what, want_status), ok, reply)
    return reply


def well_formed_clock(s, ctx, src, where):
    rid = str(uuid.uuid4())
    frames = s.zmq_request(ctx, src, [encode_request("_clock", request_id=rid)])
    reply = check_reply(s, where, "a well-formed _clock", frames, OK, rid)
    if reply:
        try:
            clock = decode_clock_reply(reply["payload"])
        except PbError as e:
            clock = {"error": str(e)}
        now_us = time.time() * 1e6
        s.check("%s's _clock reports the time, test clock on" % where,
                clock.get("test_clock") is True and abs(clock.get("now_us", 0) - now_us) < 60e6, clock)


def bus_dropped(s):
    """busd's onewindow_bus_messages_dropped_total, summed over reasons."""
    status, text = s.ops_get("busd", "/metrics")
    total = 0
    for line in (text if status == 200 and isinstance(text, str) else "").splitlines():
        if line.startswith("onewindow_bus_messages_dropped_total"):
            total += int(float(line.rsplit(None, 1)[-1]))
    return total


def test(s):
    seed = int(os.environ.get("OW_SEED") or random.randrange(1 << 30))
    log("seed %d" % seed)
    rng = random.Random(seed)
    ctx = zmq.Context()
    try:
        run(s, ctx, rng)
    finally:
        ctx.destroy(linger=0)


def run(s, ctx, rng):
    # ---- request sockets ---------------------------------------------------------------------
    for name, src in harness.DAEMONS:
        if not src:
            continue
        where = "%s (%s)" % (name, src)
        for what, frames in garbage_requests(rng):
            reply = check_reply(s, where, what, s.zmq_request(ctx, src, frames), INVALID_ARGUMENT)
            if reply is not None:
                s.check("%s's error for %s has a message" % (where, what), reply["message"], reply)
        # Documented answers to well-formed requests it cannot serve (common/ow_rpc.h).
        rid = str(uuid.uuid4())
        check_reply(s, where, "an unknown method", s.zmq_request(
            ctx, src, [encode_request("no.such_method", request_id=rid)]), UNIMPLEMENTED, rid)
        rid = str(uuid.uuid4())
        check_reply(s, where, "a request past its deadline", s.zmq_request(
            ctx, src, [encode_request("_clock", request_id=rid, deadline_ms=int(time.time() * 1000) - 60_000)]),
            DEADLINE_EXCEEDED, rid)
        s.check("%s is alive after the garbage" % where, s.alive(name))
        status = s.ops_status(name, "/healthz")
        s.check("%s /healthz → 200 after the garbage" % where, status == 200, status)
        well_formed_clock(s, ctx, src, where)

    # ---- busd ------------------------------------------------------------------------------------
    # busd checks what is published and drops anything that is not [topic][valid Envelope]
    # with type == topic (services/bus/README.md). Probes (well-formed envelopes of a source
    # nobody follows) bracket the garbage: once the last probe comes out, busd has seen it all.
    watcher = ctx.socket(zmq.SUB)
    watcher.setsockopt(zmq.LINGER, 0)
    watcher.setsockopt(zmq.SUBSCRIBE, b"")
    watcher.connect(s.endpoints["bus.subscribe"])
    pub = ctx.socket(zmq.PUB)
    pub.setsockopt(zmq.LINGER, 0)
    pub.connect(s.endpoints["bus.publish"])
    marker = b"garbage-" + uuid.uuid4().hex.encode()

    def probe(n):
        return [b"system_test.probe", encode_envelope(str(uuid.uuid4()), "system_test", n, "system_test.probe",
                                                      int(time.time() * 1e6), payload=b"probe-%d" % n)]

    def wait_probe(n, timeout):
        want = b"probe-%d" % n
        garbage = 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if watcher.poll(100, zmq.POLLIN):
                msg = watcher.recv_multipart()
                if any(marker in f for f in msg):
                    garbage += 1
                if any(want in f for f in msg):
                    return True, garbage
            elif n == 0:
                pub.send_multipart(probe(0))  # until both connections are up (PUB drops before)
        return False, garbage

    dropped_before = bus_dropped(s)
    pub.send_multipart(probe(0))
    up, _ = wait_probe(0, 10)
    s.check("a well-formed envelope goes through busd", up)
    now_us = int(time.time() * 1e6)
    bad = [
        [marker],  # one frame: no envelope at all
        [b"case.accepted", marker + bytes(rng.getrandbits(8) for _ in range(100))],
        [b"case.accepted", b"\x07" + marker],
        [b"_heartbeat", marker],
        [b"task.decided", encode_request("_clock")[:-3] + marker],
        [marker, b"", b"three frames", b"four"],
        [b"", marker],
        # a valid envelope under a topic that is not its type: would reach the wrong consumers
        [b"case.accepted", encode_envelope(str(uuid.uuid4()), "system_test", 1, "case.decided", now_us,
                                           payload=marker)],
    ]
    for frames in bad:
        pub.send_multipart(frames)
    pub.send_multipart(probe(1))
    through, garbage_seen = wait_probe(1, 10)
    s.check("busd still forwards after the garbage", through)
    s.check("no garbage reached a subscriber", garbage_seen == 0, "%d garbage messages came out" % garbage_seen)
    wait_until(lambda: bus_dropped(s) - dropped_before >= len(bad), timeout=5)
    dropped = bus_dropped(s) - dropped_before
    s.check("busd dropped and counted every malformed message (%d)" % len(bad), dropped == len(bad), dropped)
    pub.close()
    watcher.close()

    # ---- the consumers themselves ----------------------------------------------------------------
    # busd filters, so to reach the inboxes the garbage must come from a bus that does not:
    # stop busd, bind a bare XPUB in its place, wait for the daemons' inboxes to subscribe,
    # send them the garbage directly, then bring busd back.
    s.kill("busd", signal.SIGTERM)
    fake = ctx.socket(zmq.XPUB)
    fake.setsockopt(zmq.XPUB_VERBOSE, 1)  # one subscription message per inbox, not one in all
    fake.setsockopt(zmq.LINGER, 0)
    fake.bind(s.endpoints["bus.subscribe"])
    subscribers = 0
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and subscribers < len(harness.SOURCES):
        if fake.poll(200, zmq.POLLIN):
            if fake.recv()[:1] == b"\x01":
                subscribers += 1
    s.check("every inbox subscribed to the stand-in bus", subscribers >= len(harness.SOURCES), subscribers)
    for frames in bad:
        fake.send_multipart(frames)
    # Well-formed envelopes of no followed source, and of a followed one with an undecodable
    # payload far ahead (a gap: the consumer must replay, find nothing, and carry on).
    fake.send_multipart(probe(2))
    far = 10 ** 9
    fake.send_multipart([b"case.accepted", encode_envelope(str(uuid.uuid4()), "intake", far, "case.accepted",
                                                           int(time.time() * 1e6), payload=b"\x07" + marker)])
    fake.send_multipart([b"_heartbeat", encode_envelope(str(uuid.uuid4()), "routing", far, "_heartbeat",
                                                        int(time.time() * 1e6))])
    time.sleep(1.0)
    for name, src in harness.DAEMONS:
        if src:
            s.check("%s survived garbage on its subscription" % name, s.alive(name))
    fake.close()
    s.start("busd")
    s.wait_ready("busd")
    for name, src in harness.DAEMONS:
        if src:
            s.check("%s is ready again with busd back" % name,
                    wait_until(lambda: s.ops_status(name, "/readyz") == 200, timeout=15))
    time.sleep(1.0)  # let every consumer chew on it
    for name, _ in harness.DAEMONS:
        s.check("%s is alive after garbage on the bus" % name, s.alive(name))
        status = s.ops_status(name, "/healthz")
        s.check("%s /healthz → 200 after garbage on the bus" % name, status == 200, status)
        status = s.ops_status(name, "/readyz")
        s.check("%s /readyz → 200 after garbage on the bus" % name, status == 200, status)

    # ---- and the flow still works --------------------------------------------------------------
    item = harness.pick_item(harness.demo_items(s))
    complete = [m["code"] for m in item["materials"] if m["required"] or m["optional_given"]]
    status, resp = s.post("/v1/applications", {"item_code": item["code"], "applicant": applicant(77),
                                               "materials": complete, "channel": "window", "centre_id": ""})
    s.check("submit after the garbage → 201", status == 201, (status, resp))
    if status != 201:
        return
    case_no = resp["case"]["case_no"]

    def task():
        st, rs = s.get("/v1/cases/" + case_no)
        return rs["tasks"][0] if st == 200 and rs.get("tasks") else None

    t = wait_until(task, timeout=30)
    s.check("the case gets its task", t, s.get("/v1/cases/" + case_no))
    if not t:
        return
    status, resp = s.post("/v1/tasks/%s/decision" % t["task_id"],
                          {"decision": "approve", "comment": "ok", "actor": t["assignee"]})
    s.check("approve → 200", status == 200, (status, resp))

    def decided():
        st, rs = s.get("/v1/cases/" + case_no)
        return rs if st == 200 and rs["case"].get("state") == 11 else None

    s.check("the case is decided (state 11)", wait_until(decided, timeout=30), s.get("/v1/cases/" + case_no))

    def rated():
        st, rs = s.post("/v1/ratings", {"case_no": case_no, "grade": 4, "comment": "", "channel": "web"})
        return (st, rs) if st not in (404, 412) else None

    got = wait_until(rated, timeout=20, interval=0.25)
    s.check("the decided case can be rated → 201", got and got[0] == 201, got)
    kinds = {"case_accepted", "case_decided", "rating_invitation"}
    sent = wait_until(lambda: kinds <= {n.get("kind") for n in s.notifications() if n.get("case_no") == case_no},
                      timeout=20)
    s.check("the applicant was told of acceptance, decision and invited to rate", sent,
            [n for n in s.notifications() if n.get("case_no") == case_no])
    poison = {src: s.sql_value("SELECT count(*) FROM %s.inbox_poison" % src) for src in harness.SOURCES}
    s.check("no consumer recorded a poison event from a followed source", not any(poison.values()), poison)


if __name__ == "__main__":
    harness.run(test)
