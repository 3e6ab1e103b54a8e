/* Key paths ("peers.scanners[1].host") and where they are in a JSON text: jansson keeps no
 * positions, so an error finds its line and column by walking the text again. */
#ifndef SMSA_JSONPOS_H
#define SMSA_JSONPOS_H

#include <stdbool.h>
#include <stddef.h>

#define JPOS_PATH_MAX 256

/* A key path under construction; push returns the old length for the matching pop. A path
 * that does not fit is cut short, the same way for the parser and the finder, so a cut path
 * still matches itself. */
struct jpos_path {
    char buf[JPOS_PATH_MAX];
    size_t len;
};

size_t jpos_path_key(struct jpos_path *p, const char *key);
size_t jpos_path_index(struct jpos_path *p, size_t i);
void jpos_path_pop(struct jpos_path *p, size_t old);

/* Line and column (1-based, columns count characters) of the value at path in text, or of
 * its key when want_key; falls back to the nearest enclosing value that is in the text (a
 * missing key is reported where its object starts). 0, 0 when text is NULL. The text must be
 * JSON that jansson accepted; on anything else the finder gives up quietly. */
void jpos_locate(const char *text, size_t len, const char *path, bool want_key, int *line,
                 int *col);

#endif
