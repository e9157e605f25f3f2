#!/usr/bin/python3
"""Deciding a case received without a decision (issue 3, DOMAIN.md §3, 行政许可法 art. 32),
through the real daemons: POST /v1/receipts with decide_later (state 1 已接件, the 5-day
notice duty watched at deadlined) and then POST /v1/cases/{case_no}/acceptance —
accepted (state 3, a receipt, routing's task, the duty's timer cancelled at deadlined; a second
decision 412; the test clock passing the 5 days later changes nothing); 容缺 acceptance by
owctl case accept (its supply timer at deadlined); a one-time notice; refusals with every
problem named and nothing written."""

import datetime as dt
import json
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import applicant, wait_until  # noqa: E402

CHINA = dt.timezone(dt.timedelta(hours=8))
DAY_S = 86400


def rongque_item(items):
    for item in items:
        if item["handling_kind"] != "promised" or item["promised_limit"] <= 0:
            continue
        gaps = [m for m in item["materials"] if m["required"] and m["tolerable"]]
        if gaps:
            return item, gaps[0]
    raise RuntimeError("the demo catalogue has no 容缺-eligible required material")


def timer_state(s, case_no, kind):
    return s.sql_value("SELECT state FROM deadline.timers WHERE owner = 'intake' AND case_no = %s"
                       " AND kind = %s", (case_no, kind))


def state(s, case_no):
    return s.sql_value("SELECT state FROM intake.cases WHERE case_no = %s", (case_no,))


def test(s):
    item, gap = rongque_item(harness.demo_items(s))
    required = [m["code"] for m in item["materials"] if m["required"]]
    handed = [c for c in required if c != gap["code"]]
    tag = "dr-" + uuid.uuid4().hex[:8]

    def receive(seq, materials):
        body = {"application": {"item_code": item["code"], "applicant": applicant(seq, "收件%d" % seq),
                                "material_codes": materials, "channel": "window", "centre_id": ""},
                "decide_later": True}
        status, resp = s.post("/v1/receipts", body, key="%s-%d" % (tag, seq))
        ok = status == 201 and resp.get("case", {}).get("state") == 1
        s.check("收件 only (decide_later) → 201, state 1", ok, (status, resp))
        return resp["case"]["case_no"] if ok else ""

    complete, partial, noticed = receive(701, required), receive(702, handed), receive(703, handed)
    if not (complete and partial and noticed):
        return
    for case_no in (complete, partial, noticed):
        s.check("%s: the art. 32 notice-duty timer pending at deadlined" % case_no,
                wait_until(lambda: timer_state(s, case_no, "notice_duty") == "pending", 30))

    # ---- accepted at the window, within the five days --------------------------------------
    status, resp = s.post("/v1/cases/%s/acceptance" % complete, {}, key=tag + "-acc")
    s.check("POST /v1/cases/{no}/acceptance → 200, accepted, state 3, a 受理凭证",
            status == 200 and resp.get("outcome") == "accepted" and resp["case"]["state"] == 3
            and resp["document"]["kind"] == "receipt", (status, resp))
    again_status, again = s.post("/v1/cases/%s/acceptance" % complete, {}, key=tag + "-acc")
    s.check("the same Idempotency-Key → the same answer", again_status == 200 and again == resp, again)
    status, other = s.post("/v1/cases/%s/acceptance" % complete, {}, key=tag + "-acc2")
    s.check("a second decision → 412", status == 412, (status, other))
    s.check("…routing took it: one task", wait_until(lambda: s.sql_value(
        "SELECT count(*) FROM routing.tasks WHERE case_no = %s", (complete,)) == 1, 20))
    s.check("…the notice duty's timer cancelled at deadlined",
            wait_until(lambda: timer_state(s, complete, "notice_duty") == "cancelled", 30),
            timer_state(s, complete, "notice_duty"))
    s.check("…case.accepted once", s.sql_value(
        "SELECT count(*) FROM intake.outbox WHERE case_no = %s AND type = 'case.accepted'", (complete,)) == 1)

    # ---- refusals: every problem named, nothing written --------------------------------------
    status, resp = s.post("/v1/cases/%s/acceptance" % partial,
                          {"defects": [{"code": "NOPE-1", "reason": "x"}], "not_a_matter": True})
    fields = sorted(p.get("name") for p in resp.get("invalid_params", [])) if isinstance(resp, dict) else []
    s.check("a defect not handed in and 不予受理 without an authority → 400 naming both",
            status == 400 and fields == ["defects", "refer_to"], (status, resp))
    status, resp = s.post("/v1/cases/3301229999999999999/acceptance", {})
    s.check("an unknown case → 404", status == 404, (status, resp))
    s.check("…the case is still 1 已接件", state(s, partial) == 1)

    # ---- 容缺 acceptance by owctl ------------------------------------------------------------
    due = (dt.datetime.now(CHINA) + dt.timedelta(days=1)).replace(microsecond=0).isoformat()
    rc, out, err = s.owctl("--gateway", s.api_url, "case", "accept", partial, "--rongque", "--commitment",
                           "--supply-due", due, "--json")
    try:
        answer = json.loads(out)
    except ValueError:
        answer = {}
    s.check("owctl case accept --rongque → exit 0, outcome rongque, state 3",
            rc == 0 and answer.get("outcome") == "rongque" and answer.get("case", {}).get("state") == 3,
            (rc, out, err))
    s.check("…its supply list names the missing material",
            [m.get("code") for m in answer.get("document", {}).get("listed", [])] == [gap["code"]], answer)
    s.check("…the 容缺 supply timer pending at deadlined",
            wait_until(lambda: timer_state(s, partial, "rongque_supply") == "pending", 30))
    rc, out, err = s.owctl("--gateway", s.api_url, "case", "accept", noticed)
    s.check("owctl case accept without 容缺 → a one-time notice (state 6), printed",
            rc == 0 and "notice" in out and state(s, noticed) == 6, (rc, out, err))
    rc, out, err = s.owctl("--gateway", s.api_url, "case", "accept", noticed)
    s.check("owctl case accept again → exit 1 (decided already)", rc == 1, (rc, out, err))

    # ---- the five days pass: what was decided stays decided ---------------------------------
    status, resp = s.post("/v1/admin/clock", {"advance_seconds": 12 * DAY_S})
    s.check("test clock advanced 12 days (200)", status == 200, (status, resp))
    wait_until(lambda: timer_state(s, partial, "rongque_supply") == "fired", 30)
    s.check("no case was deemed accepted: nothing was left undecided", s.sql_value(
        "SELECT count(*) FROM intake.outbox WHERE type = 'case.deemed_accepted' AND case_no IN (%s, %s, %s)",
        (complete, partial, noticed)) == 0)
    s.check("the accepted case is still 3", state(s, complete) == 3, state(s, complete))


if __name__ == "__main__":
    harness.run(test)
