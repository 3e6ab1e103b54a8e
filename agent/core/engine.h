/* The probe engine: schedules a round per peer, spread over the interval with jitter;
 * resolves the peer's host again every round and probes every address; hands results to
 * the core. Everything is non-blocking on the one loop. */
#ifndef SMSA_ENGINE_H
#define SMSA_ENGINE_H

#include "model.h"
#include "probe.h"

struct cfg;

/* Where the engine hands what it finds; results flow one way, into these. The peers are the
 * model's, read-only here: the sink's owner is their one writer. */
struct engine_sink {
    /* a new resolved address set for p */
    void (*addresses)(const struct smsa_peer *p, const struct sockaddr_storage *addrs,
                      const socklen_t *lens, size_t n);
    /* the round could not probe (resolution failed, out of memory) */
    void (*round_failed)(const struct smsa_peer *p, enum smsa_cause cause, const char *detail);
    /* the local addresses an inbound check found listening (space-separated) */
    void (*listening)(const struct smsa_peer *p, const char *addrs);
    /* one result per address of p->addrs; for an inbound check, one result. Returns how p
     * wants to be polled from now on (a Kiss-o'-Death): the engine keeps that per peer until
     * the next engine_start, which starts every peer at {false, 1}. */
    struct smsa_pace (*round_done)(const struct smsa_peer *p, const struct probe_addr_result *r,
                                   size_t n);
};

/* Prepares the resolver for cfg; results go to sink (kept, not copied). */
int engine_init(const struct cfg *cfg, const struct engine_sink *sink);
void engine_fini(void);
/* Starts probing every enabled peer of the model (after a configuration is applied), each at
 * the normal pace; the model is only read, and must stay until engine_stop. */
void engine_start(const struct smsa_model *m, const struct cfg *cfg);
/* Stops every round in flight and forgets the peers (before the model is rebuilt). */
void engine_stop(const struct smsa_model *m);

/* One-shot runs (--preflight): the next engine_start runs one round of every selected peer
 * at once instead of rounds on a schedule, and calls done once the last round has been
 * handed to the core. Set before core_init; NULL goes back to scheduled rounds. */
struct engine_once {
    uint32_t flows; /* bit (id - 1) set: that flow's peers run; 0: every flow */
    void (*done)(void *arg);
    void *arg;
};
void engine_set_once(const struct engine_once *once);

#endif
