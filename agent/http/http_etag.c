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

/* The next entity tag of a comma-separated header value, with the blanks around it trimmed:
 * its start, *len its length; NULL at the end of the list. */
static const char *next_tag(const char **p, size_t *len)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t' || *s == ',')
        s++;
    if (!*s)
        return NULL;
    const char *end = s;
    while (*end && *end != ',')
        end++;
    *p = end;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *len = (size_t)(end - s);
    return s;
}

bool httpf_etag_listed(const char *list, const char *etag)
{
    /* Weak tags never match as such: RFC 9110 §13.1.2 asks for the weak comparison, and our
     * tags are strong, so a "W/" tag compares equal only by its opaque part. */
    size_t elen = strlen(etag), n;
    for (const char *t; (t = next_tag(&list, &n));) {
        if (n == 1 && *t == '*')
            return true;
        if (n > 2 && t[0] == 'W' && t[1] == '/')
            t += 2, n -= 2;
        if (n == elen && !memcmp(t, etag, elen))
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
    size_t wn = (size_t)snprintf(want, sizeof(want), "\"c%llu-", (unsigned long long)cgen), n;
    for (const char *t; (t = next_tag(&list, &n));)
        if ((n == 1 && *t == '*') || (n >= wn && !memcmp(t, want, wn)))
            return true;
    return false;
}
