/* The AgentX session against a scripted master on a Unix socket in a temporary folder, on
 * the loop's virtual clock: the test plays the master (RFC 2741 PDUs: it answers the Open
 * with a session ID, every Register and the AddAgentCaps, a Ping, a Notify):
 * - a master that closes the connection: the face notices, queues what happens meanwhile,
 *   reconnects after its back-off with the loop watching the new descriptor (the same number
 *   as before, the case epoll gets wrong when the old one is not forgotten), registers again
 *   and delivers the unanswered and the queued Notify, in order, each acknowledged by a
 *   Response;
 * - a master that stops answering (a frozen snmpd): a Notify or a Ping unanswered for a second
 *   ends the session with a Close (reasonTimeouts), and the Notify goes again on the next;
 * - at shutdown, an Unregister and a Close (reasonShutdown).
 *
 * The face runs whole (net-snmp's agent, the AgentX files, the queue); only the core is a
 * test double: its configuration, and events handed to its subscribers. net-snmp's own clock
 * is pointed at the virtual one (see netsnmp_get_monotonic_clock below), so its request
 * timeouts are virtual too. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "core.h"
#include "log.h"
#include "loop.h"
#include "snmp_face.h"
#include "snmp_internal.h"

#define SEC 1000000LL

/* RFC 2741 section 6.1 */
enum {
    PDU_OPEN = 1,
    PDU_CLOSE = 2,
    PDU_REGISTER = 3,
    PDU_UNREGISTER = 4,
    PDU_NOTIFY = 12,
    PDU_PING = 13,
    PDU_ADD_AGENT_CAPS = 16,
    PDU_RESPONSE = 18,
};
#define FLAG_NETWORK_BYTE_ORDER 0x10

/* ---- the core, as a test double ---- */

static struct cfg *running;
static struct {
    core_event_cb cb;
    void *arg;
} subs[8];
static size_t n_subs;

const struct cfg *core_config(void)
{
    return running;
}
const struct smsa_model *core_model(void)
{
    return NULL;
}
const struct smsa_addr *core_link_address(const struct smsa_link *l)
{
    (void)l;
    return NULL;
}
/* The MIB handler (snmp_link_tables.c) reads the fleet: no fleet here. */
const struct smsa_addr *core_appliance_address(const struct smsa_appliance *a)
{
    (void)a;
    return NULL;
}
const char *core_vantage(void)
{
    return "vantage.test";
}
int core_subscribe(core_event_cb cb, void *arg)
{
    assert_true(n_subs < 8);
    subs[n_subs].cb = cb;
    subs[n_subs++].arg = arg;
    return 0;
}
void core_unsubscribe(core_event_cb cb, void *arg)
{
    for (size_t i = 0; i < n_subs; i++)
        if (subs[i].cb == cb && subs[i].arg == arg) {
            subs[i] = subs[--n_subs];
            return;
        }
}

static void link_down(unsigned index)
{
    struct smsa_event ev = {
        .kind = EV_LINK, .link_index = index, .old_state = ST_UP, .new_state = ST_DOWN};
    ev.at.mono_us = loop_now_us();
    ev.at.wall_us = loop_wall_us();
    snprintf(ev.name, sizeof(ev.name), "link-%u", index);
    snprintf(ev.address, sizeof(ev.address), "192.0.2.%u", index);
    for (size_t i = 0; i < n_subs; i++)
        subs[i].cb(&ev, subs[i].arg);
}

/* net-snmp times its requests (an Open, a Ping or a Notify the master leaves unanswered for
 * a second) by its own monotonic clock, which it calls through the PLT: the executable's
 * definition wins, so net-snmp's time is the loop's virtual clock too. */
void netsnmp_get_monotonic_clock(struct timeval *tv)
{
    int64_t us = loop_now_us();
    tv->tv_sec = (time_t)(us / SEC);
    tv->tv_usec = (suseconds_t)(us % SEC);
}

/* net-snmp times a request out only once its deadline has passed (strictly), but its
 * select_info already reports a timeout of 0 at the deadline itself: on a clock that never
 * moves by itself the face would wake at that instant for ever. Real time moves on by a
 * microsecond; so does this. */
