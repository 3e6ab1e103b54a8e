/* The REST face: libmicrohttpd driven by the daemon's loop, and start-up with TLS and the
 * token. A request goes to http_request.c, which takes it to its handler (http_route.c's table
 * names it); who may ask is http_access.c's, the open connections http_conns.c's. */
#include "http_face.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "http_bodies.h"
#include "http_helpers.h"
#include "http_internal.h"
#include "http_parse.h"
#include "log.h"
#include "loop.h"

/* Per connection: request line, headers and the read/write buffers all come from this pool;
 * MHD answers 431/414 by itself when headers or URL do not fit. */
#define CONNECTION_MEMORY (96 * 1024)

static struct MHD_Daemon *daemon_h;
static int mhd_epoll_fd = -1;
static struct loop_timer mhd_timer;
static bool kicked; /* MHD_run wanted on the next turn, whatever MHD_get_timeout says */
static unsigned connection_limit; /* http.max_connections, as given to MHD */
static bool listen_loopback;      /* http.listen is a loopback address */

static struct log_limit refused_log;
static char *tls_cert_pem, *tls_key_pem;

/* ---- connections ---- */

static void format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
    const void *a = sa->sa_family == AF_INET6
                        ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
                        : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
    if (!inet_ntop(sa->sa_family, a, buf, (socklen_t)len))
        snprintf(buf, len, "?");
}

/* MHD_OPTION_APPLY_ACCEPT_POLICY: a client outside http.allow is closed as soon as it is
 * accepted, before it can hold a connection slot. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    if (addrlen >= sizeof(struct sockaddr_in) && httpf_access_client_allowed(addr))
        return MHD_YES;
    httpf_count_refused();
    char who[INET6_ADDRSTRLEN];
    format_addr(addr, who, sizeof(who));
    log_limited(&refused_log, LOG_LVL_WARN, "http: connection from %s refused: not in http.allow",
                who);
    return MHD_NO;
}

/* MHD_OPTION_UNESCAPE_CALLBACK, for the path and the query's values: a %00 is left as it was
 * written. Decoded, it would end the C string MHD hands over, and "s1%00x" would name s1;
 * kept, it names nothing (no name or value holds a '%'), and is answered as such. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    for (const char *p = s; (p = strchr(p, '%')); p++)
        if (p[1] == '0' && p[2] == '0')
            return strlen(s);
    return MHD_http_unescape(s);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    size_t n = strlen(buf);
    while (n > 0 && buf[n - 1] == '\n')
        buf[--n] = 0;
    log_debug("http: %s", buf);
}

/* ---- loop glue ---- */

/* At http.max_connections libmicrohttpd takes its listening socket out of its epoll set and
 * puts it back only at the start of a later MHD_run. When the connections that filled the
 * limit all close inside one MHD_run, nothing is left to wake its epoll fd and no timeout is
 * pending: newcomers would wait in the kernel's backlog for ever. So whenever a run leaves
 * fewer connections than the limit after starting at it, run once more on the next turn. */
static uint64_t this_turn(void)
{
    struct loop_stats ls;
    loop_get_stats(&ls);
    return ls.turns;
}

static uint64_t last_run_turn = UINT64_MAX; /* the loop turn of the last MHD_run */

static void mhd_run(void)
{
    if (!daemon_h)
        return;
    bool was_full = httpf_conns_open(daemon_h) >= connection_limit;
    last_run_turn = this_turn();
    MHD_run(daemon_h);
    if (was_full && httpf_conns_open(daemon_h) < connection_limit)
        kicked = true;
}

static void on_mhd_fd(int fd, unsigned events, void *arg)
{
    mhd_run();
}

static void on_mhd_timer(void *arg)
{
    /* MHD_run ran in this turn already (its epoll fd was ready), after the wait that armed this
     * timer: once more would hand every connection its next block in the same turn. The next
     * prepare arms the timer again if MHD still wants it. */
    if (last_run_turn == this_turn())
        return;
    kicked = false;
    mhd_run();
}

/* The label sets of /metrics and the fixed JSON heads of /flows change only with the
 * configuration, and with thousands of peers each takes milliseconds to write. They are
 * written in loop turns of their own after start and after every configuration change, one
 * per turn, so that no request pays for them on top of its snapshot. The timer is armed
 * from on_prepare: armed while the configuration is applied it would still be due in that
 * same, already long, turn. */
static struct loop_timer prep_timer;
static unsigned prep_next; /* 1: metrics labels, 2: flows heads, 0: nothing to do */

static void on_prep_timer(void *arg)
{
    if (prep_next == 1) {
        httpf_metrics_prepare(core_model());
        prep_next = 2;
    } else if (prep_next == 2) {
        httpf_flows_prepare(core_model());
        prep_next = 0;
    }
}

static void apply_access(const struct cfg *cfg);

static void on_core_event(const struct smsa_event *ev, void *arg)
{
    if (ev->kind == EV_CONFIG) {
        prep_next = 1;
        apply_access(core_config());
    }
}

