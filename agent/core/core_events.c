/* The event bus: subscribers, the order and stamp of events, and the names of states, causes
 * and event kinds. */
#include "core.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"
#include "log.h"

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

static void log_event(const struct smsa_event *ev)
{
    /* Quoted fields carry peers' words (banners, replies): escaped, one helper (log_quote). */
    char detail[LOG_QUOTED_SIZE(SMSA_DETAIL_TEXT)], purpose[256];
    log_quote(detail, sizeof(detail), ev->detail);
    switch (ev->kind) {
    case EV_LINK:
        log_info("event link index=%u name=%s state=%s cause=%s address=%s detail=\"%s\"",
                 ev->link_index, ev->name, smsa_state_name(ev->new_state),
                 smsa_cause_name(ev->cause), ev->address[0] ? ev->address : "-", detail);
        break;
    case EV_PEER: {
        /* A round trip is only shown when one was measured (a refused probe has none). */
        char rtt[40] = "";
        if (ev->rtt_us >= 0)
            snprintf(rtt, sizeof(rtt), " rtt_us=%" PRId64, ev->rtt_us);
        const struct cat_flow *cf = cat_flow(ev->flow_id);
        log_info("event peer flow=%u peer=%u host=%s port=%u state=%s cause=%s%s detail=\"%s\" "
                 "purpose=\"%s\"",
                 ev->flow_id, ev->peer_index, ev->host, ev->port, smsa_state_name(ev->new_state),
                 smsa_cause_name(ev->cause), rtt, detail,
                 log_quote(purpose, sizeof(purpose), cf ? cf->purpose : "-"));
        break;
    }
    case EV_FLOW: {
        const struct cat_flow *cf = cat_flow(ev->flow_id);
        log_info("event flow flow=%u port=%u proto=%s state=%s purpose=\"%s\"", ev->flow_id,
                 cf ? cf->port : 0, cf ? cat_proto_name(cf->proto) : "-",
                 smsa_state_name(ev->new_state),
                 log_quote(purpose, sizeof(purpose), cf ? cf->purpose : "-"));
        break;
    }
    case EV_ADDRSET:
        log_info("event addrset flow=%u peer=%u host=%s addresses=%s", ev->flow_id, ev->peer_index,
                 ev->host, ev->addresses);
        break;
    case EV_NTP: {
        const struct smsa_flow *f = &core_m.flows[CAT_FLOW_NTP - 1];
        const struct smsa_peer *p = NULL;
        for (size_t i = 0; i < f->n_peers; i++)
            if (f->peers[i]->index == ev->peer_index)
                p = f->peers[i];
        log_info("event ntp peer=%u host=%s state=%s cause=%s stratum=%u offset_us=%" PRId64
                 " delay_us=%" PRId64 " refid=%s detail=\"%s\"",
                 ev->peer_index, ev->host, smsa_state_name(ev->new_state),
                 smsa_cause_name(ev->cause), p ? p->ntp.stratum : 0, p ? p->ntp.offset_us : 0,
                 p ? p->ntp.delay_us : 0, p && p->ntp.refid[0] ? p->ntp.refid : "-", detail);
        break;
    }
    case EV_CONFIG:
        log_info("event config generation=%" PRIu64, core_m.config_generation);
        break;
    case EV_CLOCK:
        log_info("event clock state=%s cause=%s offset_us=%s%" PRId64 " servers=%u detail=\"%s\"",
                 smsa_state_name(ev->new_state), smsa_cause_name(ev->cause),
                 core_m.clock.has_offset ? "" : "-",
                 core_m.clock.has_offset ? core_m.clock.offset_us : 0, core_m.clock.answering,
                 detail);
        break;
    case EV_TLS:
        log_info("event tls flow=%u peer=%u host=%s port=%u address=%s expiry=%s days_left=%d "
                 "detail=\"%s\"",
                 ev->flow_id, ev->peer_index, ev->host, ev->port,
                 ev->address[0] ? ev->address : "-", smsa_tls_expiry_name(ev->expiry),
                 (int)ev->days_left, detail);
        break;
    case EV_APPLIANCE:
        log_info("event appliance index=%u name=%s role=%s host=%s state=%s cause=%s address=%s "
                 "detail=\"%s\"",
                 ev->appliance_index, ev->name, cat_role_name(ev->role), ev->host,
                 smsa_state_name(ev->new_state), smsa_cause_name(ev->cause),
                 ev->address[0] ? ev->address : "-", detail);
        break;
    }
}

void core_emit(struct smsa_event *ev)
{
    ev->seq = ++event_seq;
    if (ev->at.mono_us == 0)
        ev->at = core_stamp_now();
    core_m.events_total++;
    core_m.generation++;
    log_event(ev);
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
