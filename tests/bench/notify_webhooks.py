#!/usr/bin/python3
"""Benchmark (run by hand, not by ctest): webhook deliveries per second from notifyd to a
local receiver with notify.max_in_flight in flight, and notifyd's peak memory.

    OW_TEST_DATABASE_URL='postgresql:///postgres?host=/tmp/owdev/sock&user=postgres' \
    OW_BUILD_DIR=/tmp/owb-notify /usr/bin/python3 tests/bench/notify_webhooks.py [N] [IN_FLIGHT]

The receiver is asyncio with keep-alive (answers 200 at once). Reference measured in the same
run: the same receiver driven by a plain asyncio client with the same concurrency (what the
receiver and the machine can take without notifyd). Deliveries are inserted straight into
notify.deliveries (as the inbox would queue them) so only the sending engine is measured."""

import asyncio
import os
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "system"))
import harness  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
IN_FLIGHT = int(sys.argv[2]) if len(sys.argv) > 2 else 200
COUNT = [0]


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            n = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    n = int(line.split(b":")[1])
            if n:
                await reader.readexactly(n)
            COUNT[0] += 1
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    writer.close()


def start_receiver():
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024))
    port = server.sockets[0].getsockname()[1]
    threading.Thread(target=loop.run_forever, daemon=True).start()
    return port


async def reference(port, total, conc):
    body = b'{"x":1}'
    req = (b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    per = total // conc

    async def one():
        r, w = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(per):
            w.write(req)
            await r.readuntil(b"\r\n\r\n")
        w.close()
    t = time.monotonic()
    await asyncio.gather(*(one() for _ in range(conc)))
    return per * conc / (time.monotonic() - t)


def main():
    port = start_receiver()
    config = {"notify.max_in_flight": str(IN_FLIGHT), "notify.poll_ms": "50",
              "log.level": "warn"}
    with harness.System(extra_config=config, load_demo=False) as s:
        sub = s.sql_value("INSERT INTO notify.webhook_subscriptions (url, event_types, secret,"
                          " created_at_us) VALUES (%s, '{*}', 'bench-secret-0123456789', 0)"
                          " RETURNING subscription_id", ("http://127.0.0.1:%d/hook" % port,))
        pid = s.daemons["notifyd"].proc.pid
        base = COUNT[0]
        body = '{"event_id":"x","type":"bench.event","payload":""}'
        t0 = time.monotonic()
        s.sql("INSERT INTO notify.deliveries (event_id, kind, recipient, channel, case_no, text,"
              " template_kind, template_version, queued_at_us, target, subscription_id,"
              " event_type) SELECT gen_random_uuid(), 'bench.event', %s, 'webhook', 'bench', %s,"
              " 'event_json', 1, 0, %s, %s, 'bench.event' FROM generate_series(1, %s)",
              (str(sub), body, "http://127.0.0.1:%d/hook" % port, str(sub), N))
        t1 = time.monotonic()
        harness.wait_until(lambda: s.sql_value("SELECT count(*) FROM notify.deliveries WHERE"
                                               " channel = 'webhook' AND state = 'sent'") >= N,
                           timeout=600, interval=0.05)
        t2 = time.monotonic()
        with open("/proc/%d/status" % pid) as f:
            mem = {l.split(":")[0]: l.split(":")[1].strip() for l in f if l.startswith("Vm")}
        received = COUNT[0] - base
        print("notifyd: %d webhooks sent (receiver saw %d) in %.2f s after queueing (%.2f s):"
              " %.0f deliveries/s with %d in flight" % (N, received, t2 - t1, t1 - t0,
                                                      N / (t2 - t1), IN_FLIGHT))
        print("notifyd memory: VmHWM %s, VmRSS %s" % (mem.get("VmHWM"), mem.get("VmRSS")))
    ref = asyncio.run(reference(port, min(N, 20000), IN_FLIGHT))
    print("reference: the same receiver, plain asyncio keep-alive client, %d connections:"
          " %.0f requests/s" % (IN_FLIGHT, ref))


if __name__ == "__main__":
    main()
