#!/usr/bin/python3
"""intaked's watched periods through deadlined's timers (issue 3, DOMAIN.md §3 and §5), against
the real daemons and the test clock: a 容缺 case whose supply deadline passes is terminated
(state 13 办结（不通过）, a termination notice listing what was not supplied, case.terminated);
one supplied in time is not; a case received without a decision (decide_later) is deemed
accepted as of its receipt when the art. 32 five-day duty lapses (case.accepted)."""

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
    """A 承诺件 with a required material that 容缺 may leave missing (and not shared by data)."""
    for item in items:
        if item["handling_kind"] != "promised" or item["promised_limit"] <= 0:
            continue
        gaps = [m for m in item["materials"] if m["required"] and m["tolerable"]]
        if gaps:
            return item, gaps[0]
    raise RuntimeError("the demo catalogue has no 容缺-eligible required material")


def receive(s, body, key, what):
    status, resp = s.post("/v1/receipts", body, key=key)
    s.check("%s → 201" % what, status == 201, (status, resp))
    return resp if status == 201 else None


def state(s, case_no):
    return s.sql_value("SELECT state FROM intake.cases WHERE case_no = %s", (case_no,))


def timer_state(s, case_no, kind):
    return s.sql_value("SELECT state FROM deadline.timers WHERE owner = 'intake' AND case_no = %s"
                       " AND kind = %s", (case_no, kind))


def test(s):
    items = harness.demo_items(s)
    item, gap = rongque_item(items)
    required = [m["code"] for m in item["materials"] if m["required"]]
    handed = [c for c in required if c != gap["code"]]
    tag = "intm-" + uuid.uuid4().hex[:8]
    # The clock has not moved yet: system time is the wall clock. Supply within 6 hours.
    due = (dt.datetime.now(CHINA) + dt.timedelta(hours=6)).replace(microsecond=0).isoformat()

    def rongque_body(seq):
        return {"application": {"item_code": item["code"], "applicant": applicant(seq, "容缺%d" % seq),
                                "material_codes": handed, "channel": "window", "centre_id": ""},
                "rongque_requested": True, "commitment_signed": True, "supply_due": due}

    missed = receive(s, rongque_body(801), tag + "-1", "容缺 receipt (supply missed later)")
    kept = receive(s, rongque_body(802), tag + "-2", "容缺 receipt (supplied in time)")
    later = receive(s, {"application": {"item_code": item["code"], "applicant": applicant(803, "收件"),
                                        "material_codes": required, "channel": "township", "centre_id": ""},
                        "decide_later": True}, tag + "-3", "收件 only (decide_later)")
    if not (missed and kept and later):
        return
    missed_no, kept_no, later_no = (x["case"]["case_no"] for x in (missed, kept, later))
    s.check("容缺 outcome, state 3", missed["outcome"] == "rongque" and missed["case"]["state"] == 3, missed)
    s.check("收件 only: outcome received, state 1, a receipt of materials",
            later["outcome"] == "received" and later["case"]["state"] == 1
            and later["document"]["kind"] == "receipt_of_materials", later)

    for case_no, kind in ((missed_no, "rongque_supply"), (kept_no, "rongque_supply"),
                          (later_no, "notice_duty")):
        s.check("%s: %s timer pending at deadlined" % (case_no, kind),
                wait_until(lambda: timer_state(s, case_no, kind) == "pending", timeout=30),
                s.sql("SELECT * FROM intake.timer_commands WHERE case_no = %s", (case_no,)))

    # The second case supplies what was missing: its timer is cancelled at deadlined.
    status, resp = s.post("/v1/cases/%s/corrections" % kept_no, {"material_codes": [gap["code"]]},
                          key=tag + "-supply")
    s.check("the missing material supplied → 200", status == 200, (status, resp))
    s.check("…its supply timer cancelled at deadlined",
            wait_until(lambda: timer_state(s, kept_no, "rongque_supply") == "cancelled", timeout=30),
            timer_state(s, kept_no, "rongque_supply"))

    # Twelve days later: past the supply deadline and past five working days (holidays included).
    status, resp = s.post("/v1/admin/clock", {"advance_seconds": 12 * DAY_S})
    s.check("test clock advanced 12 days (200)", status == 200, (status, resp))

    s.check("the missed 容缺 case is terminated: state 13",
            wait_until(lambda: state(s, missed_no) == 13, timeout=40), state(s, missed_no))
    events = s.sql("SELECT type FROM intake.outbox WHERE case_no = %s ORDER BY seq NULLS LAST, type",
                   (missed_no,))
    s.check("…with one case.terminated event", [e[0] for e in events].count("case.terminated") == 1, events)
    status, docs = s.get("/v1/cases/%s/documents" % missed_no)
    last = (docs or {}).get("documents", [{}])[-1] if status == 200 and isinstance(docs, dict) else {}
    s.check("…and a termination notice listing the material not supplied",
            last.get("kind") == "termination" and [m.get("code") for m in last.get("listed", [])] == [gap["code"]],
            (status, docs))
    s.check("the case supplied in time stays accepted (state 3)", state(s, kept_no) == 3, state(s, kept_no))

    s.check("the 收件-only case is deemed accepted (art. 32): state 3",
            wait_until(lambda: state(s, later_no) == 3, timeout=40), state(s, later_no))
    row = s.sql("SELECT accepted_at = received_at FROM intake.cases WHERE case_no = %s", (later_no,))
    s.check("…accepted as of its receipt", row == [(True,)], row)
    accepted = s.sql_value("SELECT count(*) FROM intake.outbox WHERE case_no = %s AND type = 'case.accepted'",
                           (later_no,))
    s.check("…with case.accepted emitted once", accepted == 1, accepted)


if __name__ == "__main__":
    harness.run(test)
