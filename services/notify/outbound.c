/* outbound — see outbound.h. */
#include "outbound.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "webhook_signature.h"

/* Answers of receivers are read and dropped; this bounds what we accept of them. */
#define S_RESPONSE_MAX (64 * 1024)

struct outbound {
    CURL *easy;
    struct curl_slist *headers;
    struct curl_slist *rcpt;
    char *body;
    size_t body_len, sent;
    size_t received;
    bool smtp;
};

char *outbound_base64(const void *data, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (!out)
        return NULL;
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

static size_t s_discard(char *ptr, size_t size, size_t n, void *arg)
{
    (void)ptr;
    outbound_t *self = arg;
    self->received += size * n;
    return self->received > S_RESPONSE_MAX ? 0 : size * n;
}

/* CURLOPT_READFUNCTION for SMTP: the message, then 0 for its end. */
static size_t s_read(char *buf, size_t size, size_t n, void *arg)
{
    outbound_t *self = arg;
    size_t room = size * n, left = self->body_len - self->sent;
    size_t len = left < room ? left : room;
    memcpy(buf, self->body + self->sent, len);
    self->sent += len;
    return len;
}

static bool s_add_header(outbound_t *self, const char *fmt, const char *a, const char *b)
{
    char line[512];
    snprintf(line, sizeof line, fmt, a, b ? b : "");
    struct curl_slist *grown = curl_slist_append(self->headers, line);
    if (!grown)
        return false;
    self->headers = grown;
    return true;
}

static void s_common(outbound_t *self, const outbound_config_t *cfg, const char *url)
{
    CURL *e = self->easy;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, cfg->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, s_discard);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, self);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
}

/* An HTTP POST of self->body with self->headers. */
static int s_http_post(outbound_t *self, const outbound_config_t *cfg, const char *url,
                       ow_error_t *err)
{
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "target is not an http(s) URL");
        return -1;
    }
    s_common(self, cfg, url);
    curl_easy_setopt(self->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(self->easy, CURLOPT_POST, 1L);
    curl_easy_setopt(self->easy, CURLOPT_POSTFIELDS, self->body);
    curl_easy_setopt(self->easy, CURLOPT_POSTFIELDSIZE, (long)self->body_len);
    /* "Expect: 100-continue" would cost a round trip per delivery. */
    if (!s_add_header(self, "Expect:%s%s", "", NULL))
        return -1;
    curl_easy_setopt(self->easy, CURLOPT_HTTPHEADER, self->headers);
    return 0;
}

static int s_webhook(outbound_t *self, const outbound_config_t *cfg, const outbound_message_t *m,
                     int64_t now_s, ow_error_t *err)
{
    if (!m->secret || !*m->secret) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "webhook subscription is gone (no secret)");
        return -1;
    }
    self->body = strdup(m->text);
    if (!self->body)
        goto oom;
    self->body_len = strlen(self->body);
    char sig[WEBHOOK_SIGNATURE_SIZE], ts[24];
    if (webhook_sign(m->secret, now_s, self->body, self->body_len, sig) != 0) {
        ow_error_set(err, OW_INTERNAL, "cannot sign the webhook (OpenSSL HMAC failed)");
        return -1;
    }
    snprintf(ts, sizeof ts, "%" PRId64, now_s);
    if (!s_add_header(self, "Content-Type: %s%s", "application/json; charset=utf-8", NULL) ||
        !s_add_header(self, "%s: %s", WEBHOOK_TIMESTAMP_HEADER, ts) ||
        !s_add_header(self, "%s: %s", WEBHOOK_SIGNATURE_HEADER, sig) ||
        !s_add_header(self, "%s: %s", WEBHOOK_DELIVERY_HEADER, m->delivery_id) ||
        !s_add_header(self, "%s: %s", WEBHOOK_EVENT_HEADER, m->event_type))
        goto oom;
    return s_http_post(self, cfg, m->target, err);
oom:
    ow_error_set(err, OW_INTERNAL, "out of memory building a webhook");
    return -1;
}

static int s_sms(outbound_t *self, const outbound_config_t *cfg, const outbound_message_t *m,
                 ow_error_t *err)
{
    if (!cfg->sms_url || !*cfg->sms_url) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "the SMS channel is not configured (notify.sms_url)");
        return -1;
    }
    json_t *o = json_pack("{s:s, s:s, s:s}", "to", m->target, "text", m->text, "delivery_id",
                          m->delivery_id);
    self->body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!self->body)
        goto oom;
    self->body_len = strlen(self->body);
    if (!s_add_header(self, "Content-Type: %s%s", "application/json; charset=utf-8", NULL) ||
        !s_add_header(self, "Idempotency-Key: %s%s", m->delivery_id, NULL) ||
        (*cfg->sms_token &&
         !s_add_header(self, "Authorization: Bearer %s%s", cfg->sms_token, NULL)))
        goto oom;
    return s_http_post(self, cfg, cfg->sms_url, err);
oom:
    ow_error_set(err, OW_INTERNAL, "out of memory building an SMS");
    return -1;
}

/* An e-mail address we are willing to put in an SMTP command and a header: no spaces,
 * brackets, CR or LF, one '@'. */
