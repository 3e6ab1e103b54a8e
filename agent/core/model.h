/* The state the core publishes: flows, peers, their addresses, links, NTP servers, update
 * sources. Faces (SNMP, REST) read it through core_model() and never write it. */
#ifndef SMSA_MODEL_H
#define SMSA_MODEL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "catalogue.h"
#include "hysteresis.h"

enum smsa_state {
    ST_UNKNOWN,
    ST_UP,
    ST_DEGRADED,
    ST_DOWN,
    ST_DISABLED,
    ST_UNCONFIGURED,
    ST_NOT_APPLICABLE,
};
#define ST_COUNT 7

enum smsa_cause {
    CAUSE_NONE,
    CAUSE_TIMEOUT,
    CAUSE_REFUSED,
    CAUSE_UNREACHABLE,
    CAUSE_DNS_FAILURE,
    CAUSE_PROTOCOL_ERROR,
    CAUSE_KISS_OF_DEATH,
    CAUSE_NOT_LISTENING,
    CAUSE_ERROR,
    CAUSE_LOOPBACK_ONLY, /* an inbound port listened on by loopback addresses only */
    CAUSE_PROHIBITED,    /* a firewall answered no: ICMP admin-prohibited, a prohibit route */
    CAUSE_OFFSET,        /* the clock: the NTP servers' median offset beyond ntp.max_offset_ms */
};
#define CAUSE_COUNT 12

const char *smsa_state_name(enum smsa_state s); /* "up", "not-applicable", ... */
const char *smsa_cause_name(enum smsa_cause c); /* "none", "timeout", ... */

struct smsa_stamp {
    int64_t wall_us; /* CLOCK_REALTIME, for humans and DateAndTime */
    int64_t mono_us; /* CLOCK_MONOTONIC, for TimeStamp/uptime arithmetic */
};

#define SMSA_ADDR_TEXT 48
#define SMSA_LISTENING_TEXT 256
/* The short text beside a cause: "rcode REFUSED", "greeting 554", "bound to 127.0.0.1 only". */
#define SMSA_DETAIL_TEXT 64

struct smsa_ntp_result {
    bool valid; /* a good reply was seen in the last round */
    unsigned stratum;
    unsigned leap;     /* LI field */
    int64_t offset_us; /* server clock minus ours */
    int64_t delay_us;  /* round trip, RFC 5905 */
    char refid[16];    /* text: "GPS", "127.0.0.1", or KoD code */
};

/* The leaf certificate a TLS handshake showed (41443 beside, STARTTLS on SMTP, the update
 * hosts on 443). Facts beside the verdict: a certificate never makes a check up or down. Fixed
 * text fields, cut to fit, so that an address stays one compact block. */
#define SMSA_TLS_TEXT 96
struct smsa_tls {
    bool seen;          /* a handshake completed and showed a certificate */
    bool verified;      /* against the system's trust store and the host name */
    bool sha1;          /* signed with SHA-1 */
    uint8_t expiry;     /* peer: the threshold last announced (enum smsa_tls_expiry) */
    int32_t days_left;  /* whole days from the check to not-after; negative once expired */
    int64_t not_before; /* seconds since the epoch */
    int64_t not_after;
    char version[8];            /* "TLS1.3" */
    char subject[64];           /* the subject's CN, else its whole DN */
    char sans[128];             /* DNS names and addresses, space-separated */
    char issuer[SMSA_TLS_TEXT]; /* the issuer's DN */
    char sig_alg[24];           /* "RSA-SHA256" */
    char verify_error[160];     /* why it does not verify; "" when it does */
};

/* A peer's or address's certificate facts for a reader: those of "no certificate seen" when
 * it holds none (NULL), so that readers need not test for it. */
static inline const struct smsa_tls *smsa_tls_of(const struct smsa_tls *t)
{
    static const struct smsa_tls none;
    return t ? t : &none;
}

/* The thresholds of a certificate's expiry (tls.warn_days, then not-after itself). */
enum smsa_tls_expiry { TLS_EXPIRY_NONE, TLS_EXPIRY_SOON, TLS_EXPIRY_EXPIRED };
const char *smsa_tls_expiry_name(enum smsa_tls_expiry e); /* "none", "soon", "expired" */

