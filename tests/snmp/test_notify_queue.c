/* The notification queue on the loop's virtual clock (the chrony way: snmp_notify.c, the
 * varbinds' builder snmp_notify_pdu.c and the sinks snmp_sinks.c are included, and what it sends
 * through, net-snmp's trap, inform and session calls and the AgentX Notify, are test doubles that
 * record each notification's varbinds): the rate limit and its refill, link notifications never
 * limited, which notification a full queue drops, delivery after the AgentX master comes back,
 * acknowledgements and the inform back-off, and smsaNotificationSequence wrapping as an Unsigned32.
 * Events arrive as the core delivers them, through the subscriber the module registers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "../../agent/snmp/snmp_notify.c"
#include "../../agent/snmp/snmp_notify_pdu.c"
#include "../../agent/snmp/snmp_sinks.c"

#include "config.h"

#define SEC 1000000LL
#define T0 (100 * SEC)

/* ---- what went out ---- */

enum via { VIA_AGENTX, VIA_TRAP, VIA_INFORM };

struct sent_notif {
    enum via via;
    unsigned kind;  /* the last arc of snmpTrapOID.0 */
    unsigned index; /* the link's or flow's index: the last arc of the third varbind */
    u_char seq_type;
    long seq32;   /* smsaNotificationSequence as sent */
    uint64_t seq; /* the queue's own number (AgentX and informs) */
};

#define MAX_SENT 256
static struct sent_notif out[MAX_SENT];
static size_t n_out;

static void record(enum via via, const netsnmp_variable_list *vars, uint64_t seq)
{
    oid seq_oid[MAX_OID_LEN];
    size_t seq_len = scalar_oid(seq_oid, SMSA_OBJ_NOTIFY, NOTIFY_SEQUENCE);
    assert_true(n_out < MAX_SENT);
    struct sent_notif *s = &out[n_out++];
    *s = (struct sent_notif){.via = via, .seq = seq};
    const netsnmp_variable_list *vb = vars;
    assert_non_null(vb); /* sysUpTime.0 */
    vb = vb->next_variable;
    assert_non_null(vb); /* snmpTrapOID.0 */
    assert_int_equal(
        snmp_oid_compare(vb->name, vb->name_length, trap_oid_oid, OID_LENGTH(trap_oid_oid)), 0);
    s->kind = (unsigned)vb->val.objid[vb->val_len / sizeof(oid) - 1];
    vb = vb->next_variable;
    assert_non_null(vb);
    s->index = (unsigned)vb->name[vb->name_length - 1];
    bool found = false;
    for (; vb; vb = vb->next_variable)
        if (snmp_oid_compare(vb->name, vb->name_length, seq_oid, seq_len) == 0) {
            s->seq_type = vb->type;
            s->seq32 = *vb->val.integer;
            found = true;
        }
    assert_true(found);
}

/* ---- subagent mode: the AgentX Notify ---- */

static bool ax_up; /* a session would take the Notify */

int snmpf_agentx_notify(netsnmp_variable_list *vars, uint64_t seq)
{
    if (ax_up)
        record(VIA_AGENTX, vars, seq);
    snmp_free_varbind(vars); /* taken over, as the real one does */
    return ax_up ? 0 : -1;
}

void snmpf_resync(void)
{
}
void snmpf_sessions_changed(void)
{
}

/* ---- master mode: net-snmp's trap sinks and inform sessions ---- */

static unsigned trap_sinks_made;

void send_v2trap(netsnmp_variable_list *vars)
{
    record(VIA_TRAP, vars, 0);
}
void snmpd_free_trapsinks(void)
{
    trap_sinks_made = 0;
}
void snmpd_parse_config_trap2sink(const char *token, char *line)
{
    (void)token;
    (void)line;
    trap_sinks_made++;
}

static netsnmp_transport fake_transport;
static netsnmp_session fake_session;
static unsigned sessions_open;

netsnmp_transport *netsnmp_transport_open_client(const char *application, const char *str)
{
    (void)application;
    (void)str;
    return &fake_transport;
}
netsnmp_session *snmp_add(netsnmp_session *in, netsnmp_transport *t,
                          int (*fpre_parse)(netsnmp_session *, netsnmp_transport *, void *, int),
                          int (*fpost_parse)(netsnmp_session *, netsnmp_pdu *, int))
{
    (void)in;
    (void)t;
    (void)fpre_parse;
    (void)fpost_parse;
    sessions_open++;
    return &fake_session;
}
int snmp_close(netsnmp_session *s)
{
    assert_ptr_equal(s, &fake_session);
    sessions_open--;
    return 1;
}

