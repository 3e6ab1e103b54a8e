#include "jsonpos.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Deeper than any document the configuration's parser lets through (it refuses nesting
 * beyond 16 levels before a position is ever asked for). */
#define JPOS_MAX_DEPTH 32

size_t jpos_path_key(struct jpos_path *p, const char *key)
{
    size_t old = p->len;
    int n = snprintf(p->buf + p->len, sizeof p->buf - p->len, "%s%s", p->len ? "." : "", key);
    if (n > 0)
        p->len += (size_t)n < sizeof p->buf - p->len ? (size_t)n : sizeof p->buf - p->len - 1;
    return old;
}

size_t jpos_path_index(struct jpos_path *p, size_t i)
{
    size_t old = p->len;
    int n = snprintf(p->buf + p->len, sizeof p->buf - p->len, "[%zu]", i);
    if (n > 0)
        p->len += (size_t)n < sizeof p->buf - p->len ? (size_t)n : sizeof p->buf - p->len - 1;
    return old;
}

void jpos_path_pop(struct jpos_path *p, size_t old)
{
    p->len = old;
    p->buf[old] = '\0';
}

/* jansson keeps no positions, so errors find theirs by walking the original text again.
 * The text has already been accepted by jansson, so this scanner only needs to be correct
 * on valid JSON; it gives up quietly on anything else. */
struct locator {
    const char *s;
    size_t len, pos;
    int line, col;
    const char *target;
    bool want_key, found;
    int found_line, found_col;
    struct jpos_path path;
};

static void loc_advance(struct locator *l)
{
    unsigned char ch = (unsigned char)l->s[l->pos++];
    if (ch == '\n') {
        l->line++;
        l->col = 1;
    } else if ((ch & 0xC0) != 0x80) {
        l->col++; /* columns count characters, as jansson's do */
    }
}

static void loc_ws(struct locator *l)
{
    while (l->pos < l->len && strchr(" \t\r\n", l->s[l->pos]) && l->s[l->pos])
        loc_advance(l);
}

static void put_utf8(char *out, size_t *n, size_t cap, unsigned long cp)
{
    unsigned char b[4];
    size_t k;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        k = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    for (size_t i = 0; i < k && *n + 1 < cap; i++)
        out[(*n)++] = (char)b[i];
}

static unsigned long loc_hex4(struct locator *l)
{
    unsigned long v = 0;
    for (int i = 0; i < 4 && l->pos < l->len; i++) {
        char ch = l->s[l->pos];
        v = v * 16 + (unsigned long)(isdigit((unsigned char)ch)
                                         ? ch - '0'
                                         : (tolower((unsigned char)ch) - 'a' + 10));
        loc_advance(l);
    }
    return v;
}

/* Skips a string at pos (on the opening quote); decodes it into out when out is not NULL. */
static bool loc_string(struct locator *l, char *out, size_t cap)
{
    size_t n = 0;
    loc_advance(l);
    while (l->pos < l->len && l->s[l->pos] != '"') {
        char ch = l->s[l->pos];
        if (ch != '\\') {
            if (out && n + 1 < cap)
                out[n++] = ch;
            loc_advance(l);
            continue;
        }
        loc_advance(l);
        if (l->pos >= l->len)
            return false;
        ch = l->s[l->pos];
        loc_advance(l);
        if (ch == 'u') {
            unsigned long cp = loc_hex4(l);
            if (cp >= 0xD800 && cp < 0xDC00 && l->pos + 1 < l->len && l->s[l->pos] == '\\' &&
                l->s[l->pos + 1] == 'u') {
                loc_advance(l);
                loc_advance(l);
                unsigned long lo = loc_hex4(l);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (out)
                put_utf8(out, &n, cap, cp);
            continue;
        }
        static const char esc_in[] = "bfnrt", esc_out[] = "\b\f\n\r\t";
        const char *e = strchr(esc_in, ch);
        if (out && n + 1 < cap)
            out[n++] = e && ch ? esc_out[e - esc_in] : ch;
    }
    if (out)
        out[n] = '\0';
    if (l->pos >= l->len)
        return false;
    loc_advance(l);
    return true;
}

static bool loc_here(struct locator *l, bool is_key)
{
    if (l->want_key == is_key && !strcmp(l->path.buf, l->target)) {
        l->found = true;
        l->found_line = l->line;
        l->found_col = l->col;
    }
    return l->found;
}

/* Walks one value; returns false when done (found, or text not understood). */
static bool loc_value(struct locator *l, int depth)
{
    if (loc_here(l, false) || depth > JPOS_MAX_DEPTH || l->pos >= l->len)
        return false;
    char ch = l->s[l->pos];
    if (ch == '{' || ch == '[') {
        char close = ch == '{' ? '}' : ']';
        loc_advance(l);
        loc_ws(l);
        if (l->pos < l->len && l->s[l->pos] == close) {
            loc_advance(l);
            return true;
        }
        for (size_t i = 0;; i++) {
            size_t old = 0;
            if (close == '}') {
                char key[sizeof l->path.buf];
                int kline = l->line, kcol = l->col;
                if (l->pos >= l->len || l->s[l->pos] != '"' || !loc_string(l, key, sizeof key))
                    return false;
                old = jpos_path_key(&l->path, key);
                if (l->want_key && !strcmp(l->path.buf, l->target)) {
                    l->found = true;
                    l->found_line = kline;
                    l->found_col = kcol;
                    return false;
                }
                loc_ws(l);
                if (l->pos >= l->len || l->s[l->pos] != ':')
                    return false;
                loc_advance(l);
                loc_ws(l);
            } else {
                old = jpos_path_index(&l->path, i);
            }
            if (!loc_value(l, depth + 1))
                return false;
            jpos_path_pop(&l->path, old);
            loc_ws(l);
            if (l->pos >= l->len)
                return false;
            ch = l->s[l->pos];
            loc_advance(l);
            if (ch == close)
                return true;
            if (ch != ',')
                return false;
            loc_ws(l);
        }
    }
    if (ch == '"')
        return loc_string(l, NULL, 0);
    while (l->pos < l->len &&
           (isalnum((unsigned char)l->s[l->pos]) || strchr("+-.", l->s[l->pos])) && l->s[l->pos])
        loc_advance(l);
    return true;
}

/* Line and column of the value (or key) at path; falls back to the nearest enclosing value
 * that is in the text (a missing key is reported where its object starts). */
void jpos_locate(const char *text, size_t len, const char *path, bool want_key, int *line, int *col)
{
    char target[JPOS_PATH_MAX];
    snprintf(target, sizeof target, "%s", path);
    *line = *col = 0;
    if (!text)
        return;
    for (;;) {
        struct locator l = {
            .s = text, .len = len, .line = 1, .col = 1, .target = target, .want_key = want_key};
        loc_ws(&l);
        loc_value(&l, 0);
        if (l.found) {
            *line = l.found_line;
            *col = l.found_col;
            return;
        }
        if (!*target)
            return;
        char *cut = strrchr(target, '[');
        char *dot = strrchr(target, '.');
        if (!cut || (dot && dot > cut))
            cut = dot;
        if (cut)
            *cut = '\0';
        else
            *target = '\0';
        want_key = false;
    }
}
