#!/usr/bin/python3
"""The catalogue (事项实施清单) written through intake (issue 3): owctl imports a CSV of more
than 1,000 rows with the 主项 → 子项 → 业务办理项 hierarchy (BOM, quoted commas and line breaks,
Chinese text) through the staged import over HTTP; an import with two bad rows is refused
naming both rows and fields and writes nothing, and with --partial writes only the good rows;
export → import (JSON and CSV) changes nothing; an edit over HTTP makes version 2 while a case
accepted under version 1 keeps it and a new case takes version 2; a bad item is refused with
every problem listed; a repeated Idempotency-Key answers the same; every new version is a
catalogue.item_changed event."""

import csv
import io
import json
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import applicant  # noqa: E402

DEPT = "113301220025190176"
COLUMNS = ["impl_code", "item_code", "name", "level", "parent_code", "item_type", "department_code",
           "department_name", "legal_basis", "handling_kind", "legal_limit", "promised_limit", "limit_unit",
           "fee_yuan", "centres", "lanes", "material_code", "material_name", "material_form", "material_copies",
           "material_required", "material_rongque", "material_shared"]
N_MAIN, N_SUB, N_BIZ = 10, 4, 12  # 10 + 40 + 480 items; business items have 2 materials: 1,010 rows


def catalogue_rows():
    rows = []

    def item(code, name, level, parent, kind="promised", legal=20, promised=5, fee="", lanes=""):
        return {"impl_code": code, "item_code": code.replace("-", "")[:12] or code, "name": name, "level": level,
                "parent_code": parent, "item_type": "licensing", "department_code": DEPT,
                "department_name": "桐庐县市场监督管理局",
                "legal_basis": "《中华人民共和国行政许可法》第四十二条, \"二十日\"\n第二款",
                "handling_kind": kind, "legal_limit": str(legal), "promised_limit": str(promised),
                "limit_unit": "working_days", "fee_yuan": fee, "centres": "", "lanes": lanes}

    empty_material = {c: "" for c in COLUMNS if c.startswith("material_")}
    for m in range(1, N_MAIN + 1):
        main = "T-M%02d" % m
        rows.append(dict(item(main, "主项%d，测试" % m, "main", ""), **empty_material))
        for s_ in range(1, N_SUB + 1):
            sub = "%s-S%d" % (main, s_)
            rows.append(dict(item(sub, "子项%d-%d" % (m, s_), "sub", main), **empty_material))
            for b in range(1, N_BIZ + 1):
                biz = "%s-B%02d" % (sub, b)
                immediate = b % 5 == 0
                it = item(biz, "业务办理项 %d-%d-%d（新办）" % (m, s_, b), "business", sub,
                          kind="immediate" if immediate else "promised", legal=3 if immediate else 20,
                          promised=0 if immediate else 5, fee="12.50" if b % 3 == 0 else "",
                          lanes="love;green" if b % 4 == 0 else "")
                rows.append(dict(it, material_code="M1", material_name="申请书, 原件", material_form="original",
                                 material_copies="1", material_required="yes", material_rongque="no",
                                 material_shared="no"))
                # the continuation row leaves the item's columns empty, as a clerk would
                cont = {c: "" for c in COLUMNS}
                cont.update(impl_code=biz, material_code="M2", material_name="营业执照 \"副本\", 复印件",
                            material_form="copy", material_copies="", material_required="否",
                            material_rongque="是", material_shared="yes")
                rows.append(cont)
    return rows


def write_csv(path, rows):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\r\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    with open(path, "wb") as f:
        f.write(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))


def json_item(code, parent="T-M01-S1", **kw):
    it = {"impl_code": code, "item_code": "TX" + code[-4:], "name": "测试事项 " + code, "level": "business",
          "parent_code": parent, "item_type": "filing", "department_code": DEPT,
          "department_name": "桐庐县市场监督管理局", "handling_kind": "promised", "legal_limit": 20,
          "promised_limit": 10, "limit_unit": "working_days",
          "materials": [{"code": "A1", "name": "申请表", "form": "original", "copies": 1, "required": True}]}
    it.update(kw)
    return it


def ctl(s, *args, **kw):
    return s.owctl("--gateway", s.api_url, *args, **kw)


