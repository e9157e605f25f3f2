#include "command_line.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Which commands an option applies to. */
#define S_FOR_DB     (1u << OWCTL_DB_INIT)
#define S_FOR_SUBMIT (1u << OWCTL_SUBMIT)
#define S_FOR_CASE   (1u << OWCTL_CASE_SHOW)
#define S_FOR_ADV    (1u << OWCTL_CLOCK_ADVANCE)
#define S_FOR_SHOW   (1u << OWCTL_CLOCK_SHOW)
#define S_FOR_ISSUE  (1u << OWCTL_TOKEN_ISSUE)
#define S_FOR_LIST   (1u << OWCTL_TOKEN_LIST)
#define S_FOR_TOKEN  (S_FOR_ISSUE | (1u << OWCTL_TOKEN_REVOKE) | S_FOR_LIST)
#define S_FOR_KEYGEN (1u << OWCTL_CENTRE_KEYGEN)
#define S_FOR_CENTRE (S_FOR_KEYGEN | (1u << OWCTL_CENTRE_REVOKE))
#define S_FOR_DEAD   (1u << OWCTL_NOTIFY_DEAD)
#define S_FOR_REPORT (1u << OWCTL_REPORT)
#define S_FOR_MONTH  ((1u << OWCTL_ASSESSMENT_MONTH) | (1u << OWCTL_ASSESSMENT_YEAR))
#define S_FOR_OPS                                                                                  \
    ((1u << OWCTL_CALENDAR_LOAD) | S_FOR_DEAD | (1u << OWCTL_NOTIFY_RESEND) | S_FOR_REPORT |       \
     S_FOR_MONTH | S_FOR_HALL)
#define S_FOR_ACCEPT (1u << OWCTL_CASE_ACCEPT)
#define S_FOR_SLOTS  (1u << OWCTL_SLOTS)
#define S_FOR_BOOK   (1u << OWCTL_APPOINTMENT_BOOK)
#define S_FOR_TAKE   (1u << OWCTL_QUEUE_TAKE)
#define S_FOR_HALL                                                                                 \
    (S_FOR_SLOTS | S_FOR_BOOK | (1u << OWCTL_APPOINTMENT_CANCEL) |                                 \
     (1u << OWCTL_APPOINTMENT_ARRIVE) | S_FOR_TAKE | (1u << OWCTL_QUEUE_CALL) |                    \
     (1u << OWCTL_QUEUE_MISSED) | (1u << OWCTL_QUEUE_SERVING) | (1u << OWCTL_QUEUE_DONE))
#define S_FOR_IMPORT    (1u << OWCTL_CATALOGUE_IMPORT)
#define S_FOR_EXPORT    (1u << OWCTL_CATALOGUE_EXPORT)
#define S_FOR_CATALOGUE (S_FOR_IMPORT | S_FOR_EXPORT | (1u << OWCTL_CATALOGUE_SHOW))
#define S_FOR_HTTP                                                                                 \
    (S_FOR_SUBMIT | S_FOR_CASE | S_FOR_ADV | S_FOR_SHOW | S_FOR_TOKEN | S_FOR_CENTRE | S_FOR_OPS | \
     S_FOR_ACCEPT | S_FOR_CATALOGUE)
#define S_FOR_ALL (S_FOR_DB | S_FOR_HTTP | (1u << OWCTL_HELP))

typedef enum { S_FLAG, S_VALUE, S_MATERIAL, S_HELP, S_DEFECT } s_kind_t;

typedef struct {
    const char *name; /* without the leading "--" */
    s_kind_t kind;
    size_t offset; /* of the const char * (S_VALUE) or bool (S_FLAG) in owctl_command_t */
    unsigned applies;
} s_option_t;

#define S_FIELD(f) offsetof(owctl_command_t, f)

