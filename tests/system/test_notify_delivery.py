#!/usr/bin/python3
"""notifyd's outside channels against real local receivers started here (issue 7): an HTTP
server that answers 200, 500, hangs or closes the connection (webhooks and the SMS gateway)
and an SMTP server (Python's smtpd). Shows: signed webhooks a receiver can verify; SMS and
e-mail; retry with back-off, dead letters, resend; per-case status; and no duplicates when
notifyd is SIGKILLed mid-delivery and restarted (at most one repeat of the delivery in flight,
none of anything acknowledged)."""

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import asyncore  # noqa: E402
import hashlib
import hmac
import http.server
import json
import os
import signal
import socket
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import applicant, pb_decode, pb_field_bytes, wait_until  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import smtpd  # noqa: E402  (stdlib in 3.11; deprecated, still present)

SECRET = "integration-secret-" + uuid.uuid4().hex[:8]


class Receiver:
    """HTTP receiver: mode 'ok' | 'fail' (500) | 'hang' | 'close'. Records every request."""

    def __init__(self):
        self.mode = "ok"
        self.requests = []  # dicts: path, headers, body, valid
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                ts = self.headers.get("X-OneWindow-Timestamp", "")
                sig = self.headers.get("X-OneWindow-Signature", "")
                expect = "v1=" + hmac.new(SECRET.encode(), ts.encode() + b"." + body,
                                          hashlib.sha256).hexdigest()
                fresh = ts.isdigit() and abs(time.time() - int(ts)) < 300
                with outer.lock:
                    mode = outer.mode
                    outer.requests.append({"path": self.path, "headers": dict(self.headers),
                                           "body": body, "mode": mode,
                                           "valid": hmac.compare_digest(sig, expect) and fresh})
                if mode == "hang":
                    time.sleep(30)
                    return
                if mode == "close":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                code = 200 if mode == "ok" else 500
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def webhooks(self):
        with self.lock:
            return [r for r in self.requests if r["path"] == "/hook"]

    def by_delivery(self, path="/hook"):
        out = {}
        with self.lock:
            for r in self.requests:
                if r["path"] == path:
                    out.setdefault(r["headers"].get("X-OneWindow-Delivery", ""), []).append(r)
        return out


class Mailbox(smtpd.SMTPServer):
    def __init__(self):
        super().__init__(("127.0.0.1", 0), None, decode_data=False)
        self.port = self.socket.getsockname()[1]
        self.messages = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kw):
        self.messages.append({"from": mailfrom, "to": rcpttos, "data": data})


def rpc(s, ctx, method, payload=b"", key=None):
    frames = s.zmq_request(ctx, "notify", [harness.encode_request(method, payload=payload,
                                                                  idempotency_key=key or "")])
    return harness.decode_reply(frames[0]) if frames else None


def deliveries(s, ctx, case_no):
    r = rpc(s, ctx, "notify.case_deliveries", pb_field_bytes(1, case_no))
    out = []
    for d in pb_decode(r["payload"]).get(1, []) if r and r["status"] == 0 else []:
        f = pb_decode(d)
        out.append({"id": f[1][0].decode(), "channel": f.get(5, [b""])[0].decode(),
                    "state": f.get(8, [b""])[0].decode(), "attempts": f.get(9, [0])[0]})
    return out


def submit(s, items, seq, email=""):
    item = harness.pick_item(items)
    materials = [m["code"] for m in item["materials"] if m["required"] or m["optional_given"]]
    who = applicant(seq, "王五")
    who["email"] = email
    status, resp = s.post("/v1/applications", {"item_code": item["code"], "applicant": who,
                                               "materials": materials, "channel": "window",
                                               "centre_id": ""})
    return resp["case"]["case_no"] if status == 201 else None


