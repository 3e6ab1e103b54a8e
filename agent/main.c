/* smsa-agentd: wires the core to its faces and runs the one loop. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "config.h"
#include "core.h"
#include "log.h"
#include "loop.h"
#include "firewall_cli.h"
#include "preflight.h"
#ifdef SMSA_HAVE_SNMP
#include "snmp_face.h"
#endif
#ifdef SMSA_HAVE_HTTP
#include "http_face.h"
#endif

#ifndef SMSA_DEFAULT_CONFIG
#define SMSA_DEFAULT_CONFIG "/etc/smsa-agent/smsa-agent.json"
#endif
#define DEFAULT_CONFIG SMSA_DEFAULT_CONFIG

static void usage(FILE *out)
{
    fprintf(out, "usage: smsa-agentd [-c FILE] [-f] [--master] [--check-config] [--version] "
                 "[--help]\n"
                 "  -c, --config FILE  configuration file (default " DEFAULT_CONFIG ")\n"
                 "  -f, --foreground   stay in the foreground and log to stderr\n"
                 "  -d, --debug        log debug messages too\n"
                 "      --master       be an SNMP master agent on snmp.master_listen\n"
                 "      --check-config validate the configuration file and exit 0 or 1\n"
                 "      --version      print the version and exit\n"
                 "  -h, --help         this text\n");
    fprintf(out, "one-shot commands (no SNMP, no REST, unprivileged):\n"
                 "      --preflight    every applicable check once, at once; exit 0 all up,\n"
                 "                     1 something degraded, 2 something down, 3 not checked\n"
                 "        --json       the flows as GET /api/v1/flows writes them\n"
                 "        --nagios     a monitoring-plugins line with perfdata\n"
                 "        --flow N     only flow N (repeatable)\n"
                 "      --firewall nft|iptables|ip6tables|json\n"
                 "                     what the host firewall must allow, addresses resolved now\n"
                 "        --firewall-sets       keep update hosts in named sets (opt-in)\n"
                 "        --firewall-sets-only  only those sets, to refresh them on a timer\n");
}

/* --flow N: a flow id, 1..20; naming a flow twice is harmless */
static int parse_flow(const char *s, uint32_t *mask)
{
    char *end;
    unsigned long id = strtoul(s, &end, 10);
    if (!*s || *end || id < 1 || id > CAT_NFLOWS)
        return -1;
    *mask |= UINT32_C(1) << (id - 1);
    return 0;
}

static void print_cfg_error(const char *path, const struct cfg_error *err)
{
    /* the message starts with the key path when there is one */
    if (err->line > 0)
        fprintf(stderr, "smsa-agentd: %s:%d:%d: %s\n", path, err->line, err->column, err->message);
    else
        fprintf(stderr, "smsa-agentd: %s: %s\n", path, err->message);
}

static void on_signal(int fd, unsigned events, void *arg)
{
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGTERM:
        case SIGINT:
            log_info("signal %u: stopping", si.ssi_signo);
            loop_stop();
            break;
        case SIGHUP: {
            struct cfg_error err;
            memset(&err, 0, sizeof(err));
            if (core_reload(&err) < 0) {
                /* the running configuration stays; say exactly what is wrong */
                if (err.line > 0)
                    log_err("reload refused, configuration kept: %s:%d:%d: %s", core_config_path(),
                            err.line, err.column, err.message);
                else
                    log_err("reload refused, configuration kept: %s: %s", core_config_path(),
                            err.message);
            }
            break;
        }
        default:
            break;
        }
    }
}

