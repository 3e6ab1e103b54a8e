/* The event bus: subscribers, the order and stamp of events, and the names of states, causes
 * and event kinds. */
#include "core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"

struct subscriber {
    core_event_cb cb;
    void *arg;
};

static struct subscriber *subs;
static size_t n_subs;
static uint64_t event_seq;

const char *smsa_state_name(enum smsa_state s)
{
    static const char *const n[ST_COUNT] = {"unknown",  "up",           "degraded",      "down",
                                            "disabled", "unconfigured", "not-applicable"};
    return (unsigned)s < ST_COUNT ? n[s] : "unknown";
}

const char *smsa_cause_name(enum smsa_cause c)
{
    static const char *const n[CAUSE_COUNT] = {"none",          "timeout",       "refused",
                                               "unreachable",   "dns-failure",   "protocol-error",
                                               "kiss-of-death", "not-listening", "error",
                                               "loopback-only", "prohibited",    "offset"};
    return (unsigned)c < CAUSE_COUNT ? n[c] : "error";
}

const char *smsa_event_kind_name(enum smsa_event_kind k)
{
    static const char *const n[] = {"peer",   "flow",  "link",      "ntp", "addrset",
                                    "config", "clock", "appliance", "tls"};
    return (unsigned)k <= EV_TLS ? n[k] : "?";
}

const char *smsa_tls_expiry_name(enum smsa_tls_expiry e)
{
    static const char *const n[] = {"none", "soon", "expired"};
    return (unsigned)e <= TLS_EXPIRY_EXPIRED ? n[e] : "?";
}

int core_subscribe(core_event_cb cb, void *arg)
{
    struct subscriber *p = realloc(subs, (n_subs + 1) * sizeof(*p));
    if (!p)
        return -1;
    subs = p;
    subs[n_subs++] = (struct subscriber){cb, arg};
    return 0;
}

void core_unsubscribe(core_event_cb cb, void *arg)
{
    for (size_t i = 0; i < n_subs; i++) {
        if (subs[i].cb == cb && subs[i].arg == arg) {
            memmove(subs + i, subs + i + 1, (n_subs - i - 1) * sizeof(*subs));
            n_subs--;
            return;
        }
    }
}

void core_emit(struct smsa_event *ev)
{
    ev->seq = ++event_seq;
    if (ev->at.mono_us == 0)
        ev->at = core_stamp_now();
    core_m.events_total++;
    core_m.generation++;
    for (size_t i = 0; i < n_subs; i++)
        subs[i].cb(ev, subs[i].arg);
}

void core_events_fini(void)
{
    free(subs);
    subs = NULL;
    n_subs = 0;
    event_seq = 0;
}
