#include "firewall_cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic.h"
#include "log.h"
#include "loop.h"
#include "resolver.h"

/* One configured name and what it resolved to. */
struct name {
    char *host;
    struct resolver_req *req;
    struct fw_addrs addrs;
};

static struct name *names;
static size_t n_names, pending;

static void add_name(const char *host, void *arg)
{
    (void)arg;
    for (size_t i = 0; i < n_names; i++)
        if (!strcmp(names[i].host, host))
            return;
    struct name *n = realloc(names, (n_names + 1) * sizeof(*n));
    if (!n)
        return; /* left unresolved: the output says so */
    names = n;
    memset(&names[n_names], 0, sizeof(names[0]));
    if ((names[n_names].host = strdup(host)))
        n_names++;
}

static void resolved(int status, const struct sockaddr_storage *addrs, const socklen_t *lens,
                     size_t n, void *arg)
{
    (void)lens;
    struct name *nm = arg;
    nm->req = NULL;
    nm->addrs.resolved = status == 0 && n > 0;
    nm->addrs.at_us = loop_wall_us();
    for (size_t i = 0; status == 0 && i < n && nm->addrs.n < FW_MAX_ADDRS; i++) {
        const void *a = addrs[i].ss_family == AF_INET6
                            ? (const void *)&((const struct sockaddr_in6 *)&addrs[i])->sin6_addr
                            : (const void *)&((const struct sockaddr_in *)&addrs[i])->sin_addr;
        if (inet_ntop(addrs[i].ss_family, a, nm->addrs.addr[nm->addrs.n], SMSA_ADDR_TEXT))
            nm->addrs.n++;
    }
    if (--pending == 0)
        loop_stop();
}

static void give_up(void *arg)
{
    (void)arg;
    loop_stop();
}

static void lookup(const char *host, struct fw_addrs *out, void *arg)
{
    (void)arg;
    for (size_t i = 0; i < n_names; i++) {
        if (!strcmp(names[i].host, host)) {
            *out = names[i].addrs;
            return;
        }
    }
    out->resolved = false;
}

static int resolve_all(const struct cfg *cfg)
{
    if (n_names == 0)
        return 0;
    if (resolver_init(cfg->probe.resolver, cfg->probe.timeout_ms) < 0) {
        fprintf(stderr, "smsa-agentd: cannot set up name resolution with %s\n",
                cfg->probe.resolver ? cfg->probe.resolver : "/etc/resolv.conf");
        return -1;
    }
    for (size_t i = 0; i < n_names; i++) {
        names[i].req = resolver_lookup(names[i].host, 0, resolved, &names[i]);
        if (names[i].req)
            pending++;
    }
    /* the resolver times out on its own; this only bounds a bug */
    struct loop_timer guard = {0};
    loop_timer_start(&guard, (4 * (int64_t)cfg->probe.timeout_ms + 5000) * 1000, give_up, NULL);
    int rc = pending ? loop_run() : 0;
    loop_timer_stop(&guard);
    for (size_t i = 0; i < n_names; i++)
        if (names[i].req)
            resolver_cancel(names[i].req);
    resolver_fini();
    return rc;
}

static void warn_stderr(const char *text, void *arg)
{
    (void)arg;
    fprintf(stderr, "smsa-agentd: warning: %s\n", text);
}

/* Root loads what this writes: refuse any target another user could have placed or could
 * change, before anything is written. A message says which, exactly. */
static int target_safe(const char *path, char *why, size_t len)
{
    uid_t me = geteuid();
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (S_ISLNK(st.st_mode)) {
            snprintf(why, len, "is a symbolic link: give the file itself");
            return -1;
        }
        if (S_ISDIR(st.st_mode)) {
            snprintf(why, len, "is a folder: give a file name in it");
            return -1;
        }
        if (!S_ISREG(st.st_mode)) {
            snprintf(why, len, "is not a regular file");
            return -1;
        }
        if (st.st_uid != me) {
            snprintf(why, len, "is owned by uid %u, not by uid %u who runs this",
                     (unsigned)st.st_uid, (unsigned)me);
            return -1;
        }
        if (st.st_mode & (S_IWGRP | S_IWOTH)) {
            snprintf(why, len, "is writable by its group or others (mode %04o)",
                     (unsigned)(st.st_mode & 07777));
            return -1;
        }
    } else if (errno != ENOENT) {
        snprintf(why, len, "cannot be examined: %s", strerror(errno));
        return -1;
    }
    char *copy = strdup(path);
    if (!copy) {
        snprintf(why, len, "cannot be examined: out of memory");
        return -1;
    }
    const char *dir = dirname(copy);
    int rc = -1;
    if (stat(dir, &st) < 0)
        snprintf(why, len, "is in folder %s, which cannot be examined: %s", dir, strerror(errno));
    else if (!S_ISDIR(st.st_mode))
        snprintf(why, len, "is in %s, which is not a folder", dir);
    else if (st.st_uid != me && st.st_uid != 0)
        snprintf(why, len,
                 "is in folder %s, owned by uid %u (neither uid %u who runs this nor root)", dir,
                 (unsigned)st.st_uid, (unsigned)me);
    else if (st.st_mode & (S_IWGRP | S_IWOTH))
        snprintf(why, len, "is in folder %s, writable by its group or others (mode %04o)", dir,
                 (unsigned)(st.st_mode & 07777));
    else
        rc = 0;
    free(copy);
    return rc;
}

