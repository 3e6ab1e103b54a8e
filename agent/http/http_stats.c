/* The REST face's counters (requests, answers by status class, refused clients): counted
 * where each thing is seen, read by /metrics. */
#include <string.h>

#include "http_internal.h"

static struct httpf_stats stats;

void httpf_get_stats(struct httpf_stats *out)
{
    *out = stats;
    out->auth_failures = httpf_access_failures();
}

void httpf_count_status(unsigned status)
{
    if (status >= 500)
        stats.responses_5xx++;
    else if (status >= 400)
        stats.responses_4xx++;
}

void httpf_count_request(void)
{
    stats.requests++;
}

void httpf_count_refused(void)
{
    stats.refused_clients++;
}

void httpf_stats_reset(void)
{
    memset(&stats, 0, sizeof(stats));
}
