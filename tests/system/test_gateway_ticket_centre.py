#!/usr/bin/python3
"""Rectification tickets are centre-scoped at the gateway (issue 6): a bad review of a case
received for township A opens a ticket of centre A; a token of township B — even one whose
subject evaluationd knows as a supervisor — neither sees nor moves it (403, nothing changed),
while A's staff, the county supervisor above it and an administrator do. Also: the rating reaches
the ratings report through the roll-up applier, whose answer says as of when."""

import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import applicant, wait_until  # noqa: E402

COUNTY = "330122000000"
TOWN_A = "330122101000"
TOWN_B = "330122102000"


def test(s):
    eval_admin, _ = s.issue_token("EVAL-ADMIN", "admin", COUNTY)
    clerk_a, _ = s.issue_token("RECT-A", "clerk", TOWN_A)
    clerk_b, _ = s.issue_token("RECT-B", "clerk", TOWN_B)
    sup_b, _ = s.issue_token("RECT-SUP-B", "supervisor", TOWN_B)
    county_sup, _ = s.issue_token("RECT-SUP-C", "supervisor", COUNTY)
    # evaluationd would let every one of them act (supervisor role): the centre is what differs.
    roles = {"roles": [{"staff_id": sid, "role": "supervisor"}
                       for sid in ("RECT-A", "RECT-B", "RECT-SUP-B", "RECT-SUP-C")]}
    st, answer, _ = s.request("POST", "/v1/admin/staff-roles", roles, token=eval_admin)
    s.check("rectification roles written (200)", st == 200 and answer.get("written") == 4, (st, answer))

    # A case received for township A, decided, rated 2 (差评): its ticket opens.
    item = harness.pick_item(harness.demo_items(s))
    complete = [m["code"] for m in item["materials"] if m["required"] or m["optional_given"]]
    st, resp = s.post("/v1/applications",
                      {"item_code": item["code"], "applicant": applicant(931, "整改"),
                       "materials": complete, "channel": "window", "centre_id": TOWN_A},
                      key="ticket-centre-" + uuid.uuid4().hex[:8])
    s.check("application of township A accepted (201)", st == 201, (st, resp))
    if st != 201:
        return
    case_no = resp["case"]["case_no"]

    def task():
        code, body = s.get("/v1/cases/" + case_no)
        tasks = body.get("tasks") if code == 200 and isinstance(body, dict) else None
        return tasks[0] if tasks else None
    t = wait_until(task, timeout=30)
    s.check("the case has a task", t, t)
    if not t:
        return
    st, resp = s.post("/v1/tasks/%s/decision" % t["task_id"],
                      {"decision": "approve", "comment": "准予许可", "actor": t["assignee"]})
    s.check("approved (200)", st == 200, (st, resp))
    s.check("the case is decided",
            wait_until(lambda: s.get("/v1/cases/" + case_no)[1]["case"]["state"] == 11, timeout=30))
    total_before = s.sql_value("SELECT coalesce(sum(total), 0) FROM evaluation.rollups"
                               " WHERE dimension = 'all' AND period = 'year'")
    st, resp = s.post("/v1/ratings", {"case_no": case_no, "grade": 2, "comment": "等太久",
                                      "channel": "web"})
    s.check("rated 2 (201)", st == 201, (st, resp))
    if st != 201:
        return
    ticket_id = resp["rating"]["rating_id"]
    s.check("the bad review opened its ticket, of township A",
            wait_until(lambda: s.sql_value("SELECT centre_id FROM evaluation.rectification_tickets"
                                           " WHERE ticket_id = %s", (ticket_id,)) == TOWN_A, timeout=10))
    path = "/v1/rectification-tickets/" + ticket_id

    def state():
        return s.sql("SELECT state, version, (SELECT count(*) FROM evaluation.rectification_actions a"
                     " WHERE a.ticket_id = t.ticket_id) FROM evaluation.rectification_tickets t"
                     " WHERE ticket_id = %s", (ticket_id,))[0]
    before = state()

    # Township B: refused both ways, and nothing changes.
    for token, who in ((clerk_b, "B's clerk"), (sup_b, "B's supervisor")):
        st, answer, _ = s.request("GET", path, token=token)
        s.check("%s cannot read A's ticket (403)" % who,
                st == 403 and answer.get("title") == "PERMISSION_DENIED", (st, answer))
        st, answer, _ = s.request("POST", path + "/actions", {"action": "verify", "note": "核实"},
                                  token=token)
        s.check("%s cannot act on A's ticket (403)" % who,
                st == 403 and answer.get("title") == "PERMISSION_DENIED", (st, answer))
    s.check("the refused steps changed nothing (state, version, steps)", state() == before,
            (before, state()))
    s.check("…and emitted nothing",
            s.sql_value("SELECT count(*) FROM evaluation.outbox WHERE type LIKE 'rectification.%%'"
                        " AND case_no = %s", (case_no,)) == 0)

    # A's clerk, the county supervisor above A and the administrator.
    for token, who in ((clerk_a, "A's clerk"), (county_sup, "the county supervisor"),
                       (eval_admin, "evaluation's administrator")):
        st, answer, _ = s.request("GET", path, token=token)
        s.check("%s reads A's ticket (200)" % who,
                st == 200 and answer.get("ticket", {}).get("centre_id") == TOWN_A, (st, answer))
    st, answer, _ = s.request("POST", path + "/actions", {"action": "verify", "note": "核实"},
                              token=clerk_a)
    s.check("A's clerk verifies A's ticket (200)",
            st == 200 and answer.get("ticket", {}).get("state") == "verified", (st, answer))
    s.check("the step was recorded once", state()[:2] == ("verified", before[1] + 1), state())
    st, answer, _ = s.request("GET", "/v1/rectification-tickets/" + str(uuid.uuid4()), token=clerk_a)
    s.check("an unknown ticket is still a 404", st == 404, (st, answer))

    # The roll-ups follow the rating within a moment; the report says as of when.
    s.check("the rating reaches the roll-ups (applier)",
            wait_until(lambda: s.sql_value("SELECT coalesce(sum(total), 0) FROM evaluation.rollups"
                                           " WHERE dimension = 'all' AND period = 'year'")
                       == total_before + 1, timeout=10))
    st, answer, _ = s.request("GET", "/v1/reports/ratings?dimension=all&period=year&from=2000-01-01"
                              "&to=2099-12-31", token="admin")
    as_of = harness.parse_time(answer.get("as_of")) if st == 200 else None
    s.check("the report answers as of now (nothing left to fold)",
            as_of is not None and abs(as_of.timestamp() - time.time()) < 60, (st, answer))


if __name__ == "__main__":
    harness.run(test, extra_config={"evaluation.administrators": "EVAL-ADMIN"})