/* The inform in flight: its callback, to answer it or let it time out. */
static struct {
    snmp_callback cb;
    void *magic;
    uint64_t seq;
    bool pending;
} inform;

int snmp_async_send(netsnmp_session *s, netsnmp_pdu *pdu, snmp_callback cb, void *magic)
{
    assert_ptr_equal(s, &fake_session);
    assert_int_equal(pdu->command, SNMP_MSG_INFORM);
    assert_false(inform.pending); /* one at a time per sink */
    record(VIA_INFORM, pdu->variables, 0);
    inform.cb = cb;
    inform.magic = magic;
    inform.pending = true;
    snmp_free_pdu(pdu); /* net-snmp owns it from here */
    return 1;
}

static void inform_answer(bool acked)
{
    assert_true(inform.pending);
    inform.pending = false;
    inform.cb(acked ? NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE : NETSNMP_CALLBACK_OP_TIMED_OUT,
              &fake_session, 1, NULL, inform.magic);
}

/* Literal sink addresses only: no lookup may start. */
struct resolver_req *resolver_lookup(const char *host, unsigned short port, resolver_cb cb,
                                     void *arg)
{
    (void)host;
    (void)port;
    (void)cb;
    (void)arg;
    fail_msg("a literal sink address was looked up");
    return NULL;
}
void resolver_cancel(struct resolver_req *req)
{
    (void)req;
}
const char *resolver_status_text(int status)
{
    return status ? "failed" : "ok";
}

/* ---- the core: its configuration, its subscriber, its log ---- */

static struct cfg *running;
static core_event_cb subscriber;
static uint64_t event_seq;

const struct cfg *core_config(void)
{
    return running;
}
const struct smsa_model *core_model(void)
{
    return NULL; /* no model: a link notification keeps the event's address */
}
const struct smsa_addr *core_link_address(const struct smsa_link *l)
{
    (void)l;
    return NULL;
}
int core_subscribe(core_event_cb cb, void *arg)
{
    (void)arg;
    subscriber = cb;
    return 0;
}
void core_unsubscribe(core_event_cb cb, void *arg)
{
    (void)arg;
    assert_true(subscriber == cb);
    subscriber = NULL;
}

static char log_lines[64][256];
static size_t n_log;

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level == LOG_LVL_DEBUG || n_log >= 64)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(log_lines[n_log++], sizeof(log_lines[0]), fmt, ap);
    va_end(ap);
}

static size_t log_count(const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < n_log; i++)
        if (strstr(log_lines[i], needle))
            n++;
    return n;
}

static void emit(enum smsa_event_kind kind, unsigned index, enum smsa_state from,
                 enum smsa_state to)
{
    struct smsa_event ev = {.kind = kind, .seq = ++event_seq, .old_state = from, .new_state = to};
    ev.at.mono_us = loop_now_us();
    ev.at.wall_us = loop_wall_us();
    if (kind == EV_LINK) {
        ev.link_index = index;
        snprintf(ev.name, sizeof(ev.name), "link-%u", index);
        snprintf(ev.host, sizeof(ev.host), "192.0.2.%u", index);
        snprintf(ev.address, sizeof(ev.address), "192.0.2.%u", index);
    } else {
        ev.flow_id = index;
    }
    assert_non_null(subscriber);
    subscriber(&ev, NULL);
}

static void link_down(unsigned index)
{
    emit(EV_LINK, index, ST_UP, ST_DOWN);
}
static void flow_change(unsigned index)
{
    emit(EV_FLOW, index, ST_UP, ST_DEGRADED);
}

/* ---- set-up ---- */

static void start(const char *snmp_json, bool master)
{
    char text[1024];
    snprintf(text, sizeof(text), "{\"snmp\": %s, \"updates\": []}", snmp_json);
    struct cfg_error err;
    running = cfg_parse(text, strlen(text), &err);
    assert_non_null(running);
    memset(out, 0, sizeof(out));
    n_out = 0;
    n_log = 0;
    event_seq = 0;
    ax_up = false;
    memset(&inform, 0, sizeof(inform));
    assert_int_equal(loop_init(), 0);
    loop_clock_set(T0, 1700000000 * SEC);
    assert_int_equal(snmpf_notify_init(running, master, master ? NULL : snmpf_agentx_notify), 0);
    if (master)
        assert_int_equal(snmpf_notify_sinks(running), 0);
}

