/* history.h — ticket-history aggregates for churn: joins a tickets file to a customers file on the
 * customer id as of a cutoff date. Documented in docs/data.md. */
#ifndef TICKETML_DATA_HISTORY_H
#define TICKETML_DATA_HISTORY_H

#include <stdint.h>

#include "data/table.h"
#include "ticketml/error.h"

typedef struct TmlHistoryConfig {
    const char *customer_col;   /* in both files; default "customer_id" */
    const char *time_col;       /* tickets: ISO-8601 date or date-time; default "created_at" */
    const char *sentiment_col;  /* tickets: optional; "negative" counts as negative; default "sentiment" */
    const char *intent_col;     /* tickets: optional; default "intent" */
    const char *response_col;   /* tickets: optional first-response minutes; default "first_response_minutes" */
    const char *cutoff;         /* ISO date; tickets after it are ignored; NULL = latest ticket date */
} TmlHistoryConfig;

void tml_history_config_default(TmlHistoryConfig *c);

/* Features per customer row of `customers`, in this order: tickets_7d, tickets_30d, tickets_90d,
 * tickets_total, days_since_last_ticket (cutoff - last; 365 when none), negative_share,
 * mean_first_response_minutes (0 when absent), repeat_contacts_7d (tickets within 7 days of the
 * previous one by the same customer), then one count per intent (intents sorted). out is malloc'd
 * (n_customers, *dim) row-major; names malloc'd (*dim strings); caller frees both. */
int tml_history_features(const TmlHistoryConfig *c, const TmlTable *customers, const TmlTable *tickets,
                         float **out, int *dim, char ***names, TmlError *err);

#endif
