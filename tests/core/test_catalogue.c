/* The flow catalogue against the vendor's port table (TECH85204, README "What it checks"), written
 * out here independently of catalogue.c so a slip in either shows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "catalogue.h"

#define O DIR_OUTBOUND
#define I DIR_INBOUND
#define NA DIR_NOT_APPLICABLE

/*
 * From the port table: "from" this role → outbound, "to" this role → inbound. "appliance",
 * "management hosts" and "Internet" ends bind every role that runs the service. Mail
 * (2-5) is not for a Control Center; the management UI (14, 15) is not for a Scanner; an
 * all-in-one is a Control Center that also scans mail (and still manages remote scanners).
 */
static const struct {
    uint16_t port;
    enum smsa_proto proto;
    const char *from, *to;
    enum smsa_direction dir[3]; /* control-center, scanner, all-in-one */
    enum cat_peer_source src;
} expect[CAT_NFLOWS] = {
    {22, PROTO_TCP, "management hosts", "appliance", {I, I, I}, SRC_NONE},
    {25, PROTO_TCP, "Internet", "appliance", {NA, I, I}, SRC_NONE},
    {25, PROTO_TCP, "appliance", "internal mail servers", {NA, O, O}, SRC_INTERNAL_MAIL},
    {25, PROTO_TCP, "internal mail servers", "appliance", {NA, I, I}, SRC_NONE},
    {25, PROTO_TCP, "appliance", "Internet mail hosts", {NA, O, O}, SRC_INTERNET_MAIL},
    {443, PROTO_TCP, "appliance", "Internet", {O, O, O}, SRC_UPDATES},
    {53, PROTO_UDP, "appliance", "DNS servers", {O, O, O}, SRC_DNS_SERVERS},
    {123, PROTO_UDP, "appliance", "NTP servers", {O, O, O}, SRC_NTP_SERVERS},
    {389, PROTO_TCP, "appliance", "LDAP servers", {O, O, O}, SRC_LDAP_SERVERS},
    {3268, PROTO_TCP, "appliance", "LDAP servers", {O, O, O}, SRC_LDAP_SERVERS},
    {41002, PROTO_TCP, "Control Center", "Scanners", {O, I, O}, SRC_SCANNERS},
    {41002, PROTO_TCP, "Scanners", "Control Center", {I, O, I}, SRC_CONTROL_CENTER},
    {41025, PROTO_TCP, "Scanners", "Control Center", {I, O, I}, SRC_CONTROL_CENTER},
    {41080, PROTO_TCP, "management hosts", "Control Center", {I, NA, I}, SRC_NONE},
    {41443, PROTO_TCP, "management hosts", "Control Center", {I, NA, I}, SRC_NONE},
    {41015, PROTO_TCP, "Control Center", "Scanners", {O, I, O}, SRC_SCANNERS},
    {41016, PROTO_TCP, "Control Center", "Scanners", {O, I, O}, SRC_SCANNERS},
    {41017, PROTO_TCP, "Control Center", "Scanners", {O, I, O}, SRC_SCANNERS},
    {80, PROTO_TCP, "appliance", "Internet", {O, O, O}, SRC_UPDATES},
    {21, PROTO_TCP, "appliance", "Internet", {O, O, O}, SRC_UPDATES},
};

static const enum smsa_role roles[] = {ROLE_CONTROL_CENTER, ROLE_SCANNER, ROLE_ALL_IN_ONE};

static void test_ports_and_protocols(void **state)
{
    (void)state;
    for (unsigned id = 1; id <= CAT_NFLOWS; id++) {
        const struct cat_flow *f = cat_flow(id);
        assert_non_null(f);
        assert_ptr_equal(f, &cat_flows[id - 1]);
        assert_int_equal(f->id, id);
        assert_int_equal(f->port, expect[id - 1].port);
        assert_int_equal(f->proto, expect[id - 1].proto);
        assert_string_equal(f->from, expect[id - 1].from);
        assert_string_equal(f->to, expect[id - 1].to);
        assert_non_null(f->purpose);
        assert_true(strlen(f->purpose) > 0);
    }
    assert_null(cat_flow(0));
    assert_null(cat_flow(CAT_NFLOWS + 1));
    assert_null(cat_flow(~0u));
}

