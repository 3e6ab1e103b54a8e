/* REST routing of a decoded URL path: any path names one route or none without reading past
 * its end; an item route's item is what follows the route's prefix; "/" (the status page)
 * matches only itself. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *url = strndup((const char *)data, size); /* MHD hands us a C string */
    if (!url)
        return 0;
    unsigned flow_id = 0;
    char *item = NULL;
    bool bad = false;
    const char *path = httpf_route_path(url, &flow_id, &item, &bad);
    if (path) {
        size_t n = strlen(path);
        if (strncmp(url, path, n))
            abort();
        if (n > 1 && path[n - 1] == '/') { /* an item route; "/" itself is the page */
            if (!bad && !item && (flow_id < 1 || flow_id > 20))
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
