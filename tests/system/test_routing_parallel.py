#!/usr/bin/python3
"""Parallel approval (并联审批, DOMAIN.md §4) through the running daemons: an administrator
defines a workflow for a demo item whose one stage needs three departments (会签, through each
department's A/B post); the A holder of one post is away (routing.record_absence), so that
department's task goes to its B holder on A's behalf. All three approve → the case is decided
11 in intake, stage.started carried the co-signing 7 working days, deadlined got the 10-day
delivery timer, and the result is delivered by post. A second case: one department refuses →
13, and the third department's task is cancelled."""

import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import OK, PERMISSION_DENIED, applicant, pb_decode, pb_field_bytes, pb_field_varint, wait_until  # noqa: E402

STAGE = "会签审查"


def workflow(item_code, stage_departments):
    """A packed onewindow.v1.Workflow: one stage, mode all, (department, post) pairs."""
    stage = pb_field_bytes(1, STAGE) + pb_field_bytes(2, "all")
    for dept, post in stage_departments:
        stage += pb_field_bytes(3, pb_field_bytes(1, dept) + pb_field_bytes(2, post))
    return pb_field_bytes(1, item_code) + pb_field_bytes(3, stage)


def absence(staff_id, end_us):
    return (pb_field_bytes(2, staff_id) + pb_field_bytes(3, "leave") + pb_field_varint(5, end_us)
            + pb_field_bytes(6, "年休假"))


def submit(s, item, seq):
    complete = [m["code"] for m in item["materials"] if m["required"] or m["optional_given"]]
    status, body = s.post("/v1/applications", {"item_code": item["code"], "applicant": applicant(seq, "并联"),
                                               "materials": complete, "channel": "window", "centre_id": ""},
                          key="par-" + str(uuid.uuid4()))
    case = (body or {}).get("case", {}) if isinstance(body, dict) else {}
    s.check("case %d accepted (201, state 3)" % seq, status == 201 and case.get("state") == 3, (status, body))
    return case.get("case_no", "")


def stage_tasks(s, case_no):
    return s.sql("SELECT department_code, task_id::text, coalesce(assignee, ''), on_behalf_of, state"
                 " FROM routing.tasks WHERE case_no = %s AND stage = %s ORDER BY department_code",
                 (case_no, STAGE))


def wait_tasks(s, case_no, n):
    return wait_until(lambda: (lambda rows: rows if len(rows) == n else None)(stage_tasks(s, case_no)), 30) or []


def decide(s, task_id, actor, decision, comment):
    status, body = s.post("/v1/tasks/%s/decision" % task_id,
                          {"decision": decision, "comment": comment, "actor": actor})
    return status, body


def case_state(s, case_no):
    status, body = s.get("/v1/cases/" + case_no)
    return (body or {}).get("case", {}).get("state") if status == 200 and isinstance(body, dict) else None


