/* The AgentX session to the master agent (subagent mode), kept without ever waiting on the
 * master.
 *
 * net-snmp's subagent (agent/mibgroup/agentx/subagent.c, client.c) talks to the master
 * synchronously: agentx_check_session pings with snmp_synch_response, and a reconnect
 * (agentx_reopen_session -> subagent_open_master_session) does a blocking connect(), then the
 * Open, every Register and every AddAgentCaps each through agentx_synch_response. A master
 * that accepts but does not answer (a stopped or wedged snmpd) then freezes the whole daemon
 * for timeout x (retries + 1) per exchange, and a blocking connect() to a unix socket whose
 * listen backlog is full (snmpd listens with a backlog of 5; closed clients stay queued until
 * it accepts) blocks until snmpd runs again. So this module replaces that client half:
 *
 * - its own transport: a non-blocking socket (connect() never waits: a full backlog is
 *   EAGAIN, a TCP connect completes on our loop), and sends that never wait either: a PDU
 *   that does not fit into the socket buffer whole means the master stopped reading, and the
 *   connection is shut down so that net-snmp's own disconnect path runs;
 * - the Open, Register/Unregister and Ping PDUs sent with snmp_async_send, their answers taken
 *   in callbacks, bounded by the session timeout (AX_TIMEOUT_US, no retries: a stream does not
 *   lose PDUs, a resent one would only be a duplicate);
 * - a keepalive every snmp.ping_interval_s on the loop's timer, and reconnects with a backoff
 *   of 1 s, 2 s, 4 s ... up to the ping interval.
 *
 * Everything else stays net-snmp's: the session (snmp_add_full with net-snmp's AgentX parser
 * and builder), requests from the master (handle_agentx_packet), the trap session for Notify
 * PDUs, and the registry that remembers what to register again (register_mib_reattach). */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "addr.h"
#include "core.h"
#include "log.h"
#include "loop.h"
#include "snmp_internal.h"

/* From net-snmp's agent library (agent/mibgroup/agentx/{protocol,subagent}.h and
 * agent_global_vars.h, which are not installed). */
extern netsnmp_session *main_session;
extern netsnmp_session *agentx_callback_sess;
extern int callback_master_num;
extern int agentx_parse(netsnmp_session *, netsnmp_pdu *, u_char *, size_t);
extern int agentx_realloc_build(netsnmp_session *, netsnmp_pdu *, u_char **, size_t *, size_t *);
extern int agentx_check_packet(u_char *, size_t);
extern int handle_agentx_packet(int, netsnmp_session *, int, netsnmp_pdu *, void *);
extern int handle_subagent_response(int, netsnmp_session *, int, netsnmp_pdu *, void *);
extern int subagent_startup(int, int, void *, void *);

/* RFC 2741 section 6.1 (net-snmp's agentx/protocol.h uses the same numbers). */
#define AGENTX_VERSION_1 (192 | 0x1)
enum {
    AX_MSG_OPEN = 1,
    AX_MSG_CLOSE = 2,
    AX_MSG_REGISTER = 3,
    AX_MSG_UNREGISTER = 4,
    AX_MSG_NOTIFY = 12,
    AX_MSG_PING = 13,
    AX_MSG_ADD_AGENT_CAPS = 16,
};
enum { AX_FLAG_INSTANCE_REGISTER = 0x01, AX_FLAG_NON_DEFAULT_CONTEXT = 0x08 };
/* Close reasons, RFC 2741 section 6.2.2. */
enum { AX_CLOSE_TIMEOUTS = 4, AX_CLOSE_SHUTDOWN = 5 };
/* Response errors, RFC 2741 section 6.2.16. */
enum { AX_ERR_NOT_OPEN = 257 };

/* How long any answer of the master may take. snmpd answers an Open, a Register or a Ping
 * from its own loop at once (even while it waits on another subagent), so a second of silence
 * means it is not running. */
#define AX_TIMEOUT_US 1000000
#define AX_BACKOFF_FIRST_US 1000000

