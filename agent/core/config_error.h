/* Private to the configuration: a parse in progress and its error messages (config_error.c). */
#ifndef SMSA_CONFIG_ERROR_H
#define SMSA_CONFIG_ERROR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

void cfgi_pctx_init(struct pctx *p, const char *text, size_t len, struct cfg_error *err);
void cfgi_set_error(struct cfg_error *e, enum cfg_error_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Parses text as JSON (syntax errors with jansson's line and column, no NUL byte, at most
 * CFG_MAX_DEPTH levels); NULL with p->err filled. */
json_t *cfgi_load_json(struct pctx *p, const char *text, size_t len);
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

#endif
