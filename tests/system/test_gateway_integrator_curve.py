#!/usr/bin/python3
"""An integrator's CURVE subscription (issue 8, "Integrators": "a CURVE-secured subscription
for outside systems"), end to end: `owctl centre keygen --integrator NAME --subscriptions L`
registers an integrator's public key (no centre, its event types); the gateway's ZAP handler
admits it like a centre's key; through it the integrator reads and subscribes to the events
of its types only, and may neither submit nor read a case; revoking the key ends its live
subscription at once and refuses its next message."""

import os
import sys
import tempfile
import time
import uuid

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import applicant, pb_decode, pb_field_bytes, pb_field_varint  # noqa: E402
from harness import wait_until  # noqa: E402
from test_gateway_remote import Centre, read_key_file, remote_endpoint, submit_payload  # noqa: E402

TOWN_A = "330122101000"
TYPES = "task.created"
OK, PERMISSION_DENIED, UNAUTHENTICATED = 0, 7, 16


def event_types(payload):
    """The (seq, type) of each event of a RemoteEvents payload."""
    out = []
    for e in pb_decode(payload).get(1, []):
        ev = pb_decode(e)
        env = pb_decode(ev[2][0])
        out.append((ev[1][0], env[4][0].decode()))
    return out


def make_case(s, item, seq):
    status, body, _ = s.request("POST", "/v1/applications",
                                {"item_code": item["code"], "applicant": applicant(seq),
                                 "materials": [m["code"] for m in item["materials"] if m["required"]],
                                 "channel": "window", "centre_id": TOWN_A}, token="admin")
    return body.get("case", {}).get("case_no") if status == 201 else None


def test(s, keydir):
    ctx = zmq.Context()
    item = harness.pick_item(harness.demo_items(s))
    endpoint = remote_endpoint(s)
    s.check("the gateway says where its CURVE endpoint listens", bool(endpoint), endpoint)

    # -- registration: an integrator, its types, no centre ---------------------------------
    status, body, _ = s.request("POST", "/v1/admin/centre-keys",
                                {"integrator": "acme", "public_key": zmq.curve_keypair()[0].decode()},
                                token="admin", key=str(uuid.uuid4()))
    s.check("an integrator's key without subscriptions is refused",
            status == 400 and [v.get("name") for v in body.get("invalid_params", [])]
            == ["subscriptions"],
            (status, body))
    status, body, _ = s.request("POST", "/v1/admin/centre-keys",
                                {"integrator": "acme", "subscriptions": TYPES, "centre_id": TOWN_A,
                                 "public_key": zmq.curve_keypair()[0].decode()},
                                token="admin", key=str(uuid.uuid4()))
    s.check("a key of a centre and an integrator at once is refused", status == 400, (status, body))
    path = os.path.join(keydir, "acme.key")
    rc, out, err = s.owctl("--gateway", s.api_url, "centre", "keygen", "--integrator", "acme",
                           "--subscriptions", TYPES, "--out", path)
    s.check("owctl centre keygen --integrator succeeds", rc == 0 and "integrator acme" in out,
            (rc, out, err))
    key = read_key_file(path) if os.path.exists(path) else {}
    stored = s.sql("SELECT centre_id, integrator, subscriptions FROM gateway.centre_keys "
                   "WHERE public_key = %s", (key.get("public-key", ""),))
    s.check("the key is stored for the integrator with its types, no centre",
            stored == [(None, "acme", TYPES)], stored)

    # -- events of its types only -----------------------------------------------------------
    first = make_case(s, item, 401)
    s.check("a case exists for the test", first)
    acme = Centre(ctx, endpoint, key)

    def backlog():
        r = acme.call("remote.events", b"")
        if not r or r["status"] != OK:
            return None
        evs = event_types(r["payload"])
        return evs if evs else None
    evs = wait_until(backlog, timeout=20, interval=0.3)
    s.check("the integrator reads events through its CURVE key", evs, evs)
    s.check("only of the types it subscribed to", evs and all(t.startswith(TYPES) for _, t in evs), evs)
    others = s.sql_value("SELECT count(*) FROM gateway.events WHERE type NOT LIKE %s",
                         (TYPES + "%",))
    s.check("while the log holds events of other types", others > 0, others)

    # -- never a submission or a case read ----------------------------------------------------
    cases_before = s.sql_value("SELECT count(*) FROM intake.cases")
    r = acme.call("intake.submit", submit_payload(item, 402), key=str(uuid.uuid4()))
    s.check("a submission with an integrator's key is refused",
            r and r["status"] == PERMISSION_DENIED, r)
    r = acme.call("intake.get_case", pb_field_bytes(1, first or "x"))
    s.check("a case read with an integrator's key is refused",
            r and r["status"] == PERMISSION_DENIED, r)
    s.check("nothing was created", s.sql_value("SELECT count(*) FROM intake.cases") == cases_before)

    # -- live subscription: pushes of its types; revocation ends it ---------------------------
    after = max(seq for seq, _ in evs) if evs else 0
    r = acme.call("remote.subscribe", pb_field_varint(1, after))
    s.check("the integrator subscribes", r and r["status"] == OK, r)
    second = make_case(s, item, 403)
    s.check("a second case exists", second)
    pushed = []

    def got_push():
        while acme.sock.poll(100, zmq.POLLIN):
            reply = harness.decode_reply(acme.sock.recv())
            if reply["request_id"] == "push" and reply["status"] == OK:
                pushed.extend(event_types(reply["payload"]))
        return pushed or None
    wait_until(got_push, timeout=20, interval=0.1)
    s.check("new events of its types are pushed", pushed, pushed)
    s.check("and only of its types", pushed and all(t.startswith(TYPES) for _, t in pushed), pushed)

    rc, out, err = s.owctl("--gateway", s.api_url, "centre", "revoke", key.get("key-id", "x"))
    s.check("owctl centre revoke succeeds for the integrator's key", rc == 0, (rc, out, err))
    ended = []

    def end_of_subscription():
        while acme.sock.poll(100, zmq.POLLIN):
            reply = harness.decode_reply(acme.sock.recv())
            ended.append((reply["request_id"], reply["status"], reply["payload"]))
        return any(st == UNAUTHENTICATED for _, st, _ in ended) or None
    s.check("the live subscription is told the key was revoked",
            wait_until(end_of_subscription, timeout=10, interval=0.1), ended)
    make_case(s, item, 404)
    time.sleep(1.5)
    late = []
    while acme.sock.poll(100, zmq.POLLIN):
        reply = harness.decode_reply(acme.sock.recv())
        late.append((reply["request_id"], reply["status"]))
    s.check("no event is pushed after the revocation",
            all(st != OK for _, st in late), late)
    r = acme.call("remote.events", pb_field_varint(1, after))
    s.check("the revoked key's next message on the open connection is refused",
            r and r["status"] == UNAUTHENTICATED, r)
    acme.close()
    ctx.term()


def main():
    keydir = tempfile.mkdtemp(prefix="owgw-ikeys-")
    pub, sec = zmq.curve_keypair()
    server_key = os.path.join(keydir, "gateway.key")
    fd = os.open(server_key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b"public-key = %s\nsecret-key = %s\n" % (pub, sec))
    os.close(fd)
    try:
        harness.run(lambda s: test(s, keydir), extra_config={
            "remote.bind": "tcp://127.0.0.1:*", "remote.secret_key_file": server_key})
    finally:
        import shutil
        shutil.rmtree(keydir, ignore_errors=True)


if __name__ == "__main__":
    main()
