#!/usr/bin/python3
"""The township centres' CURVE endpoint (issue 8, "Remote township centres"), end to end:
`owctl centre keygen` registers a centre's public key and writes its key file with mode
0600; a centre submits through the CURVE endpoint, is answered only after intake committed,
and a retry with the same idempotency key creates no second case; it may not submit for
another centre or read another centre's case; it reads its own cases' events; an unknown key
never gets an answer; a key revoked while its connection is open is refused on the next
message and changes nothing. Also the HTTP size limits: 413 and 431 as problem+json."""

import os
import stat
import sys
import tempfile
import time
import uuid

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import applicant, decode_reply, encode_request, pb_decode, pb_field_bytes  # noqa: E402
from harness import wait_until  # noqa: E402

TOWN_A = "330122101000"
TOWN_B = "330122102000"
OK, PERMISSION_DENIED, NOT_FOUND, UNAUTHENTICATED = 0, 7, 5, 16


def submit_payload(item, seq, centre=""):
    a = applicant(seq)
    app = b"".join(pb_field_bytes(n, a[k]) for n, k in
                   ((1, "name"), (2, "id_type"), (3, "id_number"), (4, "phone")))
    out = pb_field_bytes(1, item["code"]) + pb_field_bytes(2, app)
    for m in item["materials"]:
        if m["required"] or m["optional_given"]:
            out += pb_field_bytes(3, m["code"])
    if centre:
        out += pb_field_bytes(5, centre)
    return out


def read_key_file(path):
    out = {}
    with open(path) as f:
        for line in f:
            if "=" in line and not line.startswith("#"):
                k, v = line.split("=", 1)
                out[k.strip()] = v.strip()
    return out


def remote_endpoint(s):
    def find():
        with open(s.daemons["gatewayd"].log_path, errors="replace") as f:
            for line in f:
                if '"remote listening"' in line:
                    import json
                    return json.loads(line[line.index("{"):])["endpoint"]
        return None
    return wait_until(find, timeout=10)


class Centre:
    def __init__(self, ctx, endpoint, key):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.curve_serverkey = key["server-key"].encode()
        self.sock.curve_publickey = key["public-key"].encode()
        self.sock.curve_secretkey = key["secret-key"].encode()
        self.sock.connect(endpoint)

    def call(self, method, payload=b"", key="", timeout=8.0):
        rid = str(uuid.uuid4())
        self.sock.send(encode_request(method, rid, payload, idempotency_key=key))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.sock.poll(int((deadline - time.monotonic()) * 1000) + 1, zmq.POLLIN):
                reply = decode_reply(self.sock.recv())
                # A refusal at the key check has no request id: the gateway does not read a
                # frame from a sender it has not admitted.
                if reply["request_id"] == rid or (reply["request_id"] == ""
                                                  and reply["status"] == UNAUTHENTICATED):
                    return reply
        return None

    def close(self):
        self.sock.close()


def case_no_of(reply):
    summary = pb_decode(pb_decode(reply["payload"])[1][0])
    return summary[1][0].decode(), summary[11][0].decode() if 11 in summary else ""


