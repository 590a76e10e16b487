/* synth_bank.c — the intent label set of the generated corpus: names, how often each occurs, how it
 * leans in sentiment, and which intents a human annotator confuses it with (label noise). */
#include "synth/synth.h"
#include "synth/synth_internal.h"

/* prior: share in the stream (relative); neg/pos: sentiment logits vs neutral (outages and billing
 * disputes are angry, plan upgrades and renewals are friendly); priority: fraud/lockout queues. */
const SynthIntentInfo tml_synth_intents[SYNTH_N_INTENTS] = {
    [SI_CARD_LOST] = {"card_lost", 5, 0.3, -1.0, 1, {SI_SIM_REPLACEMENT, SI_ACCOUNT_LOCKED, -1}},
    [SI_REFUND_REQUEST] = {"refund_request", 6, 0.4, -0.8, 0, {SI_BILLING_DISPUTE, SI_DELIVERY_DELAY, -1}},
    [SI_BILLING_DISPUTE] = {"billing_dispute", 7, 0.9, -1.5, 0, {SI_REFUND_REQUEST, SI_INVOICE_REQUEST, -1}},
    [SI_CANCEL_SUBSCRIPTION] = {"cancel_subscription", 5, 0.6, -1.2, 0, {SI_CONTRACT_RENEWAL, SI_BILLING_DISPUTE, -1}},
    [SI_UPGRADE_PLAN] = {"upgrade_plan", 5, -1.2, 0.6, 0, {SI_CONTRACT_RENEWAL, SI_DATA_USAGE_QUERY, -1}},
    [SI_NETWORK_OUTAGE] = {"network_outage", 6, 1.0, -1.6, 0, {SI_SLOW_INTERNET, SI_DEVICE_REPAIR, -1}},
    [SI_PASSWORD_RESET] = {"password_reset", 7, -0.4, -0.3, 0, {SI_ACCOUNT_LOCKED, -1, -1}},
    [SI_DELIVERY_DELAY] = {"delivery_delay", 5, 0.5, -1.0, 0, {SI_REFUND_REQUEST, SI_SIM_REPLACEMENT, -1}},
    [SI_PAYMENT_FAILED] = {"payment_failed", 5, 0.3, -0.9, 0, {SI_UPDATE_PAYMENT_METHOD, SI_TRANSFER_FAILED, -1}},
    [SI_SLOW_INTERNET] = {"slow_internet", 6, 0.6, -1.2, 0, {SI_NETWORK_OUTAGE, SI_DEVICE_REPAIR, -1}},
    [SI_SIM_REPLACEMENT] = {"sim_replacement", 4, -0.3, -0.5, 0, {SI_CARD_LOST, SI_DEVICE_REPAIR, -1}},
    [SI_ACCOUNT_LOCKED] = {"account_locked", 5, 0.3, -0.9, 1, {SI_PASSWORD_RESET, SI_CARD_LOST, -1}},
    [SI_ROAMING_ACTIVATION] = {"roaming_activation", 3, -0.5, 0.2, 0, {SI_NETWORK_OUTAGE, SI_BILLING_DISPUTE, -1}},
    [SI_CHANGE_ADDRESS] = {"change_address", 3, -1.0, 0.0, 0, {SI_INVOICE_REQUEST, SI_CANCEL_SUBSCRIPTION, -1}},
    [SI_INVOICE_REQUEST] = {"invoice_request", 4, -1.0, 0.0, 0, {SI_BILLING_DISPUTE, SI_CHANGE_ADDRESS, -1}},
    [SI_DATA_USAGE_QUERY] = {"data_usage_query", 4, -0.3, -0.3, 0, {SI_BILLING_DISPUTE, SI_UPGRADE_PLAN, -1}},
    [SI_DEVICE_REPAIR] = {"device_repair", 4, 0.1, -0.7, 0, {SI_SIM_REPLACEMENT, SI_SLOW_INTERNET, -1}},
    [SI_TRANSFER_FAILED] = {"transfer_failed", 4, 0.6, -1.2, 1, {SI_PAYMENT_FAILED, SI_REFUND_REQUEST, -1}},
    [SI_UPDATE_PAYMENT_METHOD] = {"update_payment_method", 3, -1.0, 0.1, 0, {SI_PAYMENT_FAILED, SI_BILLING_DISPUTE, -1}},
    [SI_CONTRACT_RENEWAL] = {"contract_renewal", 3, -0.8, 0.2, 0, {SI_UPGRADE_PLAN, SI_CANCEL_SUBSCRIPTION, -1}},
};

int tml_synth_intent_count(void) { return SYNTH_N_INTENTS; }

const char *tml_synth_intent_name(int id) {
    return id >= 0 && id < SYNTH_N_INTENTS ? tml_synth_intents[id].name : NULL;
}

int tml_synth_list_len(const char *const *list) {
    int n = 0;
    while (list[n]) n++;
    return n;
}
