#!/usr/bin/python3
"""A case that ends before a decision stops everywhere (DOMAIN.md §3: 撤回 before a decision; a
missed 容缺 supply deadline terminates the case), through the real daemons over HTTP:

- withdrawal (POST /v1/cases/{no}/withdrawal) of a case whose routing task is open: the task
  leaves GET /v1/work-list, GET /v1/cases/{no} shows it cancelled (closed_reason
  case_withdrawn) and the clock stopped (stop_reason withdrawn), a decision on it is 412 and
  changes nothing, its holder is told (task_closed);
- a 容缺 case whose supply deadline lapses (test clock): terminated (13), the same in routing
  (case_terminated) and deadlined (terminated);
- then the test clock moves far past every promised and legal limit: a control case left open
  goes red (and its holder is told), the two ended cases raise no card and no card notice."""

import datetime as dt
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import applicant, wait_until  # noqa: E402

CHINA = dt.timezone(dt.timedelta(hours=8))
DAY_S = 86400


def rongque_item(items):
    """A 承诺件 with a required material that 容缺 may leave missing."""
    for item in items:
        if item["handling_kind"] != "promised" or item["promised_limit"] <= 0:
            continue
        gaps = [m for m in item["materials"] if m["required"] and m["tolerable"]]
        if gaps:
            return item, gaps[0]
    raise RuntimeError("the demo catalogue has no 容缺-eligible required material")


def view(s, case_no):
    status, body = s.get("/v1/cases/" + case_no)
    return body if status == 200 and isinstance(body, dict) else {}


def task_of(s, case_no):
    row = wait_until(lambda: s.sql("SELECT task_id::text, assignee, state, closed_reason FROM routing.tasks"
                                   " WHERE case_no = %s", (case_no,)) or None, 30)
    return row[0] if row else ("", "", "", "")


def in_work_list(s, assignee, case_no):
    status, body = s.get("/v1/work-list?scope=mine&key=%s&limit=500" % assignee)
    if status != 200:
        return None
    return any(t.get("case_no") == case_no for t in body.get("tasks", []))


def cards(s, case_no):
    return s.sql_value("SELECT count(*) FROM deadline.outbox WHERE case_no = %s"
                       " AND type IN ('deadline.yellow', 'deadline.red')", (case_no,))


def card_notices(s, case_no):
    return s.sql_value("SELECT count(*) FROM notify.deliveries WHERE case_no = %s"
                       " AND kind IN ('deadline_yellow', 'deadline_red')", (case_no,))


def clocks_stopped(s, case_no, reason):
    """The case clock and every stage clock stopped for reason, as GET /v1/cases/{no} shows."""
    clock = view(s, case_no).get("clock") or {}
    every = [clock] + list(clock.get("stages") or [])
    return all(c.get("state") == "stopped" and c.get("stop_reason") == reason for c in every)


def check_closed(s, case_no, task, task_reason, clock_reason, what):
    task_id, assignee = task[0], task[1]
    s.check("%s: routing cancelled the open task (%s)" % (what, task_reason), wait_until(
        lambda: s.sql("SELECT state, closed_reason FROM routing.tasks WHERE task_id = %s::uuid", (task_id,))
        == [("cancelled", task_reason)], 30))
    s.check("%s: the task left the holder's work list" % what,
            wait_until(lambda: in_work_list(s, assignee, case_no) is False, 15))
    tasks = view(s, case_no).get("tasks") or []
    s.check("%s: GET /v1/cases shows the task cancelled with its reason" % what,
            [(t.get("state"), t.get("closed_reason")) for t in tasks] == [("cancelled", task_reason)], tasks)
    s.check("%s: every clock stopped (%s)" % (what, clock_reason),
            wait_until(lambda: clocks_stopped(s, case_no, clock_reason), 20), view(s, case_no).get("clock"))
    audit = s.sql_value("SELECT count(*) FROM routing.audit_trail WHERE case_no = %s"
                        " AND action = 'task.cancelled'", (case_no,))
    s.check("%s: the audit trail records the cancellation" % what, audit == 1, audit)
    status, body = s.post("/v1/tasks/%s/decision" % task_id,
                          {"decision": "approve", "comment": "同意", "actor": assignee})
    s.check("%s: a decision on the closed task → 412" % what, status == 412, (status, body))
    s.check("%s: …and changes nothing" % what,
            s.sql("SELECT state, decision FROM routing.tasks WHERE task_id = %s::uuid", (task_id,))
            == [("cancelled", None)]
            and s.sql_value("SELECT count(*) FROM routing.outbox WHERE case_no = %s"
                            " AND type IN ('task.decided', 'case.decided')", (case_no,)) == 0)
    s.check("%s: the holder is told the task was closed (task_closed)" % what, wait_until(
        lambda: s.sql_value("SELECT count(*) FROM notify.deliveries WHERE case_no = %s AND kind = 'task_closed'"
                            " AND recipient = %s", (case_no, assignee)) >= 1, 20))