static void test_direction_per_role(void **state)
{
    (void)state;
    for (unsigned id = 1; id <= CAT_NFLOWS; id++) {
        for (size_t r = 0; r < 3; r++) {
            enum smsa_direction got = cat_direction(id, roles[r]);
            if (got != expect[id - 1].dir[r])
                fail_msg("flow %u on %s: %s, expected %s", id, cat_role_name(roles[r]),
                         cat_direction_name(got), cat_direction_name(expect[id - 1].dir[r]));
        }
    }
}

static void test_direction_out_of_range(void **state)
{
    (void)state;
    assert_int_equal(cat_direction(0, ROLE_SCANNER), DIR_NOT_APPLICABLE);
    assert_int_equal(cat_direction(CAT_NFLOWS + 1, ROLE_SCANNER), DIR_NOT_APPLICABLE);
    assert_int_equal(cat_direction(6, (enum smsa_role)3), DIR_NOT_APPLICABLE);
    assert_int_equal(cat_direction(6, (enum smsa_role) - 1), DIR_NOT_APPLICABLE);
}

/* The Control Center-Scanner link (README "What it checks") is 11 from a Control Center or
 * all-in-one and 12 from a Scanner: exactly one outbound 41002 flow per role. */
static void test_link_flow_per_role(void **state)
{
    (void)state;
    for (size_t r = 0; r < 3; r++) {
        int outbound_41002 = 0;
        for (unsigned id = 1; id <= CAT_NFLOWS; id++)
            if (cat_flow(id)->port == 41002 && cat_direction(id, roles[r]) == DIR_OUTBOUND)
                outbound_41002++;
        assert_int_equal(outbound_41002, 1);
    }
    assert_int_equal(cat_direction(11, ROLE_CONTROL_CENTER), DIR_OUTBOUND);
    assert_int_equal(cat_direction(11, ROLE_ALL_IN_ONE), DIR_OUTBOUND);
    assert_int_equal(cat_direction(12, ROLE_SCANNER), DIR_OUTBOUND);
}

static void test_peer_source(void **state)
{
    (void)state;
    for (unsigned id = 1; id <= CAT_NFLOWS; id++)
        assert_int_equal(cat_peer_source(id), expect[id - 1].src);
    assert_int_equal(cat_peer_source(0), SRC_NONE);
    assert_int_equal(cat_peer_source(CAT_NFLOWS + 1), SRC_NONE);
}

static enum smsa_probe_kind expected_kind(unsigned id, enum smsa_role role)
{
    if (expect[id - 1].dir[role] == DIR_INBOUND)
        return PROBE_LISTEN;
    switch (expect[id - 1].port) {
    case 25:
        return PROBE_SMTP; /* connect, then a 220 greeting */
    case 21:
        return PROBE_FTP;
    case 53:
        return PROBE_DNS;
    case 123:
        return PROBE_NTP;
    case 443:
        return PROBE_TLS; /* the update hosts: a handshake, with the certificate's facts */
    case 80:
        return PROBE_HTTP; /* LiveUpdate: a status line */
    default:
        return PROBE_TCP;
    }
}