enum ax_state {
    AX_OFF,        /* not started, or stopped */
    AX_WAIT,       /* no session; retry_timer will try again */
    AX_CONNECTING, /* TCP connect in progress */
    AX_OPENING,    /* Open sent, waiting for its Response */
    AX_OPEN,       /* registered; pinging */
};

static struct {
    enum ax_state state;
    char *spec; /* the configured AgentX address */
    int64_t ping_us;
    int64_t backoff_us;
    netsnmp_session *sess;     /* ours, from the Open on; main_session once open */
    netsnmp_transport *conn_t; /* AX_CONNECTING: the transport whose connect is pending */
    uintptr_t gen;             /* tells answers of an old session from the current one's */
    bool ping_pending;
    bool subscribed;
    snmpf_answer_fn answered; /* hears the answers to Notify PDUs */
    char last_error[256];     /* a repeated failure is logged at debug level only */
    struct loop_timer retry_timer, ping_timer, step_timer, connect_timer;
    enum { STEP_NONE, STEP_OPENED, STEP_FAILED } step;
    char step_why[160];
} ax;

static void ax_try(void *arg);
static void on_ping(void *arg);
static void ax_add_agent_caps(void);

/* ---- the transport: a non-blocking stream socket ---- */

static const oid dom_local[] = {SNMP_DOMAIN_LOCAL};
static const oid dom_tcp4[] = {SNMP_DOMAIN_TCP_IPV4};
static const oid dom_tcp6[] = {SNMP_DOMAIN_TCP_IPV6};

static int tr_recv(netsnmp_transport *t, void *buf, int size, void **opaque, int *olen)
{
    *opaque = NULL;
    *olen = 0;
    ssize_t n;
    do
        n = recv(t->sock, buf, (size_t)size, 0);
    while (n < 0 && errno == EINTR);
    return (int)n;
}

static int tr_send(netsnmp_transport *t, const void *buf, int size, void **opaque, int *olen)
{
    ssize_t n;
    do
        n = send(t->sock, buf, (size_t)size, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n == size)
        return size;
    /* Half a PDU on a stream corrupts everything after it, and a full socket buffer means the
     * master stopped reading. Shut the connection: the loop then sees end-of-file, net-snmp
     * runs its disconnect path (handle_agentx_packet) and we reconnect. */
    log_warn("snmp: the AgentX master does not take our data (%s); dropping the session",
             n < 0 ? strerror(errno) : "partial write");
    shutdown(t->sock, SHUT_RDWR);
    errno = EPIPE;
    return -1;
}

static int tr_close(netsnmp_transport *t)
{
    if (t->sock >= 0)
        close(t->sock);
    t->sock = -1;
    return 0;
}

static char *tr_fmtaddr(netsnmp_transport *t, const void *data, int len)
{
    return strdup(ax.spec ? ax.spec : "AgentX master");
}

/* Parses /path, unix:/path or tcp:host:port into a socket address (config.c checked the
 * form). A host name is resolved here, blocking; "localhost" comes from /etc/hosts. */