static const s_option_t s_options[] = {
    {"gateway", S_VALUE, S_FIELD(gateway_url), S_FOR_ALL},
    {"config", S_VALUE, S_FIELD(config_path), S_FOR_ALL},
    {"token", S_VALUE, S_FIELD(token), S_FOR_ALL},
    {"remote", S_VALUE, S_FIELD(remote), S_FOR_SUBMIT | S_FOR_CASE},
    {"key", S_VALUE, S_FIELD(key_file), S_FOR_SUBMIT | S_FOR_CASE},
    {"json", S_FLAG, S_FIELD(json), S_FOR_HTTP},
    {"subject", S_VALUE, S_FIELD(subject), S_FOR_ISSUE},
    {"role", S_VALUE, S_FIELD(role), S_FOR_ISSUE},
    {"subscriptions", S_VALUE, S_FIELD(subscriptions), S_FOR_ISSUE | S_FOR_KEYGEN},
    {"integrator", S_VALUE, S_FIELD(integrator), S_FOR_KEYGEN},
    {"ttl", S_VALUE, S_FIELD(ttl), S_FOR_ISSUE},
    {"after", S_VALUE, S_FIELD(after), S_FOR_LIST | S_FOR_DEAD | S_FOR_REPORT | S_FOR_MONTH},
    {"limit", S_VALUE, S_FIELD(limit),
     S_FOR_LIST | S_FOR_DEAD | S_FOR_REPORT | S_FOR_MONTH | S_FOR_SLOTS},
    {"period", S_VALUE, S_FIELD(period), S_FOR_REPORT},
    {"from", S_VALUE, S_FIELD(from), S_FOR_REPORT},
    {"to", S_VALUE, S_FIELD(to), S_FOR_REPORT},
    {"csv", S_FLAG, S_FIELD(csv), S_FOR_REPORT | S_FOR_EXPORT},
    {"database-url", S_VALUE, S_FIELD(database_url), S_FOR_DB},
    {"item", S_VALUE, S_FIELD(item), S_FOR_SUBMIT},
    {"name", S_VALUE, S_FIELD(name), S_FOR_SUBMIT | S_FOR_BOOK},
    {"id-type", S_VALUE, S_FIELD(id_type), S_FOR_SUBMIT | S_FOR_BOOK | S_FOR_TAKE},
    {"id-number", S_VALUE, S_FIELD(id_number), S_FOR_SUBMIT | S_FOR_BOOK | S_FOR_TAKE},
    {"phone", S_VALUE, S_FIELD(phone), S_FOR_SUBMIT | S_FOR_BOOK},
    {"email", S_VALUE, S_FIELD(email), S_FOR_SUBMIT},
    {"channel", S_VALUE, S_FIELD(channel), S_FOR_SUBMIT},
    {"centre", S_VALUE, S_FIELD(centre),
     S_FOR_SUBMIT | S_FOR_ISSUE | S_FOR_KEYGEN | S_FOR_SLOTS | S_FOR_TAKE |
         (1u << OWCTL_QUEUE_CALL)},
    {"out", S_VALUE, S_FIELD(out), S_FOR_KEYGEN},
    {"label", S_VALUE, S_FIELD(label), S_FOR_KEYGEN},
    {"server", S_FLAG, S_FIELD(server), S_FOR_KEYGEN},
    {"idempotency-key", S_VALUE, S_FIELD(idempotency_key),
     S_FOR_SUBMIT | S_FOR_ACCEPT | S_FOR_HALL},
    {"material", S_MATERIAL, 0, S_FOR_SUBMIT},
    {"help", S_HELP, 0, S_FOR_ALL},
    /* case accept (intake.decide_receipt) */
    {"defect", S_DEFECT, 0, S_FOR_ACCEPT},
    {"rongque", S_FLAG, S_FIELD(rongque), S_FOR_ACCEPT},
    {"commitment", S_FLAG, S_FIELD(commitment), S_FOR_ACCEPT},
    {"supply-due", S_VALUE, S_FIELD(supply_due), S_FOR_ACCEPT},
    {"not-a-matter", S_FLAG, S_FIELD(not_a_matter), S_FOR_ACCEPT},
    {"refer-to", S_VALUE, S_FIELD(refer_to), S_FOR_ACCEPT},
    {"slot", S_VALUE, S_FIELD(slot), S_FOR_BOOK},
    {"item-group", S_VALUE, S_FIELD(item_group), S_FOR_SLOTS},
    {"window", S_VALUE, S_FIELD(window), S_FOR_SLOTS | S_FOR_TAKE},
    {"reason", S_VALUE, S_FIELD(reason), 1u << OWCTL_APPOINTMENT_CANCEL},
    {"partial", S_FLAG, S_FIELD(partial), S_FOR_IMPORT},
    {"format", S_VALUE, S_FIELD(format), S_FOR_IMPORT},
};

#define S_OPTION_COUNT (sizeof s_options / sizeof s_options[0])
#define S_WORDS_MAX    8

/* command_line_parse keeps the options given as bits of a 64-bit mask. */
_Static_assert(S_OPTION_COUNT <= 64, "the given-options mask holds 64");
_Static_assert(OWCTL_VERB_COUNT <= 32, "an option's verbs are a 32-bit mask");

static const char s_help_overview[] =
    "owctl — the OneWindow operator's command line\n"
    "\n"
    "usage: owctl [--gateway URL] [--config FILE] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  db init --database-url URL   create the roles and schemas of every service\n"
    "  submit --item CODE …         submit an application at a window\n"
    "  case show CASE_NO            a case, its tasks, clock and rating\n"
    "  case accept CASE_NO          decide a case received without a decision (收件)\n"
    "  clock advance SECONDS        move the test clock forward (30, 90m, 36h, 3d)\n"
    "  clock show                   every daemon's view of the system time\n"
    "  token issue|revoke|list      bearer tokens (administrators)\n"
    "  centre keygen|revoke         CURVE keys of township centres and integrators (admins)\n"
    "  calendar load FILE           load a year's working-day calendar (administrators)\n"
    "  notify dead|resend ID        dead letters, and sending one again (administrators)\n"
    "  report DIMENSION [KEY] …     rating figures as a table or CSV (supervisors)\n"
    "  assessment month YYYY-MM     the month's staff assessment table (supervisors)\n"
    "  slots --centre ID            free appointment slots of a centre\n"
    "  appointment book|cancel|arrive  appointments (预约)\n"
    "  queue take|call|missed|serving|done  the hall queue (排号叫号)\n"
    "  catalogue import|export|show the service-item catalogue (import: administrators)\n"
    "  assessment year YYYY         the year's grades from the months (supervisors)\n"
    "  help [COMMAND]               this text, or a command's\n"
    "\n"
    "The gateway is --gateway URL, else the configuration key gateway.url (file given by\n"
    "--config or OW_CONFIG; environment OW_GATEWAY_URL), else http://127.0.0.1:8080.\n"
    "The bearer token is --token, else OW_TOKEN, else the configuration key gateway.token.\n"
    "A township centre submits and shows its cases over the gateway's CURVE endpoint with\n"
    "--remote tcp://HOST:PORT --key FILE (the file of owctl centre keygen) instead.\n"
    "\n"
    "exit status: 0 done; 1 refused (the answer's detail and every invalid field are\n"
    "printed); 2 the gateway or database could not be reached; 64 wrong command line.\n";

