#!/usr/bin/python3
"""Workflows and delivery over HTTP (issue 8: every capability under /v1/; issue 4's
workflows and art. 44 delivery): an administrator routingd knows defines an item's 会签 workflow
(POST /v1/admin/workflows) and staff read it back (GET /v1/workflows/{item_code}); fields routingd
sets are refused, every one named; a clerk may not define one; a case of the item runs through
its three parallel tasks to approval and its result is delivered by post with a tracking number
(POST /v1/cases/{case_no}/delivery), once — a repeated Idempotency-Key answers the same."""

import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import applicant, wait_until  # noqa: E402

COUNTY = "330122000000"


def test(s):
    item = harness.pick_item([i for i in harness.demo_items(s) if i["handling_kind"] == "promised"])
    depts = [r[0] for r in s.sql("SELECT code FROM routing.departments ORDER BY (code = %s) DESC, code LIMIT 3",
                                 (item["department_code"],))]
    s.check("three demo departments", len(depts) == 3 and depts[0] == item["department_code"], depts)
    admin_id = s.sql_value("SELECT staff_id FROM routing.staff WHERE role = 'administrator' AND active ORDER BY staff_id LIMIT 1")
    s.check("the demo organisation has an active administrator", admin_id, admin_id)
    admin, _ = s.issue_token(admin_id, "admin", COUNTY)
    clerk, _ = s.issue_token("TL0101", "clerk", COUNTY)

    wf = {"item_code": item["code"], "item_version": 0,
          "stages": [{"name": "联合审查", "mode": "all", "final_decision": False,
                      "departments": [{"department_code": d} for d in depts]}]}
    st, body, _ = s.request("POST", "/v1/admin/workflows", wf, token=clerk)
    s.check("a clerk may not define a workflow (403)", st == 403, (st, body))
    forged = dict(wf, defined_by="someone", defined_at="2026-01-01T00:00:00+08:00")
    st, body, _ = s.request("POST", "/v1/admin/workflows", forged, token=admin)
    names = {p["name"] for p in (body.get("invalid_params", []) if isinstance(body, dict) else [])}
    s.check("fields routingd sets are refused, each named (400)", st == 400 and {"defined_by", "defined_at"} <= names,
            (st, body))
    key = "wf-" + uuid.uuid4().hex
    st, body, _ = s.request("POST", "/v1/admin/workflows", wf, token=admin, key=key)
    s.check("the administrator defines the workflow (200)", st == 200 and len(body.get("stages", [])) == 1
            and body.get("defined_by") == admin_id, (st, body))
    st2, body2, _ = s.request("POST", "/v1/admin/workflows", wf, token=admin, key=key)
    s.check("the same Idempotency-Key answers the same", st2 == 200 and body2 == body, (st2, body2))
    st, body, _ = s.request("GET", "/v1/workflows/%s?item_version=%d" % (item["code"], item["version"]), token=clerk)
    s.check("staff read it back (200, three departments)", st == 200 and
            len(body["stages"][0]["departments"]) == 3, (st, body))
    st, body, _ = s.request("GET", "/v1/workflows/NO-SUCH-ITEM", token=clerk)
    s.check("an item without a workflow → 404", st == 404, (st, body))

    complete = [m["code"] for m in item["materials"] if m["required"] or m["optional_given"]]
    st, body = s.post("/v1/applications", {"item_code": item["code"], "applicant": applicant(931, "联审"),
                                           "materials": complete, "channel": "window", "centre_id": ""})
    s.check("application accepted (201)", st == 201, (st, body))
    if st != 201:
        return
    case_no = body["case"]["case_no"]
    tasks = wait_until(lambda: (lambda r: r[1].get("tasks") if r[0] == 200 and len(r[1].get("tasks") or []) == 3
                                else None)(s.get("/v1/cases/" + case_no)), timeout=30)
    s.check("three parallel tasks, one per department", tasks and sorted(t["department_code"] for t in tasks) == sorted(depts),
            tasks)
    if not tasks:
        return
    st, body, _ = s.request("POST", "/v1/cases/%s/delivery" % case_no, {"method": "post", "tracking_no": "SF1"},
                            token=clerk)
    s.check("no delivery before approval (404/409/412, not a permission refusal)", st in (404, 409, 412),
            (st, body))
    for t in tasks:
        st, body = s.post("/v1/tasks/%s/decision" % t["task_id"],
                          {"decision": "approve", "comment": "同意", "actor": t["assignee"]})
        s.check("department %s approves (200)" % t["department_code"], st == 200, (st, body))
    s.check("all three approved → case 11", wait_until(
        lambda: s.get("/v1/cases/" + case_no)[1]["case"]["state"] == 11, timeout=30))

    st, body, _ = s.request("POST", "/v1/cases/%s/delivery" % case_no, {"method": "post", "state": "delivered"},
                            token=clerk)
    names = {p["name"] for p in (body.get("invalid_params", []) if isinstance(body, dict) else [])}
    s.check("delivery: state is routingd's to set (400 naming it)", st == 400 and "state" in names, (st, body))
    key = "dl-" + uuid.uuid4().hex
    deliver = lambda: s.request("POST", "/v1/cases/%s/delivery" % case_no,
                                {"method": "post", "tracking_no": "SF1234567890"}, token=clerk, key=key)
    st, body, _ = wait_until(lambda: (lambda r: r if r[0] == 200 else None)(deliver()), timeout=20) or deliver()
    s.check("delivered by post with the tracking number (200)", st == 200 and body.get("state") == "delivered"
            and body.get("tracking_no") == "SF1234567890", (st, body))
    st2, body2, _ = deliver()
    s.check("the same Idempotency-Key answers the same delivery", st2 == 200 and body2 == body, (st2, body2))
    s.check("one delivery row, delivered", s.sql("SELECT state FROM routing.deliveries WHERE case_no = %s",
                                                 (case_no,)) == [("delivered",)])


if __name__ == "__main__":
    harness.run(test)
