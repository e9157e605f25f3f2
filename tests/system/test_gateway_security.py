#!/usr/bin/python3
"""Who may do what at the gateway (issue 8): no token, a wrong token, an expired or revoked
token, a token of another centre, a role that may not — each refused with a problem
document and nothing changed; the right token of the right centre admitted; token issue,
list and revoke through owctl, audited; the per-token rate limit (429 + Retry-After); the
integrators' event log filtered by subscription."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import applicant, wait_until  # noqa: E402

COUNTY = "330122000000"
TOWN_A = "330122101000"
TOWN_B = "330122102000"


def body_for(item, seq, centre):
    complete = [m["code"] for m in item["materials"] if m["required"] or m["optional_given"]]
    return {"item_code": item["code"], "applicant": applicant(seq), "materials": complete,
            "channel": "window", "centre_id": centre}


def is_problem(status, body, expected):
    return status == expected and isinstance(body, dict) and body.get("status") == expected


def test(s):
    item = harness.pick_item(harness.demo_items(s))
    cases_before = s.sql_value("SELECT count(*) FROM intake.cases")

    # -- authentication ---------------------------------------------------------------------
    st, body, hdrs = s.request("POST", "/v1/applications", body_for(item, 1, ""), token=None)
    s.check("no token → 401 problem with WWW-Authenticate", is_problem(st, body, 401)
            and "bearer" in hdrs.get("www-authenticate", "").lower(), (st, body))
    st, body, _ = s.request("GET", "/v1/admin/clock", token="owt_" + "0" * 64)
    s.check("a wrong token → 401", is_problem(st, body, 401), (st, body))
    st, body, _ = s.request("GET", "/v1/admin/clock", token=None,
                            headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
    s.check("another scheme → 401", is_problem(st, body, 401), (st, body))
    s.check("no case was created by refused requests",
            s.sql_value("SELECT count(*) FROM intake.cases") == cases_before)

    # -- tokens: only hashes stored, issue/list/revoke through owctl, audited --------------
    clerk_a, clerk_a_id = s.issue_token("CLERK-A", "clerk", TOWN_A)
    clerk_b, _ = s.issue_token("CLERK-B", "clerk", TOWN_B)
    sup_county, _ = s.issue_token("SUP-C", "supervisor", COUNTY)
    sup_b, _ = s.issue_token("SUP-B", "supervisor", TOWN_B)
    integ, _ = s.issue_token("ACME", "integrator", COUNTY, subscriptions="case.accepted")
    stored = [r[0] for r in s.sql("SELECT token_hash FROM gateway.tokens")]
    s.check("tokens are stored only as SHA-256 hashes",
            all(clerk_a not in h for h in stored) and all(len(h) == 64 for h in stored), stored)
    s.check("no table holds a token in clear", s.sql_value(
        "SELECT count(*) FROM gateway.tokens t WHERE t::text LIKE %s", ("%" + clerk_a[4:20] + "%",)) == 0)

    rc, out, err = s.owctl("--gateway", s.api_url, "token", "issue", "--subject", "CLERK-X",
                           "--role", "clerk", "--centre", TOWN_A, "--ttl", "1h")
    token_x = next((w for w in out.split() if w.startswith("owt_")), "")
    s.check("owctl token issue prints a new token once", rc == 0 and len(token_x) == 68, (rc, out, err))
    rc, out, err = s.owctl("--gateway", s.api_url, "token", "list")
    s.check("owctl token list lists the tokens", rc == 0 and "CLERK-X" in out and "tk_bootstrap" in out,
            (rc, out, err))
    rc, out, err = s.owctl("--gateway", s.api_url, "--token", clerk_a, "token", "list")
    s.check("a clerk may not list tokens (owctl exit 1, 403)", rc == 1 and "403" in err, (rc, out, err))

    st, body, _ = s.request("GET", "/v1/me", token=token_x)
    s.check("the issued token works", st == 200 and body.get("subject") == "CLERK-X", (st, body))
    x_id = body.get("token_id", "") if isinstance(body, dict) else ""
    rc, out, err = s.owctl("--gateway", s.api_url, "token", "revoke", x_id)
    s.check("owctl token revoke → exit 0", rc == 0 and "REVOKED" in out, (rc, out, err))
    st, body, _ = s.request("GET", "/v1/me", token=token_x)
    s.check("a revoked token is refused on the very next request", is_problem(st, body, 401)
            and "revoked" in body.get("detail", ""), (st, body))
    audit = [r[0] for r in s.sql("SELECT action FROM gateway.audit ORDER BY audit_id")]
    s.check("issues and revocations are audited", audit.count("token.issue") >= 6
            and "token.revoke" in audit and "token.bootstrap" in audit, audit)

    short, _ = s.issue_token("CLERK-S", "clerk", TOWN_A, ttl_seconds=1)
    time.sleep(2.2)
    st, body, _ = s.request("GET", "/v1/me", token=short)
    s.check("an expired token is refused", is_problem(st, body, 401) and "expired" in body.get("detail", ""),
            (st, body))

    # -- issue validation -----------------------------------------------------------------
    st, body, _ = s.request("POST", "/v1/admin/tokens", {"subject": "", "role": "king", "centre_id": "12",
                                                          "subscriptions": "x", "extra": 1}, token="admin")
    names = sorted(p["name"] for p in body.get("invalid_params", [])) if isinstance(body, dict) else []
    s.check("a bad issue request lists every invalid field",
            st == 400 and {"subject", "role", "centre_id", "extra"} <= set(names), (st, body))

    # -- centres --------------------------------------------------------------------------
    st, body, _ = s.request("POST", "/v1/applications", body_for(item, 2, TOWN_B), token=clerk_a)
    s.check("a clerk may not submit for another centre → 403", is_problem(st, body, 403), (st, body))
    s.check("…and nothing was created", s.sql_value("SELECT count(*) FROM intake.cases") == cases_before)
    st, body, _ = s.request("POST", "/v1/applications", body_for(item, 3, TOWN_A), token=clerk_a)
    case_a = body.get("case", {}).get("case_no", "") if st == 201 else ""
    s.check("a clerk submits for their own centre → 201", st == 201 and case_a, (st, body))
    if case_a:
        st, body, _ = s.request("GET", "/v1/cases/" + case_a, token=clerk_a)
        s.check("the clerk sees their centre's case", st == 200, (st, body))
        st, body, _ = s.request("GET", "/v1/cases/" + case_a, token=clerk_b)
        s.check("a clerk of another centre does not → 403", is_problem(st, body, 403), (st, body))
        st, body, _ = s.request("GET", "/v1/cases/" + case_a, token=sup_b)
        s.check("a supervisor of a sibling centre does not → 403", is_problem(st, body, 403), (st, body))
        st, body, _ = s.request("GET", "/v1/cases/" + case_a, token=sup_county)
        s.check("the county supervisor sees a township's case", st == 200, (st, body))
        st, body, _ = s.request("GET", "/v1/cases/" + case_a, token=integ)
        s.check("an integrator may not read cases → 403", is_problem(st, body, 403), (st, body))
        ratings = s.sql_value("SELECT count(*) FROM evaluation.ratings") if s.sql_value(
            "SELECT to_regclass('evaluation.ratings') IS NOT NULL") else 0
        st, body, _ = s.request("POST", "/v1/ratings", {"case_no": case_a, "grade": 1, "comment": "",
                                                       "channel": "web"}, token=clerk_b)
        s.check("rating another centre's case → 403, nothing stored", is_problem(st, body, 403) and (
            not ratings or s.sql_value("SELECT count(*) FROM evaluation.ratings") == ratings), (st, body))
    st, body, _ = s.request("GET", "/v1/tasks?assignee=SOMEONE", token=clerk_a)
    s.check("a clerk lists only their own tasks → 403 for another assignee", is_problem(st, body, 403), (st, body))
    st, body, _ = s.request("POST", "/v1/admin/clock", {"advance_seconds": 60}, token=sup_county)
    s.check("only an administrator moves the test clock → 403", is_problem(st, body, 403), (st, body))

    # -- events for integrators -------------------------------------------------------------
    def events(token, after=0):
        st, body, _ = s.request("GET", "/v1/events?after=%d&limit=1000" % after, token=token)
        return body.get("events", []) if st == 200 and isinstance(body, dict) else None

    got = wait_until(lambda: [e for e in (events(integ) or []) if e["case_no"] == case_a], 15)
    s.check("the integrator reads the case.accepted it subscribed to", got and got[0]["type"] == "case.accepted",
            got)
    every = events("admin") or []
    s.check("the administrator reads every type", any(e["type"] != "case.accepted" for e in every),
            [e["type"] for e in every])
    s.check("the integrator never sees an unsubscribed type",
            all(e["type"] == "case.accepted" for e in events(integ) or []))
    seqs = [e["seq"] for e in every]
    s.check("event seqs increase", seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs)
    if seqs:
        later = events("admin", after=seqs[0]) or []
        s.check("after=SEQ replays from there", [e["seq"] for e in later] == seqs[1:], later)
    st, body, _ = s.request("GET", "/v1/events?after=-1&limit=x&foo=1", token="admin")
    s.check("bad paging → 400 naming each parameter", st == 400 and {"after", "limit", "foo"} <= {
        p["name"] for p in body.get("invalid_params", [])}, (st, body))

    # -- rate limit ------------------------------------------------------------------------
    # Sixteen connections at once: one after another, a loaded machine may answer slower than
    # the bucket refills (100/s) and the limit would never be reached. Bounded: 600 requests.
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda _: s.request("GET", "/v1/me", token=clerk_b), range(600)))
    limited = [h for st, _, h in answers if st == 429]
    retry = limited[0].get("retry-after") if limited else None
    s.check("a token over its rate gets 429 with Retry-After", limited and retry
            and retry.isdigit() and int(retry) >= 1,
            sorted({st for st, _, _ in answers}))
    s.check("…and was admitted up to its burst first",
            sum(1 for st, _, _ in answers if st == 200) >= 200, sum(1 for st, _, _ in answers if st == 200))
    st, body, _ = s.request("GET", "/v1/me", token=clerk_a)
    s.check("another token is not limited by it", st == 200, (st, body))

if __name__ == "__main__":
    harness.run(test)