static const char s_help_slots[] =
    "usage: owctl slots --centre ID [--item-group G] [--window W] [--limit N] [--json]\n"
    "\n"
    "The centre's appointment slots that start after now and still have room, in start order\n"
    "(GET /v1/slots). Slots are put by administrators (POST /v1/admin/slots).\n";

static const char s_help_appointment[] =
    "usage: owctl appointment book --slot SLOT_ID --name NAME --id-number N --phone P\n"
    "                              [--id-type resident_id|uscc] [--idempotency-key K]\n"
    "       owctl appointment cancel APPOINTMENT_ID [--reason R]\n"
    "       owctl appointment arrive APPOINTMENT_ID\n"
    "\n"
    "book: one booking per person per day, within the slot's capacity, refused while the\n"
    "person is blocked for no-shows. cancel: at least 2 hours before the slot (configurable).\n"
    "arrive: check-in from 1 hour before the slot until the no-show time; prints the queue\n"
    "ticket, called before walk-ins within the slot.\n";

static const char s_help_queue[] =
    "usage: owctl queue take --centre ID --window W [--id-number N [--id-type T]]\n"
    "       owctl queue call WINDOW --centre ID\n"
    "       owctl queue missed|serving|done TICKET_ID\n"
    "\n"
    "take: a walk-in's number (an ID of someone 60 or older, or under 16, gives the 爱心通道).\n"
    "call: the window's next ticket: 爱心通道, then booked visitors within their slot, then\n"
    "queue order. missed: back to the end of the queue, or void after the configured requeues.\n";

static const char s_help_db[] =
    "usage: owctl db init --database-url URL\n"
    "\n"
    "Creates, for every service, a login role ow_<service> and a schema of its own in the\n"
    "database URL names (a libpq URL or key=value string, connecting as a role that may\n"
    "create roles, e.g. postgresql:///onewindow?host=/run/postgresql&user=postgres).\n"
    "Passwords come from OW_<SERVICE>_DB_PASSWORD when set. Safe to run again. The daemons\n"
    "create their tables themselves when they start.\n";

static const char s_help_submit[] =
    "usage: owctl submit --item CODE --name NAME --id-number N --phone P --material CODE…\n"
    "                    [--id-type resident_id|uscc] [--email E] [--channel window]\n"
    "                    [--centre ID] [--idempotency-key K] [--json]\n"
    "\n"
    "Submits an application (POST /v1/applications) and prints the new case number.\n"
    "--material takes one or more material codes and may be repeated. --id-type defaults\n"
    "to resident_id (a person's ID card); give uscc with the unified social credit code of\n"
    "an organisation. Without --idempotency-key a new key is made and printed: submit\n"
    "again with the same key to retry safely (the first answer comes back and nothing is\n"
    "created twice). --json prints the gateway's answer as JSON.\n"
    "With --remote tcp://HOST:PORT --key FILE the application goes over the gateway's CURVE\n"
    "endpoint as the key's township centre (--channel defaults to township there, --centre\n"
    "may only be the key's own); the key is the centre's own idempotency key.\n";

static const char s_help_case[] =
    "usage: owctl case show CASE_NO [--json]\n"
    "       owctl case accept CASE_NO [--defect CODE=REASON]… [--rongque --commitment\n"
    "             --supply-due TIME] [--not-a-matter --refer-to AUTHORITY]\n"
    "             [--idempotency-key K] [--json]\n"
    "\n"
    "case accept decides a case received without a decision (state 1 已接件) within art. 32's\n"
    "5 working days (POST /v1/cases/CASE_NO/acceptance): accepted, one-time notice, 容缺\n"
    "acceptance or not accepted, by the window's rules over the materials handed in; prints\n"
    "the outcome and its document.\n"
    "\n"
    "\n"
    "Shows a case (GET /v1/cases/CASE_NO): its state, item, applicant (ID number masked),\n"
    "its approval tasks, its legal clock and its rating, and which services did not\n"
    "answer. --json prints the gateway's answer as is. With --remote tcp://HOST:PORT\n"
    "--key FILE the case is read over the CURVE endpoint: the key's centre's cases only,\n"
    "and only the case itself.\n";

static const char s_help_clock[] =
    "usage: owctl clock advance SECONDS\n"
    "       owctl clock show [--json]\n"
    "\n"
    "The test clock (only when the daemons run with test_clock = true, never in\n"
    "production). advance moves system time forward by SECONDS — a whole number, or with\n"
    "the suffix s, m, h or d (36h, 3d); time never moves backwards. show lists every\n"
    "daemon's current time and offset, and names those that did not answer.\n";

static const char s_help_token[] =
    "usage: owctl token issue --subject S --role R --centre ID [--subscriptions L] [--ttl DUR]\n"
    "       owctl token revoke TOKEN_ID\n"
    "       owctl token list [--after TOKEN_ID] [--limit N] [--json]\n"
    "\n"
    "Bearer tokens for the gateway (an administrator's token is needed). issue prints the\n"
    "new token once: only its SHA-256 is kept. R is clerk, supervisor, admin or integrator;\n"
    "ID the 12-digit centre code; L (integrators) comma-separated event type prefixes\n"
    "(\"case.,rating.recorded\" or \"*\"); DUR as for clock advance (default 90d).\n"
    "revoke takes effect on the token's next request. Every change is audited.\n";