def test(s, recv, mail):
    import zmq
    ctx = zmq.Context.instance()
    items = harness.demo_items(s)
    hook = "http://127.0.0.1:%d/hook" % recv.port

    # ---- subscriptions: validated, idempotent -------------------------------------------
    bad = rpc(s, ctx, "notify.subscribe", pb_field_bytes(2, "ftp://x") + pb_field_bytes(4, "short"),
              key="sub-bad")
    s.check("a bad subscription → INVALID_ARGUMENT listing every problem",
            bad and bad["status"] == 3 and len(bad["violations"]) == 3, bad)
    sub = pb_field_bytes(1, "erp") + pb_field_bytes(2, hook) + pb_field_bytes(3, "case.*") + \
        pb_field_bytes(4, SECRET)
    r1 = rpc(s, ctx, "notify.subscribe", sub, key="sub-1")
    r2 = rpc(s, ctx, "notify.subscribe", sub, key="sub-1")
    s.check("subscribe → OK", r1 and r1["status"] == 0, r1)
    s.check("the same idempotency key answers the same subscription", r2 and r2["payload"] == r1["payload"])
    s.check("one subscription stored", s.sql_value("SELECT count(*) FROM notify.webhook_subscriptions") == 1)
    s.check("the secret is never returned", SECRET.encode() not in r1["payload"])

    # ---- a case: webhook (signed), SMS, e-mail ------------------------------------------
    case1 = submit(s, items, 71, email="wangwu@example.cn")
    s.check("case submitted", case1, case1)
    wait_until(lambda: any(json.loads(r["body"]).get("case_no") == case1 for r in recv.webhooks()), 20)
    hooks = [r for r in recv.webhooks() if json.loads(r["body"]).get("case_no") == case1]
    s.check("case.accepted reached the subscriber once", len(hooks) == 1, hooks)
    s.check("its signature verifies and its timestamp is fresh", hooks and all(h["valid"] for h in hooks))
    s.check("it names the event type", hooks and hooks[0]["headers"].get("X-OneWindow-Event") == "case.accepted")
    wait_until(lambda: any(r["path"] == "/sms" for r in recv.requests), 20)
    sms = [json.loads(r["body"]) for r in recv.requests if r["path"] == "/sms"]
    s.check("the applicant's notice went to the SMS gateway", sms and case1 in sms[0]["text"], sms)
    # an e-mail only when the applicant prefers it: set, then the next case uses it
    pref = rpc(s, ctx, "notify.set_preference", pb_field_bytes(1, "mail72@example.cn") +
               pb_field_bytes(2, "email"), key="pref-1")
    s.check("set_preference → OK", pref and pref["status"] == 0, pref)
    case2 = submit(s, items, 72, email="mail72@example.cn")
    wait_until(lambda: mail.messages, 20)
    s.check("an e-mail reached the SMTP server", mail.messages and
            mail.messages[0]["to"] == ["mail72@example.cn"], mail.messages)
    s.check("the e-mail is UTF-8 base64 with a Message-ID", mail.messages and
            b"charset=UTF-8" in mail.messages[0]["data"] and b"@onewindow>" in mail.messages[0]["data"])
    wait_until(lambda: all(d["state"] == "sent" for d in deliveries(s, ctx, case1)), 10)
    st = deliveries(s, ctx, case1)
    s.check("per-case status: file, webhook and sms all sent",
            {d["channel"] for d in st} >= {"file", "webhook", "sms"} and all(d["state"] == "sent" for d in st), st)

    # ---- failures: retried, then dead; resend -------------------------------------------
    recv.mode = "fail"
    case3 = submit(s, items, 73)
    wait_until(lambda: any(d["channel"] == "webhook" and d["state"] == "dead"
                           for d in deliveries(s, ctx, case3)), 30)
    st3 = {d["channel"]: d for d in deliveries(s, ctx, case3)}
    s.check("a webhook answered 500 is retried up to the limit, then dead",
            st3.get("webhook", {}).get("state") == "dead" and st3["webhook"]["attempts"] == 3, st3)
    dead_id = st3.get("webhook", {}).get("id", "")
    s.check("the receiver saw exactly 3 attempts", len(recv.by_delivery().get(dead_id, [])) == 3)
    listed = rpc(s, ctx, "notify.list_dead")
    s.check("list_dead shows it", listed and dead_id.encode() in listed["payload"], listed)
    recv.mode = "ok"
    rs = rpc(s, ctx, "notify.resend", pb_field_bytes(1, dead_id), key="resend-1")
    s.check("resend → OK", rs and rs["status"] == 0, rs)
    rs2 = rpc(s, ctx, "notify.resend", pb_field_bytes(1, dead_id), key="resend-2")
    s.check("resending what is no longer dead → FAILED_PRECONDITION", rs2 and rs2["status"] == 9, rs2)
    wait_until(lambda: any(d["id"] == dead_id and d["state"] == "sent" for d in deliveries(s, ctx, case3)), 15)
    s.check("the resent delivery is sent", any(d["id"] == dead_id and d["state"] == "sent"
                                             for d in deliveries(s, ctx, case3)))
    s.check("4 attempts reached the receiver in all", len(recv.by_delivery().get(dead_id, [])) == 4)

    # ---- a connection closed mid-request counts as a failure ----------------------------
    recv.mode = "close"
    case4 = submit(s, items, 74)
    wait_until(lambda: any(d["channel"] == "webhook" and d["attempts"] >= 2
                           for d in deliveries(s, ctx, case4)), 20)
    recv.mode = "ok"
    wait_until(lambda: any(d["channel"] == "webhook" and d["state"] == "sent"
                           for d in deliveries(s, ctx, case4)), 20)
    s.check("after closed connections the webhook is retried and sent",
            any(d["channel"] == "webhook" and d["state"] == "sent" for d in deliveries(s, ctx, case4)))

    # ---- SIGKILL mid-delivery -----------------------------------------------------------
    before = {k: len(v) for k, v in recv.by_delivery().items()}
    recv.mode = "hang"
    case5 = submit(s, items, 75)
    wait_until(lambda: any(json.loads(r["body"]).get("case_no") == case5 for r in recv.webhooks()), 20)
    s.kill("notifyd", signal.SIGKILL)
    recv.mode = "ok"
    s.start("notifyd")
    s.wait_ready("notifyd")
    wait_until(lambda: any(d["channel"] == "webhook" and d["state"] == "sent"
                           for d in deliveries(s, ctx, case5)), 30)
    after = recv.by_delivery()
    in_flight = [k for k, v in after.items() if k not in before and
                 any(json.loads(r["body"]).get("case_no") == case5 for r in v)]
    s.check("the delivery in flight was sent after the restart", any(
        d["channel"] == "webhook" and d["state"] == "sent" for d in deliveries(s, ctx, case5)))
    s.check("at most one repeat of the delivery in flight",
            len(in_flight) == 1 and len(after[in_flight[0]]) <= 2, {k: len(after[k]) for k in in_flight})
    s.check("nothing acknowledged before the kill was sent again",
            all(len(after.get(k, [])) == n for k, n in before.items()),
            {k: (n, len(after.get(k, []))) for k, n in before.items() if len(after.get(k, [])) != n})
    s.check("every webhook carried a valid signature", all(r["valid"] for r in recv.webhooks()))


def main():
    recv = Receiver()
    mail = Mailbox()
    threading.Thread(target=lambda: asyncore.loop(timeout=0.1), daemon=True).start()
    config = {
        "notify.max_attempts": "3",
        "notify.retry_base_ms": "200",
        "notify.retry_max_ms": "400",
        "notify.timeout_ms": "2000",
        "notify.connect_timeout_ms": "1000",
        "notify.poll_ms": "100",
        "notify.sms_url": "http://127.0.0.1:%d/sms" % recv.port,
        "notify.smtp_url": "smtp://127.0.0.1:%d" % mail.port,
        # the test may run at any hour: no quiet hours here (their rule is unit-tested)
        "notify.sms_quiet_start": "00:00",
        "notify.sms_quiet_end": "00:00",
    }
    harness.run(lambda s: test(s, recv, mail), extra_config=config)


if __name__ == "__main__":
    main()