int snmp_select_info2(int *numfds, netsnmp_large_fd_set *fdset, struct timeval *timeout, int *block)
{
    static int (*real)(int *, netsnmp_large_fd_set *, struct timeval *, int *);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "snmp_select_info2");
    assert_non_null(real);
    int n = real(numfds, fdset, timeout, block);
    if (!*block && !timerisset(timeout))
        timeout->tv_usec = 1;
    return n;
}

/* ---- the scripted master ---- */

struct pdu {
    unsigned type, flags;
    uint32_t sessid, transid, packetid, len;
    uint8_t payload[4096];
};

static uint32_t get32(const uint8_t *p, bool net)
{
    return net ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
               : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* One turn of the daemon's loop: never waits (virtual clock, timeout 0). */
static void turn(void)
{
    assert_int_equal(loop_run_once(0), 0);
}

/* The next PDU the subagent sent on conn, turning the daemon's loop until it is there. */
static void next_pdu(int conn, struct pdu *p)
{
    uint8_t h[20];
    ssize_t n = -1;
    for (int i = 0; i < 100 && n < 0; i++) {
        n = recv(conn, h, sizeof(h), MSG_DONTWAIT);
        if (n < 0) {
            assert_int_equal(errno, EAGAIN);
            turn();
        }
    }
    assert_int_equal(n, sizeof(h)); /* net-snmp sends a PDU whole, in one write */
    assert_int_equal(h[0], 1);      /* h.version */
    bool net = h[2] & FLAG_NETWORK_BYTE_ORDER;
    p->type = h[1];
    p->flags = h[2];
    p->sessid = get32(h + 4, net);
    p->transid = get32(h + 8, net);
    p->packetid = get32(h + 12, net);
    p->len = get32(h + 16, net);
    assert_true(p->len <= sizeof(p->payload));
    if (p->len)
        assert_int_equal(recv(conn, p->payload, p->len, MSG_DONTWAIT), (ssize_t)p->len);
}

/* A Response to p: res.sysUpTime, res.error, res.index (RFC 2741 section 6.2.16). */
static void respond(int conn, const struct pdu *p, uint32_t sessid, uint16_t error)
{
    uint8_t r[28] = {1, PDU_RESPONSE, FLAG_NETWORK_BYTE_ORDER, 0};
    put32(r + 4, sessid);
    put32(r + 8, p->transid);
    put32(r + 12, p->packetid);
    put32(r + 16, 8);
    put32(r + 20, 4242); /* sysUpTime */
    r[24] = (uint8_t)(error >> 8);
    r[25] = (uint8_t)error;
    assert_int_equal(send(conn, r, sizeof(r), MSG_NOSIGNAL), (ssize_t)sizeof(r));
}

/* Whether a Register names an OID in the SMSA subtree: its first field after the header's 4 octets
 * is an OID (n_subid, prefix, include, reserved, subids), section 5.1. */
static bool registers_smsa(const struct pdu *p)
{
    static const oid want[] = {SMSA_ROOT_OID};
    bool net = p->flags & FLAG_NETWORK_BYTE_ORDER;
    const uint8_t *o = p->payload + 4;
    oid got[MAX_OID_LEN];
    size_t n = 0;
    if (o[1]) { /* prefix: 1.3.6.1.<prefix> */
        got[n++] = 1, got[n++] = 3, got[n++] = 6, got[n++] = 1, got[n++] = o[1];
    }
    for (unsigned i = 0; i < o[0] && n < MAX_OID_LEN; i++)
        got[n++] = get32(o + 4 + 4 * i, net);
    return n >= OID_LENGTH(want) &&
           snmp_oid_compare(got, OID_LENGTH(want), want, OID_LENGTH(want)) == 0;
}

static char dir[64], master_path[96];
static int listener = -1;

/* The master takes the connection, answers the Open with sessid, and every Register and the
 * AddAgentCaps that follow; returns the connection. */
static int serve_open(uint32_t sessid)
{
    int conn = -1;
    for (int i = 0; i < 100 && conn < 0; i++) {
        conn = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (conn < 0)
            turn();
    }
    assert_true(conn >= 0);
    struct pdu p;
    next_pdu(conn, &p);
    assert_int_equal(p.type, PDU_OPEN);
    respond(conn, &p, sessid, 0);
    bool smsa = false;
    for (;;) {
        next_pdu(conn, &p);
        assert_int_equal(p.sessid, sessid);
        if (p.type == PDU_REGISTER) {
            smsa = smsa || registers_smsa(&p);
            respond(conn, &p, sessid, 0);
            continue;
        }
        assert_int_equal(p.type, PDU_ADD_AGENT_CAPS);
        respond(conn, &p, sessid, 0);
        break;
    }
    assert_true(smsa);
    return conn;
}

/* The subagent's end of the connection: the socket whose peer is the master's path. */
static int subagent_fd(void)
{
    int found = -1;
    for (int fd = 0; fd < 1024; fd++) {
        struct sockaddr_un sun = {0}; /* an unnamed peer fills in no path */
        socklen_t len = sizeof(sun);
        if (fd == listener || getpeername(fd, (struct sockaddr *)&sun, &len) != 0 ||
            sun.sun_family != AF_UNIX || strcmp(sun.sun_path, master_path) != 0)
            continue;
        assert_int_equal(found, -1); /* one session at a time */
        found = fd;
    }
    return found;
}

static struct snmpf_notify_stats stats(void)
{
    struct snmpf_notify_stats s;
    snmpf_notify_get_stats(&s);
    return s;
}

/* smsaNotificationSequence of a Notify: its last varbind, a Gauge32 whose 4 octets end the
 * payload. */
static uint32_t notify_seq(const struct pdu *p)
{
    assert_int_equal(p->type, PDU_NOTIFY);
    assert_true(p->len >= 4);
    return get32(p->payload + p->len - 4, p->flags & FLAG_NETWORK_BYTE_ORDER);
}

/* net-snmp's agent starts once per process: the tests share one face and run in order, each
 * from an open session (conn, sessid) to an open session. */
static bool face_up;
static int conn = -1;
static uint32_t sessid;

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/smsa-ax-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(master_path, sizeof(master_path), "%s/master", dir);
    listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(listener >= 0);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", master_path);
    assert_int_equal(bind(listener, (struct sockaddr *)&sun, sizeof(sun)), 0);
    assert_int_equal(listen(listener, 5), 0);

    char text[512];
    snprintf(text, sizeof(text),
             "{\"snmp\": {\"mode\": \"subagent\", \"agentx_socket\": \"unix:%s\", "
             "\"ping_interval_s\": 2, \"notify_rate_limit\": 0}, \"updates\": []}",
             master_path);
    struct cfg_error err;
    running = cfg_parse(text, strlen(text), &err);
    assert_non_null(running);
    log_init("test_agentx_session", true, LOG_LVL_WARN);
    assert_int_equal(loop_init(), 0);
    loop_clock_set(100 * SEC, 1700000000 * SEC);
    assert_int_equal(snmpf_init(running, false), 0);
    face_up = true;
    return 0;
}

