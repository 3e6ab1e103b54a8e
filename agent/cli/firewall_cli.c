#include "firewall_cli.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int firewall_cli_run(struct cfg *cfg, enum fw_format format, enum fw_sets sets)
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
        struct fw_options o = {.format = format, .sets = sets, .now_us = loop_wall_us()};
        if (fw_render(stdout, cfg, &o, lookup, NULL) == 0)
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
