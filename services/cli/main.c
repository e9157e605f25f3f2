/* owctl — the operator's command line. main only wires: the command line, the
 * configuration, then either the database (db init) or one HTTP request to the gateway and
 * its report. Exit status: see command_line.h. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>

#include "applications.h"
#include "catalogue_command.h"
#include "command_line.h"
#include "curve_key.h"
#include "gateway_client.h"
#include "ow_config.h"
#include "ow_envelope.h"
#include "ow_log.h"
#include "ow_provision.h"
#include "problem.h"
#include "remote_client.h"
#include "report.h"
#include "requests.h"
#include "onewindow/v1/intake.pb-c.h"

#define S_DEFAULT_GATEWAY "http://127.0.0.1:8080"

static int s_db_init(const owctl_command_t *cmd)
{
    ow_error_t err;
    ow_error_clear(&err);
    if (ow_provision(cmd->database_url, &err) != 0) {
        fprintf(stderr, "owctl: db init: %s\n", err.message);
        return err.code == OW_UNAVAILABLE ? OWCTL_EXIT_UNREACHABLE : OWCTL_EXIT_REFUSED;
    }
    printf("database ready: a role and a schema for each of");
    for (size_t i = 0; ow_provision_sources[i]; i++)
        printf("%s %s", i ? "," : "", ow_provision_sources[i]);
    printf(" (the daemons create their tables when they start)\n");
    return OWCTL_EXIT_OK;
}

/* The gateway URL: --gateway, else configuration key gateway.url, else the default. On a
 * configuration file that cannot be read returns NULL with err. The string is owned by cfg
 * or by the command. */
static const char *s_gateway_url(const owctl_command_t *cmd, ow_config_t *cfg, ow_error_t *err)
{
    if (cmd->gateway_url)
        return cmd->gateway_url;
    const char *path = cmd->config_path ? cmd->config_path : getenv("OW_CONFIG");
    if (path && *path && ow_config_load_file(cfg, path, err) != 0)
        return NULL;
    return ow_config_get(cfg, "gateway.url", S_DEFAULT_GATEWAY);
}

