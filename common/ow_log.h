/* ow_log — one JSON object per line on stderr:
 * {"ts":"2026-11-22T13:00:00.123Z","level":"info","service":"intaked","msg":"…", …} */
#ifndef OW_LOG_H
#define OW_LOG_H

typedef enum { OW_LOG_DEBUG, OW_LOG_INFO, OW_LOG_WARN, OW_LOG_ERROR } ow_log_level_t;

/* Names the service in every line and sets the lowest level printed ("debug", "info",
 * "warn", "error"; unknown names mean info). Safe to call again. */
void ow_log_init(const char *service, const char *level);

/* Logs a printf-formatted message; it is JSON-escaped. */
void ow_log(ow_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Logs a message with extra string fields: pairs of key, value, ended by NULL.
 * ow_log_kv(OW_LOG_INFO, "case accepted", "case_no", no, "item", code, NULL); */
void ow_log_kv(ow_log_level_t level, const char *msg, ...) __attribute__((sentinel));

#define ow_debug(...) ow_log(OW_LOG_DEBUG, __VA_ARGS__)
#define ow_info(...)  ow_log(OW_LOG_INFO, __VA_ARGS__)
#define ow_warn(...)  ow_log(OW_LOG_WARN, __VA_ARGS__)
#define ow_error(...) ow_log(OW_LOG_ERROR, __VA_ARGS__)

#endif