/* Before every wait: MHD's own deadline (idle timeouts, data already buffered in a
 * connection, resumed connections) becomes our timer, so the loop never sleeps past it. */
static void on_prepare(void *arg)
{
    MHD_UNSIGNED_LONG_LONG ms;
    if (!daemon_h)
        return;
    httpf_conns_relieve(daemon_h);
    if (prep_next && !loop_timer_armed(&prep_timer))
        loop_timer_start(&prep_timer, 0, on_prep_timer, NULL);
    /* MHD_resume_connection only marks the connection: in external epoll mode libmicrohttpd
     * 0.9.75 does not wake its epoll fd for it, so the resumed connection is processed only
     * at the next MHD_run. Run it on the next turn. */
    bool resumed = httpf_docs_resumed();
    resumed = httpf_events_resumed() || resumed;
    if (kicked || resumed) {
        loop_timer_start(&mhd_timer, 0, on_mhd_timer, NULL);
    } else if (MHD_get_timeout(daemon_h, &ms) == MHD_YES) {
        int64_t us = ms > 3600000ull ? 3600000000ll : (int64_t)ms * 1000;
        loop_timer_start(&mhd_timer, us, on_mhd_timer, NULL);
    } else {
        loop_timer_stop(&mhd_timer);
    }
}

/* ---- start-up ---- */

/* A TLS file, whole; the key (secret) must be private to the service user. */
static char *read_file(const char *key, const char *file, bool secret)
{
    char where[4096];
    const char *path = httpf_access_path(file, where, sizeof(where));
    int fd = secret ? httpf_open_private(key, path) : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (!secret)
            log_err("http: cannot read %s %s: %s", key, path, strerror(errno));
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return NULL;
    }
    char *buf = malloc(CFG_MAX_FILE_BYTES + 1);
    size_t n = buf ? fread(buf, 1, CFG_MAX_FILE_BYTES, f) : 0;
    fclose(f);
    if (!buf || n == 0) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    return buf;
}

static void reset_state(void)
{
    httpf_access_reset();
    free(tls_cert_pem);
    if (tls_key_pem) {
        explicit_bzero(tls_key_pem, strlen(tls_key_pem));
        free(tls_key_pem);
    }
    tls_cert_pem = tls_key_pem = NULL;
}

/* On every configuration change (SIGHUP, REST write): http.allow, http.server_names and the
 * token file take effect for the next connection and the next request. */
static void apply_access(const struct cfg *cfg)
{
    httpf_access_apply(cfg, listen_loopback);
}

/* Whether the key and certificate are what GnuTLS (inside libmicrohttpd) will accept: the
 * same call MHD makes at start, so a file refused here is a file start would refuse. */