static void s_report(const owctl_command_t *cmd, const json_t *answer)
{
    if (cmd->json) {
        json_dumpf(answer, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        return;
    }
    switch (cmd->verb) {
    case OWCTL_SUBMIT:
        report_submitted(stdout, answer);
        break;
    case OWCTL_CASE_SHOW:
        report_case(stdout, answer);
        break;
    case OWCTL_CLOCK_ADVANCE:
        report_clock_moved(stdout, answer);
        break;
    case OWCTL_CLOCK_SHOW:
        report_clock_survey(stdout, answer);
        break;
    case OWCTL_TOKEN_ISSUE:
    case OWCTL_TOKEN_REVOKE:
    case OWCTL_TOKEN_LIST:
        report_tokens(stdout, cmd->verb == OWCTL_TOKEN_ISSUE, answer);
        break;
    case OWCTL_CALENDAR_LOAD:
    case OWCTL_NOTIFY_DEAD:
    case OWCTL_NOTIFY_RESEND:
        report_operations(stdout, cmd->verb, answer);
        break;
    case OWCTL_REPORT:
        report_ratings(stdout, cmd->csv, answer);
        break;
    case OWCTL_ASSESSMENT_MONTH:
        report_assessment_month(stdout, answer);
        break;
    case OWCTL_CASE_ACCEPT:
        report_receipt_decided(stdout, answer);
        break;
    case OWCTL_SLOTS:
    case OWCTL_APPOINTMENT_BOOK:
    case OWCTL_APPOINTMENT_CANCEL:
    case OWCTL_APPOINTMENT_ARRIVE:
    case OWCTL_QUEUE_TAKE:
    case OWCTL_QUEUE_CALL:
    case OWCTL_QUEUE_MISSED:
    case OWCTL_QUEUE_SERVING:
    case OWCTL_QUEUE_DONE:
        report_hall(stdout, cmd->verb, answer);
        break;
    case OWCTL_ASSESSMENT_YEAR:
        report_assessment_year(stdout, answer);
        break;
    default:
        break;
    }
}

static int s_http_command(const owctl_command_t *cmd)
{
    ow_error_t err;
    ow_config_t *cfg = ow_config_new("owctl");
    gateway_client_t *client = NULL;
    owctl_request_t req = {0};
    json_t *answer = NULL;
    char msg[512];
    char key[37];
    const char *idem = cmd->idempotency_key;
    curve_key_file_t keyfile;
    int status = 0;

    memset(&keyfile, 0, sizeof keyfile);
    int rc = OWCTL_EXIT_USAGE;

    ow_error_clear(&err);
    if (!cfg) {
        fprintf(stderr, "owctl: out of memory\n");
        goto done;
    }
    const char *url = s_gateway_url(cmd, cfg, &err);
    if (!url || !(client = gateway_client_new(url, &err))) {
        fprintf(stderr, "owctl: %s\n", err.message);
        goto done;
    }
    /* The token: --token, else OW_TOKEN, else gateway.token (the file was read above). */
    const char *token = cmd->token ? cmd->token : getenv("OW_TOKEN");
    if (!token || !*token)
        token = ow_config_get(cfg, "gateway.token", "");
    if (gateway_client_set_token(client, token) != 0) {
        fprintf(stderr, "owctl: out of memory\n");
        goto done;
    }
    if (cmd->verb == OWCTL_CATALOGUE_IMPORT || cmd->verb == OWCTL_CATALOGUE_EXPORT ||
        cmd->verb == OWCTL_CATALOGUE_SHOW) {
        rc = catalogue_command_run(cmd, client);
        goto done;
    }
    if (requests_build(cmd, &req, msg, sizeof msg) != 0) {
        fprintf(stderr, "owctl: %s\n", msg);
        goto done;
    }
    if (cmd->verb == OWCTL_CENTRE_KEYGEN) {
        /* Refused before anything is registered: a key file is never overwritten. */
        if (access(cmd->out, F_OK) == 0) {
            fprintf(stderr, "owctl: %s exists: a key file is never overwritten\n", cmd->out);
            goto done;
        }
        if (curve_key_generate(&keyfile, &err) != 0 ||
            json_object_set_new(req.body, "public_key", json_string(keyfile.public_key)) != 0) {
            fprintf(stderr, "owctl: %s\n", err.message);
            rc = OWCTL_EXIT_REFUSED;
            goto done;
        }
    }
    if (cmd->verb == OWCTL_CALENDAR_LOAD) {
        /* Strictly JSON here too: a malformed file is refused before it travels. */
        json_error_t jerr;
        req.body = json_load_file(cmd->file, JSON_REJECT_DUPLICATES, &jerr);
        if (!req.body) {
            fprintf(stderr, "owctl: %s: line %d: %s\n", cmd->file, jerr.line, jerr.text);
            goto done;
        }
    }
    if (req.needs_idempotency_key && !idem) {
        ow_uuid_v4(key);
        idem = key;
        /* Printed so the operator can retry this very change without doing it twice. */
        if (cmd->verb == OWCTL_SUBMIT || cmd->verb == OWCTL_TOKEN_ISSUE ||
            cmd->verb == OWCTL_CASE_ACCEPT)
            fprintf(cmd->json ? stderr : stdout,
                    "Idempotency-Key %s (retry with "
                    "--idempotency-key %s)\n",
                    key, key);
    }
    if (gateway_client_request(client, req.method, req.path, idem, req.body, &status, &answer,
                               &err) != 0) {
        fprintf(stderr, "owctl: %s\n", err.message);
        rc = OWCTL_EXIT_UNREACHABLE;
        goto done;
    }
    if (status >= 400 || !answer) {
        report_problem(stderr, status, answer);
        rc = OWCTL_EXIT_REFUSED;
        goto done;
    }
    if (cmd->verb == OWCTL_CENTRE_KEYGEN) {
        json_t *key = json_object_get(answer, "key");
        const char *server = json_string_value(json_object_get(answer, "server_public_key"));
        snprintf(keyfile.server_key, sizeof keyfile.server_key, "%s", server ? server : "");
        snprintf(keyfile.centre, sizeof keyfile.centre, "%s", cmd->centre ? cmd->centre : "");
        snprintf(keyfile.key_id, sizeof keyfile.key_id, "%s",
                 json_string_value(json_object_get(key, "key_id")) ?: "");
        if (curve_key_write(cmd->out, &keyfile, &err) != 0) {
            /* Registered, but the secret is lost with this process: say how to undo it. */
            fprintf(stderr,
                    "owctl: %s; the public key was registered as %s: revoke it with "
                    "owctl centre revoke %s\n",
                    err.message, keyfile.key_id, keyfile.key_id);
            rc = OWCTL_EXIT_REFUSED;
            goto done;
        }
        printf("key %s for %s %s written to %s (mode 0600)%s\n", keyfile.key_id,
               cmd->integrator ? "integrator" : "centre",
               cmd->integrator ? cmd->integrator : keyfile.centre, cmd->out,
               server ? ""
                      : "; the gateway's remote endpoint is off, so the file has no "
                        "server-key yet");
        rc = OWCTL_EXIT_OK;
        goto done;
    }
    s_report(cmd, answer);
    rc = OWCTL_EXIT_OK;
done:
    memset(keyfile.secret_key, 0, sizeof keyfile.secret_key);
    json_decref(answer);
    requests_clear(&req);
    gateway_client_destroy(&client);
    ow_config_destroy(&cfg);
    return rc;
}

/* A township centre's submit or case show over the gateway's CURVE endpoint: the same
 * request body and answers as over HTTP (the gateway's own decoder packs the body, so a
 * malformed one is refused here with the same fields named), sent as the key's centre. */
/* Prints a refusal as the HTTP API shows it (status, detail, every invalid field) and
 * returns the exit status for it. */
static int s_remote_refused(ow_error_t *err)
{
    int status = 0;
    ow_error_finish_violations(err);
    json_t *problem = problem_from_error(err, &status);
    report_problem(stderr, status, problem);
    json_decref(problem);
    return OWCTL_EXIT_REFUSED;
}

static int s_remote_command(const owctl_command_t *cmd)
{
    ow_error_t err;
    remote_client_t *client = NULL;
    owctl_request_t req = {0};
    uint8_t *payload = NULL, *reply = NULL;
    size_t len = 0, reply_len = 0;
    json_t *answer = NULL;
    char msg[512];
    char key[37];
    const char *idem = "";
    int rc = OWCTL_EXIT_USAGE;

    ow_error_clear(&err);
    if (requests_build(cmd, &req, msg, sizeof msg) != 0) {
        fprintf(stderr, "owctl: %s\n", msg);
        goto done;
    }
    if (cmd->verb == OWCTL_SUBMIT) {
        /* A centre's own channel unless the operator names one (the gateway's rule too). */
        if (!cmd->channel && json_object_set_new(req.body, "channel", json_string("township"))) {
            fprintf(stderr, "owctl: out of memory\n");
            rc = OWCTL_EXIT_REFUSED;
            goto done;
        }
        if (applications_pack_submit(req.body, &payload, &len, &err) != 0) {
            rc = s_remote_refused(&err);
            goto done;
        }
        idem = cmd->idempotency_key;
        if (!idem) {
            ow_uuid_v4(key);
            idem = key;
            fprintf(cmd->json ? stderr : stdout,
                    "Idempotency-Key %s (retry with --idempotency-key %s)\n", key, key);
        }
    } else {
        Onewindow__V1__GetCase get = ONEWINDOW__V1__GET_CASE__INIT;
        get.case_no = (char *)cmd->case_no;
        len = onewindow__v1__get_case__get_packed_size(&get);
        if (!(payload = malloc(len ? len : 1))) {
            fprintf(stderr, "owctl: out of memory\n");
            rc = OWCTL_EXIT_REFUSED;
            goto done;
        }
        onewindow__v1__get_case__pack(&get, payload);
    }
    if (!(client = remote_client_new(cmd->remote, cmd->key_file, &err))) {
        fprintf(stderr, "owctl: %s\n", err.message);
        rc = OWCTL_EXIT_REFUSED;
        goto done;
    }
    if (remote_client_call(client, cmd->verb == OWCTL_SUBMIT ? "intake.submit" : "intake.get_case",
                           idem, payload, len, &reply, &reply_len, &err) != 0) {
        fprintf(stderr, "owctl: %s\n", err.message);
        rc = err.code == OW_UNAVAILABLE ? OWCTL_EXIT_UNREACHABLE : OWCTL_EXIT_REFUSED;
        goto done;
    }
    if (err.code != OW_OK || !(answer = applications_case_reply_json(reply, reply_len, &err))) {
        rc = s_remote_refused(&err);
        goto done;
    }
    s_report(cmd, answer);
    rc = OWCTL_EXIT_OK;
done:
    json_decref(answer);
    free(reply);
    free(payload);
    requests_clear(&req);
    remote_client_destroy(&client);
    return rc;
}

/* The gateway's own key pair (config remote.secret_key_file): nothing to register. */
static int s_server_keygen(const owctl_command_t *cmd)
{
    ow_error_t err;
    curve_key_file_t key;
    ow_error_clear(&err);
    if (!cmd->out || !*cmd->out) {
        fprintf(stderr, "owctl: centre keygen --server needs --out FILE\n");
        return OWCTL_EXIT_USAGE;
    }
    if (curve_key_generate(&key, &err) != 0 || curve_key_write(cmd->out, &key, &err) != 0) {
        fprintf(stderr, "owctl: %s\n", err.message);
        return OWCTL_EXIT_REFUSED;
    }
    memset(key.secret_key, 0, sizeof key.secret_key);
    printf("gateway key pair written to %s (mode 0600); public key %s\n", cmd->out, key.public_key);
    return OWCTL_EXIT_OK;
}

int main(int argc, char **argv)
{
    owctl_command_t cmd;
    char msg[512];
    int rc;

    ow_log_init("owctl", getenv("OW_LOG_LEVEL") ? getenv("OW_LOG_LEVEL") : "warn");
    if (command_line_parse(argc, argv, &cmd, msg, sizeof msg) != 0) {
        fprintf(stderr, "owctl: %s\n", msg);
        command_line_free(&cmd);
        return OWCTL_EXIT_USAGE;
    }
    switch (cmd.verb) {
    case OWCTL_HELP:
        fputs(command_line_help(cmd.help_topic), stdout);
        rc = OWCTL_EXIT_OK;
        break;
    case OWCTL_DB_INIT:
        rc = s_db_init(&cmd);
        break;
    case OWCTL_CENTRE_KEYGEN:
        rc = cmd.server ? s_server_keygen(&cmd) : s_http_command(&cmd);
        break;
    default:
        rc = cmd.remote ? s_remote_command(&cmd) : s_http_command(&cmd);
        break;
    }
    command_line_free(&cmd);
    return rc;
}
