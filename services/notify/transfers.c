/* transfers — see transfers.h. The pattern is libcurl's own "hiperfifo" example
 * (docs/examples/hiperfifo.c): one libevent event per socket libcurl names, one timer. */
#include "transfers.h"

#include <stdlib.h>
#include <string.h>

/* One running transfer; kept in a list so that destroy can abort what is still running
 * (libcurl 7.88 has no curl_multi_get_handles). */
typedef struct s_job {
    CURL *easy;
    transfers_done_fn *done;
    void *arg;
    struct s_job *prev, *next;
    char error[CURL_ERROR_SIZE];
} s_job_t;

/* One socket libcurl asked us to watch; freed when libcurl says CURL_POLL_REMOVE. */
typedef struct {
    struct event *ev;
    transfers_t *owner;
} s_sock_t;

struct transfers {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    int running;   /* started, done not yet called */
    s_job_t *jobs; /* the running ones */
};

static void s_unlink(transfers_t *self, s_job_t *job)
{
    if (job->prev)
        job->prev->next = job->next;
    else
        self->jobs = job->next;
    if (job->next)
        job->next->prev = job->prev;
}

static void s_check_done(transfers_t *self)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(self->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode result = msg->data.result;
        s_job_t *job = NULL;
        long code = 0;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&job);
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
        curl_multi_remove_handle(self->multi, easy);
        self->running--;
        const char *error = job && *job->error ? job->error : curl_easy_strerror(result);
        if (result == CURLE_OK)
            error = "";
        /* The job is freed before the callback so that the callback may start a new
         * transfer (or destroy nothing else) without it; the error text is copied first. */
        char text[CURL_ERROR_SIZE];
        snprintf(text, sizeof text, "%s", error);
        transfers_done_fn *done = job ? job->done : NULL;
        void *arg = job ? job->arg : NULL;
        if (job)
            s_unlink(self, job);
        free(job);
        curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
        curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, NULL);
        if (done)
            done(easy, result, code, text, arg);
    }
}

static void s_on_socket(evutil_socket_t fd, short what, void *arg)
{
    s_sock_t *sock = arg;
    transfers_t *self = sock->owner;
    int action =
        ((what & EV_READ) ? CURL_CSELECT_IN : 0) | ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    int still;
    curl_multi_socket_action(self->multi, fd, action, &still);
    s_check_done(self);
}

static void s_on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    transfers_t *self = arg;
    int still;
    curl_multi_socket_action(self->multi, CURL_SOCKET_TIMEOUT, 0, &still);
    s_check_done(self);
}

/* CURLMOPT_SOCKETFUNCTION: watch, re-watch or forget one socket. */
static int s_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    transfers_t *self = userp;
    s_sock_t *sock = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (sock) {
            event_free(sock->ev);
            free(sock);
            curl_multi_assign(self->multi, fd, NULL);
        }
        return 0;
    }
    short kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
                 ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
    if (!sock) {
        sock = calloc(1, sizeof *sock);
        if (!sock)
            return -1; /* libcurl fails the transfer */
        sock->owner = self;
        curl_multi_assign(self->multi, fd, sock);
    } else {
        event_free(sock->ev);
    }
    sock->ev = event_new(self->base, fd, kind, s_on_socket, sock);
    if (!sock->ev || event_add(sock->ev, NULL) != 0)
        return -1;
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: -1 removes the timer, 0 means "call me as soon as possible". */
static int s_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    transfers_t *self = userp;
    if (timeout_ms < 0) {
        evtimer_del(self->timer);
        return 0;
    }
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    return evtimer_add(self->timer, &tv) == 0 ? 0 : -1;
}

transfers_t *transfers_new(struct event_base *base, ow_error_t *err)
{
    static int s_global_done;
    if (!s_global_done) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            ow_error_set(err, OW_INTERNAL, "curl_global_init failed");
            return NULL;
        }
        s_global_done = 1;
    }
    transfers_t *self = calloc(1, sizeof *self);
    if (!self)
        goto oom;
    self->base = base;
    self->multi = curl_multi_init();
    self->timer = evtimer_new(base, s_on_timer, self);
    if (!self->multi || !self->timer)
        goto oom;
    curl_multi_setopt(self->multi, CURLMOPT_SOCKETFUNCTION, s_socket_cb);
    curl_multi_setopt(self->multi, CURLMOPT_SOCKETDATA, self);
    curl_multi_setopt(self->multi, CURLMOPT_TIMERFUNCTION, s_timer_cb);
    curl_multi_setopt(self->multi, CURLMOPT_TIMERDATA, self);
    return self;
oom:
    ow_error_set(err, OW_INTERNAL, "out of memory creating the transfer set");
    transfers_destroy(&self);
    return NULL;
}

void transfers_destroy(transfers_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    transfers_t *self = *self_p;
    if (self->multi) {
        while (self->jobs) {
            s_job_t *job = self->jobs;
            self->jobs = job->next;
            curl_multi_remove_handle(self->multi, job->easy);
            free(job);
        }
        curl_multi_cleanup(self->multi);
    }
    if (self->timer)
        event_free(self->timer);
    free(self);
    *self_p = NULL;
}

int transfers_start(transfers_t *self, CURL *easy, transfers_done_fn *done, void *arg,
                    ow_error_t *err)
{
    s_job_t *job = calloc(1, sizeof *job);
    if (!job) {
        ow_error_set(err, OW_INTERNAL, "out of memory starting a transfer");
        return -1;
    }
    job->easy = easy;
    job->done = done;
    job->arg = arg;
    curl_easy_setopt(easy, CURLOPT_PRIVATE, job);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, job->error);
    CURLMcode mc = curl_multi_add_handle(self->multi, easy);
    if (mc != CURLM_OK) {
        curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
        curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, NULL);
        free(job);
        ow_error_set(err, OW_INTERNAL, "curl_multi_add_handle: %s", curl_multi_strerror(mc));
        return -1;
    }
    self->running++;
    job->next = self->jobs;
    if (self->jobs)
        self->jobs->prev = job;
    self->jobs = job;
    return 0;
}

int transfers_running(const transfers_t *self)
{
    return self->running;
}
