/* The configuration loader: any bytes either parse or are refused with an error that says
 * where; what parses serialises to a document that parses again to the same document. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cfg_error err;
    memset(&err, 0, sizeof(err));
    struct cfg *c = cfg_parse((const char *)data, size, &err);
    if (!c) {
        if (!err.message[0])
            abort(); /* a refusal always says why */
        return 0;
    }
    char *s1 = cfg_serialise(c);
    if (!s1)
        abort();
    struct cfg *c2 = cfg_parse(s1, strlen(s1), &err);
    if (!c2) {
        fprintf(stderr, "serialised document refused: %s at %s\n%s\n", err.message, err.path, s1);
        abort();
    }
    char *s2 = cfg_serialise(c2);
    if (!s2 || strcmp(s1, s2)) {
        fprintf(stderr, "round trip differs:\n%s\n---\n%s\n", s1, s2 ? s2 : "(null)");
        abort();
    }
    free(s1);
    free(s2);
    cfg_free(c);
    cfg_free(c2);
    return 0;
}
