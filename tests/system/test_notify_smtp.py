#!/usr/bin/python3
"""notifyd's e-mail channel against a real local SMTP server started here (issue 7, quality
bar): a server that can be told to answer 4xx/5xx at RCPT, at DATA or after the message, to
hang (accept and never answer, so notifyd's time-out fires) or to close the connection in
the middle of the dialogue. Shows for e-mail deliveries: a refusal then success is retried
and the message arrives once; a hang hits the time-out and is retried; a close is retried; a
delivery that always fails is dead after the attempt limit and, resent through the gateway's
POST /v1/admin/dead-letters/{id}/resend, arrives exactly once."""

import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import applicant, pb_decode, pb_field_bytes, wait_until  # noqa: E402

TIMEOUT_MS = 1500
MESSAGE_ID = re.compile(rb"Message-ID: <([0-9a-f-]{36})@onewindow>")


class SmtpServer:
    """A minimal SMTP server, one thread per connection. Each mail transaction takes the next
    mode from `plan` (else `default`):
      ok                         — accepts the message
      rcpt_451 / rcpt_550        — answers the RCPT command with that code
      data_451 / data_554        — answers the DATA command with that code
      eod_451 / eod_554          — reads the whole message, then refuses it with that code
      hang                       — stops answering (a new connection gets no greeting)
      close                      — closes the connection after MAIL FROM, before answering RCPT
    Records every accepted message and the mode each transaction ran under."""

    def __init__(self):
        self.plan = []
        self.default = "ok"
        self.lock = threading.Lock()
        self.messages = []  # dicts: rcpt, data, delivery_id
        self.transactions = []  # modes, in the order transactions began
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _next_mode(self, peek=False):
        with self.lock:
            if self.plan:
                return self.plan[0] if peek else self.plan.pop(0)
            return self.default

    def _accept(self):
        while True:
            conn, _ = self.sock.accept()
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _hang(self, conn, f):
        with self.lock:
            self.transactions.append("hang")
        conn.settimeout(30)  # bounded: the client's own time-out closes the socket first
        try:
            while f.readline():
                pass
        except OSError:
            pass

    def _serve(self, conn):
        f = conn.makefile("rb")
        try:
            with self.lock:
                hang_now = bool(self.plan) and self.plan[0] == "hang" or \
                    (not self.plan and self.default == "hang")
                if hang_now and self.plan:
                    self.plan.pop(0)
            if hang_now:
                return self._hang(conn, f)
            conn.sendall(b"220 test ESMTP\r\n")
            mode, rcpt = "ok", []
            while True:
                line = f.readline()
                if not line:
                    return
                verb = line.split(b" ", 1)[0].split(b":", 1)[0].strip().upper()
                if verb in (b"EHLO", b"HELO"):
                    conn.sendall(b"250-test\r\n250 8BITMIME\r\n")
                elif verb == b"MAIL":
                    mode, rcpt = self._next_mode(), []
                    with self.lock:
                        if mode != "hang":
                            self.transactions.append(mode)
                    if mode == "hang":
                        return self._hang(conn, f)
                    conn.sendall(b"250 ok\r\n")
                elif verb == b"RCPT":
                    if mode == "close":
                        conn.shutdown(socket.SHUT_RDWR)
                        return
                    if mode.startswith("rcpt_"):
                        conn.sendall(mode[5:].encode() + b" refused by the test\r\n")
                        continue
                    rcpt.append(line[8:].strip().strip(b"<>").decode())
                    conn.sendall(b"250 ok\r\n")
                elif verb == b"DATA":
                    if mode.startswith("data_"):
                        conn.sendall(mode[5:].encode() + b" refused by the test\r\n")
                        continue
                    conn.sendall(b"354 go ahead\r\n")
                    data = b""
                    while True:
                        chunk = f.readline()
                        if not chunk or chunk == b".\r\n":
                            break
                        data += chunk[1:] if chunk.startswith(b"..") else chunk
                    if not chunk:
                        return
                    if mode.startswith("eod_"):
                        conn.sendall(mode[4:].encode() + b" refused by the test\r\n")
                        continue
                    m = MESSAGE_ID.search(data)
                    with self.lock:
                        self.messages.append({"rcpt": rcpt, "data": data,
                                              "delivery_id": m.group(1).decode() if m else ""})
                    conn.sendall(b"250 queued\r\n")
                elif verb == b"RSET" or verb == b"NOOP":
                    mode = "ok"
                    conn.sendall(b"250 ok\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"502 not implemented\r\n")
        except OSError:
            return
        finally:
            try:
                f.close()
                conn.close()
            except OSError:
                pass

    def arrived(self, delivery_id):
        with self.lock:
            return [m for m in self.messages if m["delivery_id"] == delivery_id]

    def modes_seen(self):
        with self.lock:
            return list(self.transactions)


def rpc(s, ctx, method, payload=b"", key=None):
    frames = s.zmq_request(ctx, "notify", [harness.encode_request(method, payload=payload,
                                                                  idempotency_key=key or "")])
    return harness.decode_reply(frames[0]) if frames else None


def email_deliveries(s, ctx, case_no):
    r = rpc(s, ctx, "notify.case_deliveries", pb_field_bytes(1, case_no))
    out = []
    for d in pb_decode(r["payload"]).get(1, []) if r and r["status"] == 0 else []:
        f = pb_decode(d)
        if f.get(5, [b""])[0].decode() == "email":
            out.append({"id": f[1][0].decode(), "state": f.get(8, [b""])[0].decode(),
                        "attempts": f.get(9, [0])[0]})
    return out


def test(s, smtp):
    import zmq
    ctx = zmq.Context.instance()
    items = harness.demo_items(s)
    item = harness.pick_item(items)
    materials = [m["code"] for m in item["materials"] if m["required"] or m["optional_given"]]

    def submit(seq):
        """A case whose applicant prefers e-mail; returns (case_no, address)."""
        address = "smtp%d@example.cn" % seq
        pref = rpc(s, ctx, "notify.set_preference", pb_field_bytes(1, address) + pb_field_bytes(2, "email"),
                   key="pref-%d" % seq)
        s.check("%s prefers e-mail" % address, pref and pref["status"] == 0, pref)
        who = applicant(seq, "赵六")
        who["email"] = address
        status, resp = s.post("/v1/applications", {"item_code": item["code"], "applicant": who,
                                                   "materials": materials, "channel": "window",
                                                   "centre_id": ""})
        s.check("case %d submitted" % seq, status == 201, (status, resp))
        return (resp["case"]["case_no"] if status == 201 else ""), address

    def settled(case_no, timeout=20):
        """Waits until every e-mail delivery of the case is sent or dead; returns them."""
        wait_until(lambda: (lambda ds: ds and all(d["state"] in ("sent", "dead") for d in ds))(
            email_deliveries(s, ctx, case_no)), timeout)
        return email_deliveries(s, ctx, case_no)

    def retried_then_sent(what, seq, first_modes):
        smtp.plan = list(first_modes)
        case_no, address = submit(seq)
        ds = settled(case_no, timeout=10 + 3 * TIMEOUT_MS / 1000.0 * len(first_modes))
        s.check("%s: the case has e-mail deliveries" % what, ds, ds)
        s.check("%s: every e-mail delivery is sent" % what, ds and all(d["state"] == "sent" for d in ds), ds)
        s.check("%s: the plan was used up (the failures were really answered)" % what, not smtp.plan,
                (smtp.plan, smtp.modes_seen()))
        retried = [d for d in ds if d["attempts"] > 1]
        s.check("%s: a delivery needed %d attempts" % (what, len(first_modes) + 1),
                any(d["attempts"] == len(first_modes) + 1 for d in retried), ds)
        for d in ds:
            got = smtp.arrived(d["id"])
            s.check("%s: delivery %s arrived exactly once, to %s" % (what, d["id"][:8], address),
                    len(got) == 1 and got[0]["rcpt"] == [address], got)
        return ds

    # ---- refusals, then success: retried, sent once ----------------------------------------
    retried_then_sent("550 at RCPT", 81, ["rcpt_550"])
    retried_then_sent("451 at RCPT", 82, ["rcpt_451"])
    retried_then_sent("554 at DATA", 83, ["data_554"])
    retried_then_sent("451 at DATA", 84, ["data_451"])
    retried_then_sent("554 after the message", 85, ["eod_554"])
    retried_then_sent("451 after the message, twice", 86, ["eod_451", "eod_451"])

    # ---- a server that never answers: the time-out fires, then a retry succeeds ------------
    started = time.monotonic()
    retried_then_sent("a hanging server", 87, ["hang"])
    s.check("the hang took at least the time-out (%d ms)" % TIMEOUT_MS,
            time.monotonic() - started >= TIMEOUT_MS / 1000.0, time.monotonic() - started)

    # ---- the connection closed mid-dialogue: retried ---------------------------------------
    retried_then_sent("a connection closed after MAIL FROM", 88, ["close"])

    # ---- always refused: dead after the limit; resent through the gateway, once ------------
    smtp.default = "rcpt_550"
    before = len(smtp.modes_seen())
    case_no, address = submit(89)
    ds = settled(case_no, timeout=20)
    s.check("always refused: every e-mail delivery is dead", ds and all(d["state"] == "dead" for d in ds), ds)
    s.check("always refused: after exactly 3 attempts", ds and all(d["attempts"] == 3 for d in ds), ds)
    s.check("always refused: the server refused 3 transactions per delivery",
            len(smtp.modes_seen()) - before == 3 * len(ds), smtp.modes_seen()[before:])
    s.check("always refused: nothing arrived", ds and all(not smtp.arrived(d["id"]) for d in ds))
    smtp.default = "ok"
    for d in ds:
        st, body = s.post("/v1/admin/dead-letters/%s/resend" % d["id"], {})
        s.check("POST /v1/admin/dead-letters/%s/resend → 200" % d["id"][:8], st == 200, (st, body))
        st, body = s.post("/v1/admin/dead-letters/%s/resend" % d["id"], {})
        s.check("a second resend of what is no longer dead is refused (412)", st == 412, (st, body))
    ds = settled(case_no, timeout=15)
    wait_until(lambda: all(smtp.arrived(d["id"]) for d in ds), 5)
    time.sleep(1.0)  # time for a duplicate, if one were coming
    s.check("resent: every e-mail delivery is sent", ds and all(d["state"] == "sent" for d in ds), ds)
    for d in ds:
        got = smtp.arrived(d["id"])
        s.check("resent: delivery %s arrived exactly once" % d["id"][:8],
                len(got) == 1 and got[0]["rcpt"] == [address], got)
    ids = [m["delivery_id"] for m in smtp.messages]
    s.check("no message arrived twice in the whole run", len(ids) == len(set(ids)),
            [i for i in set(ids) if ids.count(i) > 1])
    print("SMTP transactions, in order: %s" % " ".join(smtp.modes_seen()))


def main():
    smtp = SmtpServer()
    config = {
        "notify.max_attempts": "3",
        "notify.retry_base_ms": "200",
        "notify.retry_max_ms": "400",
        "notify.timeout_ms": str(TIMEOUT_MS),
        "notify.connect_timeout_ms": "1000",
        "notify.poll_ms": "100",
        "notify.smtp_url": "smtp://127.0.0.1:%d" % smtp.port,
        "notify.sms_quiet_start": "00:00",
        "notify.sms_quiet_end": "00:00",
    }
    harness.run(lambda s: test(s, smtp), extra_config=config)


if __name__ == "__main__":
    main()