/* The first executable of that name on PATH, then in the sbin folders a user's PATH lacks. */
static char *find_tool(const char *name)
{
    const char *path = getenv("PATH");
    size_t n = (path ? strlen(path) : 0) + sizeof(":/usr/sbin:/sbin");
    char *dirs = malloc(n), *save = NULL, *found = NULL;
    if (!dirs)
        return NULL;
    snprintf(dirs, n, "%s:/usr/sbin:/sbin", path ? path : "");
    for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char cand[4096];
        /* a relative PATH entry is not where root's tools come from */
        if (*d != '/' || (size_t)snprintf(cand, sizeof(cand), "%s/%s", d, name) >= sizeof(cand))
            continue;
        if (access(cand, X_OK) == 0)
            found = strdup(cand);
    }
    free(dirs);
    return found;
}

struct check {
    enum fw_format format;
    enum fw_sets sets;
};

extern char **environ;

/* Runs the tool that will load the file in its check mode on the temporary file. */
static int check_with(const char *tool, const char *const *args, const char *tmp)
{
    char *exe = find_tool(tool);
    if (!exe) {
        fprintf(stderr, "smsa-agentd: warning: %s is not installed: the output is not checked\n",
                tool);
        return 0;
    }
    const char *argv[8];
    size_t n = 0;
    argv[n++] = exe;
    for (; *args; args++)
        argv[n++] = *args;
    argv[n++] = tmp;
    argv[n] = NULL;
    pid_t pid;
    int status = 0, err = posix_spawn(&pid, exe, NULL, NULL, (char *const *)argv, environ);
    if (err == 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    int rc = err == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
    if (rc < 0)
        fprintf(stderr, "smsa-agentd: %s refused the rendered rules%s%s\n", exe,
                err ? ": " : " (its message is above)", err ? strerror(err) : "");
    free(exe);
    return rc;
}

static int check_output(const char *tmp, void *arg)
{
    const struct check *c = arg;
    switch (c->format) {
    case FW_NFT: {
        const char *const a[] = {"-c", "-f", NULL};
        return check_with("nft", a, tmp);
    }
    case FW_IPTABLES:
    case FW_IP6TABLES: {
        if (c->sets == FW_SETS_ONLY)
            return 0; /* ipset restore input: ipset has no check mode */
        const char *const a[] = {"--test", "--noflush", NULL};
        return check_with(c->format == FW_IPTABLES ? "iptables-restore" : "ip6tables-restore", a,
                          tmp);
    }
    case FW_JSON: {
        json_error_t e;
        json_t *doc = json_load_file(tmp, 0, &e);
        json_decref(doc);
        return doc ? 0 : -1;
    }
    }
    return -1;
}

/* Renders into memory, then replaces output only once the text passed its check. */
static int write_output(const char *output, const struct cfg *cfg, const struct fw_options *o)
{
    char why[512];
    if (target_safe(output, why, sizeof(why)) < 0) {
        fprintf(stderr, "smsa-agentd: refusing to write %s: it %s; nothing was written\n", output,
                why);
        return -1;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem || fw_render(mem, cfg, o, lookup, NULL) < 0) {
        if (mem)
            fclose(mem);
        free(text);
        fprintf(stderr, "smsa-agentd: cannot render the rules: out of memory\n");
        return -1;
    }
    fclose(mem);
    struct check c = {.format = o->format, .sets = o->sets};
    const char *step = "write";
    int rc = atomic_write_checked(output, text, check_output, &c, &step);
    if (rc < 0 && !strcmp(step, "check"))
        fprintf(stderr,
                "smsa-agentd: %s was left as it was: the new rules did not pass the check\n",
                output);
    else if (rc < 0)
        fprintf(stderr, "smsa-agentd: cannot %s %s: %s\n", step, output, strerror(errno));
    free(text);
    return rc;
}

int firewall_cli_run(struct cfg *cfg, enum fw_format format, enum fw_sets sets, const char *output)
{
    log_init("smsa-agentd", true, LOG_LVL_WARN);
    int rc = 1;
    if (loop_init() < 0) {
        fprintf(stderr, "smsa-agentd: cannot set up the event loop\n");
        goto out;
    }
    fw_each_name(cfg, sets, add_name, NULL);
    if (resolve_all(cfg) == 0) {
        /* the rules say so too, but a play that loads them should hear it */
        for (size_t i = 0; i < n_names; i++)
            if (!names[i].addrs.resolved)
                fprintf(stderr,
                        "smsa-agentd: warning: %s did not resolve: nothing is opened for it\n",
                        names[i].host);
        struct fw_options o = {
            .format = format, .sets = sets, .now_us = loop_wall_us(), .warn = warn_stderr};
        /* beside, the checks leave from this host's own addresses: admitted to the fleet */
        struct fw_addrs vantage;
        if (cfg->placement == PLACEMENT_BESIDE) {
            if (fw_vantage_addrs(&vantage) == 0)
                o.vantage = &vantage;
            else
                fprintf(stderr,
                        "smsa-agentd: warning: cannot read this host's addresses (%s): nothing "
                        "admits the agent's checks from here\n",
                        strerror(errno));
        }
        if (output)
            rc = write_output(output, cfg, &o) < 0 ? 1 : 0;
        else if (fw_render(stdout, cfg, &o, lookup, NULL) == 0)
            rc = 0;
        else
            fprintf(stderr, "smsa-agentd: cannot write the rules\n");
    }
    loop_fini();
out:
    for (size_t i = 0; i < n_names; i++)
        free(names[i].host);
    free(names);
    names = NULL;
    n_names = pending = 0;
    cfg_free(cfg);
    log_fini();
    return rc;
}
