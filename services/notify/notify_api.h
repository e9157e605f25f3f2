/* notify_api — notifyd's request methods (README.md "Serves"; docs/contract.md):
 *   notify.case_deliveries   NotifyCaseDeliveries    → NotifyDeliveryList
 *   notify.list_dead         NotifyListDead          → NotifyDeliveryList
 *   notify.resend            NotifyResend            → NotifyDeliveryReply   (idempotency key)
 *   notify.subscribe         NotifySubscribe         → NotifySubscriptionReply (idempotency key)
 *   notify.unsubscribe       NotifyUnsubscribe       → NotifySubscriptionReply (idempotency key)
 *   notify.list_subscriptions NotifyListSubscriptions → NotifySubscriptionList
 *   notify.set_preference    NotifySetPreference     → NotifyPreferenceReply (idempotency key)
 * Every request is validated first (INVALID_ARGUMENT listing every problem, nothing
 * written); a command runs in one transaction with its idempotency key. */
#ifndef NOTIFY_NOTIFY_API_H
#define NOTIFY_NOTIFY_API_H

#include "ow_db.h"
#include "ow_rpc.h"
#include "sender.h"

/* Prepares the statements and registers the methods on rpc. db and sender (may be NULL) are
 * borrowed; the sender is kicked after a resend. Returns 0, or -1 with err (database). */
int notify_api_register(ow_rpc_server_t *rpc, ow_db_t *db, sender_t *sender, ow_error_t *err);

#endif
