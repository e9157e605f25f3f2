#!/usr/bin/python3
"""`owctl --remote tcp://host:port --key FILE` as a township centre (issue 8, "owctl can act
as a township client"): with the key file of `owctl centre keygen` it submits over the
gateway's CURVE endpoint (channel township, its own centre; answered after intake's
commit, and the same --idempotency-key again returns the same case, never a second one) and
shows its own case; another centre's case is not found, a submission for another centre is
refused, each with nothing created; a revoked key and a key the gateway never registered
get no service (exit 1 or 2), and nothing changes."""

import os
import re
import sys
import tempfile
import uuid

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import applicant  # noqa: E402
from test_gateway_remote import read_key_file, remote_endpoint  # noqa: E402

TOWN_A = "330122101000"
TOWN_B = "330122102000"


def submit_args(item, seq, *extra):
    a = applicant(seq)
    args = ["submit", "--item", item["code"], "--name", a["name"], "--id-number", a["id_number"],
            "--phone", a["phone"], "--material"]
    args += [m["code"] for m in item["materials"] if m["required"] or m["optional_given"]]
    return args + list(extra)


def cases_of(s, seq):
    return s.sql_value("SELECT count(*) FROM intake.cases WHERE applicant_id_number = %s",
                       (applicant(seq)["id_number"],))


def test(s, keydir):
    item = harness.pick_item(harness.demo_items(s))
    endpoint = remote_endpoint(s)
    s.check("the gateway says where its CURVE endpoint listens", bool(endpoint), endpoint)
    key_a = os.path.join(keydir, "town-a.key")
    rc, out, err = s.owctl("--gateway", s.api_url, "centre", "keygen", "--centre", TOWN_A, "--out", key_a)
    s.check("owctl centre keygen registers town A's key", rc == 0, (rc, out, err))
    remote = ["--remote", endpoint, "--key", key_a]

    # -- submit as the centre, retry with the same key -------------------------------------
    idem = "town-a-" + str(uuid.uuid4())
    rc, out, err = s.owctl(*(remote + submit_args(item, 701, "--idempotency-key", idem)))
    found = re.search(r"\b(\d{16,})\b", out)
    s.check("owctl --remote submit succeeds and prints the case number", rc == 0 and found, (rc, out, err))
    case_no = found.group(1) if found else ""
    st, view, _ = s.request("GET", "/v1/cases/" + case_no, token="admin")
    s.check("the case is the centre's own, channel township",
            st == 200 and view["case"]["centre_id"] == TOWN_A and view["case"]["channel"] == "township",
            (st, view))
    rc, out2, err = s.owctl(*(remote + submit_args(item, 701, "--idempotency-key", idem)))
    s.check("the same idempotency key again answers the same case",
            rc == 0 and case_no and case_no in out2, (rc, out2, err))
    s.check("and nothing was created twice", cases_of(s, 701) == 1, cases_of(s, 701))

    # -- case show: own case yes, another centre's no --------------------------------------
    rc, out, err = s.owctl(*(remote + ["case", "show", case_no]))
    s.check("owctl --remote case show prints its own case", rc == 0 and case_no in out, (rc, out, err))
    rc, out, err = s.owctl(*(remote + ["case", "show", case_no, "--json"]))
    s.check("--json prints the case as JSON", rc == 0 and '"case_no": "%s"' % case_no in out, (rc, out))
    complete = [m["code"] for m in item["materials"] if m["required"] or m["optional_given"]]
    st, body, _ = s.request("POST", "/v1/applications",
                            {"item_code": item["code"], "applicant": applicant(702), "materials": complete,
                             "channel": "window", "centre_id": TOWN_B}, token="admin")
    other = body["case"]["case_no"] if st == 201 else ""
    rc, out, err = s.owctl(*(remote + ["case", "show", other]))
    s.check("another centre's case is not found (exit 1, NOT_FOUND)",
            rc == 1 and "NOT_FOUND" in err and other not in out, (rc, out, err))

    # -- refusals change nothing -----------------------------------------------------------
    rc, out, err = s.owctl(*(remote + submit_args(item, 703, "--centre", TOWN_B)))
    s.check("a submission for another centre is refused (PERMISSION_DENIED)",
            rc == 1 and "PERMISSION_DENIED" in err, (rc, out, err))
    s.check("and created nothing", cases_of(s, 703) == 0)
    rc, out, err = s.owctl(*(remote + submit_args(item, 704, "--material", "NO-SUCH-MATERIAL")))
    s.check("intake's own rule comes back with the field named",
            rc == 1 and "material" in err, (rc, out, err))

    # -- a key the gateway never saw, then a revoked key -----------------------------------
    pub, sec = zmq.curve_keypair()
    stranger = os.path.join(keydir, "stranger.key")
    fd = os.open(stranger, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b"public-key = %s\nsecret-key = %s\nserver-key = %s\ncentre = %s\n"
             % (pub, sec, read_key_file(key_a)["server-key"].encode(), TOWN_A.encode()))
    os.close(fd)
    rc, out, err = s.owctl("--remote", endpoint, "--key", stranger, *submit_args(item, 705))
    s.check("an unregistered key gets no answer (exit 2) and creates nothing",
            rc == 2 and cases_of(s, 705) == 0, (rc, out, err))
    rc, out, err = s.owctl("--gateway", s.api_url, "centre", "revoke", read_key_file(key_a)["key-id"])
    s.check("the key is revoked", rc == 0, (rc, out, err))
    rc, out, err = s.owctl(*(remote + submit_args(item, 706)))
    s.check("a revoked key is refused (exit 1 or 2) and creates nothing",
            rc in (1, 2) and cases_of(s, 706) == 0, (rc, out, err))
    rc, out, err = s.owctl("--remote", endpoint, "--key", os.path.join(keydir, "missing.key"),
                           "case", "show", case_no)
    s.check("a missing key file is named (exit 1)", rc == 1 and "missing.key" in err, (rc, err))


def main():
    keydir = tempfile.mkdtemp(prefix="owgw-owctl-keys-")
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