static int teardown(void **state)
{
    (void)state;
    snmpf_notify_fini();
    assert_int_equal(sessions_open, 0);
    loop_fini();
    cfg_free(running);
    running = NULL;
    return 0;
}

static struct snmpf_notify_stats stats(void)
{
    struct snmpf_notify_stats s;
    snmpf_notify_get_stats(&s);
    return s;
}

/* AgentX comes up: what is queued goes on the next loop turn, not from inside the callback. */
static void agentx_up(void)
{
    ax_up = true;
    snmpf_notify_connected(true);
}

/* ---- the rate limit ---- */

static void test_rate_limit_suppresses_a_burst_and_refills(void **state)
{
    (void)state;
    /* 6 per minute: a burst of 6, then one token every 10 s */
    start("{\"mode\": \"master\", \"notify_rate_limit\": 6, \"trap_sinks\": [\"192.0.2.9\"]}",
          true);
    assert_int_equal(trap_sinks_made, 1);
    for (unsigned i = 1; i <= 10; i++)
        flow_change(i);
    assert_int_equal(n_out, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(out[i].via, VIA_TRAP);
        assert_int_equal(out[i].kind, NOTIF_FLOW_STATUS_CHANGE);
        assert_int_equal(out[i].index, i + 1); /* the first six, in order */
    }
    assert_int_equal(stats().suppressed, 4);
    assert_int_equal(stats().sent, 6);
    /* the losses are logged once, with their count, at the end of the turn */
    assert_int_equal(log_count("suppressed"), 0);
    loop_clock_advance(0);
    assert_int_equal(log_count("4 notifications suppressed by the rate limit (6 per minute)"), 1);

    /* 9.9 s later there is no whole token yet, at 10 s there is one */
    loop_clock_advance(9900000);
    flow_change(11);
    assert_int_equal(n_out, 6);
    loop_clock_advance(100000);
    flow_change(12);
    flow_change(13);
    assert_int_equal(n_out, 7);
    assert_int_equal(out[6].index, 12);
    assert_int_equal(stats().suppressed, 6);

    /* a quiet hour refills the bucket to its burst, no further */
    loop_clock_advance(3600 * SEC);
    for (unsigned i = 1; i <= 8; i++)
        flow_change(i);
    assert_int_equal(n_out, 13);
    assert_int_equal(stats().suppressed, 8);
}

static void test_link_notifications_are_never_limited(void **state)
{
    (void)state;
    start("{\"mode\": \"master\", \"notify_rate_limit\": 1, \"trap_sinks\": [\"192.0.2.9\"]}",
          true);
    for (unsigned i = 1; i <= 50; i++)
        link_down(i);
    emit(EV_LINK, 7, ST_DOWN, ST_UP);
    assert_int_equal(n_out, 51);
    for (size_t i = 0; i < 50; i++) {
        assert_int_equal(out[i].kind, NOTIF_LINK_DOWN);
        assert_int_equal(out[i].index, i + 1);
    }
    assert_int_equal(out[50].kind, NOTIF_LINK_UP);
    assert_int_equal(stats().suppressed, 0);
    /* nor did they spend the flows' token: one flow goes, the next is limited */
    flow_change(1);
    flow_change(2);
    assert_int_equal(n_out, 52);
    assert_int_equal(out[51].kind, NOTIF_FLOW_STATUS_CHANGE);
    assert_int_equal(stats().suppressed, 1);
}

/* ---- the bounded queue ---- */

