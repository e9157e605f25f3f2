#!/usr/bin/python3
"""The services' methods added since the last gateway round, over HTTP (issue 8, "every
capability … under /v1/"): the role each endpoint admits (others refused, nothing changed),
a good request answered by the service, and a bad body refused with every invalid field
listed at once; owctl report and owctl assessment month and year print their tables."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

COUNTY = "330122000000"
TOWN_A = "330122101000"
TOWN_B = "330122102000"


def names(body):
    return sorted(p.get("name", "") for p in body.get("invalid_params", [])) if isinstance(body, dict) else []


def test(s):
    clerk, _ = s.issue_token("CLERK-M", "clerk", TOWN_A)
    town_sup, _ = s.issue_token("SUP-A", "supervisor", TOWN_A)
    integ, _ = s.issue_token("ACME-M", "integrator", COUNTY, subscriptions="case.")
    # evaluationd's own administrator (evaluation.administrators), acting through the gateway
    eval_admin, _ = s.issue_token("EVAL-ADMIN", "admin", COUNTY)

    # -- roles refused: nothing reaches the service --------------------------------------
    for method, path, body, token, who in [
            ("POST", "/v1/admin/staff-roles", {"roles": [{"staff_id": "S1", "role": "supervisor"}]},
             clerk, "a clerk"),
            ("POST", "/v1/admin/thresholds", {"scope": "centre", "key": COUNTY, "days": 3}, town_sup,
             "a supervisor"),
            ("POST", "/v1/admin/organisation", {"centres": []}, town_sup, "a supervisor"),
            ("POST", "/v1/admin/staff-contacts", {"contacts": []}, clerk, "a clerk"),
            ("POST", "/v1/admin/timers/cancellation", {"timer_key": "k"}, clerk, "a clerk"),
            ("POST", "/v1/assessments", {"staff_id": "S1", "month": "2026-10"}, clerk, "a clerk"),
            ("GET", "/v1/assessments/2026-10", None, clerk, "a clerk"),
            ("GET", "/v1/assessments/years/2026", None, clerk, "a clerk"),
            ("GET", "/v1/reports/deadlines", None, clerk, "a clerk"),
            ("GET", "/v1/organisation", None, integ, "an integrator"),
            ("POST", "/v1/absences", {"staff_id": "S1", "kind": "leave"}, integ, "an integrator")]:
        st, answer, _ = s.request(method, path, body, token=token)
        s.check("%s %s refuses %s (403)" % (method, path, who), st == 403, (st, answer))
    before = s.sql_value("SELECT count(*) FROM deadline.thresholds") if s.sql_value(
        "SELECT to_regclass('deadline.thresholds') IS NOT NULL") else None
    if before is not None:
        s.check("a refused threshold changed nothing",
                s.sql_value("SELECT count(*) FROM deadline.thresholds") == before)

    # A township supervisor reads and registers for the centres its own covers only.
    st, answer, _ = s.request("GET", "/v1/reports/deadlines", token=town_sup)
    s.check("a township supervisor's county-wide statistics are refused", st == 403, (st, answer))
    st, answer, _ = s.request("GET", "/v1/reports/deadlines?centre_id=" + TOWN_A, token=town_sup)
    s.check("a township supervisor reads its own centre's statistics", st == 200, (st, answer))
    st, answer, _ = s.request("POST", "/v1/supervisor-registrations",
                              {"staff_id": "SUP-A", "centre_id": TOWN_B, "kinds": ["red_card"]},
                              token=town_sup)
    s.check("a township supervisor cannot register for another township", st == 403, (st, answer))

    # -- good requests ---------------------------------------------------------------------
    st, answer, _ = s.request("GET", "/v1/reports/deadlines?group_by=department&limit=5", token="admin")
    s.check("deadline statistics: 200 with rows, overdue and next_after",
            st == 200 and isinstance(answer.get("rows"), list) and "next_after" in answer, (st, answer))
    st, answer, _ = s.request("POST", "/v1/admin/thresholds",
                              {"scope": "centre", "key": COUNTY, "days": 3, "percent": 20}, token="admin")
    s.check("thresholds set by an administrator (200)",
            st == 200 and answer.get("scope") == "centre" and answer.get("key") == COUNTY, (st, answer))
    st, answer, _ = s.request("POST", "/v1/admin/timers/cancellation",
                              {"timer_key": "test:no-such-timer"}, token="admin")
    s.check("cancelling an unknown timer answers state unknown",
            st == 200 and "unknown" in str(answer), (st, answer))
    st, answer, _ = s.request("GET", "/v1/organisation", token=clerk)
    s.check("the organisation is read by staff", st == 200 and isinstance(answer, dict), (st, answer))
    st, answer, _ = s.request("GET", "/v1/assessments/2026-10", token="admin")
    s.check("the month's assessment table: 200, rows paged",
            st == 200 and answer.get("month") == "2026-10" and isinstance(answer.get("rows"), list)
            and "next_after" in answer, (st, answer))
    st, answer, _ = s.request("POST", "/v1/supervisor-registrations",
                              {"staff_id": "SUP-A", "centre_id": TOWN_A, "kinds": ["red_card"]},
                              token=town_sup)
    s.check("a township supervisor registers for its own centre", st == 200, (st, answer))
    st, answer, _ = s.request("GET", "/v1/assessments/years/2026", token="admin")
    s.check("the year's assessment table: 200, rows paged, the 优秀 cap",
            st == 200 and answer.get("year") == "2026" and isinstance(answer.get("rows"), list)
            and "next_after" in answer, (st, answer))
    st, answer, _ = s.request("GET", "/v1/assessments/years/26", token="admin")
    s.check("a bad year is a 400 naming year", st == 400 and names(answer) == ["year"], (st, answer))
    key = "more-roles-1"
    body = {"roles": [{"staff_id": "SUP-A", "role": "supervisor"}]}
    st1, a1, _ = s.request("POST", "/v1/admin/staff-roles", body, token=eval_admin, key=key)
    st2, a2, _ = s.request("POST", "/v1/admin/staff-roles", body, token=eval_admin, key=key)
    s.check("staff roles written once, the repeat answers the same",
            st1 == 200 and a1.get("written") == 1 and (st2, a2) == (st1, a1), (st1, a1, st2, a2))
    st, answer, _ = s.request("POST", "/v1/admin/staff-roles", body, token="admin", key=False)
    s.check("a state change without an Idempotency-Key is a 400", st == 400, (st, answer))
    st, answer, _ = s.request("GET", "/v1/rectification-tickets/00000000-0000-0000-0000-000000000000",
                              token="admin")
    s.check("an unknown rectification ticket is a 404 (or refused to a caller without a role)",
            st in (403, 404), (st, answer))

    # -- bad bodies: every invalid field at once -------------------------------------------
    st, answer, _ = s.request("POST", "/v1/admin/thresholds", {"scope": 5, "days": "x", "bogus": 1},
                              token="admin")
    s.check("thresholds: 400 naming scope, days and bogus",
            st == 400 and names(answer) == ["bogus", "days", "scope"], (st, answer))
    st, answer, _ = s.request("POST", "/v1/admin/thresholds",
                              {"scope": "galaxy", "key": COUNTY, "days": 99, "percent": 200}, token="admin")
    s.check("thresholds: the service's 400 names scope, days and percent",
            st == 400 and {"scope", "days", "percent"} <= set(n.split("[")[0] for n in names(answer)),
            (st, answer))
    st, answer, _ = s.request("POST", "/v1/absences",
                              {"staff_id": 7, "absence_id": "x", "started": True, "colour": "red"},
                              token=clerk)
    s.check("absence: 400 naming absence_id, colour, staff_id and started",
            st == 400 and names(answer) == ["absence_id", "colour", "staff_id", "started"], (st, answer))
    st, answer, _ = s.request("POST", "/v1/assessments", {"staff_id": ["x"], "quantity": "many"},
                              token="admin")
    s.check("assessment: 400 naming quantity and staff_id",
            st == 400 and names(answer) == ["quantity", "staff_id"], (st, answer))
    st, answer, _ = s.request("GET", "/v1/assessments/2026-10?limit=0", token="admin")
    s.check("assessment month: a bad limit is a 400 naming limit",
            st == 400 and names(answer) == ["limit"], (st, answer))

    # -- owctl -------------------------------------------------------------------------------
    rc, out, err = s.owctl("--gateway", s.api_url, "assessment", "month", "2026-10")
    s.check("owctl assessment month prints the table", rc == 0 and "assessment 2026-10" in out
            and "rank" in out, (rc, out, err))
    rc, out, err = s.owctl("--gateway", s.api_url, "assessment", "year", "2026")
    s.check("owctl assessment year prints the table", rc == 0 and "assessment 2026" in out
            and "优秀" in out and "months 1-12" in out, (rc, out, err))
    rc, out, err = s.owctl("--gateway", s.api_url, "report", "all", "--period", "month", "--from", "2026-01-01",
                           "--to", "2026-12-31", "--csv")
    s.check("owctl report --csv prints the CSV header",
            rc == 0 and out.splitlines()[0].startswith("period_start,key,total,"), (rc, out, err))
    rc, out, err = s.owctl("--gateway", s.api_url, "report", "all", "--period", "month", "--from", "2026-01-01",
                           "--to", "2026-12-31")
    s.check("owctl report prints a table", rc == 0 and "period" in out and "row" in out, (rc, out, err))
    rc, out, err = s.owctl("--gateway", s.api_url, "report", "all", "--period", "fortnight", "--from", "2026-01-01",
                           "--to", "2026-12-31")
    s.check("owctl report with a bad period is refused (exit 1)", rc == 1 and "period" in err,
            (rc, out, err))


if __name__ == "__main__":
    harness.run(test, extra_config={"evaluation.administrators": "EVAL-ADMIN"})