struct smsa_addr {
    struct sockaddr_storage sa;
    socklen_t salen;
    int family; /* AF_INET or AF_INET6 */
    char text[SMSA_ADDR_TEXT];
    enum smsa_state state; /* ST_UNKNOWN, ST_UP, ST_DOWN */
    enum smsa_cause cause;
    char detail[SMSA_DETAIL_TEXT]; /* "" when cause is none */
    struct smsa_stamp since;
    int64_t rtt_us; /* last successful round trip, -1 when none */
    uint64_t checks, failures;
    struct hyst hyst;
    struct smsa_ntp_result ntp;
    /* the certificate's facts once a handshake showed one, else NULL: most checks are not
     * TLS, and 4,000 peers with their addresses would carry 4 MiB of empty facts */
    struct smsa_tls *tls;
};

/* A peer has two groups of fields. Its identity comes from the configuration and is set when
 * the model is built: what to check, where, and under which indexes. Its learned state comes
 * from probe results: the verdicts, counters, addresses, certificate and NTP facts. When a new
 * configuration keeps a peer, its learned state carries over (core_peer_take_learned) and its
 * identity is the new model's. Every field from `listening_on` to the end is learned state:
 * a new field goes into the group it belongs to. */
struct smsa_peer {
    /* ---- identity (from the configuration) ---- */
    unsigned flow_id;
    unsigned index; /* within the flow, 1-based; tied to the peer's identity, kept across
                     * restarts, never given to another identity */
    char *host;     /* as configured ("local" for an inbound listen check) */
    uint16_t port;  /* effective port */
    enum smsa_probe_kind kind;
    const char *label;   /* scanner name, update purpose, appliance name, or NULL */
    unsigned link_index; /* > 0 when this peer is a Control Center-Scanner link */
    /* > 0: the appliance this check concerns (model.appliances, by index): this appliance's
     * inbound checks (listen checks on-box, checks at its address beside), a scanner's
     * inbound checks beside, and the Control Center's flows to a scanner (11, 16-18). */
    unsigned appliance_index;
    unsigned update_index; /* > 0: position in cfg.updates, 1-based */
    bool enabled;          /* false: a disabled update source, not probed */
    /* Update flows checked through probe.http_proxy: "host:port" of the proxy as configured,
     * and its host and port, whose addresses are the ones probed; NULL when direct. */
    char *via_proxy;
    char *proxy_host;
    uint16_t proxy_port;

    /* ---- learned state (from probe results; carried over) ---- */
    /* Inbound checks: the local addresses the port listens on, space-separated (at most
     * SMSA_LISTENING_TEXT with its NUL); NULL before the first check and for every other
     * kind, which is most peers. */
    char *listening_on;

    enum smsa_state state; /* up, degraded, down, unknown, disabled */
    enum smsa_cause cause;
    char detail[SMSA_DETAIL_TEXT];
    struct smsa_stamp since;
    int64_t rtt_us;
    uint64_t checks, failures, down_count;
    struct hyst hyst;

    struct smsa_addr *addrs; /* the current address set, sorted */
    size_t n_addrs;
    uint64_t addrset_changes;
    struct smsa_stamp addrset_since;

    /* TLS checks: the certificate of the address whose certificate expires first; its expiry
     * field is the threshold last announced for this peer. NULL until a certificate is seen. */
    struct smsa_tls *tls;

    /* NTP servers: the best reply of the last round, and Kiss-o'-Death handling (which, unlike
     * the rest, starts over with every configuration). */
    struct smsa_ntp_result ntp;
    bool kod_stopped;         /* DENY or RSTR: not polled again until the configuration changes */
    unsigned poll_multiplier; /* RATE doubles it (1, 2, 4, ... 64) */
};

/* How a peer's replies ask to be polled (an NTP server's Kiss-o'-Death, RFC 5905 section
 * 7.4): the core decides it from each round's results and hands it back to the engine, which
 * schedules by it. A new configuration starts every peer over at {false, 1}. */
struct smsa_pace {
    bool stopped;             /* DENY or RSTR: no further round */
    unsigned poll_multiplier; /* the interval times this (RATE doubles it) */
};

/* Where a peer's probes connect: the peer itself, or the proxy that tunnels its checks. */
static inline const char *smsa_probe_host(const struct smsa_peer *p, uint16_t *port)
{
    *port = p->proxy_host ? p->proxy_port : p->port;
    return p->proxy_host ? p->proxy_host : p->host;
}

/* Where a flow's checks are made from: the appliance itself (on-box), or this host beside
 * the appliances (every flow beside, outbound ones included). */
enum smsa_measured_from { MEASURED_FROM_APPLIANCE, MEASURED_FROM_VANTAGE };
const char *smsa_measured_from_name(enum smsa_measured_from m); /* "appliance", "vantage" */

