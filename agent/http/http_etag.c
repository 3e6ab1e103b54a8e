/* Entity tags: made for every GET document, compared for If-None-Match and If-Match. */
#include <stdio.h>
#include <string.h>

#include "http_helpers.h"

/* The one place the tag is written: every document's tag is the 64-bit hash of its bytes. */
void httpf_etag_from_hash(char *buf, size_t len, uint64_t hash)
{
    snprintf(buf, len, "\"%016llx\"", (unsigned long long)hash);
}

void httpf_etag_make(char *buf, size_t len, const char *body, size_t n)
{
    httpf_etag_from_hash(buf, len, httpf_hash(0, body, n));
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

bool httpf_etag_if_match(const char *list, const char *etag)
{
    /* RFC 9110 §13.1.1: the strong comparison, against the document the write changes; "*"
     * asks only that there is one. */
    size_t elen = etag ? strlen(etag) : 0, n;
    for (const char *t; (t = next_tag(&list, &n));) {
        if (n == 1 && *t == '*')
            return etag != NULL;
        if (etag && n == elen && !memcmp(t, etag, elen))
            return true;
    }
    return false;
}
