#!/usr/bin/python3
"""Crash test: applications keep arriving while routingd is SIGKILLed twice at random
moments and restarted. Afterwards every accepted case has exactly one task — nothing lost
(replay from intake's outbox closes the gap) and nothing done twice (the inbox's last seq
commits with the task). OW_SEED fixes the random moments; OW_KILL_CASES the load."""

import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import applicant, log, wait_until  # noqa: E402

TOTAL = int(os.environ.get("OW_KILL_CASES", "200"))
LOAD_S = 12.0            # submissions are paced over this long, so both kills land inside the load
SUBMIT_WINDOW_S = 120.0  # the load stops here even if TOTAL was not reached
SETTLE_S = 90.0          # how long routingd may take to catch up afterwards
THREADS = 4


def test(s):
    seed, rng, item, complete = harness.crash_test_start(s)

    lock = threading.Lock()
    accepted, errors = [], []
    began = time.monotonic()
    stop_at = began + SUBMIT_WINDOW_S

    halt = threading.Event()  # set when the test is cut short (SIGTERM, an exception)

    load = harness.PacedLoad(TOTAL, LOAD_S, began, halt)

    def submitter():
        while time.monotonic() < stop_at:
            n = load.next()
            if n is None:
                return
            body = {"item_code": item["code"], "applicant": applicant(1000 + n, "压测%d" % n),
                    "materials": complete, "channel": "window", "centre_id": ""}
            try:
                status, resp = s.post("/v1/applications", body, key="kill-%d-%d" % (seed, n), timeout=20)
            except OSError as e:
                status, resp = None, str(e)
            with lock:
                if status == 201:
                    accepted.append(resp["case"]["case_no"])
                else:
                    errors.append((n, status, resp))

    def submitted():
        with lock:
            return len(accepted) + len(errors)

    # Two kills at random moments of the load (one in each half), each followed by a restart
    # after a random pause, while applications keep arriving; marked by how many submissions
    # were answered by then.
    threads = [threading.Thread(target=submitter, daemon=True) for _ in range(THREADS)]
    kills = harness.kill_twice_under_load(s, "routingd", rng, LOAD_S, began, threads, halt,
                                          stop_at + 30, mark=submitted)
    for down_at, up_at, _ in kills:
        log("routingd was down from %d to %d submissions" % (down_at, up_at))

    s.check("routingd was SIGKILLed twice and restarted", len(kills) == 2
            and all(rc == -signal.SIGKILL for _, _, rc in kills) and s.alive("routingd"), kills)
    s.check("applications arrived while routingd was down", all(up > down for down, up, _ in kills), kills)
    s.check("at least %d applications were submitted" % (TOTAL // 2), len(accepted) >= TOTAL // 2,
            (len(accepted), len(errors)))
    s.check("every submission was accepted (201)", not errors, errors[:5])
    in_intake = {r[0] for r in s.sql("SELECT case_no FROM intake.cases")}
    s.check("every accepted case is in intake.cases", set(accepted) <= in_intake,
            sorted(set(accepted) - in_intake)[:10])
    s.check("no case was accepted twice", len(set(accepted)) == len(accepted))

    def task_counts():
        rows = s.sql("""SELECT c.case_no, count(t.case_no)
                          FROM intake.cases c LEFT JOIN routing.tasks t ON t.case_no = c.case_no
                         GROUP BY c.case_no""")
        return {r[0]: r[1] for r in rows}

    def all_have_one():
        counts = task_counts()
        return counts if counts and all(v == 1 for v in counts.values()) else None

    wait_until(all_have_one, timeout=SETTLE_S, interval=0.5)
    counts = task_counts()
    missing = sorted(k for k, v in counts.items() if v == 0)
    doubled = sorted(k for k, v in counts.items() if v > 1)
    log("%d cases, %d without a task, %d with more than one" % (len(counts), len(missing), len(doubled)))
    s.check("every case in intake.cases has a task (none lost)", counts and not missing, missing[:10])
    s.check("no case has more than one task (none done twice)", not doubled, doubled[:10])
    per_case = s.sql("SELECT case_no, count(*) FROM routing.tasks GROUP BY case_no")
    s.check("routing.tasks holds one row per case and no unknown case",
            {r[0] for r in per_case} == set(counts) and all(r[1] == 1 for r in per_case),
            [r for r in per_case if r[1] != 1 or r[0] not in counts][:10])
    created = s.sql("SELECT case_no, count(*) FROM routing.outbox WHERE type = 'task.created' GROUP BY case_no")
    s.check("one task.created event per case", {r[0] for r in created} == set(counts)
            and all(r[1] == 1 for r in created), [r for r in created if r[1] != 1][:10])
    intake_seq = s.sql_value("SELECT last_seq FROM intake.outbox_state")
    routing_seen = wait_until(lambda: s.sql_value(
        "SELECT last_seq FROM routing.inbox WHERE source = 'intake'") == intake_seq, timeout=10)
    s.check("routingd's inbox caught up with intake's last seq", routing_seen,
            (s.sql_value("SELECT last_seq FROM routing.inbox WHERE source = 'intake'"), intake_seq))
    status = s.ops_status("routingd", "/readyz")
    s.check("routingd is ready after the crashes", status == 200)


if __name__ == "__main__":
    harness.run(test)
