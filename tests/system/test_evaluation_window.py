#!/usr/bin/python3
"""The rating window through deadlined's timers (issue 6, DOMAIN.md §6), against the real
daemons and the test clock: a decided case nobody rates gets its invitation after 3 days
(rating.invitation_due) and the default 基本满意 after 7 (marked as a default); a rated case's
timers are cancelled at deadlined; a late rating after 7 days is refused (412); timer requests
written while deadlined is down survive a SIGKILL of evaluationd and are sent after the restart."""

import os
import signal
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import applicant, wait_until  # noqa: E402

DAY_S = 86400


def submit(s, item, complete, seq, tag):
    body = {"item_code": item["code"], "applicant": applicant(seq, "评价%d" % seq),
            "materials": complete, "channel": "window", "centre_id": ""}
    status, resp = s.post("/v1/applications", body, key="%s-%d" % (tag, seq))
    s.check("application %d accepted (201)" % seq, status == 201, (status, resp))
    return resp["case"]["case_no"] if status == 201 else ""


def decide(s, case_no):
    def task():
        st, body = s.get("/v1/cases/" + case_no)
        tasks = (body or {}).get("tasks") if st == 200 and isinstance(body, dict) else None
        return tasks[0] if tasks else None
    t = wait_until(task, timeout=30)
    s.check("case %s has a task" % case_no, t, t)
    if not t:
        return False
    status, resp = s.post("/v1/tasks/%s/decision" % t["task_id"],
                          {"decision": "approve", "comment": "准予许可", "actor": t.get("assignee", "")})
    s.check("case %s approved (200)" % case_no, status == 200, (status, resp))
    return status == 200


def commands(s, case_no):
    return s.sql("SELECT kind, op, acked FROM evaluation.timer_commands WHERE case_no = %s ORDER BY kind",
                 (case_no,))


def deadline_timers(s, case_no):
    return s.sql("SELECT kind, state FROM deadline.timers WHERE owner = 'evaluation' AND case_no = %s"
                 " ORDER BY kind", (case_no,))


def advance(s, seconds, what):
    status, resp = s.post("/v1/admin/clock", {"advance_seconds": seconds})
    s.check("test clock advanced: %s (200)" % what, status == 200, (status, resp))


def test(s):
    items = harness.demo_items(s)
    item = harness.pick_item(items)
    complete = [m["code"] for m in item["materials"] if m["required"] or m["optional_given"]]
    tag = "evwin-" + uuid.uuid4().hex[:8]
    quiet, rated = submit(s, item, complete, 701, tag), submit(s, item, complete, 702, tag)
    if not (quiet and rated and decide(s, quiet) and decide(s, rated)):
        return

    # Both become rateable: two timers each, acknowledged by deadlined.
    for case_no in (quiet, rated):
        s.check("%s: invitation and default timers scheduled at deadlined" % case_no,
                wait_until(lambda: deadline_timers(s, case_no) == [("rating_default", "pending"),
                                                                     ("rating_invite", "pending")],
                           timeout=30), (commands(s, case_no), deadline_timers(s, case_no)))
        s.check("%s: the commands are acknowledged" % case_no,
                wait_until(lambda: all(r[2] for r in commands(s, case_no)) and len(commands(s, case_no)) == 2,
                           timeout=10), commands(s, case_no))

    # A bad rating of the second case cancels both of its timers.
    status, resp = s.post("/v1/ratings", {"case_no": rated, "grade": 4, "comment": "", "channel": "web"})
    s.check("rating the second case → 201", status == 201, (status, resp))
    s.check("its timers are cancelled at deadlined",
            wait_until(lambda: deadline_timers(s, rated) == [("rating_default", "cancelled"),
                                                              ("rating_invite", "cancelled")], timeout=20),
            (commands(s, rated), deadline_timers(s, rated)))

    # A third case decided while deadlined is down; evaluationd is SIGKILLed before it could send.
    third = submit(s, item, complete, 703, tag)
    if not third or not decide(s, third):
        return
    s.kill("deadlined", signal.SIGKILL)
    wait_until(lambda: len(commands(s, third)) == 2, timeout=30)
    s.check("the third case's timer commands are written but not acknowledged",
            [r[2] for r in commands(s, third)] == [False, False], commands(s, third))
    s.kill("evaluationd", signal.SIGKILL)
    s.start("deadlined")
    s.wait_ready("deadlined")
    s.start("evaluationd")
    s.wait_ready("evaluationd")
    s.check("after the restart they are sent and acknowledged",
            wait_until(lambda: deadline_timers(s, third) == [("rating_default", "pending"),
                                                              ("rating_invite", "pending")], timeout=30),
            (commands(s, third), deadline_timers(s, third)))

    # Day 3: the invitation for the unrated cases only.
    advance(s, 3 * DAY_S + 120, "3 days")

    def invitations(case_no):
        return s.sql_value("SELECT count(*) FROM evaluation.outbox WHERE type = 'rating.invitation_due'"
                           " AND case_no = %s", (case_no,))
    s.check("rating.invitation_due for the unrated case",
            wait_until(lambda: invitations(quiet) == 1, timeout=30), invitations(quiet))
    s.check("none for the rated case", invitations(rated) == 0, invitations(rated))
    s.check("no default yet", s.sql_value("SELECT count(*) FROM evaluation.ratings WHERE case_no = %s",
                                          (quiet,)) == 0)

    # Day 7: the default 基本满意, marked as a default, counted apart.
    advance(s, 4 * DAY_S, "7 days")

    def default_rating():
        rows = s.sql("SELECT grade, is_default, channel FROM evaluation.ratings WHERE case_no = %s", (quiet,))
        return rows[0] if rows else None
    got = wait_until(default_rating, timeout=30)
    s.check("after 7 days the unrated case has the default 基本满意 (3), marked as a default",
            got == (3, True, ""), got)
    st, body = s.get("/v1/cases/" + quiet)
    s.check("GET /v1/cases shows the rating (grade 3)", st == 200
            and ((body or {}).get("rating") or {}).get("grade") == 3, (st, body))
    s.check("the default counts apart in the roll-ups",
            s.sql_value("SELECT coalesce(sum(defaults), 0) FROM evaluation.rollups WHERE dimension = 'all'"
                        " AND period = 'year'") >= 1)
    s.check("the rated case got no default",
            s.sql_value("SELECT count(*) FROM evaluation.ratings WHERE case_no = %s AND is_default", (rated,)) == 0)
    status, resp = s.post("/v1/ratings", {"case_no": quiet, "grade": 5, "comment": "", "channel": "web"})
    s.check("rating the defaulted case → 409 (one rating per service)", status == 409, (status, resp))
    # The third case: its own default may or may not have fired yet; a rater now is too late.
    status, resp = s.post("/v1/ratings", {"case_no": third, "grade": 5, "comment": "", "channel": "web"})
    s.check("rating after the 7-day window → 412 or 409 (default already there)",
            status in (409, 412), (status, resp))
    s.check("the third case ends with exactly one (default) rating",
            wait_until(lambda: s.sql_value("SELECT count(*) FROM evaluation.ratings WHERE case_no = %s"
                                           " AND is_default", (third,)) == 1, timeout=30))


if __name__ == "__main__":
    harness.run(test)
