/* routing_decide — load for routingd's request socket (tests/bench/routing_decide.sh builds
 * and runs it; not a ctest test).
 *
 *   routing_decide ENDPOINT decide SECONDS WINDOW TASKS_FILE   closed loop, WINDOW decisions
 *       in flight, one per task of TASKS_FILE ("task_id assignee" per line), each with a fresh
 *       idempotency key and the assignee as caller: decisions/s and latency
 *   routing_decide ENDPOINT mine SECONDS STAFF_COUNT            one request at a time,
 *       routing.work_list scope mine for a random staff member S1..S<STAFF_COUNT>: p50/p99
 *
 * Every reply is checked (status OK); failures are counted and the first few printed. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ow_clock.h"
#include "ow_loop.h"
#include "ow_rpc.h"
#include "onewindow/v1/routing.pb-c.h"

typedef struct {
    ow_loop_t *loop;
    ow_rpc_client_t *client;
    char (*task)[40];
    char (*who)[16];
    long n_tasks, next, ok, failed, in_flight, staff;
    bool mine;
    int64_t end_mono, start_mono;
    int64_t *lat;
    long lat_n, lat_cap;
    char run_id[32];
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
        fprintf(stderr, "%s: %s %s\n", b->mine ? "routing.work_list" : "routing.decide",
                ow_status_name(r->status), r->message);
    }
    free(q);
    if (ow_clock_mono_us() < b->end_mono && (b->mine || b->next < b->n_tasks))
        s_send(b);
    else if (b->in_flight == 0)
        ow_loop_stop(b->loop);
}

static void s_send(s_bench_t *b)
{
    s_req_t *q = malloc(sizeof *q);
    q->b = b;
    q->sent_mono = ow_clock_mono_us();
    uint8_t body[256];
    size_t len;
    b->in_flight++;
    if (b->mine) {
        char key[16];
        snprintf(key, sizeof key, "S%ld", 1 + rand() % b->staff);
        Onewindow__V1__WorkList w = ONEWINDOW__V1__WORK_LIST__INIT;
        w.scope = "mine";
        w.key = key;
        w.limit = 50;
        len = onewindow__v1__work_list__pack(&w, body);
        ow_rpc_call(b->client, "routing.work_list", NULL, "bench", body, len, 10000, s_done, q);
        return;
    }
    long i = b->next++;
    Onewindow__V1__DecideTask d = ONEWINDOW__V1__DECIDE_TASK__INIT;
    d.task_id = b->task[i];
    d.decision = "approve";
    d.comment = "符合条件，准予许可";
    len = onewindow__v1__decide_task__pack(&d, body);
    char key[64];
    snprintf(key, sizeof key, "bench-%s-%ld", b->run_id, i);
    ow_rpc_call(b->client, "routing.decide", key, b->who[i], body, len, 10000, s_done, q);
}

static int s_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 5 || (strcmp(argv[2], "decide") == 0 && argc != 6)) {
        fprintf(stderr, "usage: routing_decide ENDPOINT decide SECONDS WINDOW TASKS_FILE\n"
                        "       routing_decide ENDPOINT mine SECONDS STAFF_COUNT\n");
        return 2;
    }
    s_bench_t b = {0};
    b.mine = strcmp(argv[2], "mine") == 0;
    double seconds = atof(argv[3]);
    snprintf(b.run_id, sizeof b.run_id, "%" PRId64, ow_clock_real_us());
    b.lat_cap = 2000000;
    b.lat = malloc(sizeof *b.lat * (size_t)b.lat_cap);
    int window = 1;
    if (b.mine) {
        b.staff = atol(argv[4]);
    } else {
        window = atoi(argv[4]);
        FILE *f = fopen(argv[5], "r");
        if (!f) {
            perror(argv[5]);
            return 1;
        }
        long cap = 200000;
        b.task = malloc(sizeof *b.task * (size_t)cap);
        b.who = malloc(sizeof *b.who * (size_t)cap);
        while (b.n_tasks < cap && fscanf(f, "%39s %15s", b.task[b.n_tasks], b.who[b.n_tasks]) == 2)
            b.n_tasks++;
        fclose(f);
    }
    b.loop = ow_loop_new();
    ow_error_t err;
    ow_error_clear(&err);
    b.client = ow_rpc_client_new(b.loop, argv[1], &err);
    if (!b.client) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    b.start_mono = ow_clock_mono_us();
    b.end_mono = b.start_mono + (int64_t)(seconds * 1e6);
    for (int i = 0; i < window && (b.mine || b.next < b.n_tasks); i++)
        s_send(&b);
    ow_loop_run(b.loop);
    double elapsed = (double)(ow_clock_mono_us() - b.start_mono) / 1e6;
    qsort(b.lat, (size_t)b.lat_n, sizeof *b.lat, s_cmp);
    double p50 = b.lat_n ? b.lat[b.lat_n / 2] / 1000.0 : 0;
    double p99 = b.lat_n ? b.lat[(long)(b.lat_n * 0.99)] / 1000.0 : 0;
    printf("%s: %ld ok, %ld failed in %.2f s = %.0f/s; latency p50 %.2f ms, p99 %.2f ms\n",
           b.mine ? "my tasks (routing.work_list mine, 1 in flight)" : "decisions (routing.decide)",
           b.ok, b.failed, elapsed, b.ok / elapsed, p50, p99);
    ow_rpc_client_destroy(&b.client);
    ow_loop_destroy(&b.loop);
    free(b.lat);
    free(b.task);
    free(b.who);
    return b.failed ? 1 : 0;
}
