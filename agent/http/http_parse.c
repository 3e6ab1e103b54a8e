/* Parsers of request text for the REST face (see http_parse.h). */
#include "http_parse.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int httpf_parse_cidr(const char *s, struct httpf_cidr *out)
{
    char buf[INET6_ADDRSTRLEN + 8];
    if (strlen(s) >= sizeof(buf))
        return -1;
    strcpy(buf, s);
    char *slash = strchr(buf, '/');
    long bits = -1;
    if (slash) {
        *slash = 0;
        char *end;
        /* digits only: strtol would take " 8", "+8" or "-0" */
        if (slash[1] < '0' || slash[1] > '9' || strlen(slash + 1) > 3)
            return -1;
        bits = strtol(slash + 1, &end, 10);
        if (*end)
            return -1;
    }
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        out->family = AF_INET;
        if (bits < 0)
            bits = 32;
        if (bits > 32)
            return -1;
    } else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
        out->family = AF_INET6;
        if (bits < 0)
            bits = 128;
        if (bits > 128)
            return -1;
        if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)out->addr) && bits >= 96) {
            /* Clients are matched with mapped addresses unwrapped (httpf_cidr_match): an
             * "::ffff:192.0.2.0/120" entry is the IPv4 prefix it spells. */
            memmove(out->addr, out->addr + 12, 4);
            memset(out->addr + 4, 0, 12);
            out->family = AF_INET;
            bits -= 96;
        }
    } else {
        return -1;
    }
    out->bits = (unsigned)bits;
    return 0;
}

bool httpf_cidr_match(const struct httpf_cidr *list, size_t n, const struct sockaddr *sa)
{
    int family;
    uint8_t a[16];
    if (!sa)
        return false;
    if (sa->sa_family == AF_INET) {
        family = AF_INET;
        memcpy(a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *in6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(in6)) {
            /* A dual-stack socket shows IPv4 clients as ::ffff:a.b.c.d. */
            family = AF_INET;
            memcpy(a, in6->s6_addr + 12, 4);
        } else {
            family = AF_INET6;
            memcpy(a, in6->s6_addr, 16);
        }
    } else {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const struct httpf_cidr *c = &list[i];
        if (c->family != family)
            continue;
        unsigned full = c->bits / 8, rest = c->bits % 8;
        if (memcmp(a, c->addr, full))
            continue;
        if (rest) {
            uint8_t mask = (uint8_t)(0xffu << (8 - rest));
            if ((a[full] & mask) != (c->addr[full] & mask))
                continue;
        }
        return true;
    }
    return false;
}

bool httpf_etag_list_has(const char *list, const char *etag)
{
    /* A comma-separated list of entity tags, "*" matching any. Weak tags never match:
     * RFC 9110 §13.1.2 asks for the weak comparison, and our tags are strong, so a "W/" tag
     * compares equal only by its opaque part. */
    size_t elen = strlen(etag);
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        const char *end = p;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (end - start == 1 && *start == '*')
            return true;
        if (end - start > 2 && start[0] == 'W' && start[1] == '/')
            start += 2;
        if ((size_t)(end - start) == elen && !memcmp(start, etag, elen))
            return true;
    }
    return false;
}

/* Writes must not overwrite a configuration the client has not seen: If-Match holds when
 * one of its tags was issued under the current configuration generation. Comparing the whole
 * tag would also fail on every probe result, which changes the status parts of the same
 * representation, and make If-Match useless on a busy appliance. */
bool httpf_if_match_ok(const char *list, uint64_t cgen)
{
    char want[32];
    int n = snprintf(want, sizeof(want), "\"c%llu-", (unsigned long long)cgen);
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        if (*p == '*' && (p[1] == 0 || p[1] == ',' || p[1] == ' '))
            return true;
        if (!strncmp(p, want, (size_t)n))
            return true;
        while (*p && *p != ',')
            p++;
    }
    return false;
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629 §4: no overlong forms, no
 * surrogates, nothing past U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        return (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (p[0] >= 0xe0 && p[0] <= 0xef) {
        unsigned lo = p[0] == 0xe0 ? 0xa0 : 0x80, hi = p[0] == 0xed ? 0x9f : 0xbf;
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
    }
    if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        unsigned lo = p[0] == 0xf0 ? 0x90 : 0x80, hi = p[0] == 0xf4 ? 0x8f : 0xbf;
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 ? 4 : 0;
    }
    return 0;
}

void httpf_escape_text(const char *s, char *out, size_t out_len)
{
    size_t k = 0;
    if (!out_len)
        return;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = utf8_len(p);
        if (n == 1 && *p >= 0x20 && *p != 0x7f && *p != '\\') {
            if (k + 1 >= out_len)
                break;
            out[k++] = (char)*p++;
        } else if (n > 1) {
            if (k + n >= out_len)
                break;
            memcpy(out + k, p, n);
            k += n;
            p += n;
        } else {
            if (k + 4 >= out_len)
                break;
            k += (size_t)snprintf(out + k, out_len - k, "\\x%02x", *p++);
        }
    }
    out[k] = 0;
}
