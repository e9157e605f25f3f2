#!/usr/bin/python3
"""Two deadlined instances against one database (issue 5): while the test clock moves forward
day by day, both scan; every yellow card, red card and timer fires exactly once, and moving
the clock fires every card that fell due in between."""

import os
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import log, wait_until  # noqa: E402
from test_deadline_restart import card_events, schedule_timer, submit_cases  # noqa: E402

CASES = 12
TIMERS = 8
DAY_S = 86400


def test(s):
    import zmq
    ctx = zmq.Context()
    second = None
    try:
        port = harness.free_port()
        log2 = os.path.join(s.dir, "logs", "deadlined-2.log")
        with open(log2, "ab") as logf:
            second = subprocess.Popen(
                [os.path.join(s.bin, "deadlined"), "--config", s.config_path,
                 "--set", "deadlined.rpc.bind=ipc://%s/deadline-2.sock" % s.dir,
                 "--set", "deadlined.http.bind=127.0.0.1:%d" % port],
                stdin=subprocess.DEVNULL, stdout=logf, stderr=logf, env=s._env(), cwd=s.dir)

        def second_ready():
            try:
                return s._http(port, "GET", "/readyz", timeout=2)[0] == 200
            except OSError:
                return False
        s.check("a second deadlined is ready on the same database",
                wait_until(second_ready, timeout=30) and second.poll() is None,
                open(log2, errors="replace").read()[-3000:])

        cases = submit_cases(s, CASES, "dl-two-" + uuid.uuid4().hex[:8])
        s.check("one clock per case, started once",
                wait_until(lambda: s.sql_value("SELECT count(*) FROM deadline.clocks") == len(cases),
                           timeout=20)
                and s.sql_value("SELECT count(*) FROM deadline.outbox WHERE type = "
                                "'deadline.started'") == len(cases))
        now_us = int(time.time() * 1e6)
        for i in range(TIMERS):
            key = "two-%s-%d" % (uuid.uuid4().hex[:6], i)
            reply = schedule_timer(s, ctx, key, now_us + (i + 1) * DAY_S * 1_000_000 // 2)
            s.check("timer %d scheduled" % i, reply and reply["status"] == 0, reply)
        latest = s.sql_value("SELECT max(due_at_us) FROM deadline.clocks")
        days = int((latest - now_us) // (DAY_S * 1_000_000)) + 2
        # Day by day, so both instances find cards falling due on every step.
        for _ in range(days):
            status, resp = s.post("/v1/admin/clock", {"advance_seconds": DAY_S})
            s.check("clock advanced a day", status == 200, resp)
            time.sleep(1.2)

        def settled():
            return (s.sql_value("SELECT count(*) FROM deadline.clocks WHERE state <> 'expired'") == 0
                    and s.sql_value("SELECT count(*) FROM deadline.timers WHERE state = 'fired'")
                    == TIMERS)
        s.check("every clock went red and every timer fired", wait_until(settled, timeout=30),
                s.sql("SELECT case_no, state, card FROM deadline.clocks"))
        time.sleep(2.5)

        dup = s.sql("SELECT case_no, type, count(*) FROM deadline.outbox WHERE type IN"
                    " ('deadline.yellow', 'deadline.red') GROUP BY 1, 2 HAVING count(*) > 1")
        s.check("no card was raised twice", not dup, dup)
        events = card_events(s)
        reds = {e[2] for e in events if e[1] == "deadline.red"}
        s.check("every case got its red card", reds == set(cases), sorted(set(cases) - reds))
        fired = s.sql_value("SELECT count(*) FROM deadline.outbox WHERE type = 'timer.fired'")
        s.check("every timer fired exactly once", fired == TIMERS, fired)
        seqs = s.sql("SELECT seq FROM deadline.outbox WHERE seq IS NOT NULL ORDER BY seq")
        s.check("deadline's event stream stayed gapless with two relays",
                [r[0] for r in seqs] == list(range(1, len(seqs) + 1)))
        with open(log2, errors="replace") as f:
            worked = sum(1 for line in f if "scan fired" in line)
        log("second instance fired in %d scans" % worked)
        s.check("both instances were alive to the end", second.poll() is None and
                s.alive("deadlined"))
    finally:
        if second and second.poll() is None:
            second.terminate()
            try:
                second.wait(timeout=10)
            except subprocess.TimeoutExpired:
                second.kill()
        ctx.destroy(linger=0)


if __name__ == "__main__":
    harness.run(test)
