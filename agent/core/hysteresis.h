/* Damping of probe verdicts (README, What it checks): down after fail_threshold consecutive
 * failures, up after recover_threshold consecutive successes. */
#ifndef SMSA_HYSTERESIS_H
#define SMSA_HYSTERESIS_H

#include <stdbool.h>

enum hyst_verdict { HYST_UNKNOWN, HYST_UP, HYST_DOWN };

struct hyst {
    enum hyst_verdict verdict;
    unsigned fails; /* consecutive failures */
    unsigned oks;   /* consecutive successes */
};

/* Feeds one observation; returns true when the verdict changed. */
bool hyst_feed(struct hyst *h, bool ok, unsigned fail_threshold, unsigned recover_threshold);

#endif
