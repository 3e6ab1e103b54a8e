/* Private to the REST face: the shapes of the write bodies, each turned into a changed copy of
 * the configuration by the core's builders (config.h). NULL on error, err as the core fills
 * it (key path relative to the body, line and column in it). */
#ifndef SMSA_HTTP_BODIES_H
#define SMSA_HTTP_BODIES_H

#include <stddef.h>

#include "config.h"

/* PUT /api/v1/ntp: {"enabled": bool, "servers": [...]}; "enabled" is required and absent
 * "servers" means none (the vendor's are filled in when enabled). */
struct cfg *httpb_ntp(const struct cfg *base, const char *body, size_t len, struct cfg_error *err);
/* PUT /api/v1/updates: the list of sources, as an array or as {"items": [...]}. */
struct cfg *httpb_updates(const struct cfg *base, const char *body, size_t len,
                          struct cfg_error *err);
/* POST /api/v1/scanners: one {"name", "host"}; DELETE /api/v1/scanners/{name}. */
struct cfg *httpb_scanner_add(const struct cfg *base, const char *body, size_t len,
                              struct cfg_error *err);
struct cfg *httpb_scanner_remove(const struct cfg *base, const char *name, struct cfg_error *err);

#endif
