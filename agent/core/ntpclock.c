#include "ntpclock.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The median, not the mean: one falseticker among three servers does not move it (the
 * reason ntpd and chrony select by intersection rather than average). */
static int64_t median(int64_t *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_i64);
    return n % 2 ? v[n / 2] : v[n / 2 - 1] + (v[n / 2] - v[n / 2 - 1]) / 2;
}

bool ntpclock_judge(struct smsa_clock *clock, const struct smsa_flow *ntp_flow, bool ntp_enabled,
                    unsigned max_offset_ms)
{
    enum smsa_state old_state = clock->state;
    enum smsa_cause old_cause = clock->cause;
    size_t n_peers = ntp_enabled && ntp_flow ? ntp_flow->n_peers : 0;
    int64_t offsets[n_peers ? n_peers : 1];
    size_t n = 0, down = 0;
    const struct smsa_peer *first_down = NULL;
    for (size_t i = 0; i < n_peers; i++) {
        const struct smsa_peer *p = ntp_flow->peers[i];
        if (p->ntp.valid)
            offsets[n++] = p->ntp.offset_us;
        if (p->state == ST_DOWN) {
            down++;
            if (!first_down)
                first_down = p;
        }
    }
    clock->answering = (unsigned)n;
    if (!ntp_enabled) {
        clock->state = ST_DISABLED;
        clock->cause = CAUSE_NONE;
        clock->has_offset = false;
        clock->detail[0] = '\0';
    } else if (n > 0) {
        int64_t off = median(offsets, n);
        int64_t mag = off < 0 ? -off : off;
        clock->has_offset = true;
        clock->offset_us = off;
        if (mag > (int64_t)max_offset_ms * 1000) {
            clock->state = ST_DEGRADED;
            clock->cause = CAUSE_OFFSET;
            snprintf(clock->detail, sizeof(clock->detail),
                     "offset %s%" PRId64 ".%03" PRId64 " ms, beyond %u ms", off < 0 ? "-" : "",
                     mag / 1000, mag % 1000, max_offset_ms);
        } else {
            clock->state = ST_UP;
            clock->cause = CAUSE_NONE;
            clock->detail[0] = '\0';
        }
    } else if (n_peers > 0 && down == n_peers) {
        clock->state = ST_DOWN;
        clock->cause = first_down->cause;
        clock->has_offset = false;
        snprintf(clock->detail, sizeof(clock->detail), "no NTP server answers");
    } else if (clock->state == ST_DISABLED) {
        clock->state = ST_UNKNOWN; /* NTP was just switched on */
        clock->cause = CAUSE_NONE;
        clock->detail[0] = '\0';
    }
    return clock->state != old_state || clock->cause != old_cause;
}
