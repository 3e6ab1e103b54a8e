#include "addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int addr_literal_family(const char *s)
{
    unsigned char buf[16];
    if (inet_pton(AF_INET, s, buf) == 1)
        return AF_INET;
    if (inet_pton(AF_INET6, s, buf) == 1)
        return AF_INET6;
    return 0;
}

bool addr_host_valid(const char *host)
{
    if (!host || !*host)
        return false;
    if (addr_literal_family(host))
        return true;
    size_t len = strlen(host), start = 0, last = 0;
    if (host[len - 1] == '.') /* the root's trailing dot is optional */
        len--;
    if (len == 0 || len > ADDR_MAX_HOST)
        return false;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || host[i] == '.') {
            size_t l = i - start;
            if (l < 1 || l > 63 || host[start] == '-' || host[i - 1] == '-')
                return false;
            last = start;
            start = i + 1;
        } else if (!isalnum((unsigned char)host[i]) && host[i] != '-') {
            return false;
        }
    }
    /* An all-numeric last label is a mistyped address ("192.0.2.300"), not a name. */
    for (size_t i = last; i < len; i++)
        if (!isdigit((unsigned char)host[i]))
            return true;
    return false;
}

static bool parse_port(const char *s, uint16_t *out)
{
    unsigned long v = 0;
    if (!*s || strlen(s) > 5)
        return false;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return false;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    if (v < 1 || v > 65535)
        return false;
    *out = (uint16_t)v;
    return true;
}

int addr_parse_hostport(const char *s, struct addr_hostport *out, char *why, size_t why_len)
{
    const char *port = NULL;
    size_t hlen;
    memset(out, 0, sizeof *out);
    if (!s || !*s) {
        snprintf(why, why_len, "is empty (expected host or host:port)");
        return -1;
    }
    if (*s == '[') {
        const char *end = strchr(s, ']');
        if (!end) {
            snprintf(why, why_len, "has '[' without ']'");
            return -1;
        }
        hlen = (size_t)(end - s - 1);
        if (end[1] == ':')
            port = end + 2;
        else if (end[1]) {
            snprintf(why, why_len, "has text after ']' (expected [address]:port)");
            return -1;
        }
        if (hlen >= sizeof out->host) {
            snprintf(why, why_len, "is not a valid IPv6 address in brackets");
            return -1;
        }
        memcpy(out->host, s + 1, hlen);
        out->host[hlen] = '\0';
        if (addr_literal_family(out->host) != AF_INET6) {
            snprintf(why, why_len, "is not a valid IPv6 address in brackets");
            return -1;
        }
    } else {
        const char *colon = strchr(s, ':');
        if (colon && strchr(colon + 1, ':')) {
            /* Two colons or more: an IPv6 literal, which can carry a port only in brackets. */
            if (addr_literal_family(s) != AF_INET6) {
                snprintf(why, why_len,
                         "is neither host:port nor an IPv6 address (write [address]:port)");
                return -1;
            }
            hlen = strlen(s);
        } else {
            hlen = colon ? (size_t)(colon - s) : strlen(s);
            port = colon ? colon + 1 : NULL;
        }
        if (hlen >= sizeof out->host) {
            snprintf(why, why_len, "has a host name longer than %d characters", ADDR_MAX_HOST);
            return -1;
        }
        memcpy(out->host, s, hlen);
        out->host[hlen] = '\0';
        if (!addr_host_valid(out->host)) {
            snprintf(why, why_len, "is not a valid host name or address");
            return -1;
        }
    }
    if (port && !parse_port(port, &out->port)) {
        snprintf(why, why_len, "has port \"%.8s%s\" (expected 1..65535)", port,
                 strlen(port) > 8 ? "..." : "");
        return -1;
    }
    out->family = addr_literal_family(out->host);
    return 0;
}

void addr_format_hostport(const char *host, uint16_t port, char *buf, size_t len)
{
    if (!port)
        snprintf(buf, len, "%s", host);
    else if (strchr(host, ':'))
        snprintf(buf, len, "[%s]:%u", host, (unsigned)port);
    else
        snprintf(buf, len, "%s:%u", host, (unsigned)port);
}

bool addr_in6_is_loopback(const struct in6_addr *a)
{
    if (IN6_IS_ADDR_V4MAPPED(a))
        return a->s6_addr[12] == 127;
    return IN6_IS_ADDR_LOOPBACK(a);
}

bool addr_sockaddr_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >> 24) ==
               127;
    if (sa->sa_family == AF_INET6)
        return addr_in6_is_loopback(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
    return false;
}

bool addr_hostport_is_loopback(const struct addr_hostport *hp)
{
    struct in6_addr a6;
    struct in_addr a4;
    if (!strcmp(hp->host, "localhost"))
        return true;
    if (hp->family == AF_INET)
        return inet_pton(AF_INET, hp->host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
    if (hp->family == AF_INET6)
        return inet_pton(AF_INET6, hp->host, &a6) == 1 && addr_in6_is_loopback(&a6);
    return false;
}

int addr_parse_cidr(const char *s, struct addr_cidr *out)
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
        if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)(void *)out->addr) && bits >= 96) {
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

int addr_parse_transport(const char *s, struct addr_endpoint *out, char *why, size_t why_len)
{
    static const struct {
        const char *prefix;
        enum addr_transport t;
    } prefixes[] = {
        {"udp:", ADDR_UDP}, {"tcp:", ADDR_TCP}, {"udp6:", ADDR_UDP6}, {"tcp6:", ADDR_TCP6}};
    out->transport = ADDR_DEFAULT;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t n = strlen(prefixes[i].prefix);
        if (!strncmp(s, prefixes[i].prefix, n)) {
            s += n;
            out->transport = prefixes[i].t;
            break;
        }
    }
    return addr_parse_hostport(s, &out->hp, why, why_len);
}