static int tls_pair_ok(const struct cfg *cfg)
{
    gnutls_certificate_credentials_t cred;
    if (gnutls_certificate_allocate_credentials(&cred) != GNUTLS_E_SUCCESS)
        return -1;
    gnutls_datum_t cert = {(unsigned char *)tls_cert_pem, (unsigned)strlen(tls_cert_pem)};
    gnutls_datum_t key = {(unsigned char *)tls_key_pem, (unsigned)strlen(tls_key_pem)};
    /* GnuTLS 3.7 leaks its certificate when the next call meets one that does not parse:
     * that is refused here first, with the same words */
    gnutls_x509_crt_t *list = NULL;
    unsigned n = 0;
    int rc = gnutls_x509_crt_list_import2(&list, &n, &cert, GNUTLS_X509_FMT_PEM, 0);
    for (unsigned i = 0; rc >= 0 && i < n; i++)
        gnutls_x509_crt_deinit(list[i]);
    gnutls_free(list);
    if (rc >= 0)
        rc = gnutls_certificate_set_x509_key_mem2(cred, &cert, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
    gnutls_certificate_free_credentials(cred);
    if (rc < 0) {
        log_err("http: http.tls_cert %s with http.tls_key %s: %s", cfg->http.tls_cert,
                cfg->http.tls_key, gnutls_strerror(rc));
        return -1;
    }
    return 0;
}

/* Every check of cfg->http that start makes before it listens: the listen address, the
 * token file, the allow list, the TLS files. Fills the face's state (token, allow, PEMs);
 * on error it is logged, the state is reset and -1 returned. */
static int prepare(const struct cfg *cfg, struct sockaddr_storage *ss, bool *tls)
{
    struct addr_hostport hp;
    char port[8], why[128];
    if (addr_parse_hostport(cfg->http.listen, &hp, why, sizeof(why)) < 0 || !hp.port) {
        log_err("http: http.listen \"%s\" is not host:port", cfg->http.listen);
        return -1;
    }
    snprintf(port, sizeof(port), "%u", (unsigned)hp.port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo(hp.host, port, &hints, &ai);
    if (rc != 0 || !ai) {
        log_err("http: cannot resolve http.listen \"%s\": %s", cfg->http.listen, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);

    listen_loopback = addr_sockaddr_is_loopback((struct sockaddr *)ss);
    if (httpf_access_prepare(cfg, &hp, listen_loopback) < 0) {
        reset_state();
        return -1;
    }

    *tls = cfg->http.tls_cert && cfg->http.tls_key;
    if (*tls) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            log_err("http: http.tls_cert is set but libmicrohttpd was built without TLS");
            reset_state();
            return -1;
        }
        tls_cert_pem = read_file("http.tls_cert", cfg->http.tls_cert, false);
        tls_key_pem = tls_cert_pem ? read_file("http.tls_key", cfg->http.tls_key, true) : NULL;
        if (!tls_cert_pem || !tls_key_pem) {
            reset_state();
            return -1;
        }
        if (tls_pair_ok(cfg) < 0) {
            reset_state();
            return -1;
        }
    } else if (cfg->http.tls_cert || cfg->http.tls_key) {
        log_err("http: http.tls_cert and http.tls_key go together");
        reset_state();
        return -1;
    }
    return 0;
}

int httpf_check(const struct cfg *cfg)
{
    if (!cfg->http.listen || !cfg->http.listen[0])
        return 0;
    struct sockaddr_storage ss;
    bool tls;
    int rc = prepare(cfg, &ss, &tls);
    reset_state();
    return rc;
}

int httpf_init(const struct cfg *cfg)
{
    if (!cfg->http.listen || !cfg->http.listen[0]) {
        log_info("http: REST face disabled (http.listen is empty)");
        return 0;
    }
    /* A peer closing mid-response must not kill the daemon. */
    signal(SIGPIPE, SIG_IGN);

    struct sockaddr_storage ss;
    bool tls;
    if (prepare(cfg, &ss, &tls) < 0)
        return -1;
    if (httpf_access_n_allow() == 0)
        log_warn("http: http.allow is empty: every connection will be refused");

    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (tls)
        flags |= MHD_USE_TLS;
    /* The defaults and bounds of these keys are the configuration's (per_ip_connections at
     * most max_connections, none of them 0). */
    unsigned max_conn = cfg->http.max_connections, per_ip = cfg->http.per_ip_connections;
    unsigned timeout = cfg->http.timeout_s;

    struct MHD_OptionItem opts[12];
    size_t k = 0;
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &ss};
    connection_limit = max_conn;
    httpf_conns_init(max_conn, timeout);
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, max_conn, NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip, NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, timeout, NULL};
    opts[k++] =
        (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONNECTION_MEMORY, NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL};
    if (tls) {
        opts[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, tls_cert_pem};
        opts[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, tls_key_pem};
    }
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

    daemon_h = MHD_start_daemon(
        flags, 0, on_accept, NULL, httpf_on_request, NULL, MHD_OPTION_NOTIFY_CONNECTION,
        httpf_conns_notify, NULL, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_URI_LOG_CALLBACK, httpf_on_uri,
        NULL, MHD_OPTION_NOTIFY_COMPLETED, httpf_on_completed, NULL, MHD_OPTION_ARRAY, opts,
        MHD_OPTION_END);
    if (!daemon_h) {
        log_err("http: cannot listen on %s: %s", cfg->http.listen, strerror(errno));
        reset_state();
        return -1;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(daemon_h, MHD_DAEMON_INFO_EPOLL_FD);
    mhd_epoll_fd = di ? di->epoll_fd : -1;
    if (mhd_epoll_fd < 0 || loop_fd_add(mhd_epoll_fd, LOOP_READ, on_mhd_fd, NULL) < 0 ||
        loop_prepare_add(on_prepare, NULL) < 0 || httpf_events_init() < 0 ||
        core_subscribe(on_core_event, NULL) < 0) {
        log_err("http: cannot attach libmicrohttpd to the loop");
        httpf_fini();
        return -1;
    }
    prep_next = 1;
    log_info("http: listening on %s%s%s", cfg->http.listen, tls ? " (TLS)" : "",
             httpf_access_token_set() ? ", bearer token required" : "");
    return 0;
}

void httpf_fini(void)
{
    if (daemon_h) {
        /* Suspended event streams must be resumed before MHD can stop. */
        httpf_events_fini();
        httpf_docs_fini();
        MHD_run(daemon_h);
        loop_prepare_remove(on_prepare, NULL);
        core_unsubscribe(on_core_event, NULL);
        loop_timer_stop(&mhd_timer);
        loop_timer_stop(&prep_timer);
        prep_next = 0;
        if (mhd_epoll_fd >= 0)
            loop_fd_remove(mhd_epoll_fd);
        mhd_epoll_fd = -1;
        MHD_stop_daemon(daemon_h);
        daemon_h = NULL;
    }
    httpf_docs_fini();
    httpf_cache_fini();
    httpf_ctexts_fini();
    httpf_snap_fini();
    reset_state();
    httpf_stats_reset();
}
