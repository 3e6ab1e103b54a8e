/* The SNMP tables against a model built by hand (no core, no agent, no snmpd): which row a
 * GET finds, where a GETNEXT lands across rows, columns and tables, and what a few columns
 * answer. The handler's two layers are called directly, as net-snmp would call them. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"
#include "snmp_internal.h"

/* smsaObjects, then the rest of an OID relative to it */
#define OBJ SMSA_ROOT_OID, 1
#define OID(...)                                                                                   \
    ((const oid[]){OBJ, __VA_ARGS__}), (sizeof((const oid[]){OBJ, __VA_ARGS__}) / sizeof(oid))

#define FLOW_ENTRY SMSA_OBJ_FLOW_TABLE, 1
#define PEER_ENTRY SMSA_OBJ_PEER_TABLE, 1
#define ADDR_ENTRY SMSA_OBJ_ADDR_TABLE, 1
#define LINK_ENTRY SMSA_OBJ_LINK_TABLE, 1
#define NTP_ENTRY SMSA_OBJ_NTP, NTP_SERVER_TABLE, 1
#define UPD_ENTRY SMSA_OBJ_UPDATE_TABLE, 1

static struct smsa_model model;
static struct smsa_flow flow_rows[CAT_NFLOWS]; /* the model's flows: the vendor's 20 */
static struct cfg *cfg;
static struct smsa_peer peer1, peer3, listen22;
static struct smsa_peer *link_peers[2] = {&peer1, &peer3};
static struct smsa_peer *ssh_peers[1] = {&listen22};
static struct smsa_addr addrs1[2], addrs3[1];
static struct smsa_link links[2];
static netsnmp_variable_list *vb;

