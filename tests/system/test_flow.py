#!/usr/bin/python3
"""The skeleton's seven steps through the HTTP API (docs/contract.md), against the real
daemons: submit → idempotent repeat → one-time notice for missing materials → task and clock
→ decision → rating → the case as a whole, the notifications, owctl, and the test clock."""

import datetime as dt
import json
import os
import re
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CHINA, add_working_days, applicant, parse_time, wait_until  # noqa: E402

COUNTY = "330122"
CASE_NO = re.compile(r"^(\d{6})(\d{8})(\d)(\d+)$")


def submit_body(item, materials, seq, name="张三"):
    return {"item_code": item["code"], "applicant": applicant(seq, name), "materials": materials,
            "channel": "window", "centre_id": ""}


def get_case(s, case_no):
    status, body = s.get("/v1/cases/" + case_no)
    return body if status == 200 and isinstance(body, dict) else None


def wait_case(s, case_no, pred, timeout=20):
    """The GET /v1/cases body once pred(body) holds (or the last body seen, or None)."""
    seen = [None]

    def probe():
        body = get_case(s, case_no)
        if body is not None:
            seen[0] = body
        return body if body is not None and pred(body) else None

    return wait_until(probe, timeout) or seen[0]


def check_due(s, case, clock, item, label):
    """The clock's due date: promised_limit working days after the acceptance date, counting
    from the next working day, weekends (and the known holidays) skipped, due at the end of
    that day (local midnight ending it, or 23:59 of it)."""
    accepted = parse_time(case["accepted_at"]).astimezone(CHINA).date()
    expected = add_working_days(accepted, item["promised_limit"])
    due = parse_time(clock.get("due_at"))
    due_local = due.astimezone(CHINA) if due else None
    s.check("%s: the clock runs with the promised limit in working days" % label, clock.get("state") == "running"
            and clock.get("limit") == item["promised_limit"] and clock.get("unit") == "working_days", clock)
    s.check("%s: due = %d working days after acceptance on %s, from the next working day: end of %s"
            % (label, item["promised_limit"], accepted, expected),
            due_local is not None and (
                (due_local.date() == expected and (due_local.hour, due_local.minute) == (23, 59))
                or (due_local.date() == expected + dt.timedelta(days=1) and due_local.time() == dt.time(0))),
            (clock, str(expected)))
    s.check("%s: remaining working days is the whole limit on the day of acceptance" % label,
            clock.get("remaining_working_days") == item["promised_limit"]
            or dt.datetime.now(CHINA).date() != accepted, clock)


def count_cases(s):
    return s.sql_value("SELECT count(*) FROM intake.cases")