def test(s):
    items = harness.demo_items(s)
    item = harness.pick_item(items)
    rq_item, gap = rongque_item(items)
    tag = "end-" + uuid.uuid4().hex[:8]
    complete = [m["code"] for m in item["materials"] if m["required"]]

    def submit(seq, what):
        status, body = s.post("/v1/applications", {"item_code": item["code"], "applicant": applicant(seq),
                                                   "materials": complete, "channel": "window", "centre_id": ""})
        case_no = body.get("case", {}).get("case_no", "") if status == 201 else ""
        s.check("%s: accepted (201)" % what, bool(case_no), (status, body))
        return case_no

    withdrawn = submit(801, "to be withdrawn")
    control = submit(802, "control, left open")
    handed = [m["code"] for m in rq_item["materials"] if m["required"] and m["code"] != gap["code"]]
    supply_due = (dt.datetime.now(CHINA) + dt.timedelta(hours=1)).replace(microsecond=0).isoformat()
    status, body = s.post("/v1/receipts", {
        "application": {"item_code": rq_item["code"], "applicant": applicant(803, "容缺"),
                        "material_codes": handed, "channel": "window", "centre_id": ""},
        "rongque_requested": True, "commitment_signed": True, "supply_due": supply_due}, key=tag + "-rq")
    lapsed = body.get("case", {}).get("case_no", "") if status == 201 and body.get("outcome") == "rongque" else ""
    s.check("to lapse: received under 容缺 (201)", bool(lapsed), (status, body))
    if not (withdrawn and control and lapsed):
        return
    w_task, c_task, l_task = task_of(s, withdrawn), task_of(s, control), task_of(s, lapsed)
    s.check("routing created an open task for each case", all(t[2] == "open" for t in (w_task, c_task, l_task)),
            (w_task, c_task, l_task))
    s.check("the task is in its holder's work list", in_work_list(s, w_task[1], withdrawn) is True)
    s.check("deadlined runs the clocks", wait_until(lambda: all(
        (view(s, c).get("clock") or {}).get("state") == "running" for c in (withdrawn, control, lapsed)), 20))

    # ---- 撤回 ---------------------------------------------------------------------------------
    status, body = s.post("/v1/cases/%s/withdrawal" % withdrawn, {"reason": "申请人不再需要办理"},
                          key=tag + "-w")
    s.check("withdrawal → 200, state 14", status == 200 and body.get("case", {}).get("state") == 14,
            (status, body))
    check_closed(s, withdrawn, w_task, "case_withdrawn", "withdrawn", "withdrawn")
    history = s.get("/v1/cases/%s/history" % withdrawn)[1]
    actions = [e.get("action") for e in history.get("entries", [])] if isinstance(history, dict) else []
    s.check("withdrawn: the case history names the withdrawal in routing", "case.withdrawn" in actions, actions)

    # ---- 容缺 supply deadline lapses ----------------------------------------------------------
    status, resp = s.post("/v1/admin/clock", {"advance_seconds": 3 * 3600})
    s.check("test clock advanced past the supply deadline (200)", status == 200, (status, resp))
    s.check("lapsed: terminated by intake (13)",
            wait_until(lambda: (view(s, lapsed).get("case") or {}).get("state") == 13, 40),
            view(s, lapsed).get("case"))
    check_closed(s, lapsed, l_task, "case_terminated", "terminated", "lapsed")
    lapsed_cards, lapsed_notices = cards(s, lapsed), card_notices(s, lapsed)

    # ---- far past every limit ------------------------------------------------------------------
    days = 2 * max(item["promised_limit"], item["legal_limit"] or 0, rq_item["promised_limit"],
                   rq_item["legal_limit"] or 0) + 20
    status, resp = s.post("/v1/admin/clock", {"advance_seconds": days * DAY_S})
    s.check("test clock advanced %d days (200)" % days, status == 200, (status, resp))
    s.check("control: the open case went red", wait_until(lambda: s.sql_value(
        "SELECT count(*) FROM deadline.outbox WHERE case_no = %s AND type = 'deadline.red'", (control,)) >= 1, 30))
    s.check("control: its holder was told of the card", wait_until(lambda: s.sql_value(
        "SELECT count(*) FROM notify.deliveries WHERE case_no = %s AND kind = 'deadline_red'"
        " AND recipient = %s", (control, c_task[1])) >= 1, 30))
    # The scan and notifyd have had the time to act on the control: the ended cases are quiet.
    s.check("withdrawn: no card raised", cards(s, withdrawn) == 0, cards(s, withdrawn))
    s.check("withdrawn: no card notice", card_notices(s, withdrawn) == 0, card_notices(s, withdrawn))
    s.check("lapsed: no card raised after the termination", cards(s, lapsed) == lapsed_cards,
            (lapsed_cards, cards(s, lapsed)))
    s.check("lapsed: no card notice after the termination", card_notices(s, lapsed) == lapsed_notices,
            (lapsed_notices, card_notices(s, lapsed)))
    for case_no, reason in ((withdrawn, "withdrawn"), (lapsed, "terminated")):
        s.check("%s: clocks still stopped (%s)" % (case_no, reason), clocks_stopped(s, case_no, reason),
                view(s, case_no).get("clock"))
        s.check("%s: not in the overdue list" % case_no, s.sql_value(
            "SELECT count(*) FROM deadline.clocks WHERE case_no = %s AND state <> 'stopped'", (case_no,)) == 0)
    s.check("the file sink holds no card notice for the ended cases", not [
        n for n in s.notifications() if n.get("case_no") in (withdrawn, lapsed)
        and str(n.get("kind", "")).startswith("deadline_")])
    poison = {schema: s.sql_value("SELECT count(*) FROM %s.inbox_poison" % schema)
              for schema in ("intake", "routing", "deadline", "evaluation", "notify")}
    s.check("nothing parked as poison by any consumer", not any(poison.values()), poison)


if __name__ == "__main__":
    harness.run(test)
