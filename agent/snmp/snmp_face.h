/* The SNMP face: SMSA-AGENT-MIB served as an AgentX subagent (or an embedded master agent),
 * on the daemon's loop, plus notifications from core events. */
#ifndef SMSA_SNMP_FACE_H
#define SMSA_SNMP_FACE_H

#include <stdbool.h>

#include "config.h"

/* Reads cfg->snmp; force_master is --master. Returns 0, or -1 when it cannot start at all
 * (a missing AgentX master is not an error: it retries). */
int snmpf_init(const struct cfg *cfg, bool force_master);
void snmpf_fini(void);

#endif