def check_owctl(s, item, complete):
    """owctl submit and owctl case show against the running gateway (--gateway URL)."""
    app = applicant(42, "吴九")
    key = "owctl-" + str(uuid.uuid4())
    argv = ["--gateway", s.api_url, "submit", "--item", item["code"], "--name", app["name"],
            "--id-number", app["id_number"], "--phone", app["phone"], "--idempotency-key", key, "--json"]
    if complete:
        argv += ["--material"] + complete
    rc, out, err = s.owctl(*argv)
    try:
        submitted = json.loads(out)["case"]
    except (ValueError, KeyError, TypeError):
        submitted = {}
    case_no = submitted.get("case_no", "")
    s.check("owctl submit --json → exit 0 and a case in state 3", rc == 0 and submitted.get("state") == 3
            and CASE_NO.match(case_no), (rc, out, err))
    s.check("owctl's case is in intake.cases", case_no and s.sql_value(
        "SELECT count(*) FROM intake.cases WHERE case_no = %s", (case_no,)) == 1)
    rc, out2, err = s.owctl(*argv)
    s.check("owctl submit with the same --idempotency-key → the same case", rc == 0 and case_no
            and case_no in out2 and s.sql_value("SELECT count(*) FROM intake.cases WHERE applicant_id_number = %s",
                                                (app["id_number"],)) == 1, (rc, out2, err))
    given, missing = complete[:1], [m for m in item["materials"] if m["required"] and m["code"] not in complete[:1]]
    rc, out, err = s.owctl("--gateway", s.api_url, "submit", "--item", item["code"], "--name", app["name"],
                           "--id-number", app["id_number"], "--phone", app["phone"], "--material", *given)
    s.check("owctl submit with materials missing → exit 1 naming each missing material", rc == 1 and missing
            and all(m["code"] in out + err or m["name"] in out + err for m in missing), (rc, out, err))
    if not case_no:
        return
    rc, out, err = s.owctl("--gateway", s.api_url, "case", "show", case_no)
    s.check("owctl case show prints the case", rc == 0 and case_no in out and item["code"] in out
            or rc == 0 and case_no in out and item["name"] in out, (rc, out, err))
    rc, out, err = s.owctl("--gateway", s.api_url, "case", "show", case_no, "--json")
    try:
        shown = json.loads(out)
    except ValueError:
        shown = {}
    s.check("owctl case show --json gives the gateway's case body", rc == 0
            and shown.get("case", {}).get("case_no") == case_no and "tasks" in shown, (rc, out, err))
    rc, out, err = s.owctl("--gateway", s.api_url, "case", "show", COUNTY + "209901011999999")
    s.check("owctl case show of an unknown case → exit 1", rc == 1, (rc, out, err))
    rc, out, err = s.owctl("--gateway", "http://127.0.0.1:%d" % harness.free_port(), "case", "show", case_no)
    s.check("owctl with no gateway listening → exit 2", rc == 2, (rc, out, err))


