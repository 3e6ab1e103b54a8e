/* Stable indexes: the SNMP index (and REST index, Prometheus label) of every peer and link is
 * tied to an identity (a scanner's name; a flow's host and port otherwise), never given to
 * another identity, and kept across restarts in a small state file. */
#ifndef SMSA_INDEXES_H
#define SMSA_INDEXES_H

#include <stdbool.h>
#include <stddef.h>

/* Space 0 numbers the Control Center-Scanner links; space f (1..20, and an extra flow's
 * 101..999) the peers of flow f; space 21 the appliances of the fleet (by name). */
#define IDX_LINKS 0
#define IDX_APPLIANCES 21
#define IDX_SPACES 1000

struct idx_map;

struct idx_map *idx_new(void);
void idx_free(struct idx_map *m);

/* The index of identity in space: the one it had, or the next never-used one (1, 2, ...).
 * 0 only when memory is exhausted. */
unsigned idx_get(struct idx_map *m, unsigned space, const char *identity);
/* Whether idx_get gave out a new index since the last load or save. */
bool idx_dirty(const struct idx_map *m);

/* The map as a JSON document (malloc'd) and back. idx_parse replaces m's contents only when
 * the whole text is good; why says what is wrong otherwise. */
char *idx_serialise(const struct idx_map *m);
int idx_parse(struct idx_map *m, const char *text, size_t len, char *why, size_t why_len);

/* Reads path: 0 loaded, 1 there is no such file, -1 unreadable or bad (why says; never the
 * file's own text). A symbolic link is refused. A space whose numbering is close to running
 * out is renumbered 1..n in its old order, with a warning: the rows change once, and the
 * daemon keeps running rather than failing every start. */
int idx_load(struct idx_map *m, const char *path, char *why, size_t why_len);
/* Writes path atomically (temp file, fsync, rename, fsync of the folder). */
int idx_save(struct idx_map *m, const char *path, char *why, size_t why_len);

/* Numbering is compacted when a space's next index passes this at load: far above any real
 * history, and far enough below 2^32 - 1 that no model can run out before the next start. */
#define IDX_COMPACT_ABOVE 4000000000u

#endif
