/* ow_loop — the daemon's single libevent loop, with ZeroMQ sockets, timers and signals.
 *
 * ZeroMQ sockets join the loop through ZMQ_FD, which is edge-triggered: one wake-up may
 * stand for many messages, and a send on a socket can make it readable without a wake-up.
 * So a watch drains while ZMQ_EVENTS says readable (up to a bound per turn, then yields to
 * other events and comes back), and every send through a watched socket must be followed
 * by ow_zwatch_poke() so the watch re-checks ZMQ_EVENTS. */
#ifndef OW_LOOP_H
#define OW_LOOP_H

#include <stdbool.h>
#include <event2/event.h>
#include "ow_status.h"

typedef struct ow_loop ow_loop_t;
typedef struct ow_zwatch ow_zwatch_t;
typedef struct ow_timer ow_timer_t;

/* Creates a loop with its own ZeroMQ context; SIGINT and SIGTERM stop it cleanly, SIGPIPE
 * is ignored. Returns NULL on failure. The caller owns it. */
ow_loop_t *ow_loop_new(void);

/* Runs the shutdown hooks (in reverse order of registration), closes the ZeroMQ context
 * (linger 0 for sockets still open) and frees the loop. Sets *self_p to NULL. */
void ow_loop_destroy(ow_loop_t **self_p);

struct event_base *ow_loop_base(ow_loop_t *self);

/* The ZeroMQ context every socket of this daemon is made from. */
void *ow_loop_zctx(ow_loop_t *self);

/* Runs until ow_loop_stop() or a stop signal. Returns 0. */
int ow_loop_run(ow_loop_t *self);

/* Asks the loop to stop after the current callback (safe from any callback). */
void ow_loop_stop(ow_loop_t *self);

/* True once a stop was asked: handlers stop taking new work. */
bool ow_loop_stopping(ow_loop_t *self);

/* Registers fn(arg) to run on ow_loop_destroy, before the ZeroMQ context closes. */
void ow_loop_on_shutdown(ow_loop_t *self, void (*fn)(void *arg), void *arg);

/* Called once per readable message; it must receive (non-blocking) exactly the frames of
 * one message from zsock. */
typedef void(ow_zsock_fn)(void *zsock, void *arg);

/* Watches a ZeroMQ socket. The loop owns the watch (freed on ow_loop_destroy) unless
 * ow_zwatch_destroy is called first; the caller still owns and closes the socket, after
 * destroying the watch. Returns NULL on failure. */
ow_zwatch_t *ow_loop_watch(ow_loop_t *self, void *zsock, ow_zsock_fn *on_message, void *arg);

/* Re-checks the socket soon: call after every send on a watched socket. */
void ow_zwatch_poke(ow_zwatch_t *watch);

/* Runs fn(arg) — arg as given to ow_loop_watch — once, the next time the socket can take a
 * message (ZMQ_POLLOUT): after a send refused with EAGAIN, because the high-water mark was
 * reached or, with ZMQ_IMMEDIATE, no connection is up yet. ZeroMQ signals ZMQ_FD when that
 * changes (a pipe attached, or drained below its low-water mark). */
void ow_zwatch_when_writable(ow_zwatch_t *watch, void (*fn)(void *arg));

void ow_zwatch_destroy(ow_zwatch_t **watch_p);

/* A timer firing after `seconds`, then every `seconds` when repeat is true. The loop owns
 * it unless ow_timer_destroy is called first. A negative `seconds` creates it disarmed
 * (ow_timer_arm starts it). fn may destroy its own timer. */
ow_timer_t *ow_loop_timer(ow_loop_t *self, double seconds, bool repeat, void (*fn)(void *arg),
                          void *arg);

/* Schedules a one-shot timer to fire after `seconds` (re-arms an existing timer). */
void ow_timer_arm(ow_timer_t *timer, double seconds);

void ow_timer_destroy(ow_timer_t **timer_p);

/* Sends the frames of one message on a ZeroMQ socket without blocking. Returns 0, or -1
 * with errno from zmq_send (EAGAIN at the high-water mark, EHOSTUNREACH for an unknown
 * ROUTER peer). Pokes `watch` (may be NULL) after sending. */
int ow_zsend(void *zsock, ow_zwatch_t *watch, const void *const *frames, const size_t *sizes,
             size_t count);

#endif
