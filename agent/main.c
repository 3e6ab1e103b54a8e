/* smsa-agentd: wires the core to its faces and runs the one loop. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "core.h"
#include "event_log.h"
#include "log.h"
#include "loop.h"
#include "probing.h"
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
#ifndef SMSA_SERVICE_USER
#define SMSA_SERVICE_USER "smsa-agent"
#endif

/* sysexits.h's EX_CONFIG: systemd's RestartPreventExitStatus=78 stops a restart loop on a
 * configuration that cannot work. */
#define EXIT_CONFIG 78

static void usage(FILE *out)
{
    fprintf(out, "usage: smsa-agentd [-c FILE | --no-config] [-f] [-d] [--master] "
                 "[--check-config] [--version] [--help]\n"
                 "       smsa-agentd --preflight [-c FILE] [--json | --nagios] [--flow N]...\n"
                 "       smsa-agentd --firewall FORMAT [-c FILE] [--firewall-sets[-only]]\n"
                 "                   [--output FILE]\n"
                 "  -c, --config FILE  configuration file (default " DEFAULT_CONFIG ")\n"
                 "      --no-config    run on the embedded defaults, read no file (REST writes\n"
                 "                     are refused)\n"
                 "  -f, --foreground   stay in the foreground and log to stderr\n"
                 "  -d, --debug        log debug messages too\n"
                 "      --master       be an SNMP master agent on snmp.master_listen\n"
                 "      --check-config run every check start runs, exit 0 (will start) or 1;\n"
                 "                     as root, also that user " SMSA_SERVICE_USER " can read the\n"
                 "                     token and TLS files\n"
                 "      --version      print the version and exit\n"
                 "  -h, --help         this text\n"
                 "Exit status: 0 stopped cleanly, 1 failure, 2 bad usage, 78 bad configuration.\n");
    fprintf(out, "one-shot commands (no SNMP, no REST, unprivileged):\n"
                 "      --preflight    every applicable check once, at once; exit 0 all up,\n"
                 "                     1 something degraded, 2 something down, 3 not checked\n"
                 "        --json       the flows as GET /api/v1/flows writes them\n"
                 "        --nagios     a monitoring-plugins line with perfdata\n"
                 "        --flow N     only flow N (repeatable)\n"
                 "      --firewall nft|iptables|ip6tables|json\n"
                 "                     what the host firewall must allow, addresses resolved now\n"
                 "        --firewall-sets       keep update hosts in named sets (opt-in)\n"
                 "        --firewall-sets-only  only those sets, to refresh them on a timer\n"
                 "                              (also --sets-only)\n"
                 "        --output FILE         replace FILE, once checked (nft -c,\n"
                 "                              iptables-restore --test), instead of stdout\n");
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

/* The checks start makes on a loaded configuration before it runs anything: what
 * --check-config runs too, so that "valid" means "will start". */
static int start_checks(const struct cfg *cfg)
{
#ifdef SMSA_HAVE_HTTP
    if (httpf_check(cfg) < 0)
        return -1;
#endif
    return 0;
}

/* Whether uid (with groups) may do `want` (R_OK or X_OK) on st, by the mode bits. */
static bool mode_allows(const struct stat *st, uid_t uid, const gid_t *groups, int n, int want)
{
    mode_t bits = want == R_OK ? S_IROTH : S_IXOTH;
    if (st->st_uid == uid)
        return st->st_mode & (bits << 6);
    for (int i = 0; i < n; i++)
        if (st->st_gid == groups[i])
            return st->st_mode & (bits << 3);
    return st->st_mode & bits;
}

/* --check-config run as root: root reads every file, the service does not. The unit runs the
 * daemon as SMSA_SERVICE_USER, so a file start will open (token, TLS) must be reachable and
 * readable by that user, or the check would say "valid" for a service that cannot start. */
static int service_user_can_read(const struct cfg *cfg)
{
    if (geteuid() != 0 || !cfg->http.listen || !cfg->http.listen[0])
        return 0;
    struct passwd *pw = getpwnam(SMSA_SERVICE_USER);
    if (!pw)
        return 0; /* not installed as a service here: nothing to compare with */
    gid_t groups[64];
    int n = 64;
    if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
        n = 0;
    const char *files[] = {cfg->http.token_file, cfg->http.tls_cert, cfg->http.tls_key};
    int rc = 0;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        if (!files[i] || files[i][0] != '/')
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s", files[i]);
        struct stat st;
        /* every folder on the way needs x, the file r */
        for (char *slash = strchr(path + 1, '/');; slash = strchr(slash + 1, '/')) {
            if (slash)
                *slash = '\0';
            int want = slash ? X_OK : R_OK;
            if (stat(path[0] ? path : "/", &st) == 0 &&
                !mode_allows(&st, pw->pw_uid, groups, n, want)) {
                fprintf(stderr,
                        "smsa-agentd: %s: user %s (the service's user) cannot %s %s (owner uid %u, "
                        "mode %04o)\n",
                        files[i], SMSA_SERVICE_USER, slash ? "enter" : "read", path,
                        (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
                rc = -1;
                break;
            }
            if (!slash)
                break;
            *slash = '/';
        }
    }
    return rc;
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
                const char *file = core_config_path() ? core_config_path() : "(no file)";
                if (err.line > 0)
                    log_err("reload refused, configuration kept: %s:%d:%d: %s", file, err.line,
                            err.column, err.message);
                else
                    log_err("reload refused, configuration kept: %s: %s", file, err.message);
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
        {"config", required_argument, NULL, 'c'},  {"foreground", no_argument, NULL, 'f'},
        {"debug", no_argument, NULL, 'd'},         {"master", no_argument, NULL, 'M'},
        {"check-config", no_argument, NULL, 'C'},  {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},          {"preflight", no_argument, NULL, 'P'},
        {"json", no_argument, NULL, 'J'},          {"nagios", no_argument, NULL, 'N'},
        {"flow", required_argument, NULL, 'L'},    {"firewall", required_argument, NULL, 'W'},
        {"firewall-sets", no_argument, NULL, 'S'}, {"firewall-sets-only", no_argument, NULL, 'O'},
        {"no-config", no_argument, NULL, 'n'},     {"sets-only", no_argument, NULL, 'O'},
        {"output", required_argument, NULL, 'o'},  {NULL, 0, NULL, 0}};
    const char *path = DEFAULT_CONFIG;
    bool path_given = false, no_config = false;
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
    const char *fw_output = NULL;
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
        case 'n':
            no_config = true;
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
        case 'o':
            fw_output = optarg;
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
    if (no_config && path_given) {
        fprintf(stderr, "smsa-agentd: -c and --no-config exclude each other\n");
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
    if (!firewall && (fw_sets != FW_SETS_NONE || fw_output)) {
        fprintf(stderr, "smsa-agentd: --firewall-sets, --firewall-sets-only and --output go "
                        "with --firewall\n");
        return usage_rc;
    }

    /* daemon() moves to /: a relative -c, and relative files the configuration names, are
     * taken from the folder the daemon was started in, as the one who started it meant. */
    char start_dir[4096];
    if (getcwd(start_dir, sizeof(start_dir))) {
#ifdef SMSA_HAVE_HTTP
        httpf_set_start_dir(start_dir);
#endif
        /* kept for the life of the process: reloads and REST writes use it */
        size_t n = strlen(start_dir) + strlen(path) + 2;
        char *joined = path[0] != '/' ? malloc(n) : NULL;
        if (joined) {
            snprintf(joined, n, "%s/%s", start_dir, path);
            path = joined;
        }
    }
    struct cfg_error err;
    memset(&err, 0, sizeof(err));
    struct cfg *cfg = NULL;
    bool embedded = no_config || (!path_given && access(path, F_OK) < 0 && errno == ENOENT);
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
        return check ? 1 : EXIT_CONFIG;
    }
    /* the one-shot commands start no REST: the HTTP start checks are not theirs */
    if (preflight) {
        raise_fd_limit();
        return preflight_run(cfg, &pf);
    }
    if (firewall)
        return firewall_cli_run(cfg, fw_format, fw_sets, fw_output);
    if (start_checks(cfg) < 0 || (check && service_user_can_read(cfg) < 0)) {
        fprintf(stderr, "smsa-agentd: %s: refused by the start-up checks above\n", path);
        cfg_free(cfg);
        return check ? 1 : EXIT_CONFIG;
    }
    /* Master mode beyond loopback needs a secret of its own; snmpf_init refuses it too. */
    if (check && (master || cfg->snmp.mode == SNMP_MODE_MASTER) &&
        cfg_check_master_exposure(cfg, &err) < 0) {
        print_cfg_error(path, &err);
        cfg_free(cfg);
        return 1;
    }
    if (check) {
        printf("%s: configuration is valid%s\n", no_config ? "--no-config" : path,
               embedded ? " (no file: embedded defaults)" : "");
        /* where the checks will be made from: the one choice that changes what they mean */
        if (cfg->placement == PLACEMENT_BESIDE)
            printf("placement: beside (%s %s at %s, checked from this host)\n",
                   cat_role_name(cfg->role), cfg->name, cfg->address);
        else
            printf("placement: on-box (%s %s, checked on the appliance itself)\n",
                   cat_role_name(cfg->role), cfg->name);
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
    if (no_config)
        log_info("--no-config: running on the embedded defaults; REST writes are refused");
    else if (embedded)
        log_info("no configuration file at %s: running on the embedded defaults", path);
    /* the log's event lines are a subscriber like the faces, there from the first apply on */
    if (evlog_start() < 0) {
        log_err("cannot start the core: out of memory");
        cfg_free(cfg);
        return 1;
    }
    if (probing_init(cfg, no_config ? NULL : path) < 0) {
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
                 no_config ? "(none: embedded defaults)" : path);
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
    probing_fini();
    evlog_stop();
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