static const char s_help_catalogue[] =
    "usage: owctl catalogue import FILE [--partial] [--format json|csv] [--json]\n"
    "       owctl catalogue export [--csv | --json]\n"
    "       owctl catalogue show IMPL_CODE [--json]\n"
    "\n"
    "import sends the items of FILE (a JSON array of items, as export writes them, or the CSV\n"
    "layout of docs/intake.md: one row per material) in chunks to a staged import\n"
    "(POST /v1/admin/catalogue/imports, …/rows, …/commit), with a progress bar on a terminal.\n"
    "Every row with a problem is listed by row and field; then nothing is written and the\n"
    "exit status is 1 — or, with --partial, only the good rows are written. An item equal to\n"
    "its current version is left as it is; a changed one becomes a new version.\n"
    "export prints every current item (GET /v1/catalogue/export) as JSON, or with --csv in\n"
    "the CSV layout; either can be imported again. show prints one item with its materials.\n";

static const char s_help_calendar[] =
    "usage: owctl calendar load FILE [--json]\n"
    "\n"
    "Loads one year's working-day calendar (POST /v1/admin/calendars → deadline.load_calendar):\n"
    "FILE is the JSON record of docs/deadline.md, national or one centre's override. Every\n"
    "problem of the file is listed at once and nothing is stored. Audited.\n";

static const char s_help_notify[] =
    "usage: owctl notify dead [--after DELIVERY_ID] [--limit N] [--json]\n"
    "       owctl notify resend DELIVERY_ID\n"
    "\n"
    "dead lists the notifications that used up their attempts, oldest first\n"
    "(GET /v1/admin/dead-letters); --after continues from the last one shown. resend queues\n"
    "one again with a fresh attempt budget (audited); only a dead one may be resent.\n";

static const char s_help_report[] =
    "usage: owctl report DIMENSION [KEY] --period day|month|quarter|year\n"
    "                    --from YYYY-MM-DD --to YYYY-MM-DD [--limit N] [--after TOKEN]\n"
    "                    [--csv | --json]\n"
    "\n"
    "The figures of citizens' ratings (GET /v1/reports/ratings → evaluation.report), one row\n"
    "per value of DIMENSION (all, department, item, window, staff, channel, centre, level;\n"
    "KEY = one value) and period starting from --from to --to. A table, or CSV with a header\n"
    "line (--csv); --limit is the page size (1–1000), --after the token printed for the next\n"
    "page. A township supervisor reads 'report centre ITS_CENTRE'.\n";

static const char s_help_assessment[] =
    "usage: owctl assessment month YYYY-MM [--limit N] [--after STAFF_ID] [--json]\n"
    "       owctl assessment year YYYY [--limit N] [--after STAFF_ID] [--json]\n"
    "\n"
    "The month's staff assessment (GET /v1/assessments/{month} → evaluation.assessment_month):\n"
    "rank, score, the five group scores, points deducted and bonus, grade (at most 30 % 好)\n"
    "and the monthly bonus, in rank order.\n"
    "The year's (GET /v1/assessments/years/{year} → evaluation.assessment_year): each staff\n"
    "member's twelve month grades (好 一般 差, '-' not assessed) and the annual grade 优秀 合格\n"
    "基本合格 不合格 (DOMAIN.md §7; at most 30 % 优秀), in rank order.\n";

const char *command_line_help(const char *topic)
{
    if (!topic)
        return s_help_overview;
    if (strcmp(topic, "slots") == 0)
        return s_help_slots;
    if (strcmp(topic, "appointment") == 0)
        return s_help_appointment;
    if (strcmp(topic, "queue") == 0)
        return s_help_queue;
    if (strcmp(topic, "db") == 0)
        return s_help_db;
    if (strcmp(topic, "submit") == 0)
        return s_help_submit;
    if (strcmp(topic, "case") == 0)
        return s_help_case;
    if (strcmp(topic, "clock") == 0)
        return s_help_clock;
    if (strcmp(topic, "token") == 0)
        return s_help_token;
    if (strcmp(topic, "calendar") == 0)
        return s_help_calendar;
    if (strcmp(topic, "notify") == 0)
        return s_help_notify;
    if (strcmp(topic, "report") == 0)
        return s_help_report;
    if (strcmp(topic, "assessment") == 0)
        return s_help_assessment;
    if (strcmp(topic, "catalogue") == 0)
        return s_help_catalogue;
    return s_help_overview;
}

int command_line_duration(const char *text, int64_t *seconds)
{
    char *end = NULL;
    int64_t unit = 1;

    if (!text || !*text || text[0] == '-' || text[0] == '+' || text[0] == ' ')
        return -1;
    long long v = strtoll(text, &end, 10);
    if (end == text)
        return -1;
    if (*end != '\0') {
        if (end[1] != '\0')
            return -1;
        switch (*end) {
        case 's':
            unit = 1;
            break;
        case 'm':
            unit = 60;
            break;
        case 'h':
            unit = 3600;
            break;
        case 'd':
            unit = 86400;
            break;
        default:
            return -1;
        }
    }
    if (v < 0 || v > OWCTL_ADVANCE_MAX_S / unit)
        return -1;
    *seconds = (int64_t)v * unit;
    return 0;
}

static void s_msg(char *msg, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, size, fmt, ap);
    va_end(ap);
}

static const s_option_t *s_find(const char *name, size_t len)
{
    for (size_t i = 0; i < S_OPTION_COUNT; i++)
        if (strlen(s_options[i].name) == len && strncmp(s_options[i].name, name, len) == 0)
            return &s_options[i];
    return NULL;
}

static int s_add_material(owctl_command_t *cmd, const char *code, char *msg, size_t size)
{
    if (!*code) {
        s_msg(msg, size, "--material needs a material code, not an empty word");
        return -1;
    }
    const char **grown = realloc(cmd->materials, (cmd->material_count + 1) * sizeof *grown);
    if (!grown) {
        s_msg(msg, size, "out of memory");
        return -1;
    }
    cmd->materials = grown;
    cmd->materials[cmd->material_count++] = code;
    return 0;
}

