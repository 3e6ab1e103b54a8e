/* REST routing of a decoded URL path: any path names one route or none without reading past
 * its end; an item route's item is what follows the route's prefix; "/" (the status page)
 * matches only itself. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "http_helpers.h"
#include "http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *url = strndup((const char *)data, size); /* MHD hands us a C string */
    if (!url)
        return 0;
    struct httpf_target t;
    httpf_route_find(url, &t);
    const char *path = t.rd ? t.rd->path : NULL;
    unsigned flow_id = t.flow_id;
    char *item = t.item;
    bool bad = t.bad_item;
    if (path) {
        size_t n = strlen(path);
        if (strncmp(url, path, n))
            abort();
        if (n > 1 && path[n - 1] == '/') { /* an item route; "/" itself is the page */
            if (!bad && !item && (flow_id < 1 || flow_id > CAT_MAX_ID)) /* 1-20, extra 101-999 */
                abort();
            if (item && strcmp(item, url + n))
                abort();
        } else if (strcmp(url, path) || item || flow_id) {
            abort();
        }
    } else if (item || flow_id) {
        abort();
    }
    free(item);
    /* The same name with an escape: never an escape that reads past the end. */
    char out[256];
    httpf_escape_text(url, out, sizeof(out));
    if (strlen(out) >= sizeof(out))
        abort();
    json_t *j = json_string(out); /* valid UTF-8, so a JSON document can carry it */
    if (!j)
        abort();
    json_decref(j);
    free(url);
    return 0;
}
