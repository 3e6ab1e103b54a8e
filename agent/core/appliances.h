/* The fleet: the appliances one agent watches (this appliance and, on a Control Center or an
 * all-in-one box, its scanners), which inbound flows each receives when they are checked from
 * beside, and the one rule that sums an appliance's checks up into its state. The core builds
 * and updates them; faces read model.appliances. */
#ifndef SMSA_APPLIANCES_H
#define SMSA_APPLIANCES_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "model.h"

struct idx_map;

/* The appliances of c into m->appliances, numbered from ids (space IDX_APPLIANCES, tied to
 * the name) and sorted by index. -1: no memory. */
int appl_build(struct smsa_model *m, const struct cfg *c, struct idx_map *ids);
/* Collects each appliance's checks (the peers whose appliance_index is its index), in flow
 * then peer order; run once the peers are numbered. -1: no memory. */
int appl_attach(struct smsa_model *m);
/* Keeps the state of the appliances that the new model still has (by index). */
void appl_carry_over(struct smsa_model *next, const struct smsa_model *old);
void appl_free(struct smsa_model *m);

struct smsa_appliance *appl_find(const struct smsa_model *m, unsigned index);
struct smsa_appliance *appl_find_name(const struct smsa_model *m, const char *name);

/* Beside: whether flow id is checked at a's address from this host. This appliance: every
 * flow its role receives. A scanner of a Control Center or all-in-one box: the flows a
 * scanner receives that the role does not already probe as outbound (22 and 25: flows 1, 2
 * and 4; 41002 and 41015-41017 are the Control Center's own outbound flows 11, 16-18). */
bool appl_receives(const struct cfg *c, const struct smsa_appliance *a, unsigned id);

/* The state rule, over the checks that concern one appliance. Disabled checks and checks
 * without a verdict do not count: unknown while none has one; up when every one is up; down
 * when every one is down; degraded otherwise. The cause is the worst check's: the first down
 * one, else the first degraded one. */
struct appl_verdict {
    enum smsa_state state;
    enum smsa_cause cause;
    const char *detail; /* the worst check's detail, "" when none */
    unsigned flow;      /* the worst check's flow, 0 when none */
    unsigned up, down;  /* checks up, checks down */
};
void appl_verdict(struct smsa_peer *const *checks, size_t n, struct appl_verdict *out);

#endif
