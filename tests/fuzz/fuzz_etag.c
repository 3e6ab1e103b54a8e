/* If-None-Match and If-Match header values: any text is judged without reading past its
 * end, a list holding our tag matches it, and "*" matches any document that exists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_helpers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *h = strndup((const char *)data, size); /* a header value never holds a NUL */
    if (!h)
        return 0;
    const char *etag = "\"c7-g42-0badcafe\"";
    bool has = httpf_etag_listed(h, etag);
    bool ok = httpf_etag_if_match(h, etag);
    /* no document: only a list naming some tag other than "*" can be judged, and never true */
    if (httpf_etag_if_match(h, NULL))
        abort();
    if (ok != httpf_etag_if_match(h, etag))
        abort();
    if (has && !strstr(h, "c7-g42-0badcafe") && !strchr(h, '*'))
        abort();

    /* Appending our tag to any list makes both match. */
    size_t n = strlen(h);
    char *l = malloc(n + 64);
    snprintf(l, n + 64, "%s, %s", h, etag);
    if (!httpf_etag_listed(l, etag) || !httpf_etag_if_match(l, etag))
        abort();
    snprintf(l, n + 64, "%s,W/%s", h, etag);
    if (!httpf_etag_listed(l, etag))
        abort();
    free(l);
    free(h);
    return 0;
}
