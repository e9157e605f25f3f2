#!/usr/bin/python3
"""容缺受理 decided only after the materials arrived (DOMAIN.md §3: outcome 12 办结（容缺通过）),
through the real daemons over HTTP (issue 4):

- approval first, then supply: the approval waits (case.awaiting_materials, the case shows
  awaiting_materials, the history names it, no case.decided, no delivery); routingd is killed
  and restarted while it waits; the supply (intake.correct) → case.materials_supplied →
  case.decided 12 once, delivery (art. 44) counted from then;
- supply first, then approval: 12 at once;
- a plain approval stays 11;
- the supply deadline lapses (test clock) while the approval waits: intake terminates (13),
  routing drops the waiting approval and never decides the case; one lapsing with its task still
  open: the task is cancelled (task.updated).
Every event once, across restarts of routingd and intaked."""

import datetime as dt
import os
import signal
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import applicant, pb_decode, wait_until  # noqa: E402

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


def count(s, schema, type_, case_no):
    return s.sql_value("SELECT count(*) FROM %s.outbox WHERE type = %%s AND case_no = %%s" % schema,
                       (type_, case_no))


def decided_states(s, case_no):
    rows = s.sql("SELECT payload FROM routing.outbox WHERE type = 'case.decided' AND case_no = %s",
                 (case_no,))
    return [pb_decode(bytes(r[0])).get(3, [0])[-1] for r in rows]


def case_view(s, case_no):
    status, body = s.get("/v1/cases/" + case_no)
    return body.get("case", {}) if status == 200 and isinstance(body, dict) else {}


def task_of(s, case_no):
    row = wait_until(lambda: s.sql("SELECT task_id::text, assignee, state FROM routing.tasks WHERE case_no = %s",
                                   (case_no,)) or None, 30)
    return row[0] if row else ("", "", "")


def approve(s, case_no, what):
    task_id, assignee, _ = task_of(s, case_no)
    status, body = s.post("/v1/tasks/%s/decision" % task_id,
                          {"decision": "approve", "comment": "同意", "actor": assignee})
    s.check("%s: approval → 200" % what, status == 200, (status, body))


def supply(s, case_no, code, what):
    status, body = s.post("/v1/cases/%s/corrections" % case_no, {"material_codes": [code]},
                          key="sup-" + case_no)
    s.check("%s: the 容缺 material supplied → 200" % what, status == 200, (status, body))