static int ax_address(const char *spec, struct sockaddr_storage *ss, socklen_t *len, char *err,
                      size_t errlen)
{
    memset(ss, 0, sizeof(*ss));
    if (spec[0] == '/' || !strncmp(spec, "unix:", 5)) {
        const char *path = spec[0] == '/' ? spec : spec + 5;
        struct sockaddr_un *sun = (struct sockaddr_un *)ss;
        if (strlen(path) >= sizeof(sun->sun_path)) {
            snprintf(err, errlen, "path too long");
            return -1;
        }
        sun->sun_family = AF_UNIX;
        strcpy(sun->sun_path, path);
        *len = sizeof(*sun);
        return 0;
    }
    if (strncmp(spec, "tcp:", 4) != 0) {
        snprintf(err, errlen, "not /path, unix:/path or tcp:host:port");
        return -1;
    }
    struct addr_hostport hp;
    char port[8];
    if (addr_parse_hostport(spec + 4, &hp, err, errlen) < 0)
        return -1;
    if (!hp.port) {
        snprintf(err, errlen, "no port");
        return -1;
    }
    snprintf(port, sizeof(port), "%u", (unsigned)hp.port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(hp.host, port, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "%s", gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* A transport with a connected (or, for TCP, connecting) socket; NULL and err on failure. */
static netsnmp_transport *ax_transport_open(bool *in_progress, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    *in_progress = false;
    if (ax_address(ax.spec, &ss, &len, err, errlen) != 0)
        return NULL;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        return NULL;
    }
    int rc;
    do
        rc = connect(fd, (struct sockaddr *)&ss, len);
    while (rc < 0 && errno == EINTR);
    if (rc < 0 && errno == EINPROGRESS && ss.ss_family != AF_UNIX) {
        *in_progress = true;
    } else if (rc < 0) {
        /* EAGAIN on a unix socket: its backlog is full, the master is not accepting. */
        snprintf(err, errlen, "%s",
                 errno == EAGAIN ? "master not accepting (backlog full)" : strerror(errno));
        close(fd);
        return NULL;
    }
    netsnmp_transport *t = SNMP_MALLOC_TYPEDEF(netsnmp_transport);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        close(fd);
        return NULL;
    }
    t->sock = fd;
    t->flags = NETSNMP_TRANSPORT_FLAG_STREAM;
    t->msgMaxSize = 0x7fffffff; /* as net-snmp's stream transports: AgentX frames itself */
    t->domain = ss.ss_family == AF_UNIX    ? dom_local
                : ss.ss_family == AF_INET6 ? dom_tcp6
                                           : dom_tcp4;
    t->domain_length = (int)OID_LENGTH(dom_local);
    t->f_recv = tr_recv;
    t->f_send = tr_send;
    t->f_close = tr_close;
    t->f_fmtaddr = tr_fmtaddr;
    return t;
}

/* ---- session life ---- */

static bool current(netsnmp_session *s, void *magic)
{
    return s && s == ax.sess && (uintptr_t)magic == ax.gen;
}

static void ax_log_failure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void ax_log_failure(const char *fmt, ...)
{
    char msg[sizeof(ax.last_error)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* One line per attempt, at warning level while it keeps changing; the same failure again
     * and again (the master is simply not there) only at debug level after three. */
    static unsigned repeats;
    if (strcmp(msg, ax.last_error) == 0)
        repeats++;
    else
        repeats = 0;
    snprintf(ax.last_error, sizeof(ax.last_error), "%s", msg);
    if (repeats < 3)
        log_warn("snmp: %s", msg);
    else
        log_debug("snmp: %s", msg);
}

static void ax_schedule_retry(void)
{
    ax.state = AX_WAIT;
    loop_timer_start(&ax.retry_timer, ax.backoff_us, ax_try, NULL);
    ax.backoff_us *= 2;
    if (ax.backoff_us > ax.ping_us)
        ax.backoff_us = ax.ping_us;
}

/* Says goodbye without waiting for the answer (net-snmp's agentx_close_session waits). */
static void ax_send_close(netsnmp_session *s, int reason)
{
    netsnmp_pdu *pdu = snmp_pdu_create(AX_MSG_CLOSE);
    if (!pdu)
        return;
    pdu->time = 0;
    pdu->errstat = reason;
    pdu->sessid = s->sessid;
    if (!snmp_send(s, pdu))
        snmp_free_pdu(pdu);
}

/* Ends the current session, whatever its state, the way net-snmp's agentx_check_session does
 * after a failed ping (INDEX_STOP callbacks, so notifications queue; the trap session and the
 * registrations detached; the callback session renewed), minus its blocking Close. Never call
 * from inside a net-snmp callback of that session. */
static void ax_drop(int reason, bool final)
{
    netsnmp_session *s = ax.sess;
    bool was_open = ax.state == AX_OPEN;
    ax.sess = NULL;
    ax.gen++;
    ax.ping_pending = false;
    loop_timer_stop(&ax.ping_timer);
    loop_timer_stop(&ax.connect_timer);
    if (ax.conn_t) {
        loop_fd_remove(ax.conn_t->sock);
        netsnmp_transport_free(ax.conn_t); /* closes the socket through tr_close */
        ax.conn_t = NULL;
    }
    if (!s)
        return;
    if (was_open) {
        if (!final) /* as subagent_shutdown: no "session lost" at the end */
            snmp_call_callbacks(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_STOP, s);
        remove_trap_session(s);
        register_mib_detach();
        main_session = NULL;
        /* Requests of the master still being processed hold a pointer to the session; like
         * agentx_check_session, drop them with the callback session. */
        if (agentx_callback_sess) {
            snmp_close(agentx_callback_sess);
            agentx_callback_sess =
                netsnmp_callback_open(callback_master_num, handle_subagent_response, NULL, NULL);
        }
    }
    if (reason)
        ax_send_close(s, reason);
    snmp_close(s);
    snmpf_resync();
}

static void on_step(void *arg)
{
    int step = ax.step;
    ax.step = STEP_NONE;
    if (step == STEP_FAILED) {
        ax_log_failure("%s", ax.step_why);
        ax_drop(AX_CLOSE_TIMEOUTS, false);
        ax_schedule_retry();
    } else if (step == STEP_OPENED && ax.sess && ax.state == AX_OPENING) {
        netsnmp_session *s = ax.sess;
        /* What subagent_open_master_session and agentx_reopen_session do after the Open. */
        s->securityModel = SNMP_DEFAULT_SECMODEL; /* there: the ping alarm's id; none here */
        main_session = s;
        if (!add_trap_session(s, AX_MSG_NOTIFY, 1, AGENTX_VERSION_1)) {
            main_session = NULL;
            ax_log_failure("cannot add the AgentX trap session");
            ax_drop(AX_CLOSE_SHUTDOWN, false);
            ax_schedule_retry();
            return;
        }
        ax.state = AX_OPEN;
        ax.backoff_us = AX_BACKOFF_FIRST_US;
        ax.last_error[0] = '\0';
        snmp_call_callbacks(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_START, s);
        register_mib_reattach(); /* Register PDUs through on_register, asynchronously */
        ax_add_agent_caps();
        loop_timer_start(&ax.ping_timer, ax.ping_us, on_ping, NULL);
    }
    snmpf_resync();
}

/* Work that must not run inside net-snmp's processing of the session's own packet or timeout
 * (closing the session there would free what it is iterating over). */
static void ax_later(int step, const char *why)
{
    if (ax.step == STEP_FAILED)
        return;
    ax.step = step;
    snprintf(ax.step_why, sizeof(ax.step_why), "%s", why ? why : "");
    loop_timer_start(&ax.step_timer, 0, on_step, NULL);
}

static const char *ax_error_name(long e)
{
    switch (e) {
    case 256:
        return "openFailed";
    case 257:
        return "notOpen";
    case 262:
        return "unsupportedContext";
    case 263:
        return "duplicateRegistration";
    case 264:
        return "unknownRegistration";
    case 266:
        return "parseError/requestDenied/processingError";
    default:
        return "error";
    }
}

/* The session's own callback: requests from the master go to net-snmp's handler. */
static int on_packet(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
{
    if (op == NETSNMP_CALLBACK_OP_DISCONNECT && s == ax.sess) {
        /* The master closed the connection (or tr_send shut it). Once open, net-snmp's handler
         * does the clean-up (INDEX_STOP and the rest; with a ping interval of 0 it schedules no
         * reconnect of its own); net-snmp closes the socket after we return and frees the
         * session later, so forget it here without closing it. */
        bool was_open = ax.state == AX_OPEN;
        ax.sess = NULL;
        ax.gen++;
        ax.ping_pending = false;
        loop_timer_stop(&ax.ping_timer);
        if (was_open)
            handle_agentx_packet(op, s, reqid, pdu, magic);
        ax_log_failure("the AgentX master closed the connection (%s)", ax.spec);
        ax_schedule_retry();
        return 0;
    }
    return handle_agentx_packet(op, s, reqid, pdu, magic);
}

static int on_open_response(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
{
    if (!current(s, magic) || ax.state != AX_OPENING)
        return 1;
    char why[160];
    if (op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE) {
        snprintf(why, sizeof(why), "the AgentX master (%s) did not answer our Open within %d ms",
                 ax.spec, AX_TIMEOUT_US / 1000);
        ax_later(STEP_FAILED, why);
    } else if (pdu->errstat != SNMP_ERR_NOERROR) {
        snprintf(why, sizeof(why), "the AgentX master (%s) refused our Open: %s (%ld)", ax.spec,
                 ax_error_name(pdu->errstat), pdu->errstat);
        ax_later(STEP_FAILED, why);
    } else {
        s->sessid = pdu->sessid;
        ax_later(STEP_OPENED, NULL);
    }
    return 1;
}

static void ax_send_open(void)
{
    netsnmp_pdu *pdu = snmp_pdu_create(AX_MSG_OPEN);
    if (!pdu) {
        ax_later(STEP_FAILED, "out of memory");
        return;
    }
    /* o.timeout 0: the master's default; o.id and o.descr name us in agentxSessionTable. */
    static const oid id[] = {SMSA_MIB_OID};
    static const char descr[] = "smsa-agentd AgentX subagent";
    pdu->time = 0;
    snmp_pdu_add_variable(pdu, id, OID_LENGTH(id), ASN_OCTET_STR, descr, sizeof(descr) - 1);
    ax.state = AX_OPENING;
    if (!snmp_async_send(ax.sess, pdu, on_open_response, (void *)ax.gen)) {
        snmp_free_pdu(pdu);
        ax_later(STEP_FAILED, "cannot send the AgentX Open");
    }
}

/* The transport is connected: make it a net-snmp session and say Open. */
static void ax_start_session(netsnmp_transport *t)
{
    netsnmp_session sess;
    snmp_sess_init(&sess);
    sess.version = AGENTX_VERSION_1;
    sess.retries = 0;
    sess.timeout = AX_TIMEOUT_US;
    sess.flags |= SNMP_FLAGS_STREAM_SOCKET;
    sess.callback = on_packet;
    sess.authenticator = NULL;
    /* As subagent_open_master_session: net-snmp's AgentX parser, builder and framing. */
    netsnmp_session *s = snmp_add_full(&sess, t, NULL, agentx_parse, NULL, NULL,
                                       agentx_realloc_build, agentx_check_packet, NULL);
    if (!s) { /* snmp_add_full freed t */
        ax_log_failure("cannot create the AgentX session (%s)", ax.spec);
        ax_schedule_retry();
        return;
    }
    ax.sess = s;
    ax.gen++;
    ax_send_open();
    snmpf_resync();
}

static void on_connect_timeout(void *arg)
{
    ax_log_failure("Failed to connect to the AgentX master agent (%s): timed out", ax.spec);
    ax_drop(0, false);
    ax_schedule_retry();
}

static void on_connect_ready(int fd, unsigned events, void *arg)
{
    netsnmp_transport *t = ax.conn_t;
    int err = 0;
    socklen_t len = sizeof(err);
    if (!t || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    if (err == EINPROGRESS)
        return;
    loop_fd_remove(fd);
    loop_timer_stop(&ax.connect_timer);
    ax.conn_t = NULL;
    if (!t)
        return;
    if (err) {
        ax_log_failure("Failed to connect to the AgentX master agent (%s): %s", ax.spec,
                       strerror(err));
        netsnmp_transport_free(t);
        ax_schedule_retry();
        return;
    }
    ax_start_session(t);
}

static void ax_try(void *arg)
{
    if (ax.state != AX_WAIT)
        return;
    char err[160];
    bool in_progress;
    netsnmp_transport *t = ax_transport_open(&in_progress, err, sizeof(err));
    if (!t) {
        /* net-snmp's wording, which operators (and our tests) know. */
        ax_log_failure("Failed to connect to the AgentX master agent (%s): %s", ax.spec, err);
        ax_schedule_retry();
        return;
    }
    if (in_progress) {
        if (loop_fd_add(t->sock, LOOP_WRITE, on_connect_ready, NULL) != 0) {
            netsnmp_transport_free(t);
            ax_log_failure("cannot watch the AgentX connection");
            ax_schedule_retry();
            return;
        }
        ax.conn_t = t;
        ax.state = AX_CONNECTING;
        loop_timer_start(&ax.connect_timer, AX_TIMEOUT_US, on_connect_timeout, NULL);
        return;
    }
    ax_start_session(t);
}

/* ---- keepalive ---- */

static int on_ping_response(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
{
    if (!current(s, magic) || ax.state != AX_OPEN)
        return 1;
    ax.ping_pending = false;
    char why[160];
    if (op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE) {
        snprintf(why, sizeof(why),
                 "the AgentX master (%s) did not answer a ping within %d ms; reconnecting", ax.spec,
                 AX_TIMEOUT_US / 1000);
        ax_later(STEP_FAILED, why);
    } else if (pdu->errstat != SNMP_ERR_NOERROR) {
        /* notOpen: the master forgot us (its agentXTimeout, or a restart on the same socket). */
        snprintf(why, sizeof(why), "the AgentX master (%s) answered a ping with %s; reconnecting",
                 ax.spec, ax_error_name(pdu->errstat));
        ax_later(STEP_FAILED, why);
    }
    return 1;
}

static void on_ping(void *arg)
{
    if (ax.state != AX_OPEN || !ax.sess)
        return;
    loop_timer_start(&ax.ping_timer, ax.ping_us, on_ping, NULL);
    if (ax.ping_pending) /* the last one is still within its timeout */
        return;
    netsnmp_pdu *pdu = snmp_pdu_create(AX_MSG_PING);
    if (!pdu)
        return;
    pdu->time = 0;
    pdu->sessid = ax.sess->sessid;
    if (!snmp_async_send(ax.sess, pdu, on_ping_response, (void *)ax.gen)) {
        snmp_free_pdu(pdu);
        /* tr_send has shut the socket; the disconnect path follows when the loop reads EOF */
        return;
    }
    ax.ping_pending = true;
    snmpf_resync();
}

/* ---- registrations, in place of net-snmp's (synchronous) agentx_registration_callback ---- */

static int on_register_response(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu,
                                void *magic)
{
    if (!current(s, magic) || ax.state != AX_OPEN)
        return 1;
    if (op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE) {
        char why[160];
        snprintf(why, sizeof(why), "the AgentX master (%s) did not answer a registration", ax.spec);
        ax_later(STEP_FAILED, why);
    } else if (pdu->errstat != SNMP_ERR_NOERROR) {
        /* A refusal is not a dead master: reconnecting would be refused again. */
        log_err("snmp: the AgentX master refused a registration: %s (%ld)",
                ax_error_name(pdu->errstat), pdu->errstat);
    }
    return 1;
}

static int on_register(int major, int minor, void *serverarg, void *clientarg)
{
    const struct register_parameters *rp = serverarg;
    if (ax.state != AX_OPEN || !ax.sess || !rp)
        return 0;
    bool reg = minor == SNMPD_CALLBACK_REGISTER_OID;
    netsnmp_pdu *pdu = snmp_pdu_create(reg ? AX_MSG_REGISTER : AX_MSG_UNREGISTER);
    if (!pdu)
        return 0;
    /* The fields agentx_register / agentx_unregister (client.c) fill in. */
    pdu->time = reg ? rp->timeout : 0;
    pdu->priority = rp->priority;
    pdu->sessid = ax.sess->sessid;
    pdu->range_subid = rp->range_subid;
    if (rp->contextName) {
        pdu->flags |= AX_FLAG_NON_DEFAULT_CONTEXT;
        pdu->community = (u_char *)strdup(rp->contextName);
        pdu->community_len = strlen(rp->contextName);
    }
    if (reg && (rp->flags & FULLY_QUALIFIED_INSTANCE))
        pdu->flags |= AX_FLAG_INSTANCE_REGISTER;
    if (rp->range_subid) {
        snmp_pdu_add_variable(pdu, rp->name, rp->namelen, ASN_OBJECT_ID, rp->name,
                              rp->namelen * sizeof(oid));
        pdu->variables->val.objid[rp->range_subid - 1] = rp->range_ubound;
    } else {
        snmp_add_null_var(pdu, rp->name, rp->namelen);
    }
    if (!snmp_async_send(ax.sess, pdu, reg ? on_register_response : NULL, (void *)ax.gen))
        snmp_free_pdu(pdu);
    return 0;
}

/* ---- NMS discovery: our sysORTable entry in the master (AgentX AddAgentCaps) ---- */

static int on_caps_response(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
{
    if (!current(s, magic) || ax.state != AX_OPEN)
        return 1;
    if (op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE) {
        char why[160];
        snprintf(why, sizeof(why), "the AgentX master (%s) did not answer our AddAgentCaps",
                 ax.spec);
        ax_later(STEP_FAILED, why);
    } else if (pdu->errstat != SNMP_ERR_NOERROR) {
        log_warn("snmp: the AgentX master refused our sysORTable entry: %s (%ld)",
                 ax_error_name(pdu->errstat), pdu->errstat);
    }
    return 1;
}

/* Sent on every new session: the master forgets the entry with the session. */
static void ax_add_agent_caps(void)
{
    static const oid id[] = {SMSA_MIB_OID};
    netsnmp_pdu *pdu = snmp_pdu_create(AX_MSG_ADD_AGENT_CAPS);
    if (!pdu)
        return;
    pdu->time = 0;
    pdu->sessid = ax.sess->sessid;
    snmp_pdu_add_variable(pdu, id, OID_LENGTH(id), ASN_OCTET_STR, SMSA_MIB_DESCR,
                          strlen(SMSA_MIB_DESCR));
    if (!snmp_async_send(ax.sess, pdu, on_caps_response, (void *)ax.gen))
        snmp_free_pdu(pdu);
}

/* ---- notifications: Notify PDUs whose Response acknowledges them ---- */

static int on_notify_response(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
{
    uint64_t seq = (uintptr_t)magic;
    if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && pdu->errstat == SNMP_ERR_NOERROR) {
        ax.answered(seq, SNMPF_ANSWER_ACK);
        return 1;
    }
    if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && pdu->errstat != AX_ERR_NOT_OPEN) {
        ax.answered(seq, SNMPF_ANSWER_REFUSED);
        return 1;
    }
    /* No answer in time, or notOpen: the master is hung or forgot us. Reconnect; the
     * notification goes again on the new session. Answers of a session already dropped
     * (net-snmp times out its pending requests when it closes) change nothing. */
    if (s == ax.sess && ax.state == AX_OPEN) {
        char why[160];
        snprintf(why, sizeof(why),
                 op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE
                     ? "the AgentX master (%s) answered a notification with notOpen; reconnecting"
                     : "the AgentX master (%s) did not answer a notification; reconnecting",
                 ax.spec);
        ax_later(STEP_FAILED, why);
    }
    ax.answered(seq, SNMPF_ANSWER_NONE);
    return 1;
}

int snmpf_agentx_notify(netsnmp_variable_list *vars, uint64_t seq)
{
    netsnmp_pdu *pdu = NULL;
    if (ax.state != AX_OPEN || !ax.sess || !(pdu = snmp_pdu_create(AX_MSG_NOTIFY))) {
        snmp_free_varbind(vars);
        return -1;
    }
    /* As net-snmp's send_trap_to_sess for an AgentX session, but with our own callback. */
    pdu->time = 0;
    pdu->sessid = ax.sess->sessid;
    pdu->variables = vars;
    if (!snmp_async_send(ax.sess, pdu, on_notify_response, (void *)(uintptr_t)seq)) {
        snmp_free_pdu(pdu);
        return -1;
    }
    return 0;
}

/* ---- configuration ---- */

static int64_t ping_us_of(const struct cfg *cfg)
{
    return (int64_t)(cfg->snmp.ping_interval_s ? cfg->snmp.ping_interval_s : 5) * 1000000;
}

static const char *spec_of(const struct cfg *cfg)
{
    return cfg->snmp.agentx_socket ? cfg->snmp.agentx_socket : "/var/agentx/master";
}

/* A reload may change the ping interval and the master's address: both apply at once. */
static void on_event(const struct smsa_event *ev, void *arg)
{
    const struct cfg *cfg = core_config();
    if (ev->kind != EV_CONFIG || !cfg || ax.state == AX_OFF)
        return;
    int64_t ping = ping_us_of(cfg);
    if (ping != ax.ping_us) {
        ax.ping_us = ping;
        if (ax.backoff_us > ping)
            ax.backoff_us = ping;
        if (ax.state == AX_OPEN)
            loop_timer_start(&ax.ping_timer, ping, on_ping, NULL);
        log_info("snmp: AgentX ping interval now %lld s", (long long)(ping / 1000000));
    }
    const char *spec = spec_of(cfg);
    if (strcmp(spec, ax.spec) != 0) {
        char *copy = strdup(spec);
        if (!copy)
            return;
        log_info("snmp: AgentX master now %s (was %s)", spec, ax.spec);
        ax_drop(ax.state == AX_OPEN ? AX_CLOSE_SHUTDOWN : 0, false);
        free(ax.spec);
        ax.spec = copy;
        ax.backoff_us = AX_BACKOFF_FIRST_US;
        ax.last_error[0] = '\0';
        ax.state = AX_WAIT;
        loop_timer_start(&ax.retry_timer, 0, ax_try, NULL);
    }
}

void snmpf_agentx_prepare(void)
{
    /* No synchronous ping or reconnect alarm of net-snmp's (agentx_check_session,
     * agentx_reopen_session), and no synchronous first connect inside init_snmp (subagent_init
     * hooks subagent_startup to the end of reading the configuration). */
    netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, 0);
    if (snmp_unregister_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_POST_READ_CONFIG,
                                 subagent_startup, NULL, 1) < 1)
        log_warn("snmp: net-snmp's AgentX start-up hook not found; its first connect may block");
    snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_REGISTER_OID, on_register,
                           NULL);
    snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_UNREGISTER_OID, on_register,
                           NULL);
}

int snmpf_agentx_start(const struct cfg *cfg, snmpf_answer_fn answered)
{
    ax.answered = answered;
    ax.spec = strdup(spec_of(cfg));
    if (!ax.spec)
        return -1;
    ax.ping_us = ping_us_of(cfg);
    ax.backoff_us = AX_BACKOFF_FIRST_US;
    if (main_session) {
        /* net-snmp connected on its own after all (its hook was not where we looked): keep
         * that session and watch it like ours. */
        ax.sess = main_session;
        ax.gen++;
        ax.state = AX_OPEN;
        loop_timer_start(&ax.ping_timer, ax.ping_us, on_ping, NULL);
    } else {
        ax.state = AX_WAIT;
        ax_try(NULL);
    }
    if (core_subscribe(on_event, NULL) == 0)
        ax.subscribed = true;
    return 0;
}

void snmpf_agentx_stop(void)
{
    if (ax.subscribed)
        core_unsubscribe(on_event, NULL);
    ax.subscribed = false;
    loop_timer_stop(&ax.retry_timer);
    loop_timer_stop(&ax.step_timer);
    if (ax.state != AX_OFF)
        ax_drop(ax.state == AX_OPEN ? AX_CLOSE_SHUTDOWN : 0, true);
    snmp_unregister_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_REGISTER_OID, on_register,
                             NULL, 1);
    snmp_unregister_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_UNREGISTER_OID, on_register,
                             NULL, 1);
    free(ax.spec);
    memset(&ax, 0, sizeof(ax));
}