static void test_probe_kinds(void **state)
{
    (void)state;
    for (unsigned id = 1; id <= CAT_NFLOWS; id++) {
        for (size_t r = 0; r < 3; r++) {
            if (expect[id - 1].dir[r] == DIR_NOT_APPLICABLE)
                continue; /* nothing is probed; the kind is not meaningful */
            enum smsa_probe_kind got = cat_probe_kind(id, roles[r]);
            if (got != expected_kind(id, roles[r]))
                fail_msg("flow %u on %s: probe %s", id, cat_role_name(roles[r]),
                         cat_probe_kind_name(got));
        }
    }
    /* The named cases of the brief, spelled out. */
    assert_int_equal(cat_probe_kind(3, ROLE_SCANNER), PROBE_SMTP);
    assert_int_equal(cat_probe_kind(5, ROLE_ALL_IN_ONE), PROBE_SMTP);
    assert_int_equal(cat_probe_kind(20, ROLE_CONTROL_CENTER), PROBE_FTP);
    assert_int_equal(cat_probe_kind(7, ROLE_SCANNER), PROBE_DNS);
    assert_int_equal(cat_probe_kind(8, ROLE_CONTROL_CENTER), PROBE_NTP);
    assert_int_equal(cat_probe_kind(6, ROLE_SCANNER), PROBE_TLS);
    assert_int_equal(cat_probe_kind(19, ROLE_CONTROL_CENTER), PROBE_HTTP);
    assert_int_equal(cat_probe_kind(11, ROLE_CONTROL_CENTER), PROBE_TCP);
    assert_int_equal(cat_probe_kind(2, ROLE_SCANNER), PROBE_LISTEN); /* inbound port 25 */
    assert_int_equal(cat_probe_kind(11, ROLE_SCANNER), PROBE_LISTEN);
    assert_int_equal(cat_probe_kind(1, ROLE_CONTROL_CENTER), PROBE_LISTEN);
    /* Out of range does not read past the table. */
    (void)cat_probe_kind(0, ROLE_SCANNER);
    (void)cat_probe_kind(CAT_NFLOWS + 1, ROLE_SCANNER);
}

static void test_update_flow(void **state)
{
    (void)state;
    /* Update purposes (README "Configuration") onto the flows of the port table: 443
     * updates/registration, 80 LiveUpdate, 21 Rapid Response. */
    assert_int_equal(cat_update_flow("software"), 6);
    assert_int_equal(cat_update_flow("registration"), 6);
    assert_int_equal(cat_update_flow("rules"), 6);
    assert_int_equal(cat_update_flow("antivirus"), 19);
    assert_int_equal(cat_update_flow("rapid-response"), 20);
    assert_int_equal(cat_update_flow(""), 0);
    assert_int_equal(cat_update_flow("Software"), 0);
    assert_int_equal(cat_update_flow("rapid_response"), 0);
    assert_int_equal(cat_update_flow("liveupdate"), 0);
    for (unsigned id = 1; id <= CAT_NFLOWS; id++)
        if (cat_peer_source(id) == SRC_UPDATES)
            assert_true(id == 6 || id == 19 || id == 20);
}

static void test_roles(void **state)
{
    (void)state;
    static const char *const names[] = {"control-center", "scanner", "all-in-one"};
    for (size_t r = 0; r < 3; r++) {
        enum smsa_role got = (enum smsa_role) - 1;
        assert_string_equal(cat_role_name(roles[r]), names[r]);
        assert_int_equal(cat_role_parse(names[r], &got), 0);
        assert_int_equal(got, roles[r]);
    }
    static const char *const bad[] = {
        "", "Scanner", "control_center", "controlcenter", "all-in-one ", "cc", "scanner\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        enum smsa_role got = ROLE_SCANNER;
        assert_int_equal(cat_role_parse(bad[i], &got), -1);
        assert_int_equal(got, ROLE_SCANNER); /* untouched on failure */
    }
    assert_string_equal(cat_role_name((enum smsa_role)7), "?");
}

static void test_names(void **state)
{
    (void)state;
    /* The state and cause words of REST and the README. */
    assert_string_equal(cat_direction_name(DIR_OUTBOUND), "outbound");
    assert_string_equal(cat_direction_name(DIR_INBOUND), "inbound");
    assert_string_equal(cat_direction_name(DIR_NOT_APPLICABLE), "not-applicable");
    assert_string_equal(cat_proto_name(PROTO_TCP), "tcp");
    assert_string_equal(cat_proto_name(PROTO_UDP), "udp");
    assert_string_equal(cat_probe_kind_name(PROBE_TCP), "tcp");
    assert_string_equal(cat_probe_kind_name(PROBE_SMTP), "smtp");
    assert_string_equal(cat_probe_kind_name(PROBE_FTP), "ftp");
    assert_string_equal(cat_probe_kind_name(PROBE_DNS), "dns");
    assert_string_equal(cat_probe_kind_name(PROBE_NTP), "ntp");
    assert_string_equal(cat_probe_kind_name(PROBE_LISTEN), "listen");
    assert_string_equal(cat_probe_kind_name((enum smsa_probe_kind)99), "?");
    assert_string_equal(cat_direction_name((enum smsa_direction)99), "?");
}