struct smsa_flow {
    const struct cat_flow *def;
    /* Beside a Control Center, flows the role itself does not receive (mail, 2 and 4) are
     * inbound when a scanner of the fleet receives them. */
    enum smsa_direction direction;
    enum smsa_measured_from measured_from;
    enum smsa_state state;
    struct smsa_stamp since;
    struct smsa_peer **peers; /* sorted by index */
    size_t n_peers;
    /* The peers by state, and how many are enabled: the core keeps them as each peer's
     * verdict changes and recounts them from the peers after every apply, so that one round's
     * result settles its flow without reading every peer of the flow. */
    unsigned n_by_state[ST_COUNT];
    unsigned n_enabled;
};

struct smsa_link {
    unsigned index;         /* tied to the link's name, kept across restarts */
    char *name;             /* scanner name, or "control-center" on a Scanner */
    struct smsa_peer *peer; /* on the flow cat_link_flow(role) names */
    enum smsa_state state;  /* unknown, up, down */
    enum smsa_cause cause;
    char detail[SMSA_DETAIL_TEXT];
    struct smsa_stamp since;
    uint64_t down_count;
};

/* This host's clock as the NTP servers see it: derived by the core when a server's round ends
 * (ntpclock.c), published as is by every face. */
struct smsa_clock {
    enum smsa_state state; /* unknown, up, degraded (cause offset), down, disabled */
    enum smsa_cause cause;
    char detail[SMSA_DETAIL_TEXT];
    bool has_offset;
    int64_t offset_us;  /* median of the answering servers' offsets: server clock minus ours */
    unsigned answering; /* servers whose last round gave a valid reply */
    /* whose clock this is: "appliance" when the agent runs on the appliance */
    const char *measured_from;
    struct smsa_stamp since;
};

/* An appliance of the fleet: this one (appliance.name) and, on a Control Center or an
 * all-in-one box, each configured scanner. Its state sums up the checks that concern it
 * (peers whose appliance_index is its index): up when every check with a verdict is up,
 * degraded when some fail, down when none answers, unknown until a verdict (appl_state). */
struct smsa_appliance {
    unsigned index; /* tied to the name, kept across restarts, never reused */
    char *name;     /* appliance.name, or the scanner's name */
    enum smsa_role role;
    bool self;  /* the appliance this agent is configured for (not one of its scanners) */
    char *host; /* appliance.address (or its scanner host); "local" on-box for itself */
    /* The checks that concern it, in flow then peer-index order (pointers into flows[]). */
    struct smsa_peer **checks;
    size_t n_checks;

    enum smsa_state state; /* unknown, up, degraded, down */
    enum smsa_cause cause; /* of the worst check (a down one before a degraded one) */
    char detail[SMSA_DETAIL_TEXT];
    unsigned worst_flow; /* the flow of that check, 0 when none */
    struct smsa_stamp since;
    unsigned n_up, n_down; /* checks up, checks down (the rest: degraded or unknown) */
    uint64_t down_count;   /* times it went down */
};

struct smsa_model {
    uint64_t generation;        /* bumps on every change visible through a face (ETag) */
    uint64_t config_generation; /* bumps when the configuration is applied */
    const struct cfg *cfg;      /* the running configuration */
    struct smsa_stamp started;
    enum smsa_state overall; /* up, degraded, down, unknown */
    /* The vendor's rows 1..20 at flows[id - 1], then the extra flows (extra_flows), sorted by
     * id; look a flow up with model_flow(). */
    struct smsa_flow *flows;
    size_t n_flows;
    struct smsa_link *links; /* sorted by index */
    size_t n_links;
    struct smsa_peer **updates; /* cfg.updates order: updates[update_index - 1] */
    size_t n_updates;
    struct smsa_appliance *appliances; /* sorted by index; appliances[0] is not always self */
    size_t n_appliances;
    /* NTP servers are model_flow(m, CAT_FLOW_NTP)->peers. */
    uint64_t probes_total, probe_failures_total, events_total;
    struct smsa_clock clock;
};

/* The flow of id (the vendor's 1..20, an extra flow's 101..999); NULL when the model has
 * none: the one lookup by id, for every face. */
static inline struct smsa_flow *model_flow(const struct smsa_model *m, unsigned id)
{
    if (id >= 1 && id <= CAT_NFLOWS)
        return m->n_flows >= CAT_NFLOWS ? &m->flows[id - 1] : NULL;
    size_t lo = m->n_flows < CAT_NFLOWS ? m->n_flows : CAT_NFLOWS, hi = m->n_flows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        unsigned at = m->flows[mid].def->id;
        if (at == id)
            return &m->flows[mid];
        if (at < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

#endif
