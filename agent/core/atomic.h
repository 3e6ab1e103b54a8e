/* Replacing a file so that a crash leaves either the whole old file or the whole new one:
 * a temporary file in the same folder, fsync, rename, fsync of the folder. Used for the
 * configuration and the index map. */
#ifndef SMSA_ATOMIC_H
#define SMSA_ATOMIC_H

#include <stdbool.h>

/* Writes text to path. On failure returns -1 with errno set and *step naming what failed
 * ("rename a temporary file over", ...), for a message "cannot <step> <path>: <errno>"; the
 * file is then exactly the old one (or still absent). */
int atomic_write(const char *path, const char *text, const char **step);
/* The same, with check run on the temporary file (synced, not yet renamed): when it returns
 * non-zero nothing is replaced, the temporary file is removed and *step is "check". */
int atomic_write_checked(const char *path, const char *text,
                         int (*check)(const char *tmp, void *arg), void *arg, const char **step);

/* The same in two steps, for a caller that has more to do before the change counts: begin
 * puts the new file in place durably and keeps the old one under path + ATOMIC_OLD_SUFFIX;
 * then commit drops the old one, or undo puts it back (a file the save created is removed).
 * A failed begin has undone itself. */
#define ATOMIC_OLD_SUFFIX ".saving"
struct atomic_save {
    char *path, *old;
    int folder; /* the folder, open for fsync */
    bool had_old, created;
};
int atomic_begin(const char *path, const char *text, struct atomic_save *s, const char **step);
void atomic_commit(struct atomic_save *s);
int atomic_undo(struct atomic_save *s);

#endif