/* Runs after a failure too: no folder or socket is left behind. */
static int teardown(void **state)
{
    (void)state;
    if (face_up)
        snmpf_fini();
    face_up = false;
    if (conn >= 0)
        close(conn);
    conn = -1;
    if (listener >= 0)
        close(listener);
    listener = -1;
    unlink(master_path);
    rmdir(dir);
    loop_fini();
    log_fini();
    cfg_free(running);
    running = NULL;
    return 0;
}

static void test_open_register_ping(void **state)
{
    (void)state;
    sessid = 7;
    conn = serve_open(sessid);
    turn();
    int fd = subagent_fd();
    assert_true(fd >= 0);
    assert_true(loop_fd_watched(fd));

    /* the keepalive: a Ping after the interval, none before */
    struct pdu p;
    loop_clock_advance(2 * SEC - 1);
    turn();
    assert_int_equal(recv(conn, p.payload, 1, MSG_DONTWAIT | MSG_PEEK), -1);
    loop_clock_advance(1);
    next_pdu(conn, &p);
    assert_int_equal(p.type, PDU_PING);
    assert_int_equal(p.sessid, sessid);
    respond(conn, &p, sessid, 0);
    turn();

    /* a notification: a Notify, kept until the master's Response */
    link_down(1);
    next_pdu(conn, &p);
    assert_int_equal(notify_seq(&p), 1);
    assert_int_equal(stats().queued, 1);
    respond(conn, &p, sessid, 0);
    turn();
    assert_int_equal(stats().queued, 0);
    assert_int_equal(stats().sent, 1);
}

