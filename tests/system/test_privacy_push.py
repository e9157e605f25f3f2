#!/usr/bin/python3
"""The rater's identity stays out of every export (DOMAIN.md §6, issue 6): the provincial push
event rating.pushes_requested (the pushes of one transaction; rating.push_requested, one push,
before it) — the only events that carry the identity — is emitted by evaluationd for a rating,
yet never appears to anyone outside: not in the gateway's event replay (GET /v1/events, even for
an administrator), and so not in the SSE stream or a township centre's subscription, which read
the same log. The check that the event exists in evaluation's own outbox first is what lets this
test fail if the gateway ever relays it; a batch of two pushes and an old single push written
into the outbox by hand are withheld as well."""

import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import applicant, wait_until  # noqa: E402


PUSH_TYPES = ("rating.push_requested", "rating.pushes_requested")


def all_events(s):
    """Every event the gateway's log holds, paged through GET /v1/events as administrator."""
    events, after = [], 0
    for _ in range(100):  # bounded: 100 pages of 1000
        st, page, _ = s.request("GET", "/v1/events?after=%d&limit=1000" % after, token="admin")
        if st != 200 or not isinstance(page, dict):
            return None
        events += page.get("events", [])
        nxt = page.get("next_after")
        if not page.get("events") or not nxt or int(nxt) <= after:
            return events
        after = int(nxt)
    return events


def test(s):
    item = harness.pick_item(harness.demo_items(s))
    complete = [m["code"] for m in item["materials"] if m["required"] or m["optional_given"]]
    tag = "privacy-" + uuid.uuid4().hex[:8]
    status, resp = s.post("/v1/applications",
                          {"item_code": item["code"], "applicant": applicant(901, "隐私"),
                           "materials": complete, "channel": "window", "centre_id": ""},
                          key=tag)
    s.check("application accepted (201)", status == 201, (status, resp))
    if status != 201:
        return
    case_no = resp["case"]["case_no"]

    def task():
        st, body = s.get("/v1/cases/" + case_no)
        tasks = body.get("tasks") if st == 200 and isinstance(body, dict) else None
        return tasks[0] if tasks else None
    t = wait_until(task, timeout=30)
    s.check("the case has a task", t, t)
    if not t:
        return
    status, resp = s.post("/v1/tasks/%s/decision" % t["task_id"],
                          {"decision": "approve", "comment": "准予许可", "actor": t["assignee"]})
    s.check("approved (200)", status == 200, (status, resp))
    s.check("the case is decided",
            wait_until(lambda: s.get("/v1/cases/" + case_no)[1]["case"]["state"] == 11, timeout=30))
    status, resp = s.post("/v1/ratings", {"case_no": case_no, "grade": 2, "comment": "等太久",
                                          "channel": "web"})
    s.check("rated (201)", status == 201, (status, resp))

    # A single rating's transaction: one event of its one push, filed under its case.
    pushes = lambda: s.sql_value("SELECT count(*) FROM evaluation.outbox "
                                 "WHERE type = 'rating.pushes_requested' AND case_no = %s", (case_no,))
    s.check("evaluationd emitted the provincial push for the rating (so this test can fail)",
            wait_until(lambda: pushes() == 1, timeout=20), pushes())
    # The gateway has seen everything up to the push once rating.recorded, committed in the same
    # transaction, is in its log.
    seen = lambda: [e for e in (all_events(s) or []) if e.get("case_no") == case_no]
    s.check("the gateway's log has the case's rating.recorded",
            wait_until(lambda: any(e["type"] == "rating.recorded" for e in seen()), timeout=30),
            [e.get("type") for e in seen()])
    s.check("…and no push event, even for an administrator",
            all(e["type"] not in PUSH_TYPES for e in seen()), [e.get("type") for e in seen()])

    # A batch of several pushes (no case, no centre on its envelope) and an old single push, by
    # hand in evaluation's outbox, then a marker event after them: once the marker is in the
    # gateway's log, so would they be.
    push = harness.pb_field_bytes(1, str(uuid.uuid4())) + harness.pb_field_bytes(2, case_no)
    marker = "privacy-marker-" + uuid.uuid4().hex[:8]
    s.sql("INSERT INTO evaluation.outbox (type, case_no, centre_id, time_us, payload) VALUES"
          " ('rating.pushes_requested', '', '', 1795000000000000, %s),"
          " ('rating.push_requested', %s, '', 1795000000000000, %s),"
          " ('test.privacy_marker', %s, '', 1795000000000000, '')",
          (harness.pb_field_bytes(1, push) * 2, case_no, push, marker))
    s.check("the marker after the hand-written push events reaches the gateway's log",
            wait_until(lambda: any(e.get("case_no") == marker for e in (all_events(s) or [])),
                       timeout=30))
    events = all_events(s)
    s.check("…and neither push event does, even for an administrator",
            events is not None and all(e.get("type") not in PUSH_TYPES for e in events),
            [e.get("type") for e in events or []])
    s.check("nor in the gateway's table at all",
            s.sql_value("SELECT count(*) FROM gateway.events WHERE type IN %s", (PUSH_TYPES,)) == 0)
    s.check("the gateway's inbox still moved past it (nothing stuck behind the withheld event)",
            wait_until(lambda: s.sql_value("SELECT last_seq FROM gateway.inbox WHERE source = 'evaluation'")
                       >= s.sql_value("SELECT coalesce(max(seq), 0) FROM evaluation.outbox WHERE case_no = %s", (case_no,)),
                       timeout=20))


if __name__ == "__main__":
    harness.run(test)
