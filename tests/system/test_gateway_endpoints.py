#!/usr/bin/python3
"""The services' methods over HTTP (issue 8, "every capability … under /v1/") and the live
event stream: a case's documents, deliveries and whole history (in time order, across
services); withdrawal with its Idempotency-Key (a repeat answers the first answer); every
invalid field of a nested body listed at once; the centre and role checks of the new
endpoints (refused, nothing changed); webhook subscriptions bounded by an integrator's token;
GET /v1/events/stream with the same seqs and envelopes as GET /v1/events, resumed from
Last-Event-ID, filtered by subscription, and ended by revoking the token."""

import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import applicant, wait_until  # noqa: E402

COUNTY = "330122000000"
TOWN_A = "330122101000"
TOWN_B = "330122102000"


class Stream:
    """A Server-Sent Events client on a raw socket (http.client cannot read again after a
    time-out): next_event() → {"id","event","data"}, {"closed": True} when the server ended
    the stream, or None on time-out."""

    def __init__(self, s, token, after=None, last_event_id=None):
        self.sock = socket.create_connection(("127.0.0.1", s.api_port), timeout=10)
        path = "/v1/events/stream" + ("?after=%d" % after if after is not None else "")
        head = "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n" % (path, token)
        if last_event_id is not None:
            head += "Last-Event-ID: %s\r\n" % last_event_id
        self.sock.sendall((head + "\r\n").encode())
        self.raw, self.body, self.closed = b"", b"", False
        while b"\r\n\r\n" not in self.raw and self._fill(10):
            pass
        head, _, self.raw = self.raw.partition(b"\r\n\r\n")
        lines = head.decode(errors="replace").split("\r\n")
        self.status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
        hdrs = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
        self.ctype = hdrs.get("content-type", "")

    def _fill(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, TimeoutError):
            return False
        if not data:
            self.closed = True
            return False
        self.raw += data
        return True

    def _dechunk(self):
        while True:
            size_line, sep, rest = self.raw.partition(b"\r\n")
            if not sep:
                return
            size = int(size_line.split(b";")[0] or b"0", 16)
            if size == 0:
                self.closed = True
                return
            if len(rest) < size + 2:
                return
            self.body += rest[:size]
            self.raw = rest[size + 2:]

    def next_event(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            self._dechunk()
            while b"\n\n" in self.body:
                block, _, self.body = self.body.partition(b"\n\n")
                ev = {}
                for line in block.decode().split("\n"):
                    if line.startswith(":") or not line:
                        continue
                    field, _, value = line.partition(": ")
                    ev[field] = value
                if "data" in ev:
                    ev["data"] = json.loads(ev["data"])
                    return ev
            if self.closed:
                return {"closed": True}
            left = deadline - time.monotonic()
            if left <= 0 or not self._fill(left):
                if self.closed:
                    continue
                return None

    def close(self):
        self.sock.close()


def submit(s, item, seq, centre, token="admin"):
    complete = [m["code"] for m in item["materials"] if m["required"] or m["optional_given"]]
    st, body, _ = s.request("POST", "/v1/applications",
                            {"item_code": item["code"], "applicant": applicant(seq), "materials": complete,
                             "channel": "window", "centre_id": centre}, token=token)
    s.check("application %d submitted" % seq, st == 201, (st, body))
    return body["case"]["case_no"] if st == 201 else ""


def test(s):
    item = harness.pick_item(harness.demo_items(s))
    clerk_a, _ = s.issue_token("CLERK-A", "clerk", TOWN_A)
    clerk_b, _ = s.issue_token("CLERK-B", "clerk", TOWN_B)
    integ, _ = s.issue_token("ACME", "integrator", COUNTY, subscriptions="case.accepted")
    other, _ = s.issue_token("OTHER", "integrator", COUNTY, subscriptions="case.")

    # -- the case's records and history --------------------------------------------------
    case_no = submit(s, item, 1, TOWN_A, token=clerk_a)
    st, body, _ = s.request("GET", "/v1/cases/%s/documents" % case_no, token=clerk_a)
    s.check("documents: 200 with a documents list and next_after",
            st == 200 and isinstance(body.get("documents"), list) and "next_after" in body, (st, body))

    def history():
        st, body, _ = s.request("GET", "/v1/cases/%s/history" % case_no, token=clerk_a)
        entries = body.get("entries", []) if st == 200 else []
        sources = {e["source"] for e in entries}
        return (st, body) if {"routing", "deadline"} <= sources else None
    got = wait_until(history, timeout=15)
    s.check("history gathers routing's audit and deadline's clock", bool(got), got)
    if got:
        entries = got[1]["entries"]
        times = [harness.parse_time(e["at"]) for e in entries]
        s.check("history is in time order", times == sorted(times), entries)
        s.check("history names the actions", any(e["action"].startswith("task.") for e in entries)
                and any(e["action"] == "clock.started" for e in entries), entries)
        s.check("nothing degraded", got[1]["degraded"] == [], got[1])
        # Services still writing about the case (a notification, a timer) add entries in
        # time order: page while the whole history stays the same around the two pages.
        for _ in range(5):
            whole = s.request("GET", "/v1/cases/%s/history" % case_no, token=clerk_a)[1]
            st, page, _ = s.request("GET", "/v1/cases/%s/history?limit=1" % case_no, token=clerk_a)
            st2, page2, _ = s.request("GET", "/v1/cases/%s/history?limit=1&after=1" % case_no,
                                      token=clerk_a)
            if s.request("GET", "/v1/cases/%s/history" % case_no, token=clerk_a)[1] == whole:
                break
            time.sleep(0.5)
        entries = whole.get("entries", [])
        s.check("history pages: limit=1 gives one entry and a cursor",
                st == 200 and page["entries"] == entries[0:1] and page["next_after"] == "1", (st, page))
        s.check("the next page continues", st2 == 200 and page2["entries"] == entries[1:2], (st2, page2))
    st, body, _ = s.request("GET", "/v1/cases/%s/history?limit=0" % case_no, token=clerk_a)
    s.check("a bad page size → 400 naming limit", st == 400 and
            [p["name"] for p in body.get("invalid_params", [])] == ["limit"], (st, body))
    st, body, _ = s.request("GET", "/v1/cases/%s/deliveries" % case_no, token=clerk_a)
    s.check("deliveries: 200 with a list", st == 200 and isinstance(body.get("deliveries"), list), (st, body))

    # -- centre and role checks: refused, nothing changed --------------------------------
    for method, path in (("GET", "/v1/cases/%s/documents"), ("GET", "/v1/cases/%s/history"),
                         ("GET", "/v1/cases/%s/deliveries"), ("POST", "/v1/cases/%s/withdrawal")):
        st, body, _ = s.request(method, path % case_no, {"reason": "x"} if method == "POST" else None,
                                token=clerk_b)
        s.check("a clerk of another centre: %s %s → 403" % (method, path), st == 403, (st, body))
    s.check("the case was not withdrawn", s.sql_value(
        "SELECT state FROM intake.cases WHERE case_no = %s", (case_no,)) == 3)
    st, body, _ = s.request("GET", "/v1/work-list?scope=department&key=D1", token=clerk_a)
    s.check("a clerk may not list a department's work → 403", st == 403, (st, body))
    st, body, _ = s.request("GET", "/v1/work-list?scope=mine&key=CLERK-A", token=clerk_a)
    s.check("a clerk lists its own work", st == 200 and "tasks" in body, (st, body))
    st, body, _ = s.request("GET", "/v1/admin/dead-letters", token=clerk_a)
    s.check("dead letters are the administrator's → 403", st == 403, (st, body))
    st, body, _ = s.request("GET", "/v1/admin/dead-letters?limit=10", token="admin")
    s.check("the administrator lists dead letters", st == 200 and "deliveries" in body, (st, body))

    # -- owctl's operations commands -------------------------------------------------------
    rc, out, err = s.owctl("--gateway", s.api_url, "notify", "dead", "--limit", "5")
    s.check("owctl notify dead → exit 0 with a count", rc == 0 and "dead letter" in out, (rc, out, err))
    rc, out, err = s.owctl("--gateway", s.api_url, "notify", "resend", "00000000-0000-4000-8000-000000000000")
    s.check("owctl notify resend of an unknown delivery → exit 1, 404", rc == 1 and "404" in err,
            (rc, out, err))
    calendar = os.path.join(s.src, "services", "deadline", "calendars", "2026.json")
    rc, out, err = s.owctl("--gateway", s.api_url, "calendar", "load", calendar)
    s.check("owctl calendar load FILE → the year loaded, audited", rc == 0 and "2026" in out and
            s.sql_value("SELECT count(*) FROM gateway.audit WHERE action = 'deadline.load_calendar'") == 1,
            (rc, out, err))
    bad = os.path.join(s.dir, "bad-calendar.json")
    with open(bad, "w") as f:
        f.write('{"year": 1800, "holidays": "x"}')
    rc, out, err = s.owctl("--gateway", s.api_url, "calendar", "load", bad)
    s.check("a bad calendar → exit 1, its problems listed", rc == 1 and "400" in err, (rc, out, err))

    # -- strict bodies, Idempotency-Key ---------------------------------------------------
    st, body, _ = s.request("POST", "/v1/cases/%s/withdrawal" % case_no, {"reason": "x"},
                            token=clerk_a, key=False)
    s.check("withdrawal without Idempotency-Key → 400 naming it", st == 400 and "Idempotency-Key" in
            [p["name"] for p in body.get("invalid_params", [])], (st, body))
    st, body, _ = s.request("POST", "/v1/receipts",
                            {"application": {"item_code": 5, "applicant": {"nam": "x"}},
                             "defects": [{"code": "M1", "why": "x"}], "supply_due": "soon",
                             "declared_lanes": "pregnant"}, token=clerk_a)
    names = sorted(p["name"] for p in body.get("invalid_params", [])) if isinstance(body, dict) else []
    s.check("a receipt's every bad field is named at once", st == 400 and names == sorted(
        ["application.item_code", "application.applicant.nam", "defects[0].why", "supply_due",
         "declared_lanes"]), (st, body))
    st, body, _ = s.request("POST", "/v1/receipts", {"application": {"centre_id": TOWN_B}}, token=clerk_a)
    s.check("a receipt for another centre → 403", st == 403, (st, body))
    cases = s.sql_value("SELECT count(*) FROM intake.cases")
    first = s.request("POST", "/v1/cases/%s/withdrawal" % case_no, {"reason": "申请人撤回"},
                      token=clerk_a, key="wd-1")
    again = s.request("POST", "/v1/cases/%s/withdrawal" % case_no, {"reason": "申请人撤回"},
                      token=clerk_a, key="wd-1")
    s.check("withdrawal → 200 with the case withdrawn (state 14)", first[0] == 200 and
            first[1]["case"]["state"] == 14 and first[1]["document"]["kind"] == "withdrawal", first[:2])
    s.check("the same Idempotency-Key answers the first answer", again[:2] == first[:2], (again, first))
    s.check("no case was created by any of it", s.sql_value("SELECT count(*) FROM intake.cases") == cases)

    # -- webhook subscriptions bounded by the integrator's token -------------------------
    sub = {"url": "http://127.0.0.1:9/hook", "event_types": ["*"], "secret": "s" * 32}
    st, body, _ = s.request("POST", "/v1/subscriptions", sub, token=integ)
    s.check("an integrator may not subscribe a webhook beyond its token → 403", st == 403, (st, body))
    sub["event_types"] = ["case.accepted"]
    st, body, _ = s.request("POST", "/v1/subscriptions", sub, token=integ)
    s.check("within its token → 201, named after it", st == 201 and
            body["subscription"]["name"] == "ACME" and "secret" not in body["subscription"], (st, body))
    sub_id = body["subscription"]["subscription_id"] if st == 201 else "x"
    st, body, _ = s.request("GET", "/v1/subscriptions", token=other)
    s.check("another integrator does not see it", st == 200 and
            all(x["subscription_id"] != sub_id for x in body["subscriptions"]), (st, body))
    st, body, _ = s.request("POST", "/v1/subscriptions/%s/unsubscribe" % sub_id, {}, token=other)
    s.check("…nor remove it (404)", st == 404, (st, body))
    st, body, _ = s.request("POST", "/v1/subscriptions/%s/unsubscribe" % sub_id, {}, token=integ)
    s.check("its owner removes it", st == 200 and body["subscription"]["active"] is False, (st, body))

    # -- the live stream -----------------------------------------------------------------
    st, page, _ = s.request("GET", "/v1/events?limit=1000", token=integ)
    replay = page["events"]
    s.check("the replay has the case.accepted events", st == 200 and replay and
            all(e["type"] == "case.accepted" for e in replay), (st, page))
    stream = Stream(s, integ)
    s.check("the stream is text/event-stream", stream.status == 200 and
            stream.ctype.startswith("text/event-stream"), (stream.status, stream.ctype))
    seen = []
    for _ in replay:
        ev = stream.next_event()
        if not ev or "closed" in ev:
            break
        seen.append(ev)
    s.check("the stream replays the same events, id = seq, same envelope",
            [int(e["id"]) for e in seen] == [e["seq"] for e in replay] and
            [e["data"] for e in seen] == replay and all(e["event"] == "case.accepted" for e in seen),
            (seen, replay))
    new_case = submit(s, item, 2, TOWN_A)
    ev = stream.next_event()
    s.check("a new case.accepted arrives live", ev and ev.get("data", {}).get("case_no") == new_case, ev)
    stream.close()
    if len(replay) >= 1 and ev and "id" in ev:
        resumed = Stream(s, integ, last_event_id=replay[-1]["seq"], after=0)
        ev2 = resumed.next_event()
        s.check("Last-Event-ID resumes right after it (over ?after)", ev2 and ev2.get("id") == ev["id"],
                (ev2, ev))
        resumed.close()
    st, body, _ = s.request("GET", "/v1/events/stream?after=-1", token=integ)
    s.check("a bad cursor → 400 naming after", st == 400 and
            [p["name"] for p in body.get("invalid_params", [])] == ["after"], (st, body))
    st, body, _ = s.request("GET", "/v1/events/stream", token=clerk_a)
    s.check("a clerk may not read the stream → 403", st == 403, (st, body))

    # revoking the token ends its stream at once
    victim, victim_id = s.issue_token("GONE", "integrator", COUNTY, subscriptions="case.")
    stream = Stream(s, victim)
    while True:  # drain the catch-up
        ev = stream.next_event(timeout=1.5)
        if not ev or "closed" in ev:
            break
    st, body, _ = s.request("POST", "/v1/admin/tokens/%s/revoke" % victim_id, {}, token="admin")
    s.check("the token is revoked", st == 200, (st, body))
    submit(s, item, 3, TOWN_A)
    t0 = time.monotonic()
    ev = stream.next_event(timeout=10)
    s.check("a revoked token's stream ends instead of sending more", ev == {"closed": True}, ev)
    s.check("…promptly", time.monotonic() - t0 < 5, time.monotonic() - t0)
    stream.close()


if __name__ == "__main__":
    harness.run(test)
