#!/usr/bin/python3
"""Restart safety of deadlined (issue 5): cases and timers are open, deadlined is SIGKILLed,
the test clock moves past every yellow card, red card and timer while it is down, and after
the restart every one of them fires exactly once, cards in the order they fell due."""

import os
import signal
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import applicant, log, wait_until  # noqa: E402

CASES = 6
TIMERS = 4
DAY_S = 86400


def schedule_timer(s, ctx, key, due_at_us):
    """deadline.schedule_timer straight on deadlined's request socket (no HTTP route)."""
    payload = (harness.pb_field_bytes(1, key) + harness.pb_field_bytes(2, "evaluation") +
               harness.pb_field_bytes(3, "post_check") + harness.pb_field_varint(6, due_at_us))
    req = harness.encode_request("deadline.schedule_timer", payload=payload, idempotency_key=key)
    frames = s.zmq_request(ctx, "deadline", [req], timeout=10)
    return harness.decode_reply(frames[0]) if frames else None


def card_events(s):
    """(outbox id, type, case_no, event_at_us) of every card event, in outbox order."""
    out = []
    for oid, type_, case_no, payload in s.sql(
            "SELECT id, type, case_no, payload FROM deadline.outbox WHERE type IN "
            "('deadline.yellow', 'deadline.red') ORDER BY id"):
        f = harness.pb_decode(bytes(payload))
        out.append((oid, type_, case_no, harness._signed(harness._first(f, 23, 0))))
    return out


def submit_cases(s, n, tag):
    item = harness.pick_item(harness.demo_items(s))
    complete = [m["code"] for m in item["materials"] if m["required"] or m["optional_given"]]
    cases = []
    for i in range(n):
        body = {"item_code": item["code"], "applicant": applicant(500 + i, "限时%d" % i),
                "materials": complete, "channel": "window", "centre_id": ""}
        status, resp = s.post("/v1/applications", body, key="%s-%d" % (tag, i))
        s.check("application %d accepted (201)" % i, status == 201, resp)
        if status == 201:
            cases.append(resp["case"]["case_no"])
    return cases


def test(s):
    import zmq
    ctx = zmq.Context()
    try:
        cases = submit_cases(s, CASES, "dl-restart-" + uuid.uuid4().hex[:8])

        def clocks():
            return s.sql("SELECT case_no, COALESCE(yellow_at_us, 0), due_at_us FROM deadline.clocks"
                         " WHERE scope = 'case'")
        s.check("deadlined started a clock per case",
                wait_until(lambda: len(clocks()) == len(cases), timeout=20), clocks())
        now_us = int(time.time() * 1e6)
        timers = ["restart-%s-%d" % (uuid.uuid4().hex[:6], i) for i in range(TIMERS)]
        for i, key in enumerate(timers):
            reply = schedule_timer(s, ctx, key, now_us + (i + 1) * DAY_S * 1_000_000)
            s.check("timer %s scheduled" % key, reply and reply["status"] == 0, reply)
        latest = max([row[2] for row in clocks()] + [now_us + TIMERS * DAY_S * 1_000_000])
        advance = (latest - now_us) // 1_000_000 + 2 * DAY_S

        # Down while everything falls due.
        s.kill("deadlined", signal.SIGKILL)
        s.check("deadlined was SIGKILLed", s.daemons["deadlined"].proc.returncode == -signal.SIGKILL)
        status, resp = s.post("/v1/admin/clock", {"advance_seconds": advance})
        s.check("test clock advanced %d days while deadlined is down" % (advance // DAY_S),
                status == 200, resp)
        time.sleep(1.0)
        s.start("deadlined")
        s.wait_ready("deadlined")

        def settled():
            open_ = s.sql_value("SELECT count(*) FROM deadline.clocks WHERE scope = 'case'"
                                " AND state <> 'expired'")
            fired = s.sql_value("SELECT count(*) FROM deadline.timers WHERE state = 'fired'")
            return open_ == 0 and fired == TIMERS
        s.check("after the restart every clock is red and every timer fired",
                wait_until(settled, timeout=30),
                s.sql("SELECT case_no, state, card FROM deadline.clocks"))

        # A second SIGKILL right after: nothing may fire again on the next start.
        s.kill("deadlined", signal.SIGKILL)
        s.start("deadlined")
        s.wait_ready("deadlined")
        time.sleep(2.5)  # two scans

        events = card_events(s)
        for case_no, yellow_at, due in clocks():
            yellows = sum(1 for e in events if e[2] == case_no and e[1] == "deadline.yellow")
            reds = sum(1 for e in events if e[2] == case_no and e[1] == "deadline.red")
            want_yellow = 1 if 0 < yellow_at < due else 0
            s.check("case %s: %d yellow card(s) and one red" % (case_no, want_yellow),
                    yellows == want_yellow and reds == 1, (yellows, reds))
        instants = [e[3] for e in events]
        s.check("cards were raised in the order they fell due", instants == sorted(instants),
                events)
        fired = s.sql("SELECT t.timer_key, count(o.id) FROM deadline.timers t LEFT JOIN"
                      " deadline.outbox o ON o.type = 'timer.fired'"
                      " AND position(t.timer_key::bytea in o.payload) > 0 GROUP BY 1")
        s.check("every timer fired exactly once", len(fired) == TIMERS
                and all(n == 1 for _, n in fired), fired)
        s.check("deadlined is ready after the crashes", s.ops_status("deadlined", "/readyz") == 200)
        log("%d card events, %d timers" % (len(events), len(fired)))
    finally:
        ctx.destroy(linger=0)


if __name__ == "__main__":
    harness.run(test)
