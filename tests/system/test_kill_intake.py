#!/usr/bin/python3
"""Crash test of the front desk: applications keep arriving through the gateway while intaked
is SIGKILLed twice at random moments (its batches in flight, predicted or read) and restarted.
Each client retries with the same Idempotency-Key until it is answered, as a window's client
does. Afterwards every application was accepted exactly once: one case per key, the answer to
a retry is the first answer, the day's serials are gapless, and intake's outbox holds one
numbered case.accepted per case, its seqs gapless. OW_SEED fixes the random moments;
OW_KILL_CASES the load."""

import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import applicant, log  # noqa: E402

TOTAL = int(os.environ.get("OW_KILL_CASES", "600"))
LOAD_S = 12.0            # submissions are paced over this long, so both kills land inside the load
SUBMIT_WINDOW_S = 120.0  # each client gives up here even if it was never answered
THREADS = 8
NAME = "崩溃%d"


def test(s):
    seed, rng, item, complete = harness.crash_test_start(s)

    lock = threading.Lock()
    answers = {}   # n -> every case number answered OK for key n (retries included)
    unanswered = []
    retried = [0]
    spans = []     # (began, ended) of every attempt answered OK, monotonic seconds
    began = time.monotonic()
    stop_at = began + SUBMIT_WINDOW_S
    halt = threading.Event()  # set when the test is cut short (SIGTERM, an exception)

    load = harness.PacedLoad(TOTAL, LOAD_S, began, halt)

    def submitter():
        while True:
            n = load.next()
            if n is None:
                return
            body = {"item_code": item["code"], "applicant": applicant(5000 + n, NAME % n),
                    "materials": complete, "channel": "window", "centre_id": ""}
            key = "kill-intake-%d-%d" % (seed, n)
            # Answered, then asked once more: a retry after an answer lost on the way must get
            # the same case back.
            got = []
            while len(got) < 2 and time.monotonic() < stop_at and not halt.is_set():
                sent = time.monotonic()
                try:
                    status, resp = s.post("/v1/applications", body, key=key, timeout=20)
                except OSError as e:
                    status, resp = None, str(e)
                if status in (200, 201):
                    got.append(resp["case"]["case_no"])
                    with lock:
                        spans.append((sent, time.monotonic()))
                    continue
                with lock:
                    retried[0] += 1
                halt.wait(0.2)
            with lock:
                if got:
                    answers[n] = got
                else:
                    unanswered.append(n)

    # Two kills at random moments of the load (one in each half), each followed by a restart
    # after a random pause, while applications keep arriving.
    threads = [threading.Thread(target=submitter, daemon=True) for _ in range(THREADS)]
    kills = harness.kill_twice_under_load(s, "intaked", rng, LOAD_S, began, threads, halt,
                                          stop_at + 30)

    log("%d answered, %d never answered, %d attempts refused or lost and retried"
        % (len(answers), len(unanswered), retried[0]))
    s.check("intaked was SIGKILLed twice and restarted", len(kills) == 2
            and all(rc == -signal.SIGKILL for _, _, rc in kills) and s.alive("intaked"), kills)
    # Requests sent while intaked was down (or in flight when it died) and answered OK after the
    # restart: held by the gateway's client meanwhile, then answered by the new process.
    across = [sum(1 for a, b in spans if down - 0.5 < a < up and b > up) for down, up, _ in kills]
    log("answered across each kill: %s" % across)
    s.check("applications in flight while intaked was down were answered after it came back",
            len(across) == 2 and all(n > 0 for n in across), across)
    s.check("every application was answered OK in the end (clients retry)",
            len(answers) == TOTAL and not unanswered, sorted(unanswered)[:10])
    s.check("a retry of an answered key gets the first answer",
            all(len(set(v)) == 1 for v in answers.values()),
            [(n, v) for n, v in answers.items() if len(set(v)) != 1][:5])
    numbers = [v[0] for v in answers.values()]
    s.check("no two keys got the same case", len(set(numbers)) == len(numbers))

    rows = s.sql("SELECT applicant_name, case_no FROM intake.cases WHERE applicant_name LIKE %s",
                 ("崩溃%",))
    by_name = {}
    for name, case_no in rows:
        by_name.setdefault(name, []).append(case_no)
    s.check("one case per application, none lost and none written twice",
            len(rows) == TOTAL and all(len(v) == 1 for v in by_name.values()),
            (len(rows), [k for k, v in by_name.items() if len(v) != 1][:5]))
    s.check("each case is the one its key was answered with",
            all(by_name.get(NAME % n) == [v[0]] for n, v in answers.items()),
            [(n, v[0], by_name.get(NAME % n)) for n, v in answers.items()
             if by_name.get(NAME % n) != [v[0]]][:5])
    # Every case of the day, this test's and any other: serials 1..last, no gap, none twice.
    gaps = s.sql("""SELECT to_char(k.day, 'YYYYMMDD'), k.last_serial, count(c.case_no),
                           count(DISTINCT substr(c.case_no, 16)::int)
                      FROM intake.case_counters k
                      LEFT JOIN intake.cases c
                        ON substr(c.case_no, 7, 8) = to_char(k.day, 'YYYYMMDD')
                     GROUP BY k.day, k.last_serial""")
    s.check("the day's serials are gapless (as many distinct serials as the counter's last)",
            gaps and all(r[1] == r[2] == r[3] for r in gaps), gaps)
    events = s.sql("""SELECT count(*), count(DISTINCT case_no), count(seq), coalesce(max(seq), 0)
                        FROM intake.outbox WHERE type = 'case.accepted'
                         AND case_no = ANY (%s)""", (numbers,))
    s.check("one case.accepted event per case, every one numbered",
            events[0][0] == TOTAL and events[0][1] == TOTAL and events[0][2] == TOTAL, events)
    seqs = s.sql("SELECT count(*), coalesce(max(seq), 0), count(DISTINCT seq) FROM intake.outbox"
                 " WHERE seq IS NOT NULL")
    last = s.sql_value("SELECT last_seq FROM intake.outbox_state")
    s.check("intake's seqs are gapless 1..last_seq", seqs[0][0] == seqs[0][1] == seqs[0][2] == last,
            (seqs, last))
    status, metrics = s.ops_get("intaked", "/metrics")
    predicted = 0
    for line in (metrics if isinstance(metrics, str) else "").splitlines():
        if line.startswith("onewindow_intake_batches_predicted_total"):
            predicted = int(float(line.split()[-1]))
    log("batches on the predicted path since the last restart: %d" % predicted)
    s.check("the predicted path ran after the last restart", status == 200 and predicted > 0,
            (status, predicted))
    s.check("intaked is ready after the crashes", s.ops_status("intaked", "/readyz") == 200)


if __name__ == "__main__":
    harness.run(test)
