/* The probe engine wired to the core: the engine hands its results to the core, and the core
 * starts and stops the engine around every configuration it applies. Neither calls the other
 * by name; this is the one place that connects them. */
#ifndef SMSA_PROBING_H
#define SMSA_PROBING_H

#include "config.h"

/* engine_init then core_init (which takes ownership of cfg, as core_init does). */
int probing_init(struct cfg *cfg, const char *path);
/* core_fini then engine_fini. */
void probing_fini(void);

#endif
