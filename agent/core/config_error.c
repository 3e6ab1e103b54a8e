/* A parse of the configuration in progress: its JSON text read (syntax errors with line and
 * column, the depth limit), and its error messages: a key path, the line and column it points
 * at, the value quoted so that the user can find it. */
#include "config_error.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cfgi_pctx_init(struct pctx *p, const char *text, size_t len, struct cfg_error *err)
{
    memset(p, 0, sizeof *p);
    p->text = text;
    p->len = len;
    p->err = err;
    memset(err, 0, sizeof *err);
}

/* ------------------------------------------------------------- error helpers */

int cfgi_fail_at(struct pctx *p, bool at_key, const char *fmt, ...)
{
    struct cfg_error *e = p->err;
    char what[sizeof e->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    e->kind = CFG_ERR_VALUE;
    snprintf(e->path, sizeof e->path, "%s", p->path.buf);
    /* A long path or value may cut the message short; it stays a readable prefix. */
    if (p->path.len)
        snprintf(e->message, sizeof e->message, "%.200s: %.300s", p->path.buf, what);
    else
        snprintf(e->message, sizeof e->message, "%s", what);
    jpos_locate(p->text, p->len, p->path.buf, at_key, &e->line, &e->column);
    return -1;
}

void cfgi_set_error(struct cfg_error *e, enum cfg_error_kind kind, const char *fmt, ...)
{
    va_list ap;
    memset(e, 0, sizeof *e);
    e->kind = kind;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

/* A string as it may appear in a message: quoted, bounded, control characters escaped. */
const char *cfgi_quote_len(const char *s, size_t len, char *buf, size_t cap)
{
    const char *end = s + len;
    size_t n = 0;
    buf[n++] = '"';
    while (s < end) {
        unsigned char ch = (unsigned char)*s;
        size_t k = ch < 0x80 ? 1 : ch >= 0xF0 ? 4 : ch >= 0xE0 ? 3 : ch >= 0xC0 ? 2 : 0;
        if (k > (size_t)(end - s))
            k = 0;
        for (size_t i = 1; i < k; i++)
            if (((unsigned char)s[i] & 0xC0) != 0x80)
                k = 0; /* not UTF-8 (a name from a URL): show the byte escaped */
        if (n + (k > 1 ? k : 4) + 6 >= cap)
            break;
        if (k > 1) {
            memcpy(buf + n, s, k);
            n += k;
            s += k;
            continue;
        }
        if (ch < 0x20 || ch >= 0x7F)
            n += (size_t)snprintf(buf + n, cap - n, "\\x%02x", ch);
        else if (ch == '"' || ch == '\\')
            n += (size_t)snprintf(buf + n, cap - n, "\\%c", ch);
        else
            buf[n++] = (char)ch;
        s++;
    }
    if (s < end)
        n += (size_t)snprintf(buf + n, cap - n, "...");
    buf[n++] = '"';
    buf[n] = '\0';
    return buf;
}

const char *cfgi_quote(const char *s, char *buf, size_t cap)
{
    return cfgi_quote_len(s, strlen(s), buf, cap);
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

/* "got an integer (42)": the value in short, so the user can find it. */
int cfgi_fail_type(struct pctx *p, const json_t *v, const char *expected)
{
    char shown[96] = "";
    if (json_is_string(v)) {
        cfgi_quote(json_string_value(v), shown, 64);
    } else if (json_is_number(v) || json_is_boolean(v)) {
        char *d = json_dumps(v, JSON_ENCODE_ANY);
        snprintf(shown, sizeof shown, "%.60s", d ? d : "");
        free(d);
    }
    if (*shown)
        return fail(p, "expected %s, got %s (%s)", expected, type_name(v), shown);
    return fail(p, "expected %s, got %s", expected, type_name(v));
}

int cfgi_oom(struct pctx *p)
{
    return fail(p, "out of memory");
}

/* ------------------------------------------------------------- documents */

/* The first container nested deeper than CFG_MAX_DEPTH, with its path in p. */
static int check_depth(struct pctx *p, json_t *v, int depth)
{
    if (!json_is_object(v) && !json_is_array(v))
        return 0;
    if (depth > CFG_MAX_DEPTH)
        return fail(p, "is nested deeper than %d levels", CFG_MAX_DEPTH);
    if (json_is_object(v)) {
        const char *key;
        json_t *m;
        json_object_foreach(v, key, m)
        {
            size_t old = jpos_path_key(&p->path, key);
            if (check_depth(p, m, depth + 1) < 0)
                return -1;
            jpos_path_pop(&p->path, old);
        }
    } else {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m)
        {
            size_t old = jpos_path_index(&p->path, i);
            if (check_depth(p, m, depth + 1) < 0)
                return -1;
            jpos_path_pop(&p->path, old);
        }
    }
    return 0;
}

/* Parses text as JSON; syntax errors carry jansson's line and column. */
json_t *cfgi_load_json(struct pctx *p, const char *text, size_t len)
{
    json_error_t je;
    /* jansson takes a raw NUL byte for the end of its input and would parse only what comes
     * before it; no JSON text contains one (RFC 8259 §7: control characters are escaped). */
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        cfgi_set_error(p->err, CFG_ERR_SYNTAX, "not valid JSON: a NUL byte at offset %zu",
                       (size_t)(nul - text));
        p->err->line = 1;
        p->err->column = 1;
        for (const char *c = text; c < nul; c++) {
            p->err->column++;
            if (*c == '\n') {
                p->err->line++;
                p->err->column = 1;
            }
        }
        return NULL;
    }
    /* an escaped \u0000 is let through so it is refused with a key path */
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!root) {
        cfgi_set_error(p->err, CFG_ERR_SYNTAX, "not valid JSON: %s", je.text);
        p->err->line = je.line;
        p->err->column = je.column;
        return NULL;
    }
    if (check_depth(p, root, 1) < 0) {
        json_decref(root);
        return NULL;
    }
    return root;
}
