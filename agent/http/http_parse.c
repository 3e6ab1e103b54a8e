/* Parsers of request text for the REST face (see http_parse.h). */
#include "http_parse.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool httpf_cidr_match(const struct addr_cidr *list, size_t n, const struct sockaddr *sa)
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
        const struct addr_cidr *c = &list[i];
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