static bool s_plain_address(const char *a)
{
    const char *at = strchr(a, '@');
    if (!at || at == a || !at[1] || strchr(at + 1, '@') || strlen(a) > 254)
        return false;
    for (const char *p = a; *p; p++)
        if ((unsigned char)*p <= ' ' || strchr("<>()\",;:\\[]", *p))
            return false;
    return true;
}

static int s_email(outbound_t *self, const outbound_config_t *cfg, const outbound_message_t *m,
                   ow_error_t *err)
{
    int rc = -1;
    char *subject64 = NULL, *text64 = NULL, *wrapped = NULL;
    if (!cfg->smtp_url || !*cfg->smtp_url) {
        ow_error_set(err, OW_INVALID_ARGUMENT,
                     "the e-mail channel is not configured (notify.smtp_url)");
        return -1;
    }
    if (!s_plain_address(m->target) || !s_plain_address(cfg->smtp_from)) {
        ow_error_set(err, OW_INVALID_ARGUMENT, "not a plain e-mail address");
        return -1;
    }
    subject64 = outbound_base64(m->subject, strlen(m->subject));
    text64 = outbound_base64(m->text, strlen(m->text));
    size_t tlen = text64 ? strlen(text64) : 0;
    wrapped = malloc(tlen + 2 * (tlen / 76 + 1) + 1);
    if (!subject64 || !text64 || !wrapped)
        goto oom;
    /* RFC 2045: base64 lines of at most 76 characters. */
    size_t w = 0;
    for (size_t i = 0; i < tlen; i += 76) {
        size_t n = tlen - i < 76 ? tlen - i : 76;
        memcpy(wrapped + w, text64 + i, n);
        w += n;
        wrapped[w++] = '\r';
        wrapped[w++] = '\n';
    }
    wrapped[w] = '\0';
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    size_t cap = strlen(subject64) + w + strlen(m->target) + strlen(cfg->smtp_from) + 512;
    self->body = malloc(cap);
    if (!self->body)
        goto oom;
    int n = snprintf(self->body, cap,
                     "Date: %s\r\nFrom: <%s>\r\nTo: <%s>\r\nSubject: =?UTF-8?B?%s?=\r\n"
                     "Message-ID: <%s@onewindow>\r\nMIME-Version: 1.0\r\n"
                     "Content-Type: text/plain; charset=UTF-8\r\n"
                     "Content-Transfer-Encoding: base64\r\n\r\n%s",
                     date, cfg->smtp_from, m->target, subject64, m->delivery_id, wrapped);
    if (n < 0 || (size_t)n >= cap)
        goto oom;
    self->body_len = (size_t)n;
    self->smtp = true;
    char from[300], to[300];
    snprintf(from, sizeof from, "<%s>", cfg->smtp_from);
    snprintf(to, sizeof to, "<%s>", m->target);
    self->rcpt = curl_slist_append(NULL, to);
    if (!self->rcpt)
        goto oom;
    s_common(self, cfg, cfg->smtp_url);
    curl_easy_setopt(self->easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(self->easy, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(self->easy, CURLOPT_MAIL_RCPT, self->rcpt);
    curl_easy_setopt(self->easy, CURLOPT_READFUNCTION, s_read);
    curl_easy_setopt(self->easy, CURLOPT_READDATA, self);
    curl_easy_setopt(self->easy, CURLOPT_UPLOAD, 1L);
    rc = 0;
    goto cleanup;
oom:
    ow_error_set(err, OW_INTERNAL, "out of memory building an e-mail");
cleanup:
    free(subject64);
    free(text64);
    free(wrapped);
    return rc;
}

outbound_t *outbound_new(const outbound_config_t *cfg, const outbound_message_t *m, int64_t now_s,
                         ow_error_t *err)
{
    outbound_t *self = calloc(1, sizeof *self);
    if (!self || !(self->easy = curl_easy_init())) {
        ow_error_set(err, OW_INTERNAL, "out of memory creating a transfer");
        goto fail;
    }
    int rc;
    if (strcmp(m->channel, "webhook") == 0)
        rc = s_webhook(self, cfg, m, now_s, err);
    else if (strcmp(m->channel, "sms") == 0)
        rc = s_sms(self, cfg, m, err);
    else if (strcmp(m->channel, "email") == 0)
        rc = s_email(self, cfg, m, err);
    else {
        ow_error_set(err, OW_INVALID_ARGUMENT, "no outside channel named '%.32s'", m->channel);
        rc = -1;
    }
    if (rc != 0)
        goto fail;
    return self;
fail:
    outbound_destroy(&self);
    return NULL;
}

CURL *outbound_easy(outbound_t *self)
{
    return self->easy;
}

bool outbound_succeeded(const outbound_t *self, CURLcode result, long response_code)
{
    if (result != CURLE_OK)
        return false;
    return self->smtp || (response_code >= 200 && response_code < 300);
}

void outbound_destroy(outbound_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    outbound_t *self = *self_p;
    if (self->easy)
        curl_easy_cleanup(self->easy);
    curl_slist_free_all(self->headers);
    curl_slist_free_all(self->rcpt);
    free(self->body);
    free(self);
    *self_p = NULL;
}
