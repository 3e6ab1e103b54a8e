/* Entity tags: made for every GET document, compared for If-None-Match and If-Match. */
#include <stdio.h>
#include <string.h>

#include "http_helpers.h"

static uint32_t fnv1a(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (uint8_t)s[i];
        h *= 16777619u;
    }
    return h;
}

void httpf_etag_make(char *buf, size_t len, uint64_t cgen, uint64_t gen, const char *body, size_t n)
{
    snprintf(buf, len, "\"c%llu-g%llu-%08x\"", (unsigned long long)cgen, (unsigned long long)gen,
             fnv1a(body, n));
}

bool httpf_etag_listed(const char *list, const char *etag)
{
    /* Weak tags never match as such: RFC 9110 §13.1.2 asks for the weak comparison, and our
     * tags are strong, so a "W/" tag compares equal only by its opaque part. */
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

bool httpf_etag_if_match(const char *list, uint64_t cgen)
{
    /* Writes must not overwrite a configuration the client has not seen. Comparing the whole
     * tag would also fail on every probe result, which changes the status parts of the same
     * representation, and make If-Match useless on a busy appliance. */
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
