/* Text output for the large documents (/metrics, /api/v1/flows, /api/v1/links): a growable
 * buffer and hand-rolled number, label and JSON string writers. With thousands of peers these
 * documents are megabytes, rebuilt on every scrape (a probe result changes the model many
 * times a second), and printf per value or a jansson tree per peer made a single scrape cost
 * tens of milliseconds of the daemon's one loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_internal.h"

bool httpf_buf_reserve(struct httpf_buf *b, size_t n)
{
    if (b->oom)
        return false;
    if (b->cap - b->len >= n)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < n)
        cap *= 2;
    char *p = realloc(b->s, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->s = p;
    b->cap = cap;
    return true;
}

void httpf_buf_free(struct httpf_buf *b)
{
    free(b->s);
    memset(b, 0, sizeof(*b));
}

void httpf_put(struct httpf_buf *b, const char *s, size_t n)
{
    if (!httpf_buf_reserve(b, n))
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
}

void httpf_puts(struct httpf_buf *b, const char *s)
{
    httpf_put(b, s, strlen(s));
}

void httpf_put_u64(struct httpf_buf *b, uint64_t v)
{
    char tmp[20];
    size_t k = sizeof(tmp);
    do {
        tmp[--k] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    httpf_put(b, tmp + k, sizeof(tmp) - k);
}

void httpf_put_i64(struct httpf_buf *b, int64_t v)
{
    if (v < 0) {
        httpf_put(b, "-", 1);
        httpf_put_u64(b, (uint64_t)0 - (uint64_t)v);
    } else {
        httpf_put_u64(b, (uint64_t)v);
    }
}

/* v / 10^digits with exactly that many decimals: what printf("%.6f", us / 1e6) prints for a
 * whole number of microseconds, without the double. */
static void put_scaled(struct httpf_buf *b, int64_t v, unsigned digits, bool trim)
{
    uint64_t scale = 1;
    for (unsigned i = 0; i < digits; i++)
        scale *= 10;
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (v < 0)
        httpf_put(b, "-", 1);
    httpf_put_u64(b, a / scale);
    char frac[20];
    uint64_t f = a % scale;
    for (unsigned i = digits; i > 0; i--) {
        frac[i - 1] = (char)('0' + f % 10);
        f /= 10;
    }
    size_t n = digits;
    /* JSON: 1.5 rather than 1.500, but 2.0 still reads as a real. */
    while (trim && n > 1 && frac[n - 1] == '0')
        n--;
    httpf_put(b, ".", 1);
    httpf_put(b, frac, n);
}

void httpf_put_seconds_us(struct httpf_buf *b, int64_t us)
{
    put_scaled(b, us, 6, false);
}

void httpf_put_json_ms(struct httpf_buf *b, int64_t us)
{
    put_scaled(b, us, 3, true);
}

void httpf_put_prom_label(struct httpf_buf *b, const char *s)
{
    /* Exposition format: backslash, double quote and line feed are escaped. */
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == '\\' || *p == '"') {
            char e[2] = {'\\', *p};
            httpf_put(b, e, 2);
        } else if (*p == '\n') {
            httpf_put(b, "\\n", 2);
        } else {
            httpf_put(b, p, 1);
        }
    }
}

void httpf_put_json_str(struct httpf_buf *b, const char *s)
{
    /* As jansson's compact dump: '"', '\' and control characters escaped, the rest (UTF-8
     * included) as is. The strings come from a validated configuration or from us. */
    static const char hex[] = "0123456789abcdef";
    httpf_put(b, "\"", 1);
    const char *run = s;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        httpf_put(b, run, (size_t)(p - run));
        run = p + 1;
        switch (c) {
        case '"':
            httpf_put(b, "\\\"", 2);
            break;
        case '\\':
            httpf_put(b, "\\\\", 2);
            break;
        case '\n':
            httpf_put(b, "\\n", 2);
            break;
        case '\r':
            httpf_put(b, "\\r", 2);
            break;
        case '\t':
            httpf_put(b, "\\t", 2);
            break;
        case '\b':
            httpf_put(b, "\\b", 2);
            break;
        case '\f':
            httpf_put(b, "\\f", 2);
            break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            httpf_put(b, u, 6);
        }
        }
    }
    httpf_put(b, run, strlen(run));
    httpf_put(b, "\"", 1);
}

void httpf_put_json_str_or_null(struct httpf_buf *b, const char *s)
{
    if (s)
        httpf_put_json_str(b, s);
    else
        httpf_put(b, "null", 4);
}

void httpf_rfc3339(int64_t wall_us, char *buf, size_t len)
{
    if (wall_us <= 0) {
        buf[0] = 0;
        return;
    }
    time_t t = (time_t)(wall_us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)((wall_us / 1000) % 1000));
}

/* gmtime_r per stamp costs more than the rest of a peer: stamps of one second share it. */
void httpf_put_json_stamp(struct httpf_buf *b, int64_t wall_us)
{
    static int64_t cached_s = -1;
    static char cached[20]; /* "2026-11-29T17:04:42" */
    if (wall_us <= 0) {
        httpf_put(b, "null", 4);
        return;
    }
    int64_t s = wall_us / 1000000;
    if (s != cached_s) {
        char buf[40];
        httpf_rfc3339(s * 1000000, buf, sizeof(buf));
        memcpy(cached, buf, sizeof(cached) - 1);
        cached[sizeof(cached) - 1] = 0;
        cached_s = s;
    }
    unsigned ms = (unsigned)((wall_us / 1000) % 1000);
    char tail[7] = {
        '.', (char)('0' + ms / 100), (char)('0' + ms / 10 % 10), (char)('0' + ms % 10), 'Z', '"',
        0};
    httpf_put(b, "\"", 1);
    httpf_put(b, cached, sizeof(cached) - 1);
    httpf_put(b, tail, 6);
}

uint64_t httpf_hash(uint64_t h, const void *data, size_t n)
{
    /* FNV-1a over 8-byte words: a few hundred kilobytes of snapshot hash in well under a
     * millisecond. Not cryptographic: it only tells generations' bytes apart for ETags. */
    const unsigned char *p = data;
    if (h == 0)
        h = 14695981039346656037ull;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 1099511628211ull;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    while (n--)
        h = (h ^ *p++) * 1099511628211ull;
    return h;
}