/* A port written in a peer entry is probed on its list's first flow only (README "What it checks").
 */
static void test_entry_port(void **state)
{
    (void)state;
    static const unsigned takes[] = {3, 5, 7, 8, 9, 11, 12};
    for (unsigned id = 0; id <= CAT_NFLOWS + 1; id++) {
        bool want = false;
        for (size_t i = 0; i < sizeof(takes) / sizeof(takes[0]); i++)
            want = want || takes[i] == id;
        assert_int_equal(cat_takes_entry_port(id), want);
    }
}

/* The flow numbers the code names: the vendor's, never renumbered. */
static void test_named_flows(void **state)
{
    (void)state;
    assert_int_equal(CAT_FLOW_SSH, 1);
    assert_int_equal(CAT_FLOW_UPDATES, 6);
    assert_int_equal(CAT_FLOW_DNS, 7);
    assert_int_equal(CAT_FLOW_NTP, 8);
    assert_int_equal(CAT_FLOW_LINK_CC, 11);
    assert_int_equal(CAT_FLOW_LINK_SCANNER, 12);
    assert_int_equal(CAT_FLOW_HTTP_MANAGEMENT, 14);
    assert_int_equal(CAT_FLOW_LIVEUPDATE, 19);
    assert_int_equal(CAT_FLOW_RAPID_RESPONSE, 20);
    assert_int_equal(cat_flow(CAT_FLOW_NTP)->port, 123);
    assert_int_equal(cat_flow(CAT_FLOW_RAPID_RESPONSE)->port, 21);
}

/* The link flow per role, the switches, and who connects on each inbound flow. */
static void test_flow_attributes(void **state)
{
    (void)state;
    assert_int_equal(cat_link_flow(ROLE_CONTROL_CENTER), 11);
    assert_int_equal(cat_link_flow(ROLE_ALL_IN_ONE), 11);
    assert_int_equal(cat_link_flow(ROLE_SCANNER), 12);
    for (unsigned id = 0; id <= CAT_NFLOWS + 1; id++) {
        enum cat_switch want = id == 8    ? CAT_SWITCH_NTP
                               : id == 14 ? CAT_SWITCH_HTTP_MANAGEMENT
                                          : CAT_SWITCH_NONE;
        assert_int_equal(cat_flow_switch(id), want);
    }
    assert_int_equal(cat_inbound_source(2), CAT_FROM_ANY);
    assert_int_equal(cat_inbound_source(4), CAT_FROM_INTERNAL_MAIL);
    assert_int_equal(cat_inbound_source(11), CAT_FROM_CONTROL_CENTER);
    assert_int_equal(cat_inbound_source(16), CAT_FROM_CONTROL_CENTER);
    assert_int_equal(cat_inbound_source(18), CAT_FROM_CONTROL_CENTER);
    assert_int_equal(cat_inbound_source(12), CAT_FROM_SCANNERS);
    assert_int_equal(cat_inbound_source(13), CAT_FROM_SCANNERS);
    assert_int_equal(cat_inbound_source(1), CAT_FROM_MANAGEMENT);
    assert_int_equal(cat_inbound_source(14), CAT_FROM_MANAGEMENT);
    assert_int_equal(cat_inbound_source(15), CAT_FROM_MANAGEMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ports_and_protocols),
        cmocka_unit_test(test_direction_per_role),
        cmocka_unit_test(test_direction_out_of_range),
        cmocka_unit_test(test_link_flow_per_role),
        cmocka_unit_test(test_peer_source),
        cmocka_unit_test(test_probe_kinds),
        cmocka_unit_test(test_update_flow),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_entry_port),
        cmocka_unit_test(test_named_flows),
        cmocka_unit_test(test_flow_attributes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
