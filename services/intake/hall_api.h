/* hall_api — the hall methods (hall.h) on intaked's request socket: each request runs its
 * method in one transaction, then the relay and the timer sender are kicked. */
#ifndef INTAKE_HALL_API_H
#define INTAKE_HALL_API_H

#include "hall_policy.h"
#include "ow_status.h"
#include "ow_timer_client.h"

typedef struct ow_service ow_service_t;
typedef struct intake_hall_api intake_hall_api_t;

/* Reads the policy (hall_policy.h) from the service's configuration, prepares the statements
 * and registers the methods. timers is borrowed (it must outlive the service's loop). The
 * state is freed when the loop shuts down. Returns the state, or NULL with err (a bad key is
 * named) and nothing registered. */
intake_hall_api_t *intake_hall_attach(ow_service_t *svc, ow_timer_sender_t *timers,
                                      ow_error_t *err);

/* The policy in force (for the no-show timer's handler); stays valid as long as the state. */
const intake_hall_policy_t *intake_hall_policy(const intake_hall_api_t *self);

#endif
