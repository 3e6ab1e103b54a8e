/* smsa-agentd --preflight: every applicable check of a configuration once, all at once, on
 * the daemon's own engine, then a verdict with the monitoring-plugins exit codes. */
#ifndef SMSA_PREFLIGHT_H
#define SMSA_PREFLIGHT_H

#include <stdint.h>

#include "config.h"

/* Exit codes of the monitoring-plugins guidelines. */
enum preflight_verdict {
    PREFLIGHT_OK = 0,       /* every check up */
    PREFLIGHT_WARNING = 1,  /* something degraded (some addresses of a peer answer) */
    PREFLIGHT_CRITICAL = 2, /* something down */
    PREFLIGHT_UNKNOWN = 3,  /* could not check: bad configuration, nothing to check, ... */
};

enum preflight_output { PREFLIGHT_TABLE, PREFLIGHT_JSON, PREFLIGHT_NAGIOS };

struct preflight_options {
    enum preflight_output output;
    uint32_t flows; /* bit (id - 1): only these flows; 0: every flow */
};

/* Runs the checks of cfg (taken) and prints the result; returns the verdict. */
int preflight_run(struct cfg *cfg, const struct preflight_options *o);
/* Nothing could be checked (why: one line): prints it the way the output asks; returns
 * PREFLIGHT_UNKNOWN. */
int preflight_unusable(const struct preflight_options *o, const char *why);

#endif
