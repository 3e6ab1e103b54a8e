/* The REST write bodies (PUT /api/v1/ntp, PUT /api/v1/updates, POST /api/v1/scanners) and
 * the scanner name of DELETE /api/v1/scanners/{name}. The first byte picks the writer. A
 * refusal says why and leaves the base untouched; an accepted change serialises to a
 * document the loader takes back unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static const char base_doc[] = "{\"appliance\":{\"name\":\"cc1\",\"role\":\"control-center\"},"
                               "\"peers\":{\"scanners\":[{\"name\":\"s1\",\"host\":\"192.0.2.1\"},"
                               "{\"name\":\"s2\",\"host\":\"scanner2.example.net:41002\"}],"
                               "\"dns_servers\":[\"192.0.2.53\"]},"
                               "\"ntp\":{\"enabled\":true,\"servers\":[\"192.0.2.123\"]}}";

static struct cfg *base;
static char *base_text;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cfg_error err;
    if (!base) {
        base = cfg_parse(base_doc, strlen(base_doc), &err);
        if (!base)
            abort();
        base_text = cfg_serialise(base);
    }
    if (size < 1)
        return 0;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    memset(&err, 0, sizeof(err));
    struct cfg *next = NULL;
    switch (data[0] % 4) {
    case 0:
        next = cfg_with_ntp(base, body, len, &err);
        break;
    case 1:
        next = cfg_with_updates(base, body, len, &err);
        break;
    case 2:
        next = cfg_with_scanner(base, body, len, &err);
        break;
    default: {
        char *name = strndup(body, len); /* a URL item never holds a NUL: it stops there */
        if (!name)
            return 0;
        next = cfg_without_scanner(base, name, &err);
        free(name);
        break;
    }
    }
    char *now = cfg_serialise(base);
    if (strcmp(now, base_text))
        abort(); /* a writer changed its base */
    free(now);
    if (!next) {
        if (!err.message[0])
            abort();
        return 0;
    }
    char *s1 = cfg_serialise(next);
    struct cfg *again = cfg_parse(s1, strlen(s1), &err);
    if (!again) {
        fprintf(stderr, "accepted change does not load: %s at %s\n%s\n", err.message, err.path, s1);
        abort();
    }
    char *s2 = cfg_serialise(again);
    if (strcmp(s1, s2)) {
        fprintf(stderr, "round trip differs:\n%s\n---\n%s\n", s1, s2);
        abort();
    }
    free(s1);
    free(s2);
    cfg_free(again);
    cfg_free(next);
    return 0;
}