static void addr(struct smsa_addr *a, const char *text, enum smsa_state st)
{
    memset(a, 0, sizeof(*a));
    snprintf(a->text, sizeof(a->text), "%s", text);
    if (strchr(text, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->sa;
        s6->sin6_family = AF_INET6;
        inet_pton(AF_INET6, text, &s6->sin6_addr);
        a->family = AF_INET6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&a->sa;
        s4->sin_family = AF_INET;
        inet_pton(AF_INET, text, &s4->sin_addr);
        a->family = AF_INET;
    }
    a->state = st;
    a->cause = st == ST_DOWN ? CAUSE_REFUSED : CAUSE_NONE;
    a->rtt_us = st == ST_UP ? 420 : -1;
    a->checks = 9;
}

static void peer(struct smsa_peer *p, unsigned flow, unsigned index, const char *host,
                 const char *label)
{
    memset(p, 0, sizeof(*p));
    p->flow_id = flow;
    p->index = index;
    p->host = (char *)host;
    p->port = cat_flow(flow)->port;
    p->label = label;
    p->enabled = true;
    p->rtt_us = -1;
}

/* A Control Center with two scanners: flow 11 has peers 1 and 3 (index 2 was removed), the
 * first with an IPv6 and an IPv4 address, the second down; flow 1 has its listen check.
 * Every other flow, NTP servers and update sources are empty. */
static int setup(void **state)
{
    (void)state;
    memset(&model, 0, sizeof(model));
    memset(flow_rows, 0, sizeof(flow_rows));
    model.flows = flow_rows;
    model.n_flows = CAT_NFLOWS;
    cfg = cfg_defaults();
    cfg->role = ROLE_CONTROL_CENTER;
    model.cfg = cfg;
    model.overall = ST_DEGRADED;
    for (unsigned id = 1; id <= CAT_NFLOWS; id++) {
        struct smsa_flow *f = &model.flows[id - 1];
        f->def = cat_flow(id);
        f->direction = cat_direction(id, ROLE_CONTROL_CENTER);
        f->state = f->direction == DIR_NOT_APPLICABLE ? ST_NOT_APPLICABLE : ST_UNCONFIGURED;
    }
    peer(&listen22, CAT_FLOW_SSH, 1, "local", NULL);
    listen22.kind = PROBE_LISTEN;
    listen22.state = ST_UP;
    model.flows[CAT_FLOW_SSH - 1].peers = ssh_peers;
    model.flows[CAT_FLOW_SSH - 1].n_peers = 1;
    model.flows[CAT_FLOW_SSH - 1].state = ST_UP;

    peer(&peer1, CAT_FLOW_LINK_CC, 1, "scanner1.example.net", "scanner1");
    addr(&addrs1[0], "192.0.2.10", ST_UP); /* the core keeps IPv4 first */
    addr(&addrs1[1], "2001:db8::10", ST_DOWN);
    peer1.addrs = addrs1;
    peer1.n_addrs = 2;
    peer1.state = ST_DEGRADED;
    peer1.link_index = 1;
    peer(&peer3, CAT_FLOW_LINK_CC, 3, "192.0.2.30", "scanner3");
    addr(&addrs3[0], "192.0.2.30", ST_DOWN);
    peer3.addrs = addrs3;
    peer3.n_addrs = 1;
    peer3.state = ST_DOWN;
    peer3.cause = CAUSE_TIMEOUT;
    snprintf(peer3.detail, sizeof(peer3.detail), "no answer in 2000 ms");
    peer3.link_index = 2;
    model.flows[CAT_FLOW_LINK_CC - 1].peers = link_peers;
    model.flows[CAT_FLOW_LINK_CC - 1].n_peers = 2;
    model.flows[CAT_FLOW_LINK_CC - 1].state = ST_DEGRADED;

    links[0] = (struct smsa_link){.index = 1, .name = "scanner1", .peer = &peer1, .state = ST_UP};
    links[1] = (struct smsa_link){.index = 2,
                                  .name = "scanner3",
                                  .peer = &peer3,
                                  .state = ST_DOWN,
                                  .cause = CAUSE_TIMEOUT,
                                  .down_count = 4};
    model.links = links;
    model.n_links = 2;
    vb = calloc(1, sizeof(*vb));
    return vb ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    snmp_free_var(vb);
    cfg_free(cfg);
    return 0;
}

static void ask(const oid *name, size_t len)
{
    snmp_free_var_internals(vb);
    memset(vb, 0, sizeof(*vb));
    assert_int_equal(snmp_set_var_objid(vb, name, len), 0);
}

static int get(const oid *name, size_t len)
{
    ask(name, len);
    return snmpf_tables_get(&model, vb);
}

/* GETNEXT of name; true and vb holds the answer, or false: nothing after it here. */
static bool next(const oid *name, size_t len)
{
    ask(name, len);
    return snmpf_tables_get_next(&model, vb);
}

static void assert_name(const oid *name, size_t len)
{
    if (snmp_oid_compare(vb->name, vb->name_length, name, len) != 0) {
        char got[256], want[256];
        snprint_objid(got, sizeof(got), vb->name, vb->name_length);
        snprint_objid(want, sizeof(want), name, len);
        fail_msg("answered %s, expected %s", got, want);
    }
}

static void assert_int_value(u_char type, long v)
{
    assert_int_equal(vb->type, type);
    assert_int_equal(*vb->val.integer, v);
}

static void assert_string_value(const char *s)
{
    assert_int_equal(vb->type, ASN_OCTET_STR);
    assert_int_equal(vb->val_len, strlen(s));
    assert_memory_equal(vb->val.string, s, strlen(s));
}

static void test_get_finds_the_row_and_the_value(void **state)
{
    (void)state;
    assert_int_equal(get(OID(FLOW_ENTRY, COL_FLOW_PORT, CAT_FLOW_NTP)), SNMP_ERR_NOERROR);
    assert_int_value(ASN_UNSIGNED, 123);
    assert_int_equal(get(OID(FLOW_ENTRY, COL_FLOW_PROTOCOL, CAT_FLOW_NTP)), SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, 2); /* udp(2) */
    assert_int_equal(get(OID(FLOW_ENTRY, COL_FLOW_DIRECTION, CAT_FLOW_LINK_CC)), SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, 2); /* outbound(2) */
    assert_int_equal(get(OID(FLOW_ENTRY, COL_FLOW_STATUS, CAT_FLOW_MAIL_FROM_INTERNET)),
                     SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, 7); /* notApplicable(7) on a Control Center */
    assert_int_equal(get(OID(SMSA_OBJ_APPLIANCE, SMSA_OVERALL_STATUS, 0)), SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, 3); /* degraded(3) */
    assert_int_equal(get(OID(SMSA_OBJ_APPLIANCE, SMSA_APPLIANCE_ROLE, 0)), SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, 1); /* controlCenter(1) */

    assert_int_equal(get(OID(PEER_ENTRY, COL_PEER_HOST, CAT_FLOW_LINK_CC, 3)), SNMP_ERR_NOERROR);
    assert_string_value("192.0.2.30");
    assert_int_equal(get(OID(PEER_ENTRY, COL_PEER_CAUSE, CAT_FLOW_LINK_CC, 3)), SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, 2); /* timeout(2) */
    assert_int_equal(get(OID(PEER_ENTRY, COL_PEER_DETAIL, CAT_FLOW_LINK_CC, 3)), SNMP_ERR_NOERROR);
    assert_string_value("no answer in 2000 ms");
    assert_int_equal(get(OID(PEER_ENTRY, COL_PEER_RTT, CAT_FLOW_LINK_CC, 3)), SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, -1); /* never answered */

    assert_int_equal(get(OID(LINK_ENTRY, COL_LINK_DOWN_COUNT, 2)), SNMP_ERR_NOERROR);
    assert_int_equal(vb->type, ASN_COUNTER64);
    assert_int_equal(vb->val.counter64->low, 4);
    assert_int_equal(get(OID(LINK_ENTRY, COL_LINK_FLOW_INDEX, 2)), SNMP_ERR_NOERROR);
    assert_int_value(ASN_UNSIGNED, CAT_FLOW_LINK_CC);
    assert_int_equal(get(OID(LINK_ENTRY, COL_LINK_PEER_INDEX, 2)), SNMP_ERR_NOERROR);
    assert_int_value(ASN_UNSIGNED, 3);

    /* the address table's index: flow, peer, InetAddressType, length, octets */
    assert_int_equal(get(OID(ADDR_ENTRY, COL_ADDR_STATUS, CAT_FLOW_LINK_CC, 1, INET_TYPE_IPV4, 4,
                             192, 0, 2, 10)),
                     SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, 2); /* up(2) */
    assert_int_equal(get(OID(ADDR_ENTRY, COL_ADDR_CAUSE, CAT_FLOW_LINK_CC, 1, INET_TYPE_IPV6, 16,
                             0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10)),
                     SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, 3); /* refused(3) */
}

static void test_get_of_what_is_not_there(void **state)
{
    (void)state;
    /* a row that does not exist: index 2 was removed, flow 21 never existed */
    assert_int_equal(get(OID(PEER_ENTRY, COL_PEER_HOST, CAT_FLOW_LINK_CC, 2)), SNMP_NOSUCHINSTANCE);
    assert_int_equal(get(OID(FLOW_ENTRY, COL_FLOW_PORT, CAT_NFLOWS + 1)), SNMP_NOSUCHINSTANCE);
    /* a column without an index, or with one too many */
    assert_int_equal(get(OID(FLOW_ENTRY, COL_FLOW_PORT)), SNMP_NOSUCHINSTANCE);
    assert_int_equal(get(OID(FLOW_ENTRY, COL_FLOW_PORT, 1, 0)), SNMP_NOSUCHINSTANCE);
    /* the index column is not-accessible; the column after the last does not exist */
    assert_int_equal(get(OID(FLOW_ENTRY, COL_FLOW_INDEX, 1)), SNMP_NOSUCHOBJECT);
    assert_int_equal(get(OID(FLOW_ENTRY, COL_FLOW_MEASURED_FROM + 1, 1)), SNMP_NOSUCHOBJECT);
    /* a scalar is only .0; accessible-for-notify objects are never read */
    assert_int_equal(get(OID(SMSA_OBJ_APPLIANCE, SMSA_APPLIANCE_NAME, 1)), SNMP_NOSUCHINSTANCE);
    assert_int_equal(get(OID(SMSA_OBJ_NOTIFY, NOTIFY_SEQUENCE, 0)), SNMP_NOSUCHOBJECT);
    /* empty tables */
    assert_int_equal(get(OID(NTP_ENTRY, COL_NTP_HOST, 1)), SNMP_NOSUCHINSTANCE);
    assert_int_equal(get(OID(UPD_ENTRY, COL_UPD_HOST, 1)), SNMP_NOSUCHINSTANCE);
}

static void test_getnext_walks_rows_then_columns(void **state)
{
    (void)state;
    /* from before smsaObjects: the first scalar */
    assert_true(next((const oid[]){SMSA_ROOT_OID}, SMSA_ROOT_LEN));
    assert_name(OID(SMSA_OBJ_APPLIANCE, SMSA_APPLIANCE_NAME, 0));

    /* a table's entry: its first column's first row */
    assert_true(next(OID(FLOW_ENTRY)));
    assert_name(OID(FLOW_ENTRY, COL_FLOW_PORT, 1));
    /* the last row of a column: the next column's first row */
    assert_true(next(OID(FLOW_ENTRY, COL_FLOW_PORT, CAT_NFLOWS)));
    assert_name(OID(FLOW_ENTRY, COL_FLOW_PROTOCOL, 1));
    /* an index past every row, as large as a subid gets */
    assert_true(next(OID(FLOW_ENTRY, COL_FLOW_PORT, 0xffffffffu)));
    assert_name(OID(FLOW_ENTRY, COL_FLOW_PROTOCOL, 1));

    /* peers: flows without peers are skipped, removed indexes too */
    assert_true(next(OID(PEER_ENTRY, COL_PEER_HOST, CAT_FLOW_SSH, 1)));
    assert_name(OID(PEER_ENTRY, COL_PEER_HOST, CAT_FLOW_LINK_CC, 1));
    assert_string_value("scanner1.example.net");
    assert_true(next(OID(PEER_ENTRY, COL_PEER_HOST, CAT_FLOW_LINK_CC, 1)));
    assert_name(OID(PEER_ENTRY, COL_PEER_HOST, CAT_FLOW_LINK_CC, 3));
    /* a partial index sorts before the rows it prefixes */
    assert_true(next(OID(PEER_ENTRY, COL_PEER_HOST, CAT_FLOW_LINK_CC)));
    assert_name(OID(PEER_ENTRY, COL_PEER_HOST, CAT_FLOW_LINK_CC, 1));
    assert_true(next(OID(PEER_ENTRY, COL_PEER_HOST, CAT_FLOW_LINK_CC, 2)));
    assert_name(OID(PEER_ENTRY, COL_PEER_HOST, CAT_FLOW_LINK_CC, 3));
    /* the last row: the next column starts again at the first */
    assert_true(next(OID(PEER_ENTRY, COL_PEER_HOST, CAT_FLOW_LINK_CC, 3)));
    assert_name(OID(PEER_ENTRY, COL_PEER_PORT, CAT_FLOW_SSH, 1));
    assert_int_value(ASN_UNSIGNED, 22);
}

static void test_getnext_crosses_tables(void **state)
{
    (void)state;
    /* the last cell of the peer table: the address table's first */
    assert_true(next(OID(PEER_ENTRY, COL_PEER_TLS_SUBJECT, CAT_FLOW_LINK_CC, 3)));
    assert_name(
        OID(ADDR_ENTRY, COL_ADDR_STATUS, CAT_FLOW_LINK_CC, 1, INET_TYPE_IPV4, 4, 192, 0, 2, 10));
    /* an IPv4 address sorts before an IPv6 one of the same peer, then the next peer's */
    assert_true(next(
        OID(ADDR_ENTRY, COL_ADDR_STATUS, CAT_FLOW_LINK_CC, 1, INET_TYPE_IPV4, 4, 192, 0, 2, 10)));
    assert_name(OID(ADDR_ENTRY, COL_ADDR_STATUS, CAT_FLOW_LINK_CC, 1, INET_TYPE_IPV6, 16, 0x20,
                    0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10));
    assert_int_value(ASN_INTEGER, 4); /* down(4) */
    assert_true(next(OID(ADDR_ENTRY, COL_ADDR_STATUS, CAT_FLOW_LINK_CC, 1, INET_TYPE_IPV6)));
    assert_name(OID(ADDR_ENTRY, COL_ADDR_STATUS, CAT_FLOW_LINK_CC, 1, INET_TYPE_IPV6, 16, 0x20,
                    0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10));
    assert_true(next(OID(ADDR_ENTRY, COL_ADDR_STATUS, CAT_FLOW_LINK_CC, 1, INET_TYPE_IPV6, 16, 0x20,
                         0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10)));
    assert_name(
        OID(ADDR_ENTRY, COL_ADDR_STATUS, CAT_FLOW_LINK_CC, 3, INET_TYPE_IPV4, 4, 192, 0, 2, 30));

    /* the last link's last column: the NTP scalar, then the clock's (the NTP table is empty),
     * then nothing (no update sources) */
    assert_true(next(OID(LINK_ENTRY, COL_LINK_DETAIL, 2)));
    assert_name(OID(SMSA_OBJ_NTP, NTP_ENABLED, 0));
    assert_int_value(ASN_INTEGER, 2); /* false(2): NTP is off by default */
    assert_true(next(OID(SMSA_OBJ_NTP, NTP_ENABLED, 0)));
    assert_name(OID(SMSA_OBJ_NTP, NTP_CLOCK_STATUS, 0));
    assert_true(next(OID(NTP_ENTRY)));
    assert_name(OID(SMSA_OBJ_NTP, NTP_CLOCK_STATUS, 0));
    assert_true(next(OID(SMSA_OBJ_NTP, NTP_CLOCK_STATUS, 0)));
    assert_name(OID(SMSA_OBJ_NTP, NTP_CLOCK_OFFSET, 0));
    assert_false(next(OID(SMSA_OBJ_NTP, NTP_CLOCK_OFFSET, 0)));
    assert_false(next(OID(UPD_ENTRY, COL_UPD_PURPOSE)));
    /* past smsaObjects: not ours to answer */
    assert_false(next((const oid[]){SMSA_ROOT_OID, 2}, SMSA_ROOT_LEN + 1));
}

static void test_an_ntp_server_fills_its_table(void **state)
{
    (void)state;
    static struct smsa_peer ntp;
    static struct smsa_peer *ntp_peers[1] = {&ntp};
    peer(&ntp, CAT_FLOW_NTP, 5, "ntp.example.net", NULL);
    ntp.kind = PROBE_NTP;
    ntp.state = ST_UP;
    ntp.ntp = (struct smsa_ntp_result){.valid = true, .stratum = 2, .offset_us = -1500};
    snprintf(ntp.ntp.refid, sizeof(ntp.ntp.refid), "GPS");
    model.flows[CAT_FLOW_NTP - 1].peers = ntp_peers;
    model.flows[CAT_FLOW_NTP - 1].n_peers = 1;

    assert_true(next(OID(SMSA_OBJ_NTP, NTP_ENABLED, 0)));
    assert_name(OID(NTP_ENTRY, COL_NTP_HOST, 5));
    assert_string_value("ntp.example.net");
    assert_true(next(OID(NTP_ENTRY, COL_NTP_OFFSET, 5)));
    assert_name(OID(NTP_ENTRY, COL_NTP_DELAY, 5));
    assert_int_equal(get(OID(NTP_ENTRY, COL_NTP_OFFSET, 5)), SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, -1500);
    assert_int_equal(get(OID(NTP_ENTRY, COL_NTP_REFID, 5)), SNMP_ERR_NOERROR);
    assert_string_value("GPS");
    /* the last cell of the table: the clock's scalars follow */
    assert_true(next(OID(NTP_ENTRY, COL_NTP_LAST_CHANGE, 5)));
    assert_name(OID(SMSA_OBJ_NTP, NTP_CLOCK_STATUS, 0));
}

static void test_the_clock_is_the_cores_verdict(void **state)
{
    (void)state;
    model.clock = (struct smsa_clock){
        .state = ST_DEGRADED, .cause = CAUSE_OFFSET, .has_offset = true, .offset_us = -5002400};
    assert_int_equal(get(OID(SMSA_OBJ_NTP, NTP_CLOCK_STATUS, 0)), SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, 3); /* degraded(3) */
    assert_int_equal(get(OID(SMSA_OBJ_NTP, NTP_CLOCK_OFFSET, 0)), SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, -5002); /* milliseconds */
    assert_int_equal(snmpf_mib_cause(CAUSE_OFFSET), 12);
    assert_int_equal(snmpf_mib_cause(CAUSE_PROHIBITED), 11);
    model.clock = (struct smsa_clock){.state = ST_DOWN};
    assert_int_equal(get(OID(SMSA_OBJ_NTP, NTP_CLOCK_OFFSET, 0)), SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, 0); /* no server answers: no offset */
    assert_int_equal(get(OID(SMSA_OBJ_NTP, 5, 0)), SNMP_NOSUCHOBJECT);
    model.clock = (struct smsa_clock){0};
}

/* Beside a Control Center with a fleet: the placement, where each flow is measured from, and
 * smsaApplianceTable with the appliances 1 (this Control Center, up) and 4 (scanner3, down);
 * index 2 went with a removed scanner. */
static void test_the_fleet_beside(void **state)
{
    (void)state;
    static struct smsa_peer cc_ssh;
    static struct smsa_addr cc_addrs[2];
    static struct smsa_peer *cc_checks[1] = {&cc_ssh};
    static struct smsa_peer *s3_checks[1] = {&peer3};
    static struct smsa_appliance fleet[2];
    cfg->placement = PLACEMENT_BESIDE;
    for (unsigned id = 1; id <= CAT_NFLOWS; id++)
        model.flows[id - 1].measured_from = MEASURED_FROM_VANTAGE;
    peer(&cc_ssh, CAT_FLOW_SSH, 1, "cc.example.net", "cc-test");
    addr(&cc_addrs[0], "192.0.2.20", ST_DOWN);
    addr(&cc_addrs[1], "192.0.2.21", ST_UP);
    cc_ssh.addrs = cc_addrs;
    cc_ssh.n_addrs = 2;
    cc_ssh.state = ST_DEGRADED;
    fleet[0] = (struct smsa_appliance){.index = 1,
                                       .name = "cc-test",
                                       .role = ROLE_CONTROL_CENTER,
                                       .self = true,
                                       .host = "cc.example.net",
                                       .checks = cc_checks,
                                       .n_checks = 1,
                                       .state = ST_UP,
                                       .n_up = 1};
    fleet[1] = (struct smsa_appliance){.index = 4,
                                       .name = "scanner3",
                                       .role = ROLE_SCANNER,
                                       .host = "192.0.2.30",
                                       .checks = s3_checks,
                                       .n_checks = 1,
                                       .state = ST_DOWN,
                                       .cause = CAUSE_TIMEOUT,
                                       .n_down = 1,
                                       .down_count = 2};
    snprintf(fleet[1].detail, sizeof(fleet[1].detail), "no answer in 2000 ms");
    model.appliances = fleet;
    model.n_appliances = 2;

    assert_int_equal(get(OID(SMSA_OBJ_APPLIANCE, SMSA_AGENT_PLACEMENT, 0)), SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, 2); /* beside(2) */
    assert_int_equal(get(OID(SMSA_OBJ_APPLIANCE, SMSA_AGENT_VANTAGE, 0)), SNMP_ERR_NOERROR);
    assert_string_value(core_vantage());
    assert_int_equal(get(OID(FLOW_ENTRY, COL_FLOW_MEASURED_FROM, CAT_FLOW_LINK_CC)),
                     SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, 2); /* vantage(2) */
    model.flows[CAT_FLOW_LINK_CC - 1].measured_from = MEASURED_FROM_APPLIANCE;
    assert_int_equal(get(OID(FLOW_ENTRY, COL_FLOW_MEASURED_FROM, CAT_FLOW_LINK_CC)),
                     SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, 1); /* appliance(1) */

#define APPL_ENTRY SMSA_OBJ_APPLIANCE_TABLE, 1
    assert_int_equal(get(OID(APPL_ENTRY, COL_APPL_LABEL, 4)), SNMP_ERR_NOERROR);
    assert_string_value("scanner3");
    assert_int_equal(get(OID(APPL_ENTRY, COL_APPL_ROLE, 4)), SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, 2); /* scanner(2) */
    assert_int_equal(get(OID(APPL_ENTRY, COL_APPL_SELF, 1)), SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, 1); /* true(1) */
    assert_int_equal(get(OID(APPL_ENTRY, COL_APPL_STATUS, 4)), SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, 4); /* down(4) */
    assert_int_equal(get(OID(APPL_ENTRY, COL_APPL_CAUSE, 4)), SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, 2); /* timeout(2) */
    assert_int_equal(get(OID(APPL_ENTRY, COL_APPL_DETAIL, 4)), SNMP_ERR_NOERROR);
    assert_string_value("no answer in 2000 ms");
    assert_int_equal(get(OID(APPL_ENTRY, COL_APPL_DOWN_COUNT, 4)), SNMP_ERR_NOERROR);
    assert_int_equal(vb->type, ASN_COUNTER64);
    assert_int_equal(vb->val.counter64->low, 2);
    assert_int_equal(get(OID(APPL_ENTRY, COL_APPL_CHECKS_DOWN, 4)), SNMP_ERR_NOERROR);
    assert_int_value(ASN_GAUGE, 1);
    /* the address every face reports: the first that answers, not the first */
    assert_int_equal(get(OID(APPL_ENTRY, COL_APPL_ADDR_TYPE, 1)), SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, INET_TYPE_IPV4);
    assert_int_equal(get(OID(APPL_ENTRY, COL_APPL_ADDR, 1)), SNMP_ERR_NOERROR);
    assert_int_equal(vb->type, ASN_OCTET_STR);
    assert_int_equal(vb->val_len, 4);
    assert_memory_equal(vb->val.string, ((const u_char[]){192, 0, 2, 21}), 4);
    /* none answers: the first */
    assert_int_equal(get(OID(APPL_ENTRY, COL_APPL_ADDR, 4)), SNMP_ERR_NOERROR);
    assert_memory_equal(vb->val.string, ((const u_char[]){192, 0, 2, 30}), 4);

    /* rows that are not there, the index column */
    assert_int_equal(get(OID(APPL_ENTRY, COL_APPL_LABEL, 2)), SNMP_NOSUCHINSTANCE);
    assert_int_equal(get(OID(APPL_ENTRY, COL_APPL_INDEX, 1)), SNMP_NOSUCHOBJECT);

    /* GETNEXT: after the (empty) update sources comes the fleet; removed indexes are skipped */
    assert_true(next(OID(UPD_ENTRY, COL_UPD_PURPOSE)));
    assert_name(OID(APPL_ENTRY, COL_APPL_LABEL, 1));
    assert_string_value("cc-test");
    assert_true(next(OID(APPL_ENTRY, COL_APPL_LABEL, 1)));
    assert_name(OID(APPL_ENTRY, COL_APPL_LABEL, 4));
    assert_true(next(OID(APPL_ENTRY, COL_APPL_LABEL, 2)));
    assert_name(OID(APPL_ENTRY, COL_APPL_LABEL, 4));
    assert_true(next(OID(APPL_ENTRY, COL_APPL_LABEL, 4)));
    assert_name(OID(APPL_ENTRY, COL_APPL_ROLE, 1));
    assert_int_value(ASN_INTEGER, 1); /* controlCenter(1) */
    /* the last cell of the table, and of smsaObjects */
    assert_true(next(OID(APPL_ENTRY, COL_APPL_CHECKS_DOWN, 4)));
    assert_name(OID(APPL_ENTRY, COL_APPL_DETAIL, 1));
    assert_false(next(OID(APPL_ENTRY, COL_APPL_DETAIL, 4)));
    model.appliances = NULL;
    model.n_appliances = 0;
}

static void test_a_certificate_fills_the_tls_columns(void **state)
{
    (void)state;
    /* no certificate: noCertificate(1) and the epoch (0x07b2 = 1970) */
    assert_int_equal(get(OID(PEER_ENTRY, COL_PEER_TLS_STATE, CAT_FLOW_LINK_CC, 1)),
                     SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, 1);
    assert_int_equal(get(OID(PEER_ENTRY, COL_PEER_TLS_NOT_AFTER, CAT_FLOW_LINK_CC, 1)),
                     SNMP_ERR_NOERROR);
    assert_int_equal(vb->val_len, 8);
    assert_int_equal(vb->val.string[0], 0x07);
    assert_int_equal(vb->val.string[1], 0xb2);

    static struct smsa_tls cert;
    peer1.tls = &cert;
    cert = (struct smsa_tls){.seen = true,
                             .verified = false,
                             .expiry = TLS_EXPIRY_SOON,
                             .not_after = 1798761600, /* 2027-01-01T00:00:00Z */
                             .days_left = 4};
    snprintf(cert.subject, sizeof(cert.subject), "scanner1.example.net");
    assert_int_equal(get(OID(PEER_ENTRY, COL_PEER_TLS_STATE, CAT_FLOW_LINK_CC, 1)),
                     SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, 3); /* expiresSoon(3) */
    assert_int_equal(get(OID(PEER_ENTRY, COL_PEER_TLS_DAYS_LEFT, CAT_FLOW_LINK_CC, 1)),
                     SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, 4);
    assert_int_equal(get(OID(PEER_ENTRY, COL_PEER_TLS_VERIFIED, CAT_FLOW_LINK_CC, 1)),
                     SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, 2); /* false(2) */
    assert_int_equal(get(OID(PEER_ENTRY, COL_PEER_TLS_NOT_AFTER, CAT_FLOW_LINK_CC, 1)),
                     SNMP_ERR_NOERROR);
    static const u_char want[] = {0x07, 0xeb, 1, 1, 0, 0, 0, 0, '+', 0, 0};
    assert_int_equal(vb->val_len, sizeof(want));
    assert_memory_equal(vb->val.string, want, sizeof(want));
    assert_int_equal(get(OID(PEER_ENTRY, COL_PEER_TLS_SUBJECT, CAT_FLOW_LINK_CC, 1)),
                     SNMP_ERR_NOERROR);
    assert_int_equal(vb->val_len, strlen("scanner1.example.net"));
    cert.expiry = TLS_EXPIRY_EXPIRED;
    assert_int_equal(get(OID(PEER_ENTRY, COL_PEER_TLS_STATE, CAT_FLOW_LINK_CC, 1)),
                     SNMP_ERR_NOERROR);
    assert_int_value(ASN_INTEGER, 4); /* expired(4) */
    peer1.tls = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_finds_the_row_and_the_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_of_what_is_not_there, setup, teardown),
        cmocka_unit_test_setup_teardown(test_getnext_walks_rows_then_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_getnext_crosses_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_ntp_server_fills_its_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_clock_is_the_cores_verdict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_fleet_beside, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_certificate_fills_the_tls_columns, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
