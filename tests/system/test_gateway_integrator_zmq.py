#!/usr/bin/python3
"""The example integrator (examples/integrator.py) in its CURVE mode (issue 8 "Integrators":
python3-zmq and python3-protobuf, consumes the live stream, survives a gateway restart, ends
with every event exactly once). An integrator key is made with `owctl centre keygen
--integrator`; the integrator subscribes over the gateway's CURVE endpoint; the gateway is
killed and started again (on the same endpoint) while cases go straight to intaked; at the
end the integrator holds every event of its types of GET /v1/events exactly once, in seq
order, with the same envelopes and payloads decoded by type."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import wait_until  # noqa: E402
from test_gateway_integrator import all_events, stored, submit_direct, submit_http  # noqa: E402

COUNTY = "330122000000"
SUBSCRIPTIONS = "case.,task.,deadline.,rating.,stage."
FIELDS = ("seq", "event_id", "source", "source_seq", "type", "case_no", "centre_id")


def caught_up(s, token, store, accepted):
    want = all_events(s, token)
    if sum(1 for e in want if e["type"] == "case.accepted") < accepted:
        return None
    return want if [e["seq"] for e in stored(store)] == [e["seq"] for e in want] else None


def test(s, work, endpoint):
    item = harness.pick_item(harness.demo_items(s))
    # A token with the same subscriptions, only to read GET /v1/events for comparison.
    token, _ = s.issue_token("ACME", "integrator", COUNTY, subscriptions=SUBSCRIPTIONS)
    key = os.path.join(work, "acme.key")
    rc, out, err = s.owctl("--gateway", s.api_url, "centre", "keygen", "--integrator", "acme",
                           "--subscriptions", SUBSCRIPTIONS, "--out", key)
    s.check("owctl centre keygen --integrator succeeds", rc == 0, (rc, out, err))
    store = os.path.join(work, "events.jsonl")
    log_path = os.path.join(work, "integrator.log")
    logf = open(log_path, "ab")
    proc = subprocess.Popen(
        [sys.executable, os.path.join(s.src, "examples", "integrator.py"), "--curve", endpoint,
         "--key", key, "--store", store, "--proto-dir", os.path.join(s.src, "proto")],
        stdout=logf, stderr=logf, stdin=subprocess.DEVNULL)

    def log_text():
        with open(log_path, errors="replace") as f:
            return f.read()
    try:
        submit_http(s, item, 601)
        submit_http(s, item, 602)
        s.check("the integrator receives the first events live over CURVE",
                wait_until(lambda: caught_up(s, token, store, 2), timeout=30) is not None,
                (len(stored(store)), log_text()[-1500:]))

        s.kill("gatewayd", signal.SIGKILL)
        submit_direct(s, item, 603)
        submit_direct(s, item, 604)
        time.sleep(1.0)
        s.start("gatewayd")
        s.wait_ready("gatewayd")
        submit_http(s, item, 605)

        want = wait_until(lambda: caught_up(s, token, store, 5), timeout=60)
        have = stored(store)
        s.check("after the gateway's restart the integrator holds every event of GET /v1/events",
                want is not None, ([e["seq"] for e in have][-20:], log_text()[-1500:]))
        want = want or all_events(s, token)
        seqs = [e["seq"] for e in have]
        ids = [e["event_id"] for e in have]
        s.check("each event exactly once, in seq order",
                len(set(seqs)) == len(seqs) == len(set(ids)) and seqs == sorted(seqs), seqs)
        s.check("the same envelopes as the replay",
                [{k: e.get(k) for k in FIELDS} for e in have] ==
                [{k: e.get(k) for k in FIELDS} for e in want])
        s.check("the same payload bytes as the replay",
                [e.get("payload_base64") or "" for e in have] ==
                [e.get("payload_base64") or "" for e in want])
        s.check("only the subscribed types",
                have and all(any(e["type"].startswith(p) for p in SUBSCRIPTIONS.split(","))
                             for e in have), sorted({e["type"] for e in have}))
        accepted = [e for e in have if e["type"] == "case.accepted"]
        s.check("all five cases were accepted and seen", len(accepted) == 5,
                [e["case_no"] for e in accepted])
        s.check("payloads decoded by type name the envelope's case",
                accepted and all((e["payload"] or {}).get("case", {}).get("case_no") == e["case_no"]
                                 for e in accepted), accepted[:1])
        text = log_text()
        s.check("the integrator lost the subscription and subscribed again after its cursor",
                "stream lost" in text and text.count("streaming after seq") >= 2, text[-1500:])
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        logf.close()


def main():
    work = tempfile.mkdtemp(prefix="owgw-izmq-")
    pub, sec = zmq.curve_keypair()
    server_key = os.path.join(work, "gateway.key")
    fd = os.open(server_key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b"public-key = %s\nsecret-key = %s\n" % (pub, sec))
    os.close(fd)
    # A fixed port: the restarted gateway must listen where the integrator connects.
    endpoint = "tcp://127.0.0.1:%d" % harness.free_port()
    try:
        harness.run(lambda s: test(s, work, endpoint), extra_config={
            "remote.bind": endpoint, "remote.secret_key_file": server_key})
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
