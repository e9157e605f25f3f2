#!/usr/bin/python3
"""docs/openapi.yaml and the gateway agree (issue 8): every documented method and path
answers (not 404/405), and every endpoint the gateway answers (its table,
services/gateway/endpoints.c) is documented, with the same methods."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def documented(src):
    """{(METHOD, path)} from docs/openapi.yaml (read without a YAML library: the document
    keeps paths at two spaces and methods at four)."""
    ops, path, in_paths = set(), None, False
    with open(os.path.join(src, "docs", "openapi.yaml"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("paths:"):
                in_paths = True
                continue
            if not in_paths:
                continue
            m = re.match(r"^  (/\S+):\s*$", line)
            if m:
                path = m.group(1)
                continue
            m = re.match(r"^    (get|post|put|delete|patch):\s*$", line)
            if m and path:
                ops.add((m.group(1).upper(), path))
    return ops


def answered(src):
    """{(METHOD, path)} from the gateway's endpoint table."""
    with open(os.path.join(src, "services", "gateway", "endpoints.c"), encoding="utf-8") as f:
        text = f.read()
    return {(m, name.split(" ", 1)[1]) for m, name in
            re.findall(r'\{"(GET|POST|PUT|DELETE|PATCH)",\s*"[^"]*",\s*"([A-Z]+ /v1/[^"]*)"', text)}


def stream_head(s, path):
    """(status, content type) of a streamed GET as the admin, then hangs up."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", int(s.api_url.rsplit(":", 1)[1]), timeout=10)
    try:
        conn.request("GET", path, headers={"Authorization": "Bearer " + s._admin_token_hash(token=True)})
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type", "")
    finally:
        conn.close()


def test(s):
    docs, table = documented(s.src), answered(s.src)
    s.check("the endpoint table was read", len(table) >= 10, table)
    s.check("every answered endpoint is documented", table <= docs, sorted(table - docs))
    s.check("every documented endpoint is answered", docs <= table, sorted(docs - table))
    for method, path in sorted(docs):
        concrete = re.sub(r"\{[^}]+\}", "X1", path)
        if path.endswith("/stream"):
            # A live stream never ends: its answer is the status and type of its first bytes.
            st, ctype = stream_head(s, concrete)
            s.check("%s %s answers a text/event-stream" % (method, path),
                    st == 200 and ctype.startswith("text/event-stream"), (st, ctype))
            continue
        st, body, _ = s.request(method, concrete, {} if method == "POST" else None, token="admin")
        s.check("%s %s answers (not 404/405 for the path)" % (method, path),
                st not in (405,) and not (st == 404 and isinstance(body, dict)
                                          and "no such resource" in body.get("detail", "")), (st, body))
    st, body, _ = s.request("GET", "/v1/nowhere", token="admin")
    s.check("an undocumented path is a 404 problem", st == 404 and isinstance(body, dict), (st, body))


if __name__ == "__main__":
    harness.run(test)
