/* Private to the configuration (config.c, config_fields.c, config_check.c): the parse context
 * with its error helpers, the value checks and the functions of the table of keys. */
#ifndef SMSA_CONFIG_INTERNAL_H
#define SMSA_CONFIG_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "jsonpos.h"

/* Deeper than any real configuration: the schema itself is at most 4 levels deep. */
#define CFG_MAX_DEPTH 16
/* Longest free-form string (paths, communities, passphrases): PATH_MAX is enough. */
#define CFG_MAX_STRING 4096

/* A parse in progress: the text (for positions; NULL when there is none), where the error
 * goes, and the key path being read. */
struct pctx {
    const char *text; /* original document, for positions; NULL when there is none */
    size_t len;
    struct cfg_error *err;
    struct jpos_path path;
};

/* Fills p->err with the path, its position and the message; returns -1. */
int cfgi_fail_at(struct pctx *p, bool at_key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define fail(p, ...) cfgi_fail_at(p, false, __VA_ARGS__)
/* "expected an integer, got a string ("x")" */
int cfgi_fail_type(struct pctx *p, const json_t *v, const char *expected);
int cfgi_oom(struct pctx *p);
/* A string as it may appear in a message: quoted, bounded, control characters escaped. */
const char *cfgi_quote(const char *s, char *buf, size_t cap);
const char *cfgi_quote_len(const char *s, size_t len, char *buf, size_t cap);

/* Value checks (config_check.c): NULL when good, else why not. */
const char *cfgi_check_name(const char *s);
const char *cfgi_check_host(const char *s);
const char *cfgi_check_query_name(const char *s);
const char *cfgi_check_resolver(const char *s);
const char *cfgi_check_agentx(const char *s);
const char *cfgi_check_master_listen(const char *s);
const char *cfgi_check_trap_sink(const char *s);
const char *cfgi_check_listen(const char *s);
const char *cfgi_check_cidr(const char *s);
const char *cfgi_check_state_dir(const char *s);
const char *cfgi_check_nonempty(const char *s);
const char *cfgi_check_word(const char *s);
const char *cfgi_check_passphrase(const char *s);

/* The table of keys (config_fields.c). Readers take p's path at the value they read. */
json_t *cfgi_enter(struct pctx *p, json_t *obj, const char *key, size_t *old);
int cfgi_want_object(struct pctx *p, json_t *v, const char *const *keys);
/* An object with no key that the section lacks. */
int cfgi_want_section(struct pctx *p, json_t *obj, const char *section);
int cfgi_read_section(struct pctx *p, json_t *obj, const char *section, struct cfg *c);
int cfgi_read_document(struct pctx *p, json_t *root, struct cfg *c);
int cfgi_read_key(struct pctx *p, json_t *v, struct cfg *c, const char *path);
int cfgi_parse_scanner(struct pctx *p, json_t *o, struct cfg_scanner *out);
int cfgi_check_numbers(struct pctx *p, const struct cfg *c);
/* extra_flows checked across keys (unique ids, peers, placement); changes nothing. */
int cfgi_check_extra_flows(struct pctx *p, const struct cfg *c);
int cfgi_reset_section(struct cfg *c, const char *section);
json_t *cfgi_to_json(const struct cfg *c, bool masked);
void cfgi_list_free(struct cfg_list *l);

#endif
