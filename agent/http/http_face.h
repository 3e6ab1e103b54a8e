/* The REST face: JSON API, /metrics, /healthz and the event stream, on libmicrohttpd,
 * driven by the daemon's loop. */
#ifndef SMSA_HTTP_FACE_H
#define SMSA_HTTP_FACE_H

#include "config.h"
#include "model.h"

/* Reads cfg->http. Returns 0, or -1 (logged) when it cannot listen or the settings are
 * unsafe (beyond loopback without a token). */
int httpf_init(const struct cfg *cfg);
/* The checks httpf_init makes before it listens (listen address, loopback without a token,
 * token file, allow list, TLS files), without listening: 0, or -1 with the reason logged.
 * --check-config runs it so that "valid" means "will start". */
int httpf_check(const struct cfg *cfg);
void httpf_fini(void);
/* The folder the daemon was started in: relative file names of the configuration
 * (http.token_file, http.tls_cert, http.tls_key) are taken from it, also after daemon()
 * moved to /. */
void httpf_set_start_dir(const char *dir);

/* The /api/v1/flows document (flow_id 0) or one flow's object, written by the face's own
 * writer from m, for a caller that does not run the face (smsa-agentd --preflight --json).
 * malloc'd and NUL-terminated, *len without the NUL; NULL when out of memory. */
char *httpf_flows_document(const struct smsa_model *m, unsigned flow_id, size_t *len);

#endif
