/* ow_ops_http — each daemon's operations port: GET /healthz (alive: 200 while the loop
 * turns), GET /readyz (200 when the readiness callback says the database and the bus are
 * up, else 503 with the reason), GET /metrics (Prometheus text format). */
#ifndef OW_OPS_HTTP_H
#define OW_OPS_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include "ow_loop.h"
#include "ow_status.h"

typedef struct ow_ops_http ow_ops_http_t;
typedef struct ow_metrics ow_metrics_t;

/* ---- metrics registry ---- */

ow_metrics_t *ow_metrics_new(const char *service);
void ow_metrics_destroy(ow_metrics_t **self_p);

/* Returns a stable slot for a counter (monotonic) or gauge, created on first use. name is a
 * Prometheus metric name without the "onewindow_" prefix; labels may be NULL or
 * `key="value"` text. The registry owns the slot. */
uint64_t *ow_metrics_counter(ow_metrics_t *self, const char *name, const char *labels,
                             const char *help);
double *ow_metrics_gauge(ow_metrics_t *self, const char *name, const char *labels,
                         const char *help);

/* Called at every scrape to refresh gauges from live state. */
void ow_metrics_on_scrape(ow_metrics_t *self, void (*fn)(ow_metrics_t *m, void *arg), void *arg);

/* Renders the text exposition into a new string (caller frees). */
char *ow_metrics_render(ow_metrics_t *self);

/* ---- the HTTP port ---- */

/* Writes the reason when not ready into why (size bytes). */
typedef bool(ow_ready_fn)(void *arg, char *why, size_t size);

/* Binds host:port ("127.0.0.1:8110"; port 0 picks one) on the loop. Returns NULL with err. */
ow_ops_http_t *ow_ops_http_new(ow_loop_t *loop, const char *bind, ow_metrics_t *metrics,
                               ow_ready_fn *ready, void *arg, ow_error_t *err);

void ow_ops_http_destroy(ow_ops_http_t **self_p);

/* The bound port (useful when 0 was asked for). */
int ow_ops_http_port(const ow_ops_http_t *self);

#endif
