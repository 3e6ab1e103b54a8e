/* The event lines of the log ("event peer flow=3 ..."): a subscriber of the core's events like
 * the faces; the daemon subscribes it, one-shot runs do not. */
#include "event_log.h"

#include <inttypes.h>
#include <stdio.h>

#include "core.h"
#include "log.h"

static void log_event(const struct smsa_event *ev, void *arg)
{
    (void)arg;
    const struct smsa_model *m = core_model();
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
        const struct smsa_flow *f = model_flow(m, CAT_FLOW_NTP);
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
        log_info("event config generation=%" PRIu64, m->config_generation);
        break;
    case EV_CLOCK:
        log_info("event clock state=%s cause=%s offset_us=%s%" PRId64 " servers=%u detail=\"%s\"",
                 smsa_state_name(ev->new_state), smsa_cause_name(ev->cause),
                 m->clock.has_offset ? "" : "-", m->clock.has_offset ? m->clock.offset_us : 0,
                 m->clock.answering, detail);
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

int evlog_start(void)
{
    return core_subscribe(log_event, NULL);
}

void evlog_stop(void)
{
    core_unsubscribe(log_event, NULL);
}