def test(s, keydir):
    ctx = zmq.Context()
    item = harness.pick_item(harness.demo_items(s))
    endpoint = remote_endpoint(s)
    s.check("the gateway says where its CURVE endpoint listens", bool(endpoint), endpoint)

    # -- keygen: registered through the admin endpoint, secret in a 0600 file --------------
    path_a = os.path.join(keydir, "town-a.key")
    rc, out, err = s.owctl("--gateway", s.api_url, "centre", "keygen", "--centre", TOWN_A,
                           "--out", path_a, "--label", "Town A")
    s.check("owctl centre keygen succeeds", rc == 0, (rc, out, err))
    mode = stat.S_IMODE(os.stat(path_a).st_mode) if os.path.exists(path_a) else None
    s.check("the key file has mode 0600", mode == 0o600, oct(mode or 0))
    key_a = read_key_file(path_a)
    s.check("the key file holds the pair, the server key and the key id",
            all(k in key_a for k in ("public-key", "secret-key", "server-key", "key-id")), key_a)
    rc2, _, err2 = s.owctl("--gateway", s.api_url, "centre", "keygen", "--centre", TOWN_A,
                           "--out", path_a)
    s.check("keygen never overwrites a key file", rc2 != 0 and "exists" in err2, err2)
    stored = s.sql("SELECT centre_id, public_key, revoked_at FROM gateway.centre_keys")
    s.check("only the public key is stored", stored == [(TOWN_A, key_a["public-key"], None)]
            and all(key_a["secret-key"] not in str(r) for r in stored), stored)
    s.check("the registration is audited",
            s.sql_value("SELECT count(*) FROM gateway.audit WHERE action = 'centre_key.register'") == 1)
    st, listed, _ = s.request("GET", "/v1/admin/centre-keys?limit=10", token="admin")
    s.check("the administrator's list shows the key, public half only",
            st == 200 and [(k.get("key_id"), k.get("public_key")) for k in listed.get("keys", [])]
            == [(key_a["key-id"], key_a["public-key"])] and key_a["secret-key"] not in str(listed),
            (st, listed))

    centre = Centre(ctx, endpoint, key_a)
    cases_before = s.sql_value("SELECT count(*) FROM intake.cases")

    # -- submit: acknowledged after commit, the centre's key makes a retry harmless --------
    idem = "town-a-" + str(uuid.uuid4())
    r1 = centre.call("intake.submit", submit_payload(item, 301), key=idem)
    s.check("a registered centre's submission is accepted", r1 and r1["status"] == OK, r1)
    case_no, case_centre = case_no_of(r1) if r1 and r1["status"] == OK else ("", "")
    s.check("the case belongs to the submitting centre", case_centre == TOWN_A, case_centre)
    s.check("the case was committed before the answer",
            s.sql_value("SELECT count(*) FROM intake.cases WHERE case_no = %s", (case_no,)) == 1)
    r2 = centre.call("intake.submit", submit_payload(item, 301), key=idem)
    s.check("a retry with the same key returns the same case",
            r2 and r2["status"] == OK and case_no_of(r2)[0] == case_no, r2)
    s.check("a retry creates no second case",
            s.sql_value("SELECT count(*) FROM intake.cases") == cases_before + 1)
    r3 = centre.call("intake.submit", submit_payload(item, 302), key=None)
    s.check("a submission without an idempotency key is refused",
            r3 and r3["status"] == 3 and any(v["field"] == "idempotency_key" for v in r3["violations"]), r3)
    r4 = centre.call("intake.submit", submit_payload(item, 303, TOWN_B), key=str(uuid.uuid4()))
    s.check("a centre may not submit for another centre", r4 and r4["status"] == PERMISSION_DENIED, r4)

    # -- its own case, not another's --------------------------------------------------------
    r5 = centre.call("intake.get_case", pb_field_bytes(1, case_no))
    s.check("the centre reads its own case", r5 and r5["status"] == OK, r5)
    status, body, _ = s.request("POST", "/v1/applications",
                                {"item_code": item["code"], "applicant": applicant(304),
                                 "materials": [m["code"] for m in item["materials"] if m["required"]],
                                 "channel": "window", "centre_id": TOWN_B}, token="admin")
    other = body.get("case", {}).get("case_no") if status == 201 else None
    s.check("a case of town B exists for the test", other, (status, body))
    r6 = centre.call("intake.get_case", pb_field_bytes(1, other or "x"))
    s.check("another centre's case is not found from town A", r6 and r6["status"] == NOT_FOUND, r6)

    # -- its own events only -----------------------------------------------------------------
    def own_events():
        r = centre.call("remote.events", b"")
        if not r or r["status"] != OK:
            return None
        evs = [pb_decode(pb_decode(e)[2][0]) for e in pb_decode(r["payload"]).get(1, [])]
        return evs if any(e.get(6, [b""])[0].decode() == case_no for e in evs) else None
    evs = wait_until(own_events, timeout=15, interval=0.3)
    s.check("the centre reads its own case's events", evs, evs)
    s.check("and none of another centre's",
            evs and all(e.get(7, [b""])[0].decode() == TOWN_A for e in evs),
            [(e.get(4), e.get(7)) for e in (evs or [])])

    # -- an unknown key gets nothing ----------------------------------------------------------
    pub, sec = zmq.curve_keypair()
    stranger = Centre(ctx, endpoint, {"server-key": key_a["server-key"], "public-key": pub.decode(),
                                      "secret-key": sec.decode()})
    r7 = stranger.call("intake.submit", submit_payload(item, 305), key=str(uuid.uuid4()), timeout=2)
    s.check("an unknown key is never answered", r7 is None, r7)
    stranger.close()

    # -- revoked on a live connection --------------------------------------------------------
    rc, out, err = s.owctl("--gateway", s.api_url, "centre", "revoke", key_a["key-id"])
    s.check("owctl centre revoke succeeds", rc == 0, (rc, out, err))
    cases_mid = s.sql_value("SELECT count(*) FROM intake.cases")
    r8 = centre.call("intake.submit", submit_payload(item, 306), key=str(uuid.uuid4()))
    s.check("the revoked key's next message on the open connection is refused",
            r8 and r8["status"] == UNAUTHENTICATED, r8)
    s.check("nothing was created by the refused message",
            s.sql_value("SELECT count(*) FROM intake.cases") == cases_mid)
    centre.close()

    # -- HTTP limits as problem documents ---------------------------------------------------
    status, body, _ = s.request("POST", "/v1/applications", b"{" + b" " * (1024 * 1024 + 10) + b"}",
                                token="admin")
    s.check("a body over 1 MiB → 413 problem+json",
            status == 413 and isinstance(body, dict) and body.get("status") == 413, (status, str(body)[:200]))
    status, body, _ = s.request("GET", "/v1/me", token="admin", headers={"X-Pad": "x" * 9000})
    s.check("headers over 8 KiB → 431 problem+json",
            status == 431 and isinstance(body, dict) and body.get("status") == 431, (status, str(body)[:200]))
    ctx.term()


def main():
    keydir = tempfile.mkdtemp(prefix="owgw-keys-")
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
