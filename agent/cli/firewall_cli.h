/* smsa-agentd --firewall FORMAT: resolves every configured name now and prints (or writes) what the
 * host firewall must allow. */
#ifndef SMSA_FIREWALL_CLI_H
#define SMSA_FIREWALL_CLI_H

#include "config.h"
#include "firewall.h"

/* Takes cfg; returns the exit code (0, or 1 when resolution or output failed). With output,
 * the rules replace that file (atomic.h) once they pass the check of the tool that loads them
 * (nft -c, iptables-restore --test) where it is installed; a target that is a symbolic link,
 * a folder, another user's file, or a file or folder others can write is refused untouched. */
int firewall_cli_run(struct cfg *cfg, enum fw_format format, enum fw_sets sets, const char *output);

#endif
