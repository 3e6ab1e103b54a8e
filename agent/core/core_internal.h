/* What the core's files share and nothing else includes: core.c (lifecycle, the change API),
 * core_events.c (the event bus), core_model.c (the model built from a configuration, carry-over,
 * the index map) and core_state.c (probe results into state and events). */
#ifndef SMSA_CORE_INTERNAL_H
#define SMSA_CORE_INTERNAL_H

#include "core.h"
#include "loop.h"

/* The model the core publishes (core_model() hands it out read-only) and the configuration it
 * runs on; both are defined in core.c, which swaps them. */
extern struct smsa_model core_m;
extern struct cfg *core_running;

static inline struct smsa_stamp core_stamp_now(void)
{
    return (struct smsa_stamp){.wall_us = loop_wall_us(), .mono_us = loop_now_us()};
}

/* core_events.c */
/* Numbers and stamps ev, counts it in the model and hands it to every subscriber. */
void core_emit(struct smsa_event *ev);
/* Forgets the subscribers; the next event is number 1 again. */
void core_events_fini(void);

/* core_model.c */
/* Loads the index map from c->state_dir (a missing or bad map only renumbers). */
int core_model_init(const struct cfg *c);
void core_model_fini(void);
/* m (zeroed) from c: flows and their peers, links, update sources, appliances, numbered. */
int core_model_build(struct smsa_model *m, const struct cfg *c);
/* The learned group of a peer's fields (model.h) from `from` into `to`, whose identity stays;
 * the address set moves (from has none after). */
void core_peer_take_learned(struct smsa_peer *to, struct smsa_peer *from);
void core_model_carry_over(struct smsa_model *next, struct smsa_model *old);
void core_model_free(struct smsa_model *m);
/* A peer whose host is an address literal has its one address from the start. */
void core_model_literal_addresses(struct smsa_model *m);
void core_model_save_indexes(void);

/* core_state.c */
/* Flows, appliances, the overall state and the clock from the peers, after an apply. */
void core_state_settle(void);

#endif