def test(s):
    items = harness.demo_items(s)
    s.check("the demo catalogue has items with materials", items, items)
    item = harness.pick_item(items)
    required = [m for m in item["materials"] if m["required"]]
    complete = [m["code"] for m in item["materials"] if m["required"] or m["optional_given"]]
    days = {dt.datetime.now(CHINA).strftime("%Y%m%d")}

    # ---- 1. submit with complete materials ----------------------------------------------
    cases_before = count_cases(s)
    key = "flow-" + str(uuid.uuid4())
    body = submit_body(item, complete, 1)
    status, resp = s.post("/v1/applications", body, key=key)
    days.add(dt.datetime.now(CHINA).strftime("%Y%m%d"))  # the local date, even across midnight
    s.check("submit with complete materials → 201", status == 201, (status, resp))
    case = (resp or {}).get("case", {}) if isinstance(resp, dict) else {}
    case_no = case.get("case_no", "")
    m = CASE_NO.match(case_no)
    s.check("case number is county code + yyyymmdd + channel digit + serial", m and m.group(1) == COUNTY
            and m.group(2) in days, case_no)
    s.check("case state is 3 (已受理)", case.get("state") == 3, case)
    s.check("case carries the item's promised limit", case.get("promised_limit") == item["promised_limit"]
            and case.get("limit_unit") == item["limit_unit"], (case, item))
    s.check("case names the item and the applicant", case.get("item_code") == item["code"]
            and (case.get("applicant") or {}).get("id_number") == body["applicant"]["id_number"], case)
    s.check("case has received_at and accepted_at", parse_time(case.get("received_at"))
            and parse_time(case.get("accepted_at")), case)
    if not case_no:
        return

    # ---- 2. the same Idempotency-Key again ----------------------------------------------
    status2, resp2 = s.post("/v1/applications", body, key=key)
    s.check("repeating the Idempotency-Key answers the first answer (201, same case)", status2 == 201
            and isinstance(resp2, dict) and resp2.get("case", {}).get("case_no") == case_no, (status2, resp2))
    s.check("still one case row for it", s.sql_value("SELECT count(*) FROM intake.cases WHERE case_no = %s",
                                                     (case_no,)) == 1)
    s.check("exactly one case written by the two submissions", count_cases(s) == cases_before + 1,
            (cases_before, count_cases(s)))
    status3, resp3 = s.post("/v1/applications", submit_body(item, complete, 2, "李四"), key=key)
    s.check("the same key with a different body → 412", status3 == 412, (status3, resp3))
    status4, resp4 = s.post("/v1/applications", body, key=False)
    s.check("a submission without Idempotency-Key → 400", status4 == 400, (status4, resp4))

    # ---- 3. incomplete materials: one-time notice ----------------------------------------
    missing = [m for m in required if not m["tolerable"]][:2] or required[:1]
    given = [c for c in complete if c not in {m["code"] for m in missing}]
    cases_before = count_cases(s)
    outbox_before = s.sql_value("SELECT count(*) FROM intake.outbox")
    status, resp = s.post("/v1/applications", submit_body(item, given, 3, "王五"))
    s.check("incomplete materials → 400", status == 400, (status, resp))
    problem = resp if isinstance(resp, dict) else {}
    s.check("the problem is INVALID_ARGUMENT", problem.get("title") == "INVALID_ARGUMENT"
            and problem.get("status") == 400, problem)
    params = problem.get("invalid_params") or []
    text = " ".join("%s %s" % (p.get("name", ""), p.get("reason", "")) for p in params)
    for mat in missing:
        s.check("the notice names missing material %s" % mat["code"],
                mat["code"] in text or mat["name"] in text, params)
    s.check("the notice lists exactly the missing materials", len(params) == len(missing), params)
    s.check("nothing was written for the incomplete application", count_cases(s) == cases_before
            and s.sql_value("SELECT count(*) FROM intake.outbox") == outbox_before)
    status, resp = s.post("/v1/applications", dict(submit_body(item, complete, 4), item_code="NO-SUCH-ITEM"))
    s.check("an unknown item → 400", status == 400, (status, resp))

    # A second case, left undecided (for the 412 rating check).
    status, resp = s.post("/v1/applications", submit_body(item, complete, 5, "赵六"))
    s.check("a second application → 201", status == 201, (status, resp))
    case_b = resp["case"]["case_no"] if status == 201 else ""

    # ---- 4. the task and the clock --------------------------------------------------------
    full = wait_case(s, case_no, lambda b: b.get("tasks") and b.get("clock"), timeout=30)
    tasks = (full or {}).get("tasks") or []
    s.check("the case gets exactly one task", len(tasks) == 1, full)
    clock = (full or {}).get("clock")
    s.check("the case gets a clock", clock, full)
    if not tasks:
        return
    task = tasks[0]
    assignee = task.get("assignee", "")
    s.check("the task is open, assigned, for this case and department", task.get("state") == "open" and assignee
            and task.get("case_no") == case_no and task.get("department_code") == case.get("department_code"),
            task)
    if clock:
        check_due(s, case, clock, item, "first case")

    status, resp = s.get("/v1/tasks?assignee=%s" % assignee)
    listed = [t.get("task_id") for t in (resp or {}).get("tasks", [])] if status == 200 else []
    s.check("GET /v1/tasks?assignee= lists the task", task["task_id"] in listed, (status, resp))
    status, resp = s.get("/v1/tasks?assignee=%s&state=done" % assignee)
    s.check("the open task is not among the done ones", status == 200
            and task["task_id"] not in [t.get("task_id") for t in resp.get("tasks", [])], (status, resp))

    # ---- 5. the decision -------------------------------------------------------------------
    other = harness.other_staff(s, assignee)
    path = "/v1/tasks/%s/decision" % task["task_id"]
    status, resp = s.post(path, {"decision": "approve", "comment": "不是我的", "actor": other})
    s.check("deciding as someone else (%s) → 403" % other, status == 403, (status, resp))
    status, resp = s.post(path, {"decision": "approve", "comment": "符合条件，准予许可", "actor": assignee})
    s.check("the assignee approves → 200", status == 200, (status, resp))
    decided = (resp or {}).get("task", {}) if isinstance(resp, dict) else {}
    s.check("the task is done, approved, decided by the assignee", decided.get("state") == "done"
            and decided.get("decision") == "approve" and decided.get("decided_by") == assignee, decided)
    status, resp = s.post(path, {"decision": "refuse", "comment": "again", "actor": assignee})
    s.check("deciding a decided task again → 412", status == 412, (status, resp))
    full = wait_case(s, case_no, lambda b: b["case"].get("state") == 11
                     and (b.get("clock") or {}).get("state") == "stopped", timeout=30)
    s.check("the case becomes 11 (办结（通过）) and its clock stops", full and full["case"].get("state") == 11
            and (full.get("clock") or {}).get("state") == "stopped" and full["case"].get("decided_at"), full)

    # ---- 6. the rating -----------------------------------------------------------------------
    rating_key = "rate-" + str(uuid.uuid4())
    rating_body = {"case_no": case_no, "grade": 5, "comment": "非常满意", "channel": "web"}

    def rate_once():
        st, rs = s.post("/v1/ratings", rating_body, key=rating_key)
        return (st, rs) if st not in (404, 412) else None

    # evaluationd learns of the decision from the bus: allow it a moment.
    got = wait_until(rate_once, timeout=20, interval=0.25) or s.post("/v1/ratings", rating_body, key=rating_key)
    status, resp = got
    s.check("rating 5 → 201", status == 201, (status, resp))
    rating = (resp or {}).get("rating", {}) if isinstance(resp, dict) else {}
    s.check("the rating is 5, not bad, for this case", rating.get("grade") == 5 and rating.get("is_bad") is False
            and rating.get("case_no") == case_no, rating)
    status, resp = s.post("/v1/ratings", rating_body, key=rating_key)
    s.check("the same rating key again → 201, same rating", status == 201
            and (resp or {}).get("rating", {}).get("rating_id") == rating.get("rating_id"), (status, resp))
    status, resp = s.post("/v1/ratings", dict(rating_body, grade=1, comment="second"))
    s.check("a second rating → 409", status == 409, (status, resp))
    status, resp = s.post("/v1/ratings", dict(rating_body, grade=7))
    s.check("grade 7 → 400", status == 400, (status, resp))
    if case_b:
        def rate_b():
            st, rs = s.post("/v1/ratings", {"case_no": case_b, "grade": 4, "comment": "", "channel": "web"})
            return (st, rs) if st != 404 else None

        status, resp = wait_until(rate_b, timeout=20, interval=0.25) or (404, "evaluationd never learnt the case")
        s.check("rating an undecided case → 412", status == 412, (status, resp))
    status, resp = s.post("/v1/ratings", {"case_no": COUNTY + "209901011999999", "grade": 5, "channel": "web"})
    s.check("rating an unknown case → 404", status == 404, (status, resp))

    # ---- 7. the case as a whole ---------------------------------------------------------------
    full = get_case(s, case_no) or {}
    c = full.get("case", {})
    s.check("GET /v1/cases shows state 11", c.get("state") == 11, full)
    s.check("GET /v1/cases shows the decided task", [t.get("state") for t in full.get("tasks", [])] == ["done"],
            full)
    s.check("GET /v1/cases shows the due date", (full.get("clock") or {}).get("due_at"), full)
    s.check("GET /v1/cases shows the rating", (full.get("rating") or {}).get("grade") == 5, full)
    s.check("GET /v1/cases reports nothing degraded", full.get("degraded") == [], full)
    status, resp = s.get("/v1/cases/%s209901011999999" % COUNTY)
    s.check("an unknown case → 404", status == 404, (status, resp))

    # ---- notifications --------------------------------------------------------------------------
    kinds = ("case_accepted", "case_decided", "rating_invitation")

    def sink_has_all():
        mine = [n for n in s.notifications() if n.get("case_no") == case_no]
        return mine if all(any(n.get("kind") == k for n in mine) for k in kinds) else None

    wait_until(sink_has_all, timeout=20)
    time.sleep(1.0)  # anything sent twice would land by now
    mine = [n for n in s.notifications() if n.get("case_no") == case_no]
    for k in kinds:
        lines = [n for n in mine if n.get("kind") == k]
        s.check("the sink holds exactly one %s line for the case" % k, len(lines) == 1, mine)
    s.check("every line names a recipient and carries text",
            mine and all(n.get("recipient") and n.get("text") and n.get("delivery_id") for n in mine), mine)
    s.check("the sink has no line that is not JSON", not [n for n in s.notifications() if "_unparsable" in n])

    # ---- owctl against the running gateway ------------------------------------------------------
    check_owctl(s, item, complete)

    # ---- the test clock -------------------------------------------------------------------------
    # The fresh case is for the item with the longest limit in working days: its span always
    # crosses a weekend, whatever day the test runs.
    long_item = max((i for i in items if i["handling_kind"] == "promised" and i["limit_unit"] == "working_days"),
                    key=lambda i: (i["promised_limit"], i["code"]))
    long_complete = [m["code"] for m in long_item["materials"] if m["required"]]
    status, resp = s.post("/v1/applications", submit_body(long_item, long_complete, 6, "孙七"))
    s.check("a fresh case (%d working days) → 201" % long_item["promised_limit"], status == 201, (status, resp))
    if status != 201:
        return
    fresh = resp["case"]["case_no"]
    full = wait_case(s, fresh, lambda b: b.get("clock"), timeout=30)
    clock = (full or {}).get("clock") or {}
    if clock:
        check_due(s, resp["case"], clock, long_item, "fresh case")
    due = parse_time(clock.get("due_at"))
    s.check("the fresh case has a due date", due, full)
    if not due:
        return
    advance = int((due - dt.datetime.now(CHINA)).total_seconds()) + 2 * 86400
    status, resp = s.post("/v1/admin/clock", {"advance_seconds": advance})
    s.check("POST /v1/admin/clock advances the test clock → 200", status == 200
            and isinstance(resp, dict) and resp.get("offset_seconds", 0) >= advance, (status, resp))
    status, resp = s.post("/v1/admin/clock", {"set": "2020-01-01T00:00:00+08:00"})
    s.check("moving the clock backwards → 400", status == 400, (status, resp))

    def all_moved():
        st, rs = s.get("/v1/admin/clock")
        svcs = (rs or {}).get("services", {}) if st == 200 and isinstance(rs, dict) else {}
        ok = svcs and all(v.get("offset_seconds", 0) >= advance for v in svcs.values())
        return rs if ok and set(harness.SOURCES) <= set(svcs) else None

    moved = wait_until(all_moved, timeout=20)
    s.check("every service follows the clock", moved, s.get("/v1/admin/clock"))
    full = wait_case(s, fresh, lambda b: (b.get("clock") or {}).get("state") == "expired", timeout=30)
    clock = (full or {}).get("clock") or {}
    s.check("the fresh case's clock expires after its due date", clock.get("state") == "expired", full)
    s.check("an expired clock has negative remaining working days",
            (clock.get("remaining_working_days") or 0) < 0, clock)
    reds = wait_until(lambda: s.sql_value(
        "SELECT count(*) FROM deadline.outbox WHERE type = 'deadline.red' AND case_no = %s", (fresh,)), 10)
    s.check("exactly one deadline.red for the fresh case", reds == 1, reds)
    s.check("no deadline.red for the decided case", s.sql_value(
        "SELECT count(*) FROM deadline.outbox WHERE type = 'deadline.red' AND case_no = %s", (case_no,)) == 0)
    offset = (moved or {}).get("offset_seconds", advance)
    day_before = (dt.datetime.now(CHINA) + dt.timedelta(seconds=offset)).strftime("%Y%m%d")
    status, resp = s.post("/v1/applications", submit_body(item, complete, 7, "周八"))
    day_after = (dt.datetime.now(CHINA) + dt.timedelta(seconds=offset)).strftime("%Y%m%d")
    later = resp["case"]["case_no"] if status == 201 else ""
    m = CASE_NO.match(later)
    s.check("new case numbers carry the advanced date (%s)" % day_before,
            m and m.group(2) in (day_before, day_after), (status, resp))


if __name__ == "__main__":
    harness.run(test)
