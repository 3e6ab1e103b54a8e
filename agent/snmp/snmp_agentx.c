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
 * - its own transport (snmp_agentx_wire.c): a non-blocking socket whose connect() and sends
 *   never wait;
 * - the Open, Ping and AddAgentCaps PDUs sent with snmp_async_send (the Register/Unregister
 *   and Notify PDUs too, from snmp_agentx_requests.c), their answers taken in callbacks,
 *   bounded by the session timeout (AX_TIMEOUT_US, no retries: a stream does not lose PDUs, a
 *   resent one would only be a duplicate);
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
#include "snmp_agentx.h"

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
    char last_error[256]; /* a repeated failure is logged at debug level only */
    struct loop_timer retry_timer, ping_timer, step_timer, connect_timer;
    enum { STEP_NONE, STEP_OPENED, STEP_FAILED } step;
    char step_why[160];
} ax;

static void ax_try(void *arg);
static void on_ping(void *arg);
static void ax_add_agent_caps(void);

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
                 snmpf_agentx_error_name(pdu->errstat), pdu->errstat);
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
    netsnmp_transport *t = snmpf_agentx_wire_open(ax.spec, &in_progress, err, sizeof(err));
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
                 ax.spec, snmpf_agentx_error_name(pdu->errstat));
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
                 snmpf_agentx_error_name(pdu->errstat), pdu->errstat);
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

/* ---- the open session, for snmp_agentx_requests.c ---- */

netsnmp_session *snmpf_agentx_session(void **tag)
{
    if (tag)
        *tag = (void *)ax.gen;
    return ax.state == AX_OPEN ? ax.sess : NULL;
}

bool snmpf_agentx_current(netsnmp_session *s, void *tag)
{
    return ax.state == AX_OPEN && current(s, tag);
}

void snmpf_agentx_failed(const char *why)
{
    ax_later(STEP_FAILED, why);
}

const char *snmpf_agentx_master(void)
{
    return ax.spec;
}

/* ---- configuration ---- */

static int64_t ping_us_of(const struct cfg *cfg)
{
    return (int64_t)cfg->snmp.ping_interval_s * 1000000;
}

static const char *spec_of(const struct cfg *cfg)
{
    return cfg->snmp.agentx_socket;
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
}

int snmpf_agentx_start(const struct cfg *cfg)
{
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
    free(ax.spec);
    memset(&ax, 0, sizeof(ax));
}
