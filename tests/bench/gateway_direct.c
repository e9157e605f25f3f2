/* gateway_direct — the reference figures of tests/bench/gateway_wrk.sh: the requests the
 * gateway makes for a case lookup and for a submission, sent straight to the services'
 * request sockets (ow_rpc clients: DEALER sockets, as in gatewayd), closed loop with
 * CONNECTIONS requests in flight like wrk's connections. Built and run only by the script:
 *
 *   gateway_direct lookup SECONDS CONNECTIONS CASE_NO INTAKE ROUTING DEADLINE EVALUATION
 *       one lookup = the four calls of GET /v1/cases/{no} at once (cases.c packs them),
 *       done when all four answered (OK or NOT_FOUND, as the gateway accepts)
 *   gateway_direct submit SECONDS CONNECTIONS ITEM_CODE INTAKE
 *       one submission = intake.submit with a fresh idempotency key (accepted = OK)
 *
 * Prints "requests/s R p99_ms P failed F"; exits 1 when a request failed. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "ow_clock.h"
#include "ow_loop.h"
#include "ow_rpc.h"
#include "onewindow/v1/intake.pb-c.h"

#define S_TIMEOUT_MS 10000

typedef struct {
    ow_loop_t *loop;
    ow_rpc_client_t *clients[CASES_PART_COUNT]; /* lookup: one per part; submit: [0] */
    bool lookup;
    const char *case_no;
    uint8_t submit_body[1024];
    size_t submit_len;
    char run_id[32];
    long sent, done, failed, in_flight;
    int64_t end_mono;
    int64_t *lat;
    long lat_n, lat_cap;
} s_bench_t;

typedef struct {
    s_bench_t *b;
    int64_t sent_mono;
    int pending; /* lookup: parts still to answer */
    bool failed;
} s_req_t;

static void s_send(s_bench_t *b);

static void s_finish(s_req_t *q)
{
    s_bench_t *b = q->b;
    b->in_flight--;
    b->done++;
    if (q->failed)
        b->failed++;
    else if (b->lat_n < b->lat_cap)
        b->lat[b->lat_n++] = ow_clock_mono_us() - q->sent_mono;
    free(q);
    if (ow_clock_mono_us() < b->end_mono)
        s_send(b);
    else if (b->in_flight == 0)
        ow_loop_stop(b->loop);
}

static void s_part_done(const ow_rpc_result_t *r, void *arg)
{
    s_req_t *q = arg;
    bool ok = r->status == OW_OK || (q->b->lookup && r->status == OW_NOT_FOUND);
    if (!ok) {
        if (q->b->failed < 5)
            fprintf(stderr, "gateway_direct: %s %s\n", ow_status_name(r->status), r->message);
        q->failed = true;
    }
    if (--q->pending == 0)
        s_finish(q);
}

static void s_send(s_bench_t *b)
{
    s_req_t *q = calloc(1, sizeof *q);
    if (!q) {
        ow_loop_stop(b->loop);
        return;
    }
    q->b = b;
    q->sent_mono = ow_clock_mono_us();
    b->sent++;
    b->in_flight++;
    if (!b->lookup) {
        char key[64];
        snprintf(key, sizeof key, "direct-%s-%ld", b->run_id, b->sent);
        q->pending = 1;
        ow_rpc_call(b->clients[0], "intake.submit", key, "bench", b->submit_body, b->submit_len,
                    S_TIMEOUT_MS, s_part_done, q);
        return;
    }
    /* Counted first: a part may answer before the last call is made. */
    q->pending = CASES_PART_COUNT;
    for (int i = 0; i < CASES_PART_COUNT; i++) {
        uint8_t *payload = NULL;
        size_t len = 0;
        ow_error_t err;
        ow_error_clear(&err);
        if (cases_pack_request((cases_part_t)i, b->case_no, &payload, &len, &err) != 0) {
            ow_rpc_result_t failed = {.status = err.code, .message = err.message};
            s_part_done(&failed, q);
            continue;
        }
        ow_rpc_call(b->clients[i], cases_part_method((cases_part_t)i), NULL, NULL, payload, len,
                    S_TIMEOUT_MS, s_part_done, q);
        free(payload);
    }
}

static int s_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int status = 1;
    s_bench_t b = {0};
    b.lookup = argc == 9 && strcmp(argv[1], "lookup") == 0;
    if (!b.lookup && !(argc == 6 && strcmp(argv[1], "submit") == 0)) {
        fprintf(stderr, "usage: gateway_direct lookup SECONDS CONNECTIONS CASE_NO INTAKE ROUTING "
                        "DEADLINE EVALUATION\n       gateway_direct submit SECONDS CONNECTIONS "
                        "ITEM_CODE INTAKE\n");
        return 2;
    }
    double seconds = atof(argv[2]);
    int connections = atoi(argv[3]);
    snprintf(b.run_id, sizeof b.run_id, "%" PRId64, ow_clock_real_us());
    b.lat_cap = 4000000;
    b.lat = malloc(sizeof *b.lat * (size_t)b.lat_cap);
    b.loop = ow_loop_new();
    if (!b.lat || !b.loop)
        goto cleanup;
    int nclients = b.lookup ? CASES_PART_COUNT : 1;
    for (int i = 0; i < nclients; i++) {
        ow_error_t err;
        ow_error_clear(&err);
        b.clients[i] = ow_rpc_client_new(b.loop, argv[5 + i], &err);
        if (!b.clients[i]) {
            fprintf(stderr, "gateway_direct: %s: %s\n", argv[5 + i], err.message);
            goto cleanup;
        }
    }
    if (b.lookup) {
        b.case_no = argv[4];
    } else {
        /* The same application as the script's wrk submission (demo item 食品经营许可). */
        static char *materials[] = {"SPJY-01", "SPJY-03", "SPJY-04", "SPJY-05"};
        Onewindow__V1__Applicant a = ONEWINDOW__V1__APPLICANT__INIT;
        a.name = "压测申请人";
        a.id_type = "resident_id";
        a.id_number = "11010519491231002X";
        a.phone = "13800000000";
        Onewindow__V1__SubmitApplication req = ONEWINDOW__V1__SUBMIT_APPLICATION__INIT;
        req.item_code = argv[4];
        req.applicant = &a;
        req.material_codes = materials;
        req.n_material_codes = 4;
        b.submit_len = onewindow__v1__submit_application__pack(&req, b.submit_body);
    }
    int64_t start = ow_clock_mono_us();
    b.end_mono = start + (int64_t)(seconds * 1e6);
    for (int i = 0; i < connections; i++)
        s_send(&b);
    ow_loop_run(b.loop);
    double elapsed = (double)(ow_clock_mono_us() - start) / 1e6;
    qsort(b.lat, (size_t)b.lat_n, sizeof *b.lat, s_cmp);
    double p99 = b.lat_n ? (double)b.lat[(long)((double)b.lat_n * 0.99)] / 1000.0 : 0;
    printf("requests/s %.0f p99_ms %.2f failed %ld\n", (double)(b.done - b.failed) / elapsed, p99,
           b.failed);
    status = b.failed ? 1 : 0;
cleanup:
    for (int i = 0; i < CASES_PART_COUNT; i++)
        ow_rpc_client_destroy(&b.clients[i]);
    ow_loop_destroy(&b.loop);
    free(b.lat);
    return status;
}
