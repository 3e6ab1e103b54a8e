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
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"foreground", no_argument, NULL, 'f'},
        {"debug", no_argument, NULL, 'd'},        {"master", no_argument, NULL, 'M'},
        {"check-config", no_argument, NULL, 'C'}, {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    const char *path = DEFAULT_CONFIG;
    bool path_given = false;
    bool foreground = false, debug = false, master = false, check = false;
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
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "smsa-agentd: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return 2;
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
        print_cfg_error(path, &err);
        return 1;
    }
    /* Master mode beyond loopback needs a secret of its own; snmpf_init refuses it too. */
    if (check && (master || cfg->snmp.mode == SNMP_MODE_MASTER) &&
        cfg_check_master_exposure(cfg, &err) < 0) {
        print_cfg_error(path, &err);
        cfg_free(cfg);
        return 1;
    }
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
