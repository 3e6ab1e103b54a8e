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

#endif
