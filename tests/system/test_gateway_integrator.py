#!/usr/bin/python3
"""The example integrator (examples/integrator.py, issue 8 "Integrators") against the real
system: it follows the live SSE stream with an integrator token, the gateway is killed and
started again while cases are submitted straight to intaked (so events arrive while the
gateway is away and are caught up through its inbox), more are submitted after; at the end
the integrator holds every event of GET /v1/events exactly once, in seq order, with the
same envelopes, and its payloads decoded (protoc modules) say the same case as the
envelope. Then the integrator itself is stopped and started again: it resumes from its
stored cursor and repeats nothing."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import applicant, pb_field_bytes, wait_until  # noqa: E402

COUNTY = "330122000000"
TOWN_A = "330122101000"
SUBSCRIPTIONS = "case.,task.,deadline.,rating.,stage."


def submit_http(s, item, seq):
    complete = [m["code"] for m in item["materials"] if m["required"] or m["optional_given"]]
    st, body, _ = s.request("POST", "/v1/applications",
                            {"item_code": item["code"], "applicant": applicant(seq), "materials": complete,
                             "channel": "window", "centre_id": TOWN_A}, token="admin")
    s.check("application %d submitted over HTTP" % seq, st == 201, (st, body))
    return body["case"]["case_no"] if st == 201 else ""


def submit_direct(s, item, seq):
    a = applicant(seq)
    app = b"".join(pb_field_bytes(n, a[k]) for n, k in
                   ((1, "name"), (2, "id_type"), (3, "id_number"), (4, "phone")))
    payload = pb_field_bytes(1, item["code"]) + pb_field_bytes(2, app)
    for m in item["materials"]:
        if m["required"] or m["optional_given"]:
            payload += pb_field_bytes(3, m["code"])
    payload += pb_field_bytes(4, "window") + pb_field_bytes(5, TOWN_A)
    reply = s.call("intake", "intake.submit", payload, key=str(uuid.uuid4()))
    s.check("application %d submitted to intaked while the gateway is down" % seq,
            reply is not None and reply["status"] == 0, reply)


def all_events(s, token):
    out, after = [], 0
    while True:
        st, body, _ = s.request("GET", "/v1/events?after=%d&limit=1000" % after, token=token)
        if st != 200:
            raise RuntimeError("GET /v1/events: %s %s" % (st, body))
        out += body["events"]
        if not body["events"]:
            return out
        after = body["next_after"]


def stored(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.endswith("\n")]


def start_integrator(s, work, token_file, store):
    logf = open(os.path.join(work, "integrator.log"), "ab")
    return subprocess.Popen(
        [sys.executable, os.path.join(s.src, "examples", "integrator.py"), "--gateway", s.api_url,
         "--token-file", token_file, "--store", store, "--proto-dir", os.path.join(s.src, "proto")],
        stdout=logf, stderr=logf, stdin=subprocess.DEVNULL)


def caught_up(s, token, store, accepted):
    """GET /v1/events once it holds `accepted` case.accepted events (so "caught up" is not
    read before the gateway has the last case's events), when the store holds exactly its
    seqs; else None."""
    want = all_events(s, token)
    if sum(1 for e in want if e["type"] == "case.accepted") < accepted:
        return None
    return want if [e["seq"] for e in stored(store)] == [e["seq"] for e in want] else None


def test(s):
    item = harness.pick_item(harness.demo_items(s))
    token, _ = s.issue_token("ACME", "integrator", COUNTY, subscriptions=SUBSCRIPTIONS)
    work = tempfile.mkdtemp(prefix="owgw-integrator-")
    token_file = os.path.join(work, "token")
    with open(token_file, "w") as f:
        f.write(token + "\n")
    store = os.path.join(work, "events.jsonl")
    proc = start_integrator(s, work, token_file, store)
    try:
        submit_http(s, item, 501)
        submit_http(s, item, 502)
        s.check("the integrator receives the first events live",
                wait_until(lambda: caught_up(s, token, store, 2), timeout=30) is not None,
                (len(stored(store)), open(os.path.join(work, "integrator.log")).read()[-1500:]))

        # The gateway goes away with its streams; intake keeps taking applications.
        s.kill("gatewayd", signal.SIGKILL)
        submit_direct(s, item, 503)
        submit_direct(s, item, 504)
        time.sleep(1.0)  # the integrator retries against a closed port meanwhile
        s.start("gatewayd")
        s.wait_ready("gatewayd")
        submit_http(s, item, 505)

        want = wait_until(lambda: caught_up(s, token, store, 5), timeout=60)
        have = stored(store)
        s.check("after the gateway's restart the integrator holds every event of GET /v1/events",
                want is not None, ([e["seq"] for e in have][-20:],
                                   open(os.path.join(work, "integrator.log")).read()[-1500:]))
        want = want or all_events(s, token)
        seqs = [e["seq"] for e in have]
        ids = [e["event_id"] for e in have]
        s.check("each event exactly once, in seq order",
                len(set(seqs)) == len(seqs) == len(set(ids)) and seqs == sorted(seqs), seqs)
        fields = ("seq", "event_id", "source", "source_seq", "type", "case_no", "centre_id", "time")
        s.check("the same envelopes as the replay",
                [{k: e.get(k) for k in fields} for e in have] == [{k: e.get(k) for k in fields} for e in want])
        accepted = [e for e in have if e["type"] == "case.accepted"]
        s.check("all five cases were accepted and seen", len(accepted) == 5, [e["case_no"] for e in accepted])
        s.check("payloads decoded by type name the envelope's case",
                accepted and all((e["payload"] or {}).get("case", {}).get("case_no") == e["case_no"]
                                 for e in accepted), accepted[:1])
        s.check("events made while the gateway was down are there",
                sum(1 for e in accepted if e["case_no"]) == 5 and
                any(e["type"] == "task.created" for e in have))
        with open(os.path.join(work, "integrator.log")) as f:
            text = f.read()
        s.check("the integrator lost the stream and resumed from its cursor",
                "stream lost" in text and text.count("streaming after seq") >= 2, text[-1500:])

        # The integrator's own restart: resumes from the stored cursor, repeats nothing.
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        before = len(stored(store))
        log_path = os.path.join(work, "integrator.log")
        with open(log_path) as f:
            streams_before = f.read().count("streaming after seq")
        proc = start_integrator(s, work, token_file, store)

        def restarted():
            with open(log_path) as f:
                return f.read().count("streaming after seq") > streams_before
        s.check("the integrator started again and streams after its stored cursor",
                wait_until(restarted, timeout=30), open(log_path).read()[-1500:])
        submit_http(s, item, 506)
        want = wait_until(lambda: caught_up(s, token, store, 6), timeout=30)
        have = stored(store)
        seqs = [e["seq"] for e in have]
        s.check("after its own restart it continues with only the new events",
                want is not None and len(have) > before and len(set(seqs)) == len(seqs),
                (before, len(have), open(log_path).read()[-1500:]))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        import shutil
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    harness.run(test)
