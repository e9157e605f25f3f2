/* serve — the endpoint handlers, one module per resource (serve_<resource>.c); endpoints.c
 * lists which method and path each answers and which roles it admits. Each handler answers
 * its exchange exactly once (see route_handler_fn). The role check is done before a handler
 * runs; handlers check the centre (access.h) against the case they touch. */
#ifndef GATEWAY_SERVE_H
#define GATEWAY_SERVE_H

#include "route.h"

/* serve_applications.c */
route_handler_fn serve_submit_application; /* POST /v1/applications */

/* serve_cases.c */
route_handler_fn serve_get_case; /* GET /v1/cases/{case_no} */

/* serve_tasks.c */
route_handler_fn serve_list_tasks;  /* GET /v1/tasks */
route_handler_fn serve_decide_task; /* POST /v1/tasks/{task_id}/decision */

/* serve_ratings.c */
route_handler_fn serve_rate_case; /* POST /v1/ratings */

/* serve_clock.c */
route_handler_fn serve_set_clock; /* POST /v1/admin/clock */
route_handler_fn serve_get_clock; /* GET /v1/admin/clock */

/* serve_tokens.c */
route_handler_fn serve_issue_token;  /* POST /v1/admin/tokens */
route_handler_fn serve_list_tokens;  /* GET /v1/admin/tokens */
route_handler_fn serve_revoke_token; /* POST /v1/admin/tokens/{token_id}/revoke */
route_handler_fn serve_whoami;       /* GET /v1/me */

/* serve_centre_keys.c */
route_handler_fn serve_register_centre_key; /* POST /v1/admin/centre-keys */
route_handler_fn serve_list_centre_keys;    /* GET /v1/admin/centre-keys */
route_handler_fn serve_revoke_centre_key;   /* POST /v1/admin/centre-keys/{key_id}/revoke */

/* serve_events.c */
route_handler_fn serve_list_events;  /* GET /v1/events?after=SEQ */
route_handler_fn serve_event_stream; /* GET /v1/events/stream (Server-Sent Events) */

/* serve_intake.c */
route_handler_fn serve_receive_application; /* POST /v1/receipts */
route_handler_fn serve_correct_case;        /* POST /v1/cases/{case_no}/corrections */
route_handler_fn serve_withdraw_case;       /* POST /v1/cases/{case_no}/withdrawal */
route_handler_fn serve_decide_receipt;      /* POST /v1/cases/{case_no}/acceptance */
route_handler_fn serve_list_documents;      /* GET /v1/cases/{case_no}/documents */

/* serve_history.c */
route_handler_fn serve_case_history; /* GET /v1/cases/{case_no}/history */

/* serve_work.c */
route_handler_fn serve_act_on_task; /* POST /v1/tasks/{task_id}/actions */
route_handler_fn serve_work_list;   /* GET /v1/work-list */

/* serve_deadline.c */
route_handler_fn serve_load_calendar;       /* POST /v1/admin/calendars */
route_handler_fn serve_compute_due;         /* GET /v1/admin/due */
route_handler_fn serve_schedule_timer;      /* POST /v1/admin/timers */
route_handler_fn serve_cancel_timer;        /* POST /v1/admin/timers/cancellation */
route_handler_fn serve_set_thresholds;      /* POST /v1/admin/thresholds */
route_handler_fn serve_deadline_statistics; /* GET /v1/reports/deadlines */

/* serve_notify.c */
route_handler_fn serve_case_deliveries;    /* GET /v1/cases/{case_no}/deliveries */
route_handler_fn serve_list_dead;          /* GET /v1/admin/dead-letters */
route_handler_fn serve_resend;             /* POST /v1/admin/dead-letters/{delivery_id}/resend */
route_handler_fn serve_list_subscriptions; /* GET /v1/subscriptions */
route_handler_fn serve_subscribe;          /* POST /v1/subscriptions */
route_handler_fn serve_unsubscribe;       /* POST /v1/subscriptions/{subscription_id}/unsubscribe */
route_handler_fn serve_set_preference;    /* POST /v1/preferences */
route_handler_fn serve_set_staff_contact; /* POST /v1/admin/staff-contacts */
route_handler_fn serve_register_supervisor; /* POST /v1/supervisor-registrations */

/* serve_reports.c */
route_handler_fn serve_rating_report; /* GET /v1/reports/ratings */

/* serve_rectification.c */
route_handler_fn serve_act_on_ticket;   /* POST /v1/rectification-tickets/{ticket_id}/actions */
route_handler_fn serve_get_ticket;      /* GET /v1/rectification-tickets/{ticket_id} */
route_handler_fn serve_put_staff_roles; /* POST /v1/admin/staff-roles */

/* serve_assessments.c */
route_handler_fn serve_record_assessment; /* POST /v1/assessments */
route_handler_fn serve_assessment_month;  /* GET /v1/assessments/{month} */
route_handler_fn serve_assessment_year;   /* GET /v1/assessments/years/{year} */

/* serve_organisation.c */
route_handler_fn serve_put_org;        /* POST /v1/admin/organisation */
route_handler_fn serve_get_org;        /* GET /v1/organisation */
route_handler_fn serve_record_absence; /* POST /v1/absences */
route_handler_fn serve_end_absence;    /* POST /v1/absences/{absence_id}/end */

/* serve_workflows.c */
route_handler_fn serve_put_workflow; /* POST /v1/admin/workflows */
route_handler_fn serve_get_workflow; /* GET /v1/workflows/{item_code} */
route_handler_fn serve_deliver;      /* POST /v1/cases/{case_no}/delivery */

/* serve_hall.c */
route_handler_fn serve_put_slots;          /* POST /v1/admin/slots */
route_handler_fn serve_list_slots;         /* GET /v1/slots */
route_handler_fn serve_book_appointment;   /* POST /v1/appointments */
route_handler_fn serve_cancel_appointment; /* POST /v1/appointments/{appointment_id}/cancel */
route_handler_fn serve_arrive;             /* POST /v1/appointments/{appointment_id}/arrival */
route_handler_fn serve_take_ticket;        /* POST /v1/queue/tickets */
route_handler_fn serve_call_next;          /* POST /v1/queue/windows/{window}/call */
route_handler_fn serve_ticket_missed;      /* POST /v1/queue/tickets/{ticket_id}/missed */
route_handler_fn serve_ticket_serving;     /* POST /v1/queue/tickets/{ticket_id}/serving */
route_handler_fn serve_ticket_done;        /* POST /v1/queue/tickets/{ticket_id}/done */
route_handler_fn serve_hall_statistics;    /* GET /v1/reports/hall */
/* serve_catalogue.c */
route_handler_fn serve_put_catalogue_items;     /* POST /v1/admin/catalogue/items */
route_handler_fn serve_list_catalogue_items;    /* GET /v1/catalogue/items */
route_handler_fn serve_get_catalogue_item;      /* GET /v1/catalogue/items/{impl_code} */
route_handler_fn serve_export_catalogue;        /* GET /v1/catalogue/export */
route_handler_fn serve_begin_catalogue_import;  /* POST /v1/admin/catalogue/imports */
route_handler_fn serve_catalogue_import_rows;   /* POST …/imports/{import_id}/rows */
route_handler_fn serve_commit_catalogue_import; /* POST …/imports/{import_id}/commit */
route_handler_fn serve_get_catalogue_import;    /* GET …/imports/{import_id} */

#endif
