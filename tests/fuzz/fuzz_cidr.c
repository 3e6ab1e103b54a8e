/* http.allow entries: what the REST face accepts as address/prefix, the configuration loader
 * accepts too (one can never pass the loader and fail at start, or the other way); an
 * accepted prefix contains its own address and prints back to the same prefix. */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "http_parse.h"

static bool loader_accepts(const char *s)
{
    json_t *doc = json_pack("{s:{s:[s]}}", "http", "allow", s);
    if (!doc)
        return false; /* not UTF-8: no JSON document can carry it */
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    struct cfg_error err;
    struct cfg *c = cfg_parse(text, strlen(text), &err);
    free(text);
    cfg_free(c);
    return c != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 128)
        return 0;
    char *s = strndup((const char *)data, size);
    if (!s)
        return 0;
    struct httpf_cidr c;
    bool ok = httpf_parse_cidr(s, &c) == 0;
    json_t *probe = json_string(s);
    if (probe && ok != loader_accepts(s)) {
        fprintf(stderr, "\"%s\": REST face %s, loader disagrees\n", s, ok ? "accepts" : "refuses");
        abort();
    }
    json_decref(probe);
    if (ok) {
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof(ss));
        char text[INET6_ADDRSTRLEN + 8], addr[INET6_ADDRSTRLEN];
        if (c.family == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)&ss;
            in->sin_family = AF_INET;
            memcpy(&in->sin_addr, c.addr, 4);
            inet_ntop(AF_INET, c.addr, addr, sizeof(addr));
            /* the same address, as a dual-stack socket shows it */
            struct sockaddr_in6 m;
            memset(&m, 0, sizeof(m));
            m.sin6_family = AF_INET6;
            m.sin6_addr.s6_addr[10] = m.sin6_addr.s6_addr[11] = 0xff;
            memcpy(m.sin6_addr.s6_addr + 12, c.addr, 4);
            if (!httpf_cidr_match(&c, 1, (struct sockaddr *)&m))
                abort();
        } else {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
            in6->sin6_family = AF_INET6;
            memcpy(&in6->sin6_addr, c.addr, 16);
            inet_ntop(AF_INET6, c.addr, addr, sizeof(addr));
        }
        /* A prefix of the mapped range shorter than /96 names IPv6 clients only: a mapped
         * client address is matched as the IPv4 address it carries. */
        bool mapped = c.family == AF_INET6 &&
                      IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)(const void *)c.addr);
        if (!mapped && !httpf_cidr_match(&c, 1, (struct sockaddr *)&ss))
            abort();
        snprintf(text, sizeof(text), "%s/%u", addr, c.bits);
        struct httpf_cidr d;
        if (httpf_parse_cidr(text, &d) || d.family != c.family || d.bits != c.bits ||
            memcmp(d.addr, c.addr, 16))
            abort();
    }
    free(s);
    return 0;
}
