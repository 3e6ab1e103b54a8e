/* The configuration file (README, Configuration): load, validate, defaults, serialise,
 * atomic save. */
#ifndef SMSA_CONFIG_H
#define SMSA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "atomic.h"
#include "config_types.h"

/* A configuration of embedded defaults (README, Configuration). */
struct cfg *cfg_defaults(void);
void cfg_free(struct cfg *c);
struct cfg *cfg_clone(const struct cfg *c);

/* Parse a document; missing keys take defaults. NULL on error (err filled). */
struct cfg *cfg_parse(const char *text, size_t len, struct cfg_error *err);
/* Read and parse a file, refusing files over CFG_MAX_FILE_BYTES without reading them. */
struct cfg *cfg_load(const char *path, struct cfg_error *err);
/* Checks that span keys (unique scanner names, ...); changes nothing. Run by cfg_parse;
 * writers call it on a changed copy. */
int cfg_validate(struct cfg *c, struct cfg_error *err);
/* NTP enabled with no servers takes the vendor's (pool.ntp.org, clock.isc.org,
 * time.nist.gov), written into c so that they are persisted too. A step of its own where a
 * configuration is completed: cfg_parse, the REST write bodies and core_change. -1: no
 * memory. */
int cfg_fill_ntp_servers(struct cfg *c);
/* Completes a validated configuration where one is completed (cfg_parse, the REST write
 * bodies and core_change): the vendor's NTP servers as above, and the extra flows given their
 * "from" and "to" words and sorted by id. -1: no memory. */
int cfg_complete(struct cfg *c);

/* The whole configuration as a JSON document (malloc'd, caller frees). */
char *cfg_serialise(const struct cfg *c);
/* The same with every secret (communities, USM passphrases) that is set written as
 * "********": what may leave the box. */
char *cfg_serialise_masked(const struct cfg *c);
/* Replaces the file atomically (atomic.h). On failure the file is exactly the old one (or
 * still absent). */
int cfg_save(const struct cfg *c, const char *path, struct cfg_error *err);

/* A save in two steps (atomic_begin): for a caller that has more to do before the change
 * counts; commit drops the old file, undo puts it back. */
#define CFG_SAVE_OLD_SUFFIX ATOMIC_OLD_SUFFIX
struct cfg_saved {
    struct atomic_save file;
};
int cfg_save_begin(const struct cfg *c, const char *path, struct cfg_saved *s,
                   struct cfg_error *err);
void cfg_save_commit(struct cfg_saved *s);
int cfg_save_undo(struct cfg_saved *s);
/* The key paths where b differs from a, comma-separated into buf (e.g. "ntp.enabled,
 * ntp.servers (0 -> 3 items)"); "" when equal. Returns the length written. */
size_t cfg_diff(const struct cfg *a, const struct cfg *b, char *buf, size_t len);

/* Keys whose change needs a restart (http.listen, snmp.mode, ...): the names of those that
 * differ between running and wanted, at most max of them; returns how many. */
size_t cfg_restart_keys(const struct cfg *running, const struct cfg *wanted, const char **keys,
                        size_t max);
/* Copies src's values of every restart key into dst: what a reload keeps. -1: no memory. */
int cfg_keep_restart_values(struct cfg *dst, const struct cfg *src);

/* The extra_flows entry of id, NULL when none; and the entries as the catalogue's extra rows
 * (cat_extra_use), for the code that builds from c. */
const struct cfg_extra_flow *cfg_extra_flow(const struct cfg *c, unsigned id);
struct cat_extra_rows cfg_extra_rows(const struct cfg *c);
/* The flows c has, in id order: the vendor's 1..20, then its extra flows; i < cfg_n_flows. */
size_t cfg_n_flows(const struct cfg *c);
unsigned cfg_flow_id(const struct cfg *c, size_t i);

/* "host", "host:port", "192.0.2.1:25", "[2001:db8::1]:25". */
int cfg_parse_peer(const char *s, struct cfg_peer *out, char *why, size_t why_len);
/* The peer as configured text, e.g. "[2001:db8::1]:25" (static buffer per call site OK). */
void cfg_peer_format(const struct cfg_peer *p, char *buf, size_t len);
bool cfg_host_valid(const char *host);

const char *cfg_snmp_mode_name(enum cfg_snmp_mode m);
const char *cfg_placement_name(enum cfg_placement p); /* "on-box", "beside" */

/* Master mode beyond loopback needs an access secret, as REST needs a token: the community
 * "public" (the default) is refused there. -1 with err
 * (CFG_ERR_VALUE, path snmp.community) when c must not run as a master agent. */
int cfg_check_master_exposure(const struct cfg *c, struct cfg_error *err);

/* Changes written as JSON text other than the file (the REST write bodies, whose shapes are
 * the REST face's): each validates the result whole and returns a changed clone of base; NULL
 * on error with err->path relative to the text and the line and column in it. */
/* The object in text replaces section ("ntp"): a key it leaves out takes its default; each
 * key of required (NULL-terminated, may be NULL) must be there. */
struct cfg *cfg_with_section(const struct cfg *base, const char *section,
                             const char *const *required, const char *text, size_t len,
                             struct cfg_error *err);
/* The value in text replaces key ("updates"); with a wrapper, the text may also be an object
 * that holds the value under that one member ({"items": [...]}). */
struct cfg *cfg_with_value(const struct cfg *base, const char *key, const char *wrapper,
                           const char *text, size_t len, struct cfg_error *err);
/* One scanner added (its name must be new) or removed by name (CFG_ERR_NOT_FOUND). */
struct cfg *cfg_with_scanner(const struct cfg *base, const char *json, size_t len,
                             struct cfg_error *err);
struct cfg *cfg_without_scanner(const struct cfg *base, const char *name, struct cfg_error *err);

#endif
