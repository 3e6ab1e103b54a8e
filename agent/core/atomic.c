#include "atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The folder of path, opened for fsync: the new directory entry of a rename reaches the disk
 * only when the folder is synced. Opened before anything changes, so that a folder we cannot
 * sync (no read permission) refuses the save while the old file is still in place. */
static int open_folder(const char *path)
{
    char *dir = strdup(path);
    if (!dir)
        return -1;
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int saved = errno;
    free(dir);
    errno = saved;
    return fd;
}

static int sync_folder(int fd)
{
    /* Some file systems cannot sync a folder (EINVAL); the rename is then as durable as
     * they make it. */
    return fsync(fd) < 0 && errno != EINVAL ? -1 : 0;
}

/* Writes text to a new temporary file next to path; its name is left in tmp. */
static int write_temp(char *tmp, const char *text, const char **step)
{
    *step = "create a temporary file next to";
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -1;
    fcntl(fd, F_SETFD, FD_CLOEXEC); /* the daemon may spawn helpers; keep the fd out of them */
    *step = "write";
    int rc = fchmod(fd, 0640) < 0 || write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0;
    int saved = errno;
    if (close(fd) < 0 && !rc) /* NFS reports some write errors only at close */
        return unlink(tmp), -1;
    if (rc) {
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return 0;
}

int atomic_write(const char *path, const char *text, const char **step)
{
    return atomic_write_checked(path, text, NULL, NULL, step);
}

int atomic_write_checked(const char *path, const char *text,
                         int (*check)(const char *tmp, void *arg), void *arg, const char **step)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + sizeof ".XXXXXX");
    int rc = -1, folder = -1;
    errno = ENOMEM;
    *step = "allocate memory for";
    if (tmp) {
        memcpy(tmp, path, plen);
        memcpy(tmp + plen, ".XXXXXX", sizeof ".XXXXXX");
        *step = "open for syncing the folder of";
        if ((folder = open_folder(path)) >= 0)
            rc = write_temp(tmp, text, step);
    }
    if (rc == 0 && check && check(tmp, arg) != 0) {
        *step = "check";
        unlink(tmp);
        errno = EINVAL;
        rc = -1;
    }
    if (rc == 0) {
        *step = "rename a temporary file over";
        if ((rc = rename(tmp, path)) < 0) {
            int saved = errno;
            unlink(tmp);
            errno = saved;
        }
    }
    if (rc == 0 && (rc = sync_folder(folder)) < 0)
        *step = "sync the folder of"; /* the new file is in place, but may not survive a crash */
    int saved = errno;
    if (folder >= 0)
        close(folder);
    free(tmp);
    errno = saved;
    return rc;
}

/* A copy of the old file where a hard link is refused: fs.protected_hardlinks forbids linking
 * a file we do not own, e.g. one an operator wrote as root. The copy is synced like the new
 * file. */
static int copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    int rc = out < 0 ? -1 : 0;
    char buf[16384];
    while (rc == 0) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -1 : 0;
            break;
        }
        rc = write_all(out, buf, (size_t)n);
    }
    if (rc == 0 && fsync(out) < 0)
        rc = -1;
    int saved = errno;
    close(in);
    if (out >= 0 && close(out) < 0 && rc == 0)
        rc = -1, saved = errno;
    if (rc < 0 && out >= 0)
        unlink(to);
    errno = saved;
    return rc;
}

/* Crash safety: at every instant path names either the whole old file or the whole new one.
 * The new text is complete and synced in a temporary file before the rename; the old file
 * stays reachable under a second name (a hard link) until the caller commits, so that any
 * failure after the rename (the folder's fsync, applying the change) renames it back. A crash
 * leaves at most that second name behind; the next save removes it. */
int atomic_begin(const char *path, const char *text, struct atomic_save *s, const char **step)
{
    memset(s, 0, sizeof *s);
    s->folder = -1;
    size_t plen = strlen(path);
    char *tmp = malloc(plen + sizeof ".XXXXXX");
    s->path = strdup(path);
    s->old = malloc(plen + sizeof ATOMIC_OLD_SUFFIX);
    int rc = -1;
    errno = ENOMEM;
    *step = "allocate memory for";
    if (tmp && s->path && s->old) {
        memcpy(tmp, path, plen);
        memcpy(tmp + plen, ".XXXXXX", sizeof ".XXXXXX");
        memcpy(s->old, path, plen);
        memcpy(s->old + plen, ATOMIC_OLD_SUFFIX, sizeof ATOMIC_OLD_SUFFIX);
        *step = "open for syncing the folder of";
        if ((s->folder = open_folder(path)) >= 0)
            rc = write_temp(tmp, text, step);
    }
    if (rc == 0) {
        *step = "keep the old file beside";
        if (unlink(s->old) < 0 && errno != ENOENT) /* left by a crash during a save */
            rc = -1;
        else if (link(path, s->old) == 0 || (errno != ENOENT && copy_file(path, s->old) == 0))
            s->had_old = true;
        else if (errno != ENOENT) /* ENOENT: the first save creates the file */
            rc = -1;
        if (rc < 0) {
            int saved = errno;
            unlink(tmp);
            errno = saved;
        }
    }
    if (rc == 0) {
        *step = "rename a temporary file over";
        if ((rc = rename(tmp, path)) < 0) {
            int saved = errno;
            unlink(tmp);
            if (s->had_old)
                unlink(s->old);
            s->had_old = false;
            errno = saved;
        }
    }
    if (rc == 0) {
        s->created = !s->had_old;
        /* The new file is in place but may not survive a crash: the save failed, and the
         * undo below puts the old one back. */
        *step = "sync the folder of";
        rc = sync_folder(s->folder);
    }
    if (rc < 0) {
        int saved = errno;
        atomic_undo(s);
        errno = saved;
    }
    free(tmp);
    return rc;
}

void atomic_commit(struct atomic_save *s)
{
    if (s->had_old)
        unlink(s->old); /* not synced: after a crash it is only a stale copy */
    s->had_old = s->created = false;
    atomic_undo(s); /* with nothing to undo: releases the rest */
}

int atomic_undo(struct atomic_save *s)
{
    int rc = 0;
    if (s->path && s->folder >= 0) {
        if (s->had_old)
            rc = rename(s->old, s->path);
        else if (s->created)
            rc = unlink(s->path);
        if (s->had_old || s->created)
            sync_folder(s->folder);
    }
    if (s->folder >= 0)
        close(s->folder);
    free(s->path);
    free(s->old);
    memset(s, 0, sizeof *s);
    s->folder = -1;
    return rc;
}
