/* intake_submit — load for intaked's request socket (tests/bench/intake_submit.sh builds and
 * runs it; not a ctest test). Sends intake.submit for the demo item 食品经营许可 with complete
 * materials, each with a fresh idempotency key, and prints what was accepted:
 *
 *   intake_submit ENDPOINT max SECONDS WINDOW   closed loop, WINDOW requests in flight:
 *                                               accepted applications/s
 *   intake_submit ENDPOINT rate SECONDS RATE    open loop at RATE/s: p50/p99/max latency
 *
 * Every reply is checked (status OK); a failure is counted and printed. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ow_clock.h"
#include "ow_loop.h"
#include "ow_rpc.h"
#include "onewindow/v1/intake.pb-c.h"

typedef struct {
    ow_loop_t *loop;
    ow_rpc_client_t *client;
    uint8_t body[1024];
    size_t body_len;
    long sent, ok, failed, in_flight;
    int64_t end_mono;
    bool rate_mode;
    double rate;
    int64_t start_mono;
    int64_t *lat;
    long lat_n, lat_cap;
    char run_id[32];
    ow_timer_t *tick;
} s_bench_t;

typedef struct {
    s_bench_t *b;
    int64_t sent_mono;
} s_req_t;

static void s_send(s_bench_t *b);

static void s_done(const ow_rpc_result_t *r, void *arg)
{
    s_req_t *q = arg;
    s_bench_t *b = q->b;
    b->in_flight--;
    if (r->status == OW_OK) {
        b->ok++;
        if (b->lat_n < b->lat_cap)
            b->lat[b->lat_n++] = ow_clock_mono_us() - q->sent_mono;
    } else if (b->failed++ < 5) {
        fprintf(stderr, "intake.submit: %s %s\n", ow_status_name(r->status), r->message);
    }
    free(q);
    if (!b->rate_mode && ow_clock_mono_us() < b->end_mono)
        s_send(b);
    else if (ow_clock_mono_us() >= b->end_mono && b->in_flight == 0)
        ow_loop_stop(b->loop);
}

static void s_send(s_bench_t *b)
{
    s_req_t *q = malloc(sizeof *q);
    q->b = b;
    q->sent_mono = ow_clock_mono_us();
    char key[64];
    snprintf(key, sizeof key, "bench-%s-%ld", b->run_id, b->sent++);
    b->in_flight++;
    ow_rpc_call(b->client, "intake.submit", key, "bench", b->body, b->body_len, 10000, s_done, q);
}

/* Open loop: every millisecond, send what the rate owes since the start. */
static void s_on_tick(void *arg)
{
    s_bench_t *b = arg;
    int64_t now = ow_clock_mono_us();
    if (now >= b->end_mono) {
        if (b->in_flight == 0)
            ow_loop_stop(b->loop);
        return;
    }
    long owed = (long)((double)(now - b->start_mono) / 1e6 * b->rate);
    while (b->sent < owed)
        s_send(b);
}

static int s_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: intake_submit ENDPOINT max|rate SECONDS WINDOW|RATE\n");
        return 2;
    }
    s_bench_t b = {0};
    double seconds = atof(argv[3]);
    b.rate_mode = strcmp(argv[2], "rate") == 0;
    b.rate = atof(argv[4]);
    snprintf(b.run_id, sizeof b.run_id, "%" PRId64, ow_clock_real_us());
    b.lat_cap = 2000000;
    b.lat = malloc(sizeof *b.lat * (size_t)b.lat_cap);
    b.loop = ow_loop_new();
    ow_error_t err;
    ow_error_clear(&err);
    b.client = ow_rpc_client_new(b.loop, argv[1], &err);
    if (!b.client) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    static char *materials[] = {"SPJY-01", "SPJY-03", "SPJY-04", "SPJY-05"};
    Onewindow__V1__Applicant a = ONEWINDOW__V1__APPLICANT__INIT;
    a.name = "压测申请人";
    a.id_type = "resident_id";
    a.id_number = "11010519491231002X";
    a.phone = "13800000000";
    Onewindow__V1__SubmitApplication req = ONEWINDOW__V1__SUBMIT_APPLICATION__INIT;
    req.item_code = "113301220025190176000117004000";
    req.applicant = &a;
    req.material_codes = materials;
    req.n_material_codes = 4;
    b.body_len = onewindow__v1__submit_application__pack(&req, b.body);

    b.start_mono = ow_clock_mono_us();
    b.end_mono = b.start_mono + (int64_t)(seconds * 1e6);
    if (b.rate_mode) {
        b.tick = ow_loop_timer(b.loop, 0.001, true, s_on_tick, &b);
    } else {
        for (int i = 0; i < atoi(argv[4]); i++)
            s_send(&b);
    }
    ow_loop_run(b.loop);
    double elapsed = (double)(ow_clock_mono_us() - b.start_mono) / 1e6;
    qsort(b.lat, (size_t)b.lat_n, sizeof *b.lat, s_cmp);
    double p50 = b.lat_n ? b.lat[b.lat_n / 2] / 1000.0 : 0;
    double p99 = b.lat_n ? b.lat[(long)(b.lat_n * 0.99)] / 1000.0 : 0;
    double mx = b.lat_n ? b.lat[b.lat_n - 1] / 1000.0 : 0;
    printf("%s: sent %ld, accepted %ld, failed %ld in %.2f s = %.0f accepted/s; latency p50 "
           "%.2f ms, p99 %.2f ms, max %.2f ms\n",
           b.rate_mode ? "fixed rate" : "max", b.sent, b.ok, b.failed, elapsed, b.ok / elapsed, p50,
           p99, mx);
    ow_timer_destroy(&b.tick);
    ow_rpc_client_destroy(&b.client);
    ow_loop_destroy(&b.loop);
    free(b.lat);
    return b.failed ? 1 : 0;
}