static void test_lost_master_reconnect_on_the_same_fd_and_notify(void **state)
{
    (void)state;
    int fd = subagent_fd();
    struct pdu p;
    /* the master goes away with notification 2 unanswered: the face notices, and what
     * happens meanwhile (3) is queued behind it */
    link_down(2);
    next_pdu(conn, &p);
    assert_int_equal(notify_seq(&p), 2);
    close(conn);
    conn = -1;
    for (int i = 0; i < 20 && loop_fd_watched(fd); i++)
        turn();
    assert_false(loop_fd_watched(fd));
    link_down(3);
    turn();
    assert_int_equal(stats().queued, 2);
    assert_int_equal(stats().sent, 2);

    /* after the back-off (1 s) it reconnects, registers again and delivers both, in order */
    loop_clock_advance(SEC - 1);
    turn();
    assert_int_equal(accept(listener, NULL, NULL), -1);
    loop_clock_advance(1);
    sessid = 8;
    conn = serve_open(sessid);
    turn();
    int fd2 = subagent_fd();
    assert_int_equal(fd2, fd); /* the number came back for the new socket */
    assert_true(loop_fd_watched(fd2));
    for (uint32_t seq = 2; seq <= 3; seq++) {
        next_pdu(conn, &p);
        assert_int_equal(p.sessid, sessid);
        assert_int_equal(notify_seq(&p), seq);
        assert_int_equal(stats().queued, 2);
        respond(conn, &p, sessid, 0);
    }
    turn();
    assert_int_equal(stats().queued, 0);
    assert_int_equal(stats().sent, 3); /* the one sent again is not counted again */

    /* the new session is pinged like the first */
    loop_clock_advance(2 * SEC);
    next_pdu(conn, &p);
    assert_int_equal(p.type, PDU_PING);
    assert_int_equal(p.sessid, sessid);
    respond(conn, &p, sessid, 0);
    turn();
}

/* A master that takes the PDUs and stops answering (a frozen snmpd): a Notify, then a Ping,
 * left unanswered for a second each end the session with a Close saying why, and the face
 * reconnects after its back-off; the Notify goes again on the new session. */
static void test_silent_master_times_out_and_the_notify_goes_again(void **state)
{
    (void)state;
    struct pdu p;
    link_down(4);
    next_pdu(conn, &p);
    assert_int_equal(notify_seq(&p), 4);
    loop_clock_advance(SEC); /* net-snmp gives up only once the second has passed */
    turn();
    assert_int_equal(recv(conn, p.payload, 1, MSG_DONTWAIT | MSG_PEEK), -1);
    loop_clock_advance(1);
    next_pdu(conn, &p);
    assert_int_equal(p.type, PDU_CLOSE);
    assert_int_equal(p.payload[0], 4); /* reasonTimeouts */
    close(conn);
    conn = -1;
    assert_int_equal(stats().queued, 1);

    loop_clock_advance(SEC);
    sessid = 9;
    conn = serve_open(sessid);
    next_pdu(conn, &p);
    assert_int_equal(p.sessid, sessid);
    assert_int_equal(notify_seq(&p), 4);
    respond(conn, &p, sessid, 0);
    turn();
    assert_int_equal(stats().queued, 0);
    assert_int_equal(stats().sent, 4);

    /* a Ping left unanswered: the same */
    loop_clock_advance(2 * SEC);
    next_pdu(conn, &p);
    assert_int_equal(p.type, PDU_PING);
    loop_clock_advance(SEC + 1);
    next_pdu(conn, &p);
    assert_int_equal(p.type, PDU_CLOSE);
    assert_int_equal(p.payload[0], 4);
    close(conn);
    conn = -1;
    loop_clock_advance(SEC);
    sessid = 10;
    conn = serve_open(sessid);
    turn();
    assert_true(loop_fd_watched(subagent_fd()));
}

static void test_shutdown_unregisters_and_closes(void **state)
{
    (void)state;
    struct pdu p;
    snmpf_fini();
    face_up = false;
    /* the registration withdrawn, then a goodbye that waits for no answer */
    next_pdu(conn, &p);
    assert_int_equal(p.type, PDU_UNREGISTER);
    next_pdu(conn, &p);
    assert_int_equal(p.type, PDU_CLOSE);
    assert_int_equal(p.payload[0], 5); /* reasonShutdown */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_register_ping),
        cmocka_unit_test(test_lost_master_reconnect_on_the_same_fd_and_notify),
        cmocka_unit_test(test_silent_master_times_out_and_the_notify_goes_again),
        cmocka_unit_test(test_shutdown_unregisters_and_closes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