static void test_full_queue_drops_flows_first_links_last(void **state)
{
    (void)state;
    /* subagent mode with the master away: everything queues; room for 4 */
    start("{\"mode\": \"subagent\", \"notify_rate_limit\": 0, \"notify_queue\": 4}", false);
    link_down(1);   /* seq 1 */
    flow_change(1); /* seq 2 */
    link_down(2);   /* seq 3 */
    flow_change(2); /* seq 4: full */
    flow_change(3); /* seq 5: the oldest flow (2) goes */
    link_down(3);   /* seq 6: flow 4 goes */
    link_down(4);   /* seq 7: flow 5 goes; only links left */
    flow_change(4); /* seq 8: nothing but links: the newcomer itself goes */
    link_down(5);   /* seq 9: the oldest link (1) goes */
    assert_int_equal(n_out, 0);
    assert_int_equal(stats().queued, 4);
    assert_int_equal(stats().dropped, 5);
    assert_int_equal(stats().suppressed, 0);
    loop_clock_advance(0);
    assert_int_equal(log_count("5 dropped from the full queue (4)"), 1);

    agentx_up();
    assert_int_equal(n_out, 0);
    loop_clock_advance(0);
    static const unsigned want_seq[] = {3, 6, 7, 9}, want_link[] = {2, 3, 4, 5};
    assert_int_equal(n_out, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(out[i].kind, NOTIF_LINK_DOWN);
        assert_int_equal(out[i].index, want_link[i]);
        assert_int_equal(out[i].seq32, want_seq[i]); /* the gaps show the NMS what was lost */
    }

    /* more losses within the minute: one more line, a minute after the first */
    ax_up = false;
    snmpf_notify_connected(false);
    for (unsigned i = 10; i < 13; i++)
        flow_change(i);
    assert_int_equal(stats().dropped, 8);
    loop_clock_advance(59 * SEC);
    assert_int_equal(log_count("dropped from the full queue"), 1);
    loop_clock_advance(1 * SEC);
    assert_int_equal(log_count("3 dropped from the full queue (4)"), 1);
}

/* ---- subagent mode: the master away, acknowledgements ---- */

static void test_master_away_queues_then_delivers_in_order(void **state)
{
    (void)state;
    start("{\"mode\": \"subagent\", \"notify_rate_limit\": 0}", false);
    flow_change(3);
    link_down(1);
    flow_change(4);
    emit(EV_LINK, 1, ST_DOWN, ST_UP);
    assert_int_equal(n_out, 0);
    assert_int_equal(stats().queued, 4);
    loop_clock_advance(3600 * SEC); /* an hour away loses nothing */

    agentx_up();
    assert_int_equal(n_out, 0); /* not from inside the session's callback */
    loop_clock_advance(0);
    static const unsigned want_kind[] = {NOTIF_FLOW_STATUS_CHANGE, NOTIF_LINK_DOWN,
                                         NOTIF_FLOW_STATUS_CHANGE, NOTIF_LINK_UP};
    static const unsigned want_index[] = {3, 1, 4, 1};
    assert_int_equal(n_out, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(out[i].via, VIA_AGENTX);
        assert_int_equal(out[i].kind, want_kind[i]);
        assert_int_equal(out[i].index, want_index[i]);
        assert_int_equal(out[i].seq, i + 1);
    }
    /* kept until the master's Response: one acknowledges all before it */
    assert_int_equal(stats().queued, 4);
    snmpf_notify_answered(3, SNMPF_ANSWER_ACK);
    assert_int_equal(stats().queued, 1);
    snmpf_notify_answered(4, SNMPF_ANSWER_ACK);
    assert_int_equal(stats().queued, 0);
    assert_int_equal(stats().sent, 4);
}

static void test_unacknowledged_go_again_after_reconnect(void **state)
{
    (void)state;
    start("{\"mode\": \"subagent\", \"notify_rate_limit\": 0}", false);
    agentx_up();
    flow_change(1);
    flow_change(2);
    flow_change(3);
    assert_int_equal(n_out, 3);
    snmpf_notify_answered(1, SNMPF_ANSWER_ACK);

    /* the session is lost before the other two are answered */
    ax_up = false;
    snmpf_notify_connected(false);
    snmpf_notify_answered(2, SNMPF_ANSWER_NONE); /* net-snmp times out what was pending */
    flow_change(4);
    assert_int_equal(n_out, 3);
    assert_int_equal(stats().queued, 3);

    agentx_up();
    loop_clock_advance(0);
    assert_int_equal(n_out, 6);
    assert_int_equal(out[3].seq, 2); /* again, in order, then the new one */
    assert_int_equal(out[4].seq, 3);
    assert_int_equal(out[5].seq, 4);
    assert_int_equal(stats().sent, 4); /* a notification sent again is not counted again */

    /* refused by the master: released, never sent again */
    snmpf_notify_answered(2, SNMPF_ANSWER_REFUSED);
    assert_int_equal(log_count("refused notification 2"), 1);
    snmpf_notify_answered(4, SNMPF_ANSWER_ACK);
    assert_int_equal(stats().queued, 0);
    loop_clock_advance(10 * SEC);
    assert_int_equal(n_out, 6);
}

