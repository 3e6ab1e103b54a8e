/* The core: owns the configuration and the model, turns probe results into state and events,
 * and is the only place that writes either. Faces subscribe to events and read the model. */
#ifndef SMSA_CORE_H
#define SMSA_CORE_H

#include "config.h"
#include "model.h"
#include "probe.h"

enum smsa_event_kind {
    EV_PEER,      /* a peer changed state */
    EV_FLOW,      /* a flow changed state */
    EV_LINK,      /* a Control Center-Scanner link went down or came up */
    EV_NTP,       /* an NTP server changed state (also an EV_PEER of CAT_FLOW_NTP) */
    EV_ADDRSET,   /* a peer's resolved address set changed */
    EV_CONFIG,    /* a new configuration was applied */
    EV_CLOCK,     /* the verdict on this host's clock changed (model.clock) */
    EV_APPLIANCE, /* an appliance of the fleet changed state (appliance_index, name = its name,
                   * host, address = its current address, cause/detail of the worst check) */
    EV_TLS,       /* a peer's certificate crossed an expiry threshold (tls.warn_days, expired):
                   * once per threshold; address = the address that showed it */
};

/* Self-contained: a subscriber may keep a copy after the model has moved on. */
struct smsa_event {
    enum smsa_event_kind kind;
    uint64_t seq; /* 1, 2, ... in the order events were raised */
    struct smsa_stamp at;
    unsigned flow_id;
    unsigned peer_index;
    unsigned link_index;
    unsigned update_index;
    unsigned appliance_index; /* the appliance the event concerns, 0 when none */
    enum smsa_role role;      /* EV_APPLIANCE: the appliance's role */
    enum smsa_state old_state, new_state;
    enum smsa_cause cause;
    char detail[SMSA_DETAIL_TEXT];
    uint16_t port;
    int64_t rtt_us;               /* the peer's last round trip, -1 when none */
    char name[64];                /* link name, update purpose or flow purpose */
    char host[256];               /* peer host */
    char address[SMSA_ADDR_TEXT]; /* the address concerned, or the first address */
    char addresses[512];          /* EV_ADDRSET: new set, space-separated (truncated) */
    unsigned n_addresses;
    /* EV_TLS: the threshold crossed and the certificate's not-after */
    enum smsa_tls_expiry expiry;
    int64_t not_after;
    int32_t days_left;
    char subject[64];
};

const char *smsa_event_kind_name(enum smsa_event_kind k);

typedef void (*core_event_cb)(const struct smsa_event *ev, void *arg);

/* What probes the model's peers: started once a configuration is applied, stopped before
 * the model is rebuilt. Its results come back through the core_* functions below. */
struct core_prober {
    void (*start)(const struct smsa_model *m, const struct cfg *cfg);
    void (*stop)(const struct smsa_model *m);
};

/* Starts the core on a loaded configuration saved at path (path may be NULL: no persistence,
 * writes are refused). Takes ownership of cfg. Starts probing with prober (NULL: nothing
 * probes; results are fed through core_round_done and friends). */
int core_init(struct cfg *cfg, const char *path, const struct core_prober *prober);
/* One-shot runs (--preflight) read the index map but never write it: state_dir is the
 * daemon's, and a check run by hand must leave it, and stderr, alone. Call before core_init. */
void core_indexes_read_only(bool read_only);
void core_fini(void);

const struct smsa_model *core_model(void);
const struct cfg *core_config(void);
const char *core_config_path(void);

int core_subscribe(core_event_cb cb, void *arg);
void core_unsubscribe(core_event_cb cb, void *arg);

/* The change API: persist first, then apply exactly what was written. On failure nothing
 * changes and err says why. Takes ownership of next either way. */
int core_change(struct cfg *next, struct cfg_error *err);
/* core_change, naming who asked for it in the log line with the changed key paths (e.g.
 * "REST client 192.0.2.7 (PUT /api/v1/ntp)"). */
int core_change_by(struct cfg *next, const char *who, struct cfg_error *err);
/* SIGHUP: re-read the file; a bad file leaves the running configuration. */
int core_reload(struct cfg_error *err);
/* The configuration keys changed in the file that wait for a restart ("http.listen", ...):
 * core_config() keeps their running values. Returns how many; *keys stays valid until the
 * next change or reload. */
size_t core_pending_restart(const char *const **keys);

/* Whether the configuration switches flow id off (ntp.enabled, http_management): such a
 * flow is neither checked nor opened in the firewall. */
bool core_flow_switched_off(const struct cfg *c, unsigned id);

/* A link's current address: the first of its peer's addresses that answers, else the first
 * one known; NULL while the peer has none. Every face reports this one. */
const struct smsa_addr *core_link_address(const struct smsa_link *l);

/* The appliance of the fleet with that index or name; NULL when there is none. */
const struct smsa_appliance *core_appliance(unsigned index);
const struct smsa_appliance *core_appliance_by_name(const char *name);
/* An appliance's current address set: that of the first of its checks that has resolved
 * one (every check of an appliance resolves the same host); *n = 0 and NULL while none has
 * (and always for an on-box appliance checked by its listening sockets). */
const struct smsa_addr *core_appliance_addresses(const struct smsa_appliance *a, size_t *n);
/* The first of those addresses that answers, else the first one; NULL when none is known. */
const struct smsa_addr *core_appliance_address(const struct smsa_appliance *a);
/* The name of the host the checks are made from (gethostname): the vantage beside, the
 * appliance itself on-box. */
const char *core_vantage(void);

/* ---- probe results: the only way state changes (the engine's sink) ---- */

/* p is a peer of core_model(): the prober holds the model read-only and names the peer a
 * result is for; the core writes it. */

/* A new resolved address set for a peer (sorted, deduplicated here). */
void core_set_addresses(const struct smsa_peer *p, const struct sockaddr_storage *addrs,
                        const socklen_t *lens, size_t n);
/* Resolution failed: the round fails with cause dns-failure (detail says more). */
void core_round_failed(const struct smsa_peer *p, enum smsa_cause cause, const char *detail);
/* The local addresses an inbound check found listening (space-separated). */
void core_set_listening(const struct smsa_peer *p, const char *addrs);
/* One round's results, one per address of p->addrs (same order). An NTP server's
 * Kiss-o'-Death is handled here: RATE doubles p->poll_multiplier (up to 64), DENY and RSTR
 * set p->kod_stopped until the configuration changes. Returns that pace, for the prober to
 * schedule by (the engine reads nothing of it from the model). */
struct smsa_pace core_round_done(const struct smsa_peer *p, const struct probe_addr_result *results,
                                 size_t n);

/* Address sets as the core keeps them: sorted and deduplicated (returns the new count);
 * equality of two such sets decides whether an address-set event is raised. */
size_t core_addrset_normalise(struct smsa_addr *a, size_t n);
bool core_addrset_equal(const struct smsa_addr *a, size_t na, const struct smsa_addr *b, size_t nb);

#endif
