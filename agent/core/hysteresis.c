#include "hysteresis.h"

bool hyst_feed(struct hyst *h, bool ok, unsigned fail_threshold, unsigned recover_threshold)
{
    enum hyst_verdict before = h->verdict;
    if (ok) {
        h->fails = 0;
        if (h->oks < recover_threshold)
            h->oks++;
        if (h->verdict != HYST_UP && h->oks >= recover_threshold)
            h->verdict = HYST_UP;
    } else {
        h->oks = 0;
        if (h->fails < fail_threshold)
            h->fails++;
        if (h->verdict != HYST_DOWN && h->fails >= fail_threshold)
            h->verdict = HYST_DOWN;
    }
    return h->verdict != before;
}