def count(s, pattern):
    return s.sql_value("SELECT count(*) FROM intake.items WHERE impl_code LIKE %s AND retired_at IS NULL",
                       (pattern,))


def test(s):
    work = s.dir
    rows = catalogue_rows()
    s.check("the catalogue has more than 1,000 rows", len(rows) > 1000, len(rows))
    path = os.path.join(work, "catalogue.csv")
    write_csv(path, rows)
    rc, out, err = ctl(s, "catalogue", "import", path, timeout=240)
    n_items = N_MAIN + N_MAIN * N_SUB + N_MAIN * N_SUB * N_BIZ
    s.check("owctl imports the CSV (exit 0)", rc == 0 and "imported" in out, (rc, out, err[-2000:]))
    s.check("plain progress lines when stderr is not a terminal", "staged %d/%d items" % (n_items, n_items) in err,
            err[-500:])
    s.check("every item is in the catalogue, version 1", count(s, "T-M%") == n_items and
            s.sql_value("SELECT max(version) FROM intake.items WHERE impl_code LIKE 'T-M%%'") == 1,
            count(s, "T-M%"))
    st, body = s.get("/v1/catalogue/items/T-M01-S1")
    s.check("a sub-item shows its parent and its 12 business items", st == 200 and body.get("level") == "sub" and
            body.get("parent_code") == "T-M01" and len(body.get("children", [])) == N_BIZ, (st, body))
    st, body = s.get("/v1/catalogue/items/T-M01-S1-B04")
    mats = body.get("materials", []) if st == 200 else []
    s.check("a business item read back as the CSV said (materials, quotes and commas, 容缺, lanes, a line break in the legal basis)",
            st == 200 and [m["code"] for m in mats] == ["M1", "M2"] and mats[1]["name"] == "营业执照 \"副本\", 复印件"
            and mats[1]["rongque_allowed"] and mats[1]["shared_by_data"] and not mats[1]["required"]
            and mats[1]["copies"] == 1 and sorted(body.get("lanes", [])) == ["green", "love"]
            and body.get("legal_basis", "").startswith("《中华人民共和国行政许可法》第四十二条, \"二十日\"\n"),
            (st, body))
    st, body = s.get("/v1/catalogue/items/T-M01-S1-B03")
    s.check("fee 12.50 yuan is 1250 分", st == 200 and body.get("fee_cents") == 1250, body)
    st, body = s.get("/v1/catalogue/items?parent_code=T-M01&limit=3")
    s.check("list by parent, paged", st == 200 and [i["impl_code"] for i in body["items"]] ==
            ["T-M01-S1", "T-M01-S2", "T-M01-S3"] and body.get("next_after") == "T-M01-S3", (st, body))
    events = s.sql_value("SELECT count(*) FROM intake.outbox WHERE type = 'catalogue.item_changed'")
    s.check("one catalogue.item_changed per new version", events == n_items, events)

    # Two bad rows: refused, both named, nothing written.
    bad = [json_item("T-X%04d" % i) for i in range(1, 31)]
    bad[6]["promised_limit"] = 30               # row 7: promised above legal
    bad[18]["department_code"] = ""             # row 19: no department
    bad_path = os.path.join(work, "bad.json")
    with open(bad_path, "w", encoding="utf-8") as f:
        json.dump(bad, f, ensure_ascii=False)
    rc, out, err = ctl(s, "catalogue", "import", bad_path)
    s.check("an import with two bad rows is refused (exit 1)", rc == 1, (rc, out, err))
    s.check("the report names row 7 promised_limit and row 19 department_code",
            "row 7, promised_limit:" in err and "row 19, department_code:" in err and "2 rows with problems" in err,
            err)
    s.check("nothing of it was written", count(s, "T-X%") == 0, count(s, "T-X%"))

    rc, out, err = ctl(s, "catalogue", "import", bad_path, "--partial")
    s.check("with --partial the good rows are written (exit 0)", rc == 0 and "28 new item versions" in out,
            (rc, out, err))
    s.check("…and only those", count(s, "T-X%") == 28 and
            s.sql_value("SELECT count(*) FROM intake.items WHERE impl_code IN ('T-X0007', 'T-X0019')") == 0)
    s.check("…still naming the rows left out", "row 7, promised_limit:" in err, err)

    # A CSV row with a bad cell and a business item under a missing parent, in one import.
    csv_bad = [dict(r) for r in rows[:3]]
    csv_bad[0]["impl_code"] = csv_bad[0]["impl_code"].replace("T-M01", "T-Y01")
    csv_bad[1]["impl_code"] = csv_bad[1]["impl_code"].replace("T-M01", "T-Y01")
    csv_bad[1]["parent_code"] = "T-NOWHERE"
    csv_bad[2]["impl_code"] = "T-Y01-B01"
    csv_bad[2]["parent_code"] = "T-Y01"
    csv_bad[2]["material_copies"] = "many"
    bad_csv = os.path.join(work, "bad.csv")
    write_csv(bad_csv, csv_bad)
    rc, out, err = ctl(s, "catalogue", "import", bad_csv)
    s.check("a CSV with a bad cell and an unknown parent is refused with rows and columns",
            rc == 1 and "row 3, parent_code:" in err and "row 4, material_copies:" in err and count(s, "T-Y%") == 0,
            (rc, err))

    # export → import changes nothing, in JSON and in CSV.
    versions = s.sql_value("SELECT count(*) FROM intake.items")
    rc, out, err = ctl(s, "catalogue", "export", timeout=120)
    exported = json.loads(out) if rc == 0 else []
    s.check("export prints every current item", rc == 0 and len(exported) ==
            s.sql_value("SELECT count(*) FROM intake.items WHERE retired_at IS NULL"), (rc, err))
    exp_path = os.path.join(work, "export.json")
    with open(exp_path, "w", encoding="utf-8") as f:
        f.write(out)
    rc, out, err = ctl(s, "catalogue", "import", exp_path, timeout=240)
    s.check("the JSON export imports again with no new version", rc == 0 and "0 new item versions" in out and
            s.sql_value("SELECT count(*) FROM intake.items") == versions, (rc, out, err[-1500:]))
    rc, out, err = ctl(s, "catalogue", "export", "--csv", timeout=120)
    csv_path = os.path.join(work, "export.csv")
    with open(csv_path, "w", encoding="utf-8") as f:
        f.write(out)
    s.check("the CSV export has a row per material", rc == 0 and out.startswith(",".join(COLUMNS)), out[:300])
    rc, out, err = ctl(s, "catalogue", "import", csv_path, timeout=240)
    s.check("the CSV export imports again with no new version", rc == 0 and "0 new item versions" in out and
            s.sql_value("SELECT count(*) FROM intake.items") == versions, (rc, out, err[-1500:]))

    # Versioning: a case keeps the version it was accepted under.
    code = "T-M02-S1-B01"
    st, body = s.post("/v1/applications", {"item_code": code, "applicant": applicant(4101, "版本一"),
                                           "materials": ["M1"], "channel": "window", "centre_id": ""})
    s.check("a case is accepted under version 1", st == 201 and body["case"]["item_version"] == 1, (st, body))
    case1 = body.get("case", {}).get("case_no")
    st, item = s.get("/v1/catalogue/items/" + code)
    for k in ("version", "valid_from", "retired_at", "children"):
        item.pop(k, None)
    item["promised_limit"] = 3
    key = "cat-" + uuid.uuid4().hex
    st, body = s.post("/v1/admin/catalogue/items", {"items": [item]}, key=key)
    s.check("an edit makes version 2", st == 200 and body["items"] == [{"impl_code": code, "version": 2,
                                                                         "changed": True}], (st, body))
    st2, body2 = s.post("/v1/admin/catalogue/items", {"items": [item]}, key=key)
    s.check("the same Idempotency-Key answers the same", st2 == 200 and body2 == body, (st2, body2))
    st, body = s.post("/v1/admin/catalogue/items", {"items": [item]})
    s.check("an unchanged item is a no-op", st == 200 and body["items"][0] == {"impl_code": code, "version": 2,
                                                                              "changed": False}, (st, body))
    st, body = s.get("/v1/cases/" + str(case1))
    s.check("the case accepted under version 1 still shows version 1", st == 200 and
            body["case"]["item_version"] == 1 and body["case"]["promised_limit"] == 5, (st, body))
    st, body = s.post("/v1/applications", {"item_code": code, "applicant": applicant(4102, "版本二"),
                                           "materials": ["M1"], "channel": "window", "centre_id": ""})
    s.check("a new case takes version 2", st == 201 and body["case"]["item_version"] == 2 and
            body["case"]["promised_limit"] == 3, (st, body))
    st, body = s.get("/v1/catalogue/items/%s?version=1" % code)
    s.check("version 1 is still readable, retired", st == 200 and body.get("promised_limit") == 5 and
            body.get("retired_at"), (st, body))

    # What the law forbids, every problem at once, nothing written.
    wrong = json_item("T-Z0001", handling_kind="immediate", promised_limit=2, department_code="")
    wrong2 = json_item("T-Z0002", promised_limit=40, parent_code="T-NOWHERE")
    st, body = s.post("/v1/admin/catalogue/items", {"items": [wrong, wrong2]})
    names = {p["name"] for p in body.get("invalid_params", [])} if isinstance(body, dict) else set()
    s.check("a bad item is refused with every problem (400)", st == 400 and
            {"items[0].promised_limit", "items[0].department_code", "items[1].promised_limit"} <= names, (st, body))
    st, body = s.post("/v1/admin/catalogue/items", {"items": [json_item("T-Z0003", parent_code="T-NOWHERE")]})
    names = {p["name"] for p in body.get("invalid_params", [])} if isinstance(body, dict) else set()
    s.check("a parent that does not exist is refused", st == 400 and "items[0].parent_code" in names, (st, body))
    st, body = s.post("/v1/admin/catalogue/items", {"items": [json_item("T-Z0004", parent_code="T-M01-S1-B01")]})
    s.check("a business item cannot be under a business item", st == 400, (st, body))
    s.check("nothing written", count(s, "T-Z%") == 0)
    st, main = s.get("/v1/catalogue/items/T-M03")
    for k in ("version", "valid_from", "retired_at", "children"):
        main.pop(k, None)
    st, body = s.post("/v1/admin/catalogue/items", {"items": [dict(main, level="business")]})
    names = {p["name"] for p in body.get("invalid_params", [])} if isinstance(body, dict) else set()
    s.check("a main item with sub-items cannot become a business item", st == 400 and "items[0].level" in names,
            (st, body))
    clerk, _ = s.issue_token("TL0101", "clerk", "330122000000")
    st, body, _ = s.request("POST", "/v1/admin/catalogue/items", {"items": [json_item("T-Z0005")]}, token=clerk)
    s.check("a clerk may not write the catalogue (403)", st == 403, (st, body))
    rc, out, err = ctl(s, "catalogue", "show", code)
    s.check("owctl catalogue show prints the item", rc == 0 and code in out and "version 2" in out and "M1" in out,
            (rc, out, err))

    # An import begun and never committed is abandoned after 7 days: the next import to begin
    # deletes it with its staged rows.
    st, left = s.post("/v1/admin/catalogue/imports", {"label": "left open"})
    s.check("an import begins", st == 201 and left.get("import_id"), (st, left))
    st, body = s.post("/v1/admin/catalogue/imports/%s/rows" % left.get("import_id"),
                      {"items": [json_item("T-Z0006")], "first_row": 1})
    s.check("a row is staged in it", st == 200, (st, body))
    st, body = s.post("/v1/admin/clock", {"advance_seconds": 8 * 86400})
    s.check("the test clock moves 8 days", st == 200, (st, body))
    # The clock travels to intaked as an event: wait until it has it.
    def intake_moved():
        st, rs = s.get("/v1/admin/clock")
        svc = ((rs or {}).get("services") or {}).get("intake", {}) if st == 200 else {}
        return svc.get("offset_seconds", 0) >= 8 * 86400
    s.check("intaked follows the clock", harness.wait_until(intake_moved, 20), s.get("/v1/admin/clock"))
    st, fresh = s.post("/v1/admin/catalogue/imports", {"label": "a week later"})
    s.check("a new import begins a week later", st == 201, (st, fresh))
    st, body = s.get("/v1/admin/catalogue/imports/%s" % left.get("import_id"))
    s.check("the abandoned import is gone (404)", st == 404, (st, body))
    s.check("its staged rows are gone",
            s.sql_value("SELECT count(*) FROM intake.catalogue_import_rows WHERE import_id = '%s'"
                        % left.get("import_id")) in (0, "0"))


if __name__ == "__main__":
    harness.run(test)