def test(s):
    item, gap = rongque_item(harness.demo_items(s))
    required = [m["code"] for m in item["materials"] if m["required"]]
    handed = [c for c in required if c != gap["code"]]
    tag = "rq-" + uuid.uuid4().hex[:8]
    due = (dt.datetime.now(CHINA) + dt.timedelta(hours=6)).replace(microsecond=0).isoformat()

    def receive(seq, what):
        body = {"application": {"item_code": item["code"], "applicant": applicant(seq, "容缺%d" % seq),
                                "material_codes": handed, "channel": "window", "centre_id": ""},
                "rongque_requested": True, "commitment_signed": True, "supply_due": due}
        status, resp = s.post("/v1/receipts", body, key="%s-%d" % (tag, seq))
        ok = status == 201 and resp.get("outcome") == "rongque"
        s.check("%s: received under 容缺 (201, state 3)" % what, ok, (status, resp))
        return resp["case"]["case_no"] if ok else ""

    first_approval = receive(901, "approval first")
    first_supply = receive(902, "supply first")
    lapse_waiting = receive(903, "lapse while awaiting")
    lapse_open = receive(904, "lapse with the task open")
    complete = [m["code"] for m in item["materials"] if m["required"] or m["optional_given"]]
    status, body = s.post("/v1/applications", {"item_code": item["code"], "applicant": applicant(905, "普通"),
                                               "materials": complete, "channel": "window", "centre_id": ""})
    plain = body.get("case", {}).get("case_no", "") if status == 201 else ""
    s.check("a plain case accepted (201)", bool(plain), (status, body))
    if not all((first_approval, first_supply, lapse_waiting, lapse_open, plain)):
        return

    # ---- approval first, then supply ---------------------------------------------------------
    approve(s, first_approval, "approval first")
    s.check("…case.awaiting_materials emitted once, no case.decided",
            wait_until(lambda: count(s, "routing", "case.awaiting_materials", first_approval) == 1, 15)
            and count(s, "routing", "case.decided", first_approval) == 0)
    s.check("…no delivery opened while the materials are out",
            s.sql_value("SELECT count(*) FROM routing.deliveries WHERE case_no = %s", (first_approval,)) == 0)
    s.check("…GET /v1/cases shows it awaiting its materials, still state 3",
            wait_until(lambda: case_view(s, first_approval).get("awaiting_materials") is True, 15)
            and case_view(s, first_approval).get("state") == 3, case_view(s, first_approval))
    status, hist = s.get("/v1/cases/%s/history" % first_approval)
    actions = [e.get("action") for e in hist.get("entries", [])] if status == 200 else []
    s.check("…the history names case.awaiting_materials", "case.awaiting_materials" in actions, (status, hist))

    # routingd dies while the approval waits; it comes back with nothing lost or repeated.
    s.kill("routingd", signal.SIGKILL)
    s.start("routingd")
    s.wait_ready("routingd")
    supply(s, first_approval, gap["code"], "approval first")
    s.check("…intake emitted case.materials_supplied once", count(s, "intake", "case.materials_supplied",
                                                                  first_approval) == 1)
    s.check("…decided 12 办结（容缺通过） in intake",
            wait_until(lambda: case_view(s, first_approval).get("state") == 12, 30), case_view(s, first_approval))
    s.check("…case.decided once, state 12", decided_states(s, first_approval) == [12],
            decided_states(s, first_approval))
    s.check("…no longer shown awaiting", case_view(s, first_approval).get("awaiting_materials") is False)
    row = s.sql("SELECT d.approved_at > t.decided_at FROM routing.deliveries d JOIN routing.tasks t"
                " ON t.task_id = d.task_id WHERE d.case_no = %s", (first_approval,))
    s.check("…the delivery (art. 44) runs from the final decision, not the approval", row == [(True,)], row)
    s.check("…deadlined holds its 10-day delivery timer", wait_until(lambda: s.sql_value(
        "SELECT count(*) FROM deadline.timers WHERE owner = 'routing' AND kind = 'delivery_10d'"
        " AND case_no = %s", (first_approval,)) == 1, 20))

    # ---- supply first, then approval ---------------------------------------------------------
    supply(s, first_supply, gap["code"], "supply first")
    s.check("…routing learnt the supply", wait_until(lambda: s.sql_value(
        "SELECT supplied_at IS NOT NULL FROM routing.case_supply WHERE case_no = %s", (first_supply,)), 15))
    approve(s, first_supply, "supply first")
    s.check("…decided 12 at once", wait_until(lambda: case_view(s, first_supply).get("state") == 12, 30),
            case_view(s, first_supply))
    s.check("…without waiting: no case.awaiting_materials",
            count(s, "routing", "case.awaiting_materials", first_supply) == 0
            and decided_states(s, first_supply) == [12], decided_states(s, first_supply))

    # ---- a plain approval stays 11 -----------------------------------------------------------
    approve(s, plain, "plain")
    s.check("…decided 11", wait_until(lambda: case_view(s, plain).get("state") == 11, 30), case_view(s, plain))

    # ---- the supply deadline lapses ----------------------------------------------------------
    approve(s, lapse_waiting, "lapse while awaiting")
    s.check("…awaiting its materials", wait_until(
        lambda: count(s, "routing", "case.awaiting_materials", lapse_waiting) == 1, 15))
    s.restart("intaked")
    status, resp = s.post("/v1/admin/clock", {"advance_seconds": 12 * DAY_S})
    s.check("test clock advanced 12 days (200)", status == 200, (status, resp))
    for case_no, what in ((lapse_waiting, "lapse while awaiting"), (lapse_open, "lapse with the task open")):
        s.check("%s: terminated by intake (13)" % what,
                wait_until(lambda: case_view(s, case_no).get("state") == 13, 40), case_view(s, case_no))
        s.check("%s: routing closed its supply as terminated" % what, wait_until(lambda: s.sql_value(
            "SELECT outcome FROM routing.case_supply WHERE case_no = %s", (case_no,)) == "terminated", 20))
        s.check("%s: routing never decided it" % what, count(s, "routing", "case.decided", case_no) == 0)
    s.check("lapse while awaiting: no longer shown awaiting",
            case_view(s, lapse_waiting).get("awaiting_materials") is False)
    _, _, state = task_of(s, lapse_open)
    s.check("lapse with the task open: the task is cancelled, with task.updated",
            state == "cancelled" and count(s, "routing", "task.updated", lapse_open) == 1, state)

    # ---- exactly once, across restarts ---------------------------------------------------------
    s.restart("routingd")
    s.restart("intaked")
    wait_until(lambda: s.sql_value("SELECT count(*) FROM routing.deliveries WHERE timer_scheduled") >= 3, 10)
    for case_no, states in ((first_approval, [12]), (first_supply, [12]), (plain, [11]),
                            (lapse_waiting, []), (lapse_open, [])):
        s.check("%s: case.decided %s exactly once" % (case_no, states), decided_states(s, case_no) == states,
                decided_states(s, case_no))
    s.check("case.awaiting_materials once per waiting case", [
        count(s, "routing", "case.awaiting_materials", c) for c in (first_approval, lapse_waiting)] == [1, 1])
    s.check("intake's 12 stands", [case_view(s, c).get("state") for c in (first_approval, first_supply)] == [12, 12])
    # Every consumer of case.decided takes the 12 (outcome approved, state 12) as it is.
    poison = {schema: s.sql_value("SELECT count(*) FROM %s.inbox_poison" % schema)
              for schema in ("intake", "routing", "deadline", "evaluation", "notify")}
    s.check("nothing parked as poison by any consumer", not any(poison.values()), poison)


if __name__ == "__main__":
    harness.run(test)
