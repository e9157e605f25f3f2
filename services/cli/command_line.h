/* command_line — what the operator asked owctl to do, read from argv. Plain functions: no
 * network, no output, so every accepted and refused command line is a unit test.
 *
 *   owctl [--gateway URL] [--config FILE] COMMAND …
 *   owctl db init --database-url URL
 *   owctl submit --item CODE --name NAME --id-number N --phone P --material CODE…
 *                [--id-type resident_id|uscc] [--email E] [--channel window]
 *                [--centre ID] [--idempotency-key K] [--json]
 *   owctl case show CASE_NO [--json]
 *   owctl --remote tcp://HOST:PORT --key FILE submit …|case show …   (a township centre)
 *   owctl clock advance SECONDS        (also 90m, 36h, 3d)
 *   owctl clock show [--json]
 *   owctl token issue --subject S --role R --centre ID [--subscriptions L] [--ttl DUR]
 *   owctl token revoke TOKEN_ID
 *   owctl token list [--after TOKEN_ID] [--limit N] [--json]
 *   owctl centre keygen --centre ID --out FILE [--label L]   (registers the public key)
 *   owctl centre keygen --integrator NAME --subscriptions L --out FILE   (an integrator's key:
 *                                      remote.events / remote.subscribe of those types only)
 *   owctl centre keygen --server --out FILE                   (the gateway's own pair)
 *   owctl centre revoke KEY_ID
 *   owctl calendar load FILE           (a year's calendar record, docs/deadline.md)
 *   owctl notify dead [--after DELIVERY_ID] [--limit N] [--json]
 *   owctl notify resend DELIVERY_ID
 *   owctl report DIMENSION [KEY] --period P --from YYYY-MM-DD --to YYYY-MM-DD
 *                [--limit N] [--after PAGE_TOKEN] [--csv | --json]   (evaluation.report)
 *   owctl assessment month YYYY-MM [--limit N] [--after STAFF_ID] [--json]
 *   owctl slots --centre ID [--item-group G] [--window W] [--limit N] [--json]
 *   owctl appointment book --slot SLOT_ID --name NAME --id-number N --phone P [--id-type T]
 *   owctl appointment cancel|arrive APPOINTMENT_ID [--reason R]
 *   owctl queue take --centre ID --window W [--id-number N [--id-type T]]
 *   owctl queue call WINDOW --centre ID
 *   owctl queue missed|serving|done TICKET_ID
 *   owctl catalogue import FILE [--partial] [--format json|csv]   (administrators)
 *   owctl catalogue export [--csv] | catalogue show IMPL_CODE [--json]
 *   owctl help [COMMAND] | --help      (also after any command)
 *
 * Options may come before or after the command words, as `--opt value` or `--opt=value`;
 * --material takes one or more values and may be repeated. */
#ifndef OWCTL_COMMAND_LINE_H
#define OWCTL_COMMAND_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes (sysexits-style for usage). */
#define OWCTL_EXIT_OK          0
#define OWCTL_EXIT_REFUSED     1  /* the gateway or database answered with an error */
#define OWCTL_EXIT_UNREACHABLE 2  /* the gateway (or database) could not be reached */
#define OWCTL_EXIT_USAGE       64 /* the command line is wrong */

/* Furthest one `clock advance` may go: the gateway's own bound (100 years). */
#define OWCTL_ADVANCE_MAX_S (100LL * 366 * 24 * 3600)

typedef enum {
    OWCTL_HELP = 0,
    OWCTL_DB_INIT,
    OWCTL_SUBMIT,
    OWCTL_CASE_SHOW,
    OWCTL_CLOCK_ADVANCE,
    OWCTL_CLOCK_SHOW,
    OWCTL_TOKEN_ISSUE,
    OWCTL_TOKEN_REVOKE,
    OWCTL_TOKEN_LIST,
    OWCTL_CENTRE_KEYGEN,
    OWCTL_CENTRE_REVOKE,
    OWCTL_CALENDAR_LOAD,
    OWCTL_NOTIFY_DEAD,
    OWCTL_NOTIFY_RESEND,
    OWCTL_REPORT,
    OWCTL_ASSESSMENT_MONTH,
    OWCTL_CASE_ACCEPT,
    /* appointments and the hall queue (docs/api.md) */
    OWCTL_SLOTS,
    OWCTL_APPOINTMENT_BOOK,
    OWCTL_APPOINTMENT_CANCEL,
    OWCTL_APPOINTMENT_ARRIVE,
    OWCTL_QUEUE_TAKE,
    OWCTL_QUEUE_CALL,
    OWCTL_QUEUE_MISSED,
    OWCTL_QUEUE_SERVING,
    OWCTL_QUEUE_DONE,
    OWCTL_CATALOGUE_IMPORT,
    OWCTL_CATALOGUE_EXPORT,
    OWCTL_CATALOGUE_SHOW,
    OWCTL_ASSESSMENT_YEAR,
    OWCTL_VERB_COUNT /* not a verb: how many there are (an option's verbs are a 32-bit mask) */
} owctl_verb_t;

