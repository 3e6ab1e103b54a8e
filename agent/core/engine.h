/* The probe engine: schedules a round per peer, spread over the interval with jitter;
 * resolves the peer's host again every round and probes every address; hands results to
 * the core. Everything is non-blocking on the one loop. */
#ifndef SMSA_ENGINE_H
#define SMSA_ENGINE_H

#include "model.h"

struct cfg;

int engine_init(const struct cfg *cfg);
void engine_fini(void);
/* Starts probing every enabled peer of the model (after a configuration is applied). */
void engine_start(struct smsa_model *m, const struct cfg *cfg);
/* Stops every round in flight and forgets the peers (before the model is rebuilt). */
void engine_stop(struct smsa_model *m);

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
