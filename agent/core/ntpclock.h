/* The verdict on this host's clock: the median offset of the NTP servers that answered,
 * against ntp.max_offset_ms. Pure; the core calls it when an NTP server's round ends and
 * when a configuration is applied, and publishes what it returns. */
#ifndef SMSA_NTPCLOCK_H
#define SMSA_NTPCLOCK_H

#include <stdbool.h>

#include "model.h"

/* Updates clock from the servers of flow 8 (ntp_flow): up within max_offset_ms, degraded
 * with cause offset beyond it, down when every server is down, disabled when NTP is off;
 * otherwise (no server has answered yet, or one missed a round inside its hysteresis) the
 * verdict stays. Returns true when the state or the cause changed. */
bool ntpclock_judge(struct smsa_clock *clock, const struct smsa_flow *ntp_flow, bool ntp_enabled,
                    unsigned max_offset_ms);

#endif