/* A word starting with '-' that is not an option: a negative number given as an argument. */
static bool s_is_option(const char *arg)
{
    if (arg[0] != '-' || arg[1] == '\0')
        return false;
    if (arg[1] >= '0' && arg[1] <= '9')
        return false;
    return true;
}

static const char *s_verb_name(owctl_verb_t verb)
{
    switch (verb) {
    case OWCTL_DB_INIT:
        return "db init";
    case OWCTL_SUBMIT:
        return "submit";
    case OWCTL_CASE_SHOW:
        return "case show";
    case OWCTL_CLOCK_ADVANCE:
        return "clock advance";
    case OWCTL_CLOCK_SHOW:
        return "clock show";
    case OWCTL_TOKEN_ISSUE:
        return "token issue";
    case OWCTL_TOKEN_REVOKE:
        return "token revoke";
    case OWCTL_TOKEN_LIST:
        return "token list";
    case OWCTL_CENTRE_KEYGEN:
        return "centre keygen";
    case OWCTL_CENTRE_REVOKE:
        return "centre revoke";
    case OWCTL_CALENDAR_LOAD:
        return "calendar load";
    case OWCTL_NOTIFY_DEAD:
        return "notify dead";
    case OWCTL_NOTIFY_RESEND:
        return "notify resend";
    case OWCTL_REPORT:
        return "report";
    case OWCTL_ASSESSMENT_MONTH:
        return "assessment month";
    case OWCTL_CASE_ACCEPT:
        return "case accept";
    case OWCTL_SLOTS:
        return "slots";
    case OWCTL_APPOINTMENT_BOOK:
        return "appointment book";
    case OWCTL_APPOINTMENT_CANCEL:
        return "appointment cancel";
    case OWCTL_APPOINTMENT_ARRIVE:
        return "appointment arrive";
    case OWCTL_QUEUE_TAKE:
        return "queue take";
    case OWCTL_QUEUE_CALL:
        return "queue call";
    case OWCTL_QUEUE_MISSED:
        return "queue missed";
    case OWCTL_QUEUE_SERVING:
        return "queue serving";
    case OWCTL_QUEUE_DONE:
        return "queue done";
    case OWCTL_CATALOGUE_IMPORT:
        return "catalogue import";
    case OWCTL_CATALOGUE_EXPORT:
        return "catalogue export";
    case OWCTL_CATALOGUE_SHOW:
        return "catalogue show";
    case OWCTL_ASSESSMENT_YEAR:
        return "assessment year";
    default:
        return "help";
    }
}

/* The operator typed more words than the command takes. Returns -1. */
static int s_extra(const owctl_command_t *cmd, const char *word, char *msg, size_t size)
{
    s_msg(msg, size, "%s: unexpected argument '%s'", s_verb_name(cmd->verb), word);
    return -1;
}