static void test_agentx_window_waits_for_answers(void **state)
{
    (void)state;
    start("{\"mode\": \"subagent\", \"notify_rate_limit\": 0}", false);
    for (unsigned i = 1; i <= 40; i++)
        flow_change(i);
    agentx_up();
    loop_clock_advance(0);
    assert_int_equal(n_out, AX_WINDOW);
    snmpf_notify_answered(10, SNMPF_ANSWER_ACK);
    loop_clock_advance(0);
    assert_int_equal(n_out, 40);
    for (size_t i = 0; i < 40; i++)
        assert_int_equal(out[i].seq, i + 1);
}

/* ---- master mode: an inform sink ---- */

static void test_inform_acknowledged_released_unanswered_backs_off(void **state)
{
    (void)state;
    start("{\"mode\": \"master\", \"notify_rate_limit\": 0, \"trap_sinks\": "
          "[{\"address\": \"192.0.2.50:1162\", \"inform\": true}]}",
          true);
    flow_change(1);
    flow_change(2);
    /* each goes as a v2c trap at once (to no trap sink), and the first as an inform */
    assert_int_equal(n_out, 3);
    assert_int_equal(out[0].via, VIA_TRAP);
    assert_int_equal(out[1].via, VIA_INFORM);
    assert_int_equal(out[1].seq32, 1);
    assert_int_equal(out[2].via, VIA_TRAP);
    assert_int_equal(stats().queued, 2);

    /* unanswered: again after 1 s, 2 s, 4 s ... at most 30 s */
    static const int64_t backoff_s[] = {1, 2, 4, 8, 16, 30, 30};
    for (size_t i = 0; i < sizeof(backoff_s) / sizeof(backoff_s[0]); i++) {
        size_t before = n_out;
        inform_answer(false);
        loop_clock_advance(backoff_s[i] * SEC - 1);
        assert_int_equal(n_out, before);
        loop_clock_advance(1);
        assert_int_equal(n_out, before + 1);
        assert_int_equal(out[n_out - 1].via, VIA_INFORM);
        assert_int_equal(out[n_out - 1].seq32, 1); /* the same one, until acknowledged */
    }
    assert_int_equal(stats().queued, 2);

    /* acknowledged: released, and the next goes on the next turn, the back-off reset */
    inform_answer(true);
    assert_int_equal(stats().queued, 1);
    loop_clock_advance(0);
    assert_int_equal(out[n_out - 1].via, VIA_INFORM);
    assert_int_equal(out[n_out - 1].seq32, 2);
    size_t before = n_out;
    inform_answer(false);
    loop_clock_advance(1 * SEC);
    assert_int_equal(n_out, before + 1);
    inform_answer(true);
    assert_int_equal(stats().queued, 0);
    loop_clock_advance(60 * SEC);
    assert_int_equal(n_out, before + 1);
    assert_false(inform.pending);
}

/* ---- smsaNotificationSequence ---- */

static void test_sequence_wraps_as_unsigned32(void **state)
{
    (void)state;
    start("{\"mode\": \"subagent\", \"notify_rate_limit\": 0}", false);
    agentx_up();
    nt.next_seq = UINT32_MAX - 1; /* four billion notifications later */
    flow_change(1);
    flow_change(2);
    flow_change(3);
    assert_int_equal(n_out, 3);
    assert_int_equal(out[0].seq_type, ASN_UNSIGNED);
    assert_int_equal(out[0].seq32, UINT32_MAX);
    assert_int_equal(out[1].seq32, 0);
    assert_int_equal(out[2].seq32, 1);
    /* the queue counts on in 64 bits: its order and acknowledgements do not wrap */
    assert_int_equal(out[1].seq, (uint64_t)UINT32_MAX + 1);
    snmpf_notify_answered((uint64_t)UINT32_MAX + 1, SNMPF_ANSWER_ACK);
    assert_int_equal(stats().queued, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_rate_limit_suppresses_a_burst_and_refills, teardown),
        cmocka_unit_test_teardown(test_link_notifications_are_never_limited, teardown),
        cmocka_unit_test_teardown(test_full_queue_drops_flows_first_links_last, teardown),
        cmocka_unit_test_teardown(test_master_away_queues_then_delivers_in_order, teardown),
        cmocka_unit_test_teardown(test_unacknowledged_go_again_after_reconnect, teardown),
        cmocka_unit_test_teardown(test_agentx_window_waits_for_answers, teardown),
        cmocka_unit_test_teardown(test_inform_acknowledged_released_unanswered_backs_off, teardown),
        cmocka_unit_test_teardown(test_sequence_wraps_as_unsigned32, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