/* A thousand probes in flight need a thousand sockets; the soft limit is often 1024. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"foreground", no_argument, NULL, 'f'},
                                         {"debug", no_argument, NULL, 'd'},
                                         {"master", no_argument, NULL, 'M'},
                                         {"check-config", no_argument, NULL, 'C'},
                                         {"version", no_argument, NULL, 'V'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"preflight", no_argument, NULL, 'P'},
                                         {"json", no_argument, NULL, 'J'},
                                         {"nagios", no_argument, NULL, 'N'},
                                         {"flow", required_argument, NULL, 'L'},
                                         {"firewall", required_argument, NULL, 'W'},
                                         {"firewall-sets", no_argument, NULL, 'S'},
                                         {"firewall-sets-only", no_argument, NULL, 'O'},
                                         {NULL, 0, NULL, 0}};
    const char *path = DEFAULT_CONFIG;
    bool path_given = false;
    bool foreground = false, debug = false, master = false, check = false;
    /* --preflight answers in the monitoring-plugins exit codes, usage errors included */
    bool preflight = false;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--preflight"))
            preflight = true;
    int usage_rc = preflight ? PREFLIGHT_UNKNOWN : 2;
    struct preflight_options pf = {.output = PREFLIGHT_TABLE};
    const char *firewall = NULL;
    enum fw_sets fw_sets = FW_SETS_NONE;
    int c;
    while ((c = getopt_long(argc, argv, "c:fdh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            path = optarg;
            path_given = true;
            break;
        case 'f':
            foreground = true;
            break;
        case 'd':
            debug = true;
            break;
        case 'M':
            master = true;
            break;
        case 'C':
            check = true;
            break;
        case 'V':
            printf("smsa-agentd %s\n", SMSA_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        case 'P':
            break; /* seen above */
        case 'J':
            pf.output = PREFLIGHT_JSON;
            break;
        case 'N':
            pf.output = PREFLIGHT_NAGIOS;
            break;
        case 'L':
            if (parse_flow(optarg, &pf.flows) < 0) {
                fprintf(stderr, "smsa-agentd: --flow \"%s\": expected a flow id from 1 to %d\n",
                        optarg, CAT_NFLOWS);
                return usage_rc;
            }
            break;
        case 'W':
            firewall = optarg;
            break;
        case 'S':
            fw_sets = FW_SETS_ON;
            break;
        case 'O':
            fw_sets = FW_SETS_ONLY;
            break;
        default:
            usage(stderr);
            return usage_rc;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "smsa-agentd: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return usage_rc;
    }
    enum fw_format fw_format = FW_NFT;
    if (firewall && fw_format_parse(firewall, &fw_format) < 0) {
        fprintf(stderr,
                "smsa-agentd: --firewall \"%s\": expected nft, iptables, ip6tables or json\n",
                firewall);
        return 2;
    }
    if (preflight && firewall) {
        fprintf(stderr, "smsa-agentd: --preflight and --firewall are separate commands\n");
        return usage_rc;
    }
    if (!preflight && (pf.output != PREFLIGHT_TABLE || pf.flows)) {
        fprintf(stderr, "smsa-agentd: --json, --nagios and --flow go with --preflight\n");
        return usage_rc;
    }
    if (!firewall && fw_sets != FW_SETS_NONE) {
        fprintf(stderr,
                "smsa-agentd: --firewall-sets and --firewall-sets-only go with --firewall\n");
        return usage_rc;
    }

    struct cfg_error err;
    memset(&err, 0, sizeof(err));
    struct cfg *cfg = NULL;
    bool embedded = !path_given && access(path, F_OK) < 0 && errno == ENOENT;
    if (embedded) {
        /* no -c and no file at the default place: the embedded defaults; a REST write
         * creates the file */
        cfg = cfg_defaults();
        if (cfg && cfg_validate(cfg, &err) < 0) {
            cfg_free(cfg);
            cfg = NULL;
        }
    } else {
        cfg = cfg_load(path, &err);
    }
    if (!cfg) {
        if (preflight) {
            char why[640];
            if (err.line > 0)
                snprintf(why, sizeof(why), "%s:%d:%d: %s", path, err.line, err.column, err.message);
            else
                snprintf(why, sizeof(why), "%s: %s", path, err.message);
            return preflight_unusable(&pf, why);
        }
        print_cfg_error(path, &err);
        return 1;
    }
    if (preflight) {
        raise_fd_limit();
        return preflight_run(cfg, &pf);
    }
    if (firewall)
        return firewall_cli_run(cfg, fw_format, fw_sets);
    if (check) {
        printf("%s: configuration is valid%s\n", path,
               embedded ? " (no file: embedded defaults)" : "");
        cfg_free(cfg);
        return 0;
    }

    if (!foreground && daemon(0, 0) < 0) {
        fprintf(stderr, "smsa-agentd: cannot become a daemon: %s\n", strerror(errno));
        cfg_free(cfg);
        return 1;
    }
    log_init("smsa-agentd", foreground, debug ? LOG_LVL_DEBUG : LOG_LVL_INFO);
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (loop_init() < 0 || sfd < 0 || loop_fd_add(sfd, LOOP_READ, on_signal, NULL) < 0) {
        log_err("cannot set up the event loop: %s", strerror(errno));
        cfg_free(cfg);
        return 1;
    }
    if (embedded)
        log_info("no configuration file at %s: running on the embedded defaults", path);
    if (core_init(cfg, path) < 0) {
        log_err("cannot start the core");
        return 1;
    }
    int rc = 0;
#ifdef SMSA_HAVE_SNMP
    if (snmpf_init(core_config(), master) < 0)
        rc = 1;
#else
    if (master)
        log_warn("--master: this build has no SNMP face");
#endif
#ifdef SMSA_HAVE_HTTP
    if (rc == 0 && httpf_init(core_config()) < 0)
        rc = 1;
#endif
    if (rc == 0) {
        const struct smsa_model *m = core_model();
        log_info("smsa-agentd %s running: appliance %s, role %s, %zu links, config %s",
                 SMSA_VERSION, core_config()->name, cat_role_name(core_config()->role), m->n_links,
                 path);
        if (loop_run() < 0) {
            log_err("event loop: %s", strerror(errno));
            rc = 1;
        }
    }

#ifdef SMSA_HAVE_HTTP
    httpf_fini();
#endif
#ifdef SMSA_HAVE_SNMP
    snmpf_fini();
#endif
    core_fini();
    struct loop_stats st;
    loop_get_stats(&st);
    log_info("loop: %llu turns, longest %lld us", (unsigned long long)st.turns,
             (long long)st.max_turn_us);
    loop_fd_remove(sfd);
    close(sfd);
    loop_fini();
    log_fini();
    return rc;
}