typedef struct {
    owctl_verb_t verb;
    const char *help_topic; /* OWCTL_HELP: "submit", "case", … or NULL for the overview */

    /* global */
    const char *gateway_url; /* --gateway; NULL = configuration */
    const char *config_path; /* --config; NULL = OW_CONFIG or none */
    const char *token;       /* --token; NULL = OW_TOKEN, else configuration gateway.token */
    bool json;               /* --json: print the gateway's JSON as is */
    /* --remote ENDPOINT --key FILE: submit and case show as a township centre over the
     * gateway's CURVE endpoint instead of HTTP; both or neither */
    const char *remote;
    const char *key_file;

    /* db init */
    const char *database_url;

    /* submit */
    const char *item;
    const char *name;
    const char *id_type;
    const char *id_number;
    const char *phone;
    const char *email;
    const char *channel;
    const char *centre;
    const char *idempotency_key;
    const char **materials; /* pointers into argv; the array is owned by the command */
    size_t material_count;

    /* case show */
    const char *case_no;

    /* clock advance; token issue --ttl */
    int64_t seconds;

    /* token issue / revoke / list */
    const char *subject;
    const char *role;
    const char *subscriptions;
    const char *ttl;
    const char *token_id; /* revoke */
    const char *after;    /* list */
    const char *limit;    /* list */

    /* centre keygen / revoke */
    const char *out;        /* --out FILE: the key file to create (mode 0600) */
    const char *label;      /* --label */
    const char *integrator; /* --integrator NAME: an integrator's key (with --subscriptions) */
    bool server;            /* --server: the gateway's key pair, nothing registered */
    const char *key_id;     /* revoke */

    /* calendar load / notify resend */
    const char *file;        /* the calendar record */
    const char *delivery_id; /* resend */

    /* report (also --after = page token, --limit = page size) / assessment month */
    const char *dimension;
    const char *report_key; /* one value of the dimension; NULL = every value */
    const char *period;
    const char *from;
    const char *to;
    bool csv;          /* --csv: the rows as CSV with a header line */
    const char *month; /* YYYY-MM */

    /* case accept CASE_NO (intake.decide_receipt) */
    const char **defects; /* "CODE=REASON" pointers into argv; the array is owned */
    size_t defect_count;
    bool rongque;           /* --rongque: 容缺受理 asked for */
    bool commitment;        /* --commitment: the applicant signed the 承诺书 */
    const char *supply_due; /* --supply-due TIME (RFC 3339) */
    bool not_a_matter;      /* --not-a-matter */
    const char *refer_to;   /* --refer-to AUTHORITY */
    /* slots / appointment / queue (also --centre, --name, --id-type, --id-number, --phone,
     * --limit, --idempotency-key) */
    const char *slot;       /* --slot SLOT_ID: appointment book */
    const char *item_group; /* --item-group: slots */
    const char *window;     /* --window: slots, queue take; the WINDOW word of queue call */
    const char *reason;     /* --reason: appointment cancel */
    const char *hall_id;    /* the APPOINTMENT_ID or TICKET_ID word */
    /* catalogue import FILE (file) [--partial] [--format json|csv]; export [--csv];
     * show IMPL_CODE */
    bool partial;
    const char *format; /* NULL = from the file name: .csv is CSV, anything else JSON */
    const char *impl_code;
    const char *year; /* YYYY (assessment year) */
} owctl_command_t;

/* Reads argv (argv[0] is the program) into *cmd; strings point into argv. Returns 0, or -1
 * with a message for the operator in msg (msg_size bytes) naming the wrong word or option
 * and what was expected. Always call command_line_free afterwards. */
int command_line_parse(int argc, char **argv, owctl_command_t *cmd, char *msg, size_t msg_size);

/* Frees what the command owns (not the argv strings). Safe on a zeroed command. */
void command_line_free(owctl_command_t *cmd);

/* The help text for a topic (NULL or unknown → the overview). Static string. */
const char *command_line_help(const char *topic);

/* Reads a duration: whole seconds, or a number with the suffix s, m, h or d. Returns 0 and
 * *seconds, or -1 when text is not such a duration, is negative, or exceeds
 * OWCTL_ADVANCE_MAX_S. */
int command_line_duration(const char *text, int64_t *seconds);

#endif
