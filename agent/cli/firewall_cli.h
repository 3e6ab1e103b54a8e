/* smsa-agentd --firewall FORMAT: resolves every configured name now and prints what the host
 * firewall must allow. */
#ifndef SMSA_FIREWALL_CLI_H
#define SMSA_FIREWALL_CLI_H

#include "config.h"
#include "firewall.h"

/* Takes cfg; returns the exit code (0, or 1 when resolution or output failed). */
int firewall_cli_run(struct cfg *cfg, enum fw_format format, enum fw_sets sets);

#endif