/* Decides the command from its words. Returns 0, or -1 with msg. */
static int s_verb(const char **words, size_t n, owctl_command_t *cmd, char *msg, size_t size)
{
    const char *w0 = words[0];
    if (strcmp(w0, "help") == 0) {
        if (n > 2) {
            s_msg(msg, size, "help takes at most one command name");
            return -1;
        }
        cmd->verb = OWCTL_HELP;
        cmd->help_topic = n > 1 ? words[1] : NULL;
        return 0;
    }
    if (strcmp(w0, "db") == 0) {
        if (n < 2 || strcmp(words[1], "init") != 0) {
            s_msg(msg, size, "unknown db command%s%s: the only one is 'db init'", n > 1 ? " " : "",
                  n > 1 ? words[1] : "");
            return -1;
        }
        cmd->verb = OWCTL_DB_INIT;
        if (n > 2)
            return s_extra(cmd, words[2], msg, size);
        return 0;
    }
    if (strcmp(w0, "submit") == 0) {
        cmd->verb = OWCTL_SUBMIT;
        if (n > 1)
            return s_extra(cmd, words[1], msg, size);
        return 0;
    }
    if (strcmp(w0, "case") == 0) {
        bool accept = n >= 2 && strcmp(words[1], "accept") == 0;
        if (n < 2 || (strcmp(words[1], "show") != 0 && !accept)) {
            s_msg(msg, size,
                  "unknown case command%s%s: use 'case show CASE_NO' or 'case accept CASE_NO'",
                  n > 1 ? " " : "", n > 1 ? words[1] : "");
            return -1;
        }
        cmd->verb = accept ? OWCTL_CASE_ACCEPT : OWCTL_CASE_SHOW;
        if (n < 3) {
            s_msg(msg, size, "case %s needs a CASE_NO", words[1]);
            return -1;
        }
        cmd->case_no = words[2];
        if (n > 3)
            return s_extra(cmd, words[3], msg, size);
        return 0;
    }
    if (strcmp(w0, "clock") == 0) {
        if (n >= 2 && strcmp(words[1], "show") == 0) {
            cmd->verb = OWCTL_CLOCK_SHOW;
            if (n > 2)
                return s_extra(cmd, words[2], msg, size);
            return 0;
        }
        if (n >= 2 && strcmp(words[1], "advance") == 0) {
            cmd->verb = OWCTL_CLOCK_ADVANCE;
            if (n < 3) {
                s_msg(msg, size, "clock advance needs SECONDS (e.g. 3600, 90m, 36h, 3d)");
                return -1;
            }
            if (command_line_duration(words[2], &cmd->seconds) != 0) {
                s_msg(msg, size,
                      "clock advance: '%s' is not a duration: a whole number of seconds, or "
                      "with s, m, h or d (36h, 3d), not negative, at most 100 years",
                      words[2]);
                return -1;
            }
            if (n > 3)
                return s_extra(cmd, words[3], msg, size);
            return 0;
        }
        s_msg(msg, size, "unknown clock command%s%s: use 'clock advance SECONDS' or 'clock show'",
              n > 1 ? " " : "", n > 1 ? words[1] : "");
        return -1;
    }
    if (strcmp(w0, "centre") == 0) {
        const char *w1 = n > 1 ? words[1] : "";
        size_t args = 2;
        if (strcmp(w1, "keygen") == 0) {
            cmd->verb = OWCTL_CENTRE_KEYGEN;
        } else if (strcmp(w1, "revoke") == 0) {
            cmd->verb = OWCTL_CENTRE_REVOKE;
            if (n < 3) {
                s_msg(msg, size, "centre revoke needs a KEY_ID (the key-id line of the key file)");
                return -1;
            }
            cmd->key_id = words[2];
            args = 3;
        } else {
            s_msg(msg, size, "unknown centre command '%s': use centre keygen or revoke", w1);
            return -1;
        }
        if (n > args)
            return s_extra(cmd, words[args], msg, size);
        return 0;
    }
    if (strcmp(w0, "token") == 0) {
        const char *w1 = n > 1 ? words[1] : "";
        size_t args = 2;
        if (strcmp(w1, "issue") == 0) {
            cmd->verb = OWCTL_TOKEN_ISSUE;
        } else if (strcmp(w1, "list") == 0) {
            cmd->verb = OWCTL_TOKEN_LIST;
        } else if (strcmp(w1, "revoke") == 0) {
            cmd->verb = OWCTL_TOKEN_REVOKE;
            if (n < 3) {
                s_msg(msg, size, "token revoke needs a TOKEN_ID (see owctl token list)");
                return -1;
            }
            cmd->token_id = words[2];
            args = 3;
        } else {
            s_msg(msg, size, "unknown token command '%s': use token issue, revoke or list", w1);
            return -1;
        }
        if (n > args)
            return s_extra(cmd, words[args], msg, size);
        return 0;
    }
    if (strcmp(w0, "calendar") == 0) {
        if (n < 2 || strcmp(words[1], "load") != 0) {
            s_msg(msg, size, "unknown calendar command%s%s: use 'calendar load FILE'",
                  n > 1 ? " " : "", n > 1 ? words[1] : "");
            return -1;
        }
        cmd->verb = OWCTL_CALENDAR_LOAD;
        if (n < 3) {
            s_msg(msg, size, "calendar load needs a FILE (a year's calendar record)");
            return -1;
        }
        cmd->file = words[2];
        if (n > 3)
            return s_extra(cmd, words[3], msg, size);
        return 0;
    }
    if (strcmp(w0, "notify") == 0) {
        const char *w1 = n > 1 ? words[1] : "";
        size_t args = 2;
        if (strcmp(w1, "dead") == 0) {
            cmd->verb = OWCTL_NOTIFY_DEAD;
        } else if (strcmp(w1, "resend") == 0) {
            cmd->verb = OWCTL_NOTIFY_RESEND;
            if (n < 3) {
                s_msg(msg, size, "notify resend needs a DELIVERY_ID (see owctl notify dead)");
                return -1;
            }
            cmd->delivery_id = words[2];
            args = 3;
        } else {
            s_msg(msg, size, "unknown notify command '%s': use notify dead or resend", w1);
            return -1;
        }
        if (n > args)
            return s_extra(cmd, words[args], msg, size);
        return 0;
    }
    if (strcmp(w0, "report") == 0) {
        cmd->verb = OWCTL_REPORT;
        if (n < 2) {
            s_msg(msg, size,
                  "report needs a DIMENSION (all, department, item, window, staff, channel, "
                  "centre, level)");
            return -1;
        }
        cmd->dimension = words[1];
        cmd->report_key = n > 2 ? words[2] : NULL;
        if (n > 3)
            return s_extra(cmd, words[3], msg, size);
        return 0;
    }
    if (strcmp(w0, "assessment") == 0) {
        if (n >= 2 && strcmp(words[1], "year") == 0) {
            cmd->verb = OWCTL_ASSESSMENT_YEAR;
            if (n < 3) {
                s_msg(msg, size, "assessment year needs a year YYYY (e.g. 2026)");
                return -1;
            }
            cmd->year = words[2];
            if (n > 3)
                return s_extra(cmd, words[3], msg, size);
            return 0;
        }
        if (n < 2 || strcmp(words[1], "month") != 0) {
            s_msg(msg, size,
                  "unknown assessment command%s%s: use 'assessment month YYYY-MM' or "
                  "'assessment year YYYY'",
                  n > 1 ? " " : "", n > 1 ? words[1] : "");
            return -1;
        }
        cmd->verb = OWCTL_ASSESSMENT_MONTH;
        if (n < 3) {
            s_msg(msg, size, "assessment month needs a month YYYY-MM (e.g. 2026-10)");
            return -1;
        }
        cmd->month = words[2];
        if (n > 3)
            return s_extra(cmd, words[3], msg, size);
        return 0;
    }
    if (strcmp(w0, "slots") == 0) {
        cmd->verb = OWCTL_SLOTS;
        if (n > 1)
            return s_extra(cmd, words[1], msg, size);
        return 0;
    }
    if (strcmp(w0, "appointment") == 0 || strcmp(w0, "queue") == 0) {
        static const struct {
            const char *group, *word;
            owctl_verb_t verb;
            const char *needs; /* the word after it, or NULL */
        } hall[] = {
            {"appointment", "book", OWCTL_APPOINTMENT_BOOK, NULL},
            {"appointment", "cancel", OWCTL_APPOINTMENT_CANCEL, "an APPOINTMENT_ID"},
            {"appointment", "arrive", OWCTL_APPOINTMENT_ARRIVE, "an APPOINTMENT_ID"},
            {"queue", "take", OWCTL_QUEUE_TAKE, NULL},
            {"queue", "call", OWCTL_QUEUE_CALL, "a WINDOW"},
            {"queue", "missed", OWCTL_QUEUE_MISSED, "a TICKET_ID"},
            {"queue", "serving", OWCTL_QUEUE_SERVING, "a TICKET_ID"},
            {"queue", "done", OWCTL_QUEUE_DONE, "a TICKET_ID"},
        };
        const char *w1 = n > 1 ? words[1] : "";
        for (size_t i = 0; i < sizeof hall / sizeof hall[0]; i++) {
            if (strcmp(hall[i].group, w0) != 0 || strcmp(hall[i].word, w1) != 0)
                continue;
            cmd->verb = hall[i].verb;
            size_t args = 2;
            if (hall[i].needs) {
                if (n < 3) {
                    s_msg(msg, size, "%s %s needs %s", w0, w1, hall[i].needs);
                    return -1;
                }
                if (hall[i].verb == OWCTL_QUEUE_CALL)
                    cmd->window = words[2];
                else
                    cmd->hall_id = words[2];
                args = 3;
            }
            if (n > args)
                return s_extra(cmd, words[args], msg, size);
            return 0;
        }
        s_msg(msg, size, "unknown %s command '%s': use %s", w0, w1,
              strcmp(w0, "queue") == 0 ? "queue take, call, missed, serving or done"
                                       : "appointment book, cancel or arrive");
        return -1;
    }
    if (strcmp(w0, "catalogue") == 0) {
        const char *w1 = n > 1 ? words[1] : "";
        size_t args = 2;
        if (strcmp(w1, "import") == 0 || strcmp(w1, "show") == 0) {
            bool import = w1[0] == 'i';
            cmd->verb = import ? OWCTL_CATALOGUE_IMPORT : OWCTL_CATALOGUE_SHOW;
            if (n < 3) {
                s_msg(msg, size,
                      import ? "catalogue import needs a FILE (JSON or CSV)"
                             : "catalogue show needs an IMPL_CODE (实施编码)");
                return -1;
            }
            *(import ? &cmd->file : &cmd->impl_code) = words[2];
            args = 3;
        } else if (strcmp(w1, "export") == 0) {
            cmd->verb = OWCTL_CATALOGUE_EXPORT;
        } else {
            s_msg(msg, size, "unknown catalogue command '%s': use catalogue import, export or show",
                  w1);
            return -1;
        }
        if (n > args)
            return s_extra(cmd, words[args], msg, size);
        return 0;
    }
    s_msg(msg, size, "unknown command '%s' (see owctl --help)", w0);
    return -1;
}