def test(s):
    items = [i for i in harness.demo_items(s) if i["handling_kind"] == "promised"]
    s.check("the demo catalogue has a 承诺件", items, [i["code"] for i in harness.demo_items(s)])
    item = harness.pick_item(items)
    # The item's department and two others, each through its demo A/B post (A = TL0n02).
    posts = s.sql("SELECT department_code, post_code, a_holder, b_holder FROM routing.posts"
                  " WHERE b_holder IS NOT NULL ORDER BY (department_code = %s) DESC, post_code",
                  (item["department_code"],))
    s.check("three departments with A/B posts", len(posts) >= 3 and posts[0][0] == item["department_code"], posts)
    chosen = posts[:3]
    depts = sorted(p[0] for p in chosen)
    by_dept = {p[0]: p for p in chosen}

    # ---- the workflow: administrators only -------------------------------------------------
    wf = workflow(item["code"], [(p[0], p[1]) for p in chosen])
    r = s.call("routing", "routing.put_workflow", wf, key="wf-" + str(uuid.uuid4()), caller="TL0101")
    s.check("routing.put_workflow by a chief representative → PERMISSION_DENIED, nothing written",
            r and r["status"] == PERMISSION_DENIED and s.sql_value("SELECT count(*) FROM routing.workflows") == 0, r)
    r = s.call("routing", "routing.put_workflow", wf, key="wf-" + str(uuid.uuid4()), caller="TL1004")
    s.check("routing.put_workflow by the administrator → OK", r and r["status"] == OK, r)
    r = s.call("routing", "routing.get_workflow", pb_field_bytes(1, item["code"]) + pb_field_varint(2, item["version"]))
    stages = pb_decode(r["payload"]).get(3, []) if r and r["status"] == OK else []
    s.check("routing.get_workflow answers the one stage with three departments",
            len(stages) == 1 and len(pb_decode(stages[0]).get(3, [])) == 3, r)

    # ---- one approver away: the first department's A holder --------------------------------
    absent_dept, absent_post, a_holder, b_holder = chosen[0]
    end_us = int((time.time() + 30 * 86400) * 1e6)
    r = s.call("routing", "routing.record_absence", absence(a_holder, end_us), key="abs-" + str(uuid.uuid4()),
               caller=a_holder)
    s.check("A holder %s records leave at once → OK" % a_holder, r and r["status"] == OK, r)

    # ---- case 1: all three approve → 11 --------------------------------------------------------
    case1 = submit(s, item, 1)
    tasks = wait_tasks(s, case1, 3)
    s.check("three parallel tasks, one per department (UNIQUE (case_no, stage, department_code))",
            sorted(t[0] for t in tasks) == depts, tasks)
    holders = {t[0]: t for t in tasks}
    t_absent = holders.get(absent_dept, ("", "", "", "", ""))
    s.check("the absent A holder's task went to B on A's behalf",
            t_absent[2] == b_holder and t_absent[3] == a_holder, (t_absent, a_holder, b_holder))
    for d in depts:
        if d != absent_dept:
            s.check("department %s's task is with its A holder" % d, holders.get(d, ("",) * 5)[2] == by_dept[d][2],
                    holders.get(d))
    started = s.sql("SELECT payload FROM routing.outbox WHERE type = 'stage.started' AND case_no = %s", (case1,))
    limit = pb_decode(bytes(started[0][0])).get(3, [0])[-1] if started else None
    s.check("stage.started carries the co-signing limit: 7 working days", limit == 7, started)
    s.check("a stranger (the absent A holder) may not decide B's task",
            decide(s, t_absent[1], a_holder, "approve", "同意")[0] == 403)
    order = [d for d in depts if d != absent_dept] + [absent_dept]
    for i, d in enumerate(order):
        t = holders.get(d)
        status, body = decide(s, t[1], t[2], "approve", "同意")
        s.check("approval by %s (%s) → 200" % (t[2], "on behalf of " + t[3] if t[3] else "own post"),
                status == 200 and body.get("task", {}).get("decision") == "approve", (status, body))
        if i < 2:
            s.check("after %d of 3 approvals the case is not decided" % (i + 1),
                    s.sql_value("SELECT count(*) FROM routing.outbox WHERE type = 'case.decided' AND case_no = %s",
                                (case1,)) == 0)
    s.check("all three approved → case %s decided 11 in intake" % case1,
            wait_until(lambda: case_state(s, case1) == 11, 30), case_state(s, case1))
    s.check("stage.completed emitted once", s.sql_value(
        "SELECT count(*) FROM routing.outbox WHERE type = 'stage.completed' AND case_no = %s", (case1,)) == 1)
    s.check("the audit trail shows B deciding on A's behalf", s.sql_value(
        "SELECT count(*) FROM routing.audit_trail WHERE case_no = %s AND action = 'task.decided'"
        " AND actor = %s AND on_behalf_of = %s", (case1, b_holder, a_holder)) == 1)
    s.check("deadlined holds the 10-day delivery timer (owner routing, kind delivery_10d)",
            wait_until(lambda: s.sql_value("SELECT count(*) FROM deadline.timers WHERE owner = 'routing'"
                                           " AND kind = 'delivery_10d' AND case_no = %s", (case1,)) == 1, 20))
    s.check("routing marked the timer scheduled", wait_until(lambda: s.sql_value(
        "SELECT count(*) FROM routing.deliveries WHERE case_no = %s AND timer_scheduled", (case1,)) == 1, 10))
    post = pb_field_bytes(1, case1) + pb_field_bytes(2, "post")
    r = s.call("routing", "routing.deliver", post, key="dl-" + str(uuid.uuid4()), caller="TL1001")
    s.check("delivery by post without a tracking number → INVALID_ARGUMENT", r and r["status"] == harness.INVALID_ARGUMENT, r)
    r = s.call("routing", "routing.deliver", post + pb_field_bytes(3, "SF1400000001"), key="dl-" + str(uuid.uuid4()),
               caller="TL1001")
    s.check("delivered by post with its tracking number → OK", r and r["status"] == OK
            and s.sql_value("SELECT state FROM routing.deliveries WHERE case_no = %s", (case1,)) == "delivered", r)

    # ---- case 2: one refuses → 13 ---------------------------------------------------------------
    case2 = submit(s, item, 2)
    tasks = {t[0]: t for t in wait_tasks(s, case2, 3)}
    s.check("case 2 has three tasks", len(tasks) == 3, tasks)
    if len(tasks) == 3:
        first, second, third = order[0], order[1], order[2]
        decide(s, tasks[first][1], tasks[first][2], "approve", "同意")
        status, body = decide(s, tasks[second][1], tasks[second][2], "refuse", "不符合法定条件：申请人可依法申请行政复议或提起行政诉讼")
        s.check("a refusal with reasons → 200", status == 200, (status, body))
        s.check("one refusal in 会签 → case %s decided 13" % case2,
                wait_until(lambda: case_state(s, case2) == 13, 30), case_state(s, case2))
        s.check("the third department's task is cancelled", s.sql_value(
            "SELECT state FROM routing.tasks WHERE task_id = %s", (tasks[third][1],)) == "cancelled")
        status, body = decide(s, tasks[third][1], tasks[third][2], "approve", "同意")
        s.check("deciding the cancelled task → 412 (FAILED_PRECONDITION)", status in (409, 412), (status, body))
        s.check("no delivery for a refused case", s.sql_value(
            "SELECT count(*) FROM routing.deliveries WHERE case_no = %s", (case2,)) == 0)


if __name__ == "__main__":
    harness.run(test)