int command_line_parse(int argc, char **argv, owctl_command_t *cmd, char *msg, size_t msg_size)
{
    const char *words[S_WORDS_MAX];
    size_t n_words = 0;
    uint64_t given = 0; /* bit i: s_options[i] was given */
    bool help = false;
    bool only_words = false;

    memset(cmd, 0, sizeof *cmd);
    msg[0] = '\0';

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!only_words && strcmp(arg, "--") == 0) {
            only_words = true;
            continue;
        }
        if (only_words || !s_is_option(arg)) {
            if (n_words == S_WORDS_MAX) {
                s_msg(msg, msg_size, "too many arguments");
                return -1;
            }
            words[n_words++] = arg;
            continue;
        }
        if (strcmp(arg, "-h") == 0) {
            help = true;
            continue;
        }
        if (arg[1] != '-') {
            s_msg(msg, msg_size, "unknown option '%s' (options are spelt --name)", arg);
            return -1;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        const s_option_t *opt = s_find(name, name_len);
        if (!opt) {
            s_msg(msg, msg_size, "unknown option '--%.*s' (see owctl --help)", (int)name_len, name);
            return -1;
        }
        uint64_t bit = 1ull << (opt - s_options);
        switch (opt->kind) {
        case S_HELP:
            if (eq) {
                s_msg(msg, msg_size, "--help takes no value");
                return -1;
            }
            help = true;
            break;
        case S_FLAG:
            if (eq) {
                s_msg(msg, msg_size, "--%s takes no value", opt->name);
                return -1;
            }
            *(bool *)((char *)cmd + opt->offset) = true;
            break;
        case S_VALUE: {
            if (given & bit) {
                s_msg(msg, msg_size, "--%s is given twice", opt->name);
                return -1;
            }
            const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!value || (!eq && s_is_option(value))) {
                s_msg(msg, msg_size, "--%s needs a value", opt->name);
                return -1;
            }
            if (!*value) {
                s_msg(msg, msg_size, "--%s needs a value, not an empty word", opt->name);
                return -1;
            }
            *(const char **)((char *)cmd + opt->offset) = value;
            break;
        }
        case S_DEFECT: {
            /* CODE=REASON, once per defective material. */
            const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            const char *sep = value ? strchr(value, '=') : NULL;
            if (!value || !sep || sep == value || !sep[1]) {
                s_msg(msg, msg_size,
                      "--defect needs CODE=REASON (the material and why it is not "
                      "in legal form)");
                return -1;
            }
            const char **grown = realloc(cmd->defects, (cmd->defect_count + 1) * sizeof *grown);
            if (!grown) {
                s_msg(msg, msg_size, "out of memory");
                return -1;
            }
            cmd->defects = grown;
            cmd->defects[cmd->defect_count++] = value;
            break;
        }
        case S_MATERIAL:
            if (eq) {
                if (s_add_material(cmd, eq + 1, msg, msg_size) != 0)
                    return -1;
            } else {
                size_t before = cmd->material_count;
                /* One or more codes: every following word up to the next option. */
                while (i + 1 < argc && !s_is_option(argv[i + 1]) &&
                       strcmp(argv[i + 1], "--") != 0) {
                    if (s_add_material(cmd, argv[++i], msg, msg_size) != 0)
                        return -1;
                }
                if (cmd->material_count == before) {
                    s_msg(msg, msg_size, "--material needs one or more material codes");
                    return -1;
                }
            }
            break;
        }
        given |= bit;
    }

    if (n_words == 0) {
        if (help) {
            cmd->verb = OWCTL_HELP;
            return 0;
        }
        s_msg(msg, msg_size, "no command given (see owctl --help)");
        return -1;
    }
    if (help) {
        /* `owctl case show --help`: the command's help, whatever else is on the line. */
        cmd->verb = OWCTL_HELP;
        cmd->help_topic = strcmp(words[0], "help") == 0 && n_words > 1 ? words[1] : words[0];
        return 0;
    }
    if (s_verb(words, n_words, cmd, msg, msg_size) != 0)
        return -1;

    for (size_t i = 0; i < S_OPTION_COUNT; i++) {
        if ((given & (1ull << i)) && !(s_options[i].applies & (1u << cmd->verb))) {
            s_msg(msg, msg_size, "--%s does not apply to '%s'", s_options[i].name,
                  s_verb_name(cmd->verb));
            return -1;
        }
    }

    if (!cmd->remote != !cmd->key_file) {
        s_msg(msg, msg_size, "--remote and --key go together (a centre's endpoint and key file)");
        return -1;
    }
    if (cmd->remote && strncmp(cmd->remote, "tcp://", 6) != 0 &&
        strncmp(cmd->remote, "ipc://", 6) != 0) {
        s_msg(msg, msg_size, "--remote '%.80s' is not tcp://HOST:PORT", cmd->remote);
        return -1;
    }
    if (cmd->verb == OWCTL_DB_INIT && !cmd->database_url) {
        s_msg(msg, msg_size, "db init needs --database-url URL");
        return -1;
    }
    if (cmd->verb == OWCTL_SUBMIT) {
        char missing[160] = "";
        if (!cmd->item)
            strcat(missing, ", --item");
        if (!cmd->name)
            strcat(missing, ", --name");
        if (!cmd->id_number)
            strcat(missing, ", --id-number");
        if (!cmd->phone)
            strcat(missing, ", --phone");
        if (cmd->material_count == 0)
            strcat(missing, ", --material");
        if (missing[0]) {
            s_msg(msg, msg_size, "submit needs %s (see owctl submit --help)", missing + 2);
            return -1;
        }
    }
    {
        const char *missing = NULL;
        if (cmd->verb == OWCTL_SLOTS && !cmd->centre)
            missing = "slots needs --centre ID";
        else if (cmd->verb == OWCTL_APPOINTMENT_BOOK &&
                 (!cmd->slot || !cmd->name || !cmd->id_number || !cmd->phone))
            missing = "appointment book needs --slot, --name, --id-number and --phone";
        else if (cmd->verb == OWCTL_QUEUE_TAKE && (!cmd->centre || !cmd->window))
            missing = "queue take needs --centre ID and --window W";
        else if (cmd->verb == OWCTL_QUEUE_CALL && !cmd->centre)
            missing = "queue call needs --centre ID";
        if (missing) {
            s_msg(msg, msg_size, "%s", missing);
            return -1;
        }
    }
    if (cmd->verb == OWCTL_REPORT) {
        if (!cmd->period || !cmd->from || !cmd->to) {
            s_msg(msg, msg_size,
                  "report needs --period, --from and --to (see owctl report --help)");
            return -1;
        }
        if (cmd->csv && cmd->json) {
            s_msg(msg, msg_size, "--csv and --json do not go together");
            return -1;
        }
    }
    if (cmd->verb == OWCTL_CATALOGUE_IMPORT && cmd->format && strcmp(cmd->format, "json") != 0 &&
        strcmp(cmd->format, "csv") != 0) {
        s_msg(msg, msg_size, "--format '%.40s' is not json or csv", cmd->format);
        return -1;
    }
    if (cmd->verb == OWCTL_CATALOGUE_EXPORT && cmd->csv && cmd->json) {
        s_msg(msg, msg_size, "--csv and --json do not go together");
        return -1;
    }
    if (cmd->verb == OWCTL_TOKEN_ISSUE) {
        if (!cmd->subject || !cmd->role || !cmd->centre) {
            s_msg(msg, msg_size, "token issue needs --subject, --role and --centre");
            return -1;
        }
        if (cmd->ttl && (command_line_duration(cmd->ttl, &cmd->seconds) != 0 || cmd->seconds < 1)) {
            s_msg(msg, msg_size, "--ttl '%s' is not a duration (e.g. 3600, 12h, 90d)", cmd->ttl);
            return -1;
        }
    }
    return 0;
}

void command_line_free(owctl_command_t *cmd)
{
    free(cmd->materials);
    cmd->materials = NULL;
    cmd->material_count = 0;
    free(cmd->defects);
    cmd->defects = NULL;
    cmd->defect_count = 0;
}
