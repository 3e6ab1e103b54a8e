/* The firewall renderer: for each role, what is opened, in which direction, to or from which
 * addresses; update hosts never pinned; the opt-in sets; names that do not resolve. Inputs are
 * configurations written here and a lookup table standing in for the resolver. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "firewall.h"

#define NOW_US INT64_C(1764547200000000) /* 2025-12-01T00:00:00Z */

static struct cfg *parse_ok(const char *text)
{
    struct cfg_error err;
    struct cfg *c = cfg_parse(text, strlen(text), &err);
    if (!c)
        fail_msg("unexpected error: %s at %s", err.message, err.path);
    return c;
}

/* The fake resolver: a few names, the rest unknown; counts the lookups. */
static unsigned lookups;

static void fake_lookup(const char *host, struct fw_addrs *out, void *arg)
{
    (void)arg;
    static const struct {
        const char *host;
        const char *addrs[3];
    } table[] = {
        {"scanner1.example.net", {"2001:db8::11", "192.0.2.11", NULL}},
        {"scanner2.example.net", {"192.0.2.12", NULL, NULL}},
        {"cc.example.net", {"192.0.2.1", NULL, NULL}},
        {"swupdate.example.net", {"198.51.100.7", "198.51.100.8", NULL}},
        {"av.example.net", {"2001:db8:1::80", NULL, NULL}},
    };
    lookups++;
    out->resolved = false;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strcmp(table[i].host, host))
            continue;
        out->resolved = true;
        out->at_us = NOW_US - 60000000;
        for (size_t k = 0; k < 3 && table[i].addrs[k]; k++)
            snprintf(out->addr[out->n++], SMSA_ADDR_TEXT, "%s", table[i].addrs[k]);
    }
}

static char *render(const char *cfg_text, enum fw_format f, enum fw_sets sets)
{
    struct cfg *c = parse_ok(cfg_text);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    struct fw_options o = {.format = f, .sets = sets, .now_us = NOW_US};
    assert_int_equal(fw_render(out, c, &o, fake_lookup, NULL), 0);
    fclose(out);
    cfg_free(c);
    return text;
}

static void assert_has(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("expected \"%s\" in:\n%s", needle, text);
}

static void assert_lacks(const char *text, const char *needle)
{
    if (strstr(text, needle))
        fail_msg("did not expect \"%s\" in:\n%s", needle, text);
}

static const char CC[] =
    "{\"appliance\":{\"name\":\"cc1\",\"role\":\"control-center\"},"
    "\"peers\":{\"scanners\":[{\"name\":\"scanner1\",\"host\":\"scanner1.example.net\"},"
    "{\"name\":\"scanner2\",\"host\":\"scanner2.example.net\"}],"
    "\"dns_servers\":[\"192.0.2.53\"],\"management_hosts\":[\"192.0.2.100\"]},"
    "\"updates\":[{\"purpose\":\"software\",\"host\":\"swupdate.example.net\",\"port\":443},"
    "{\"purpose\":\"antivirus\",\"host\":\"av.example.net\",\"port\":80},"
    "{\"purpose\":\"rapid-response\",\"host\":\"rr.example.net\",\"port\":21,\"enabled\":false}],"
    "\"snmp\":{\"mode\":\"off\"}}";

static const char SCANNER[] =
    "{\"appliance\":{\"name\":\"scan1\",\"role\":\"scanner\"},"
    "\"peers\":{\"control_center\":\"cc.example.net\",\"dns_servers\":[\"192.0.2.53\"],"
    "\"internal_mail_servers\":[\"192.0.2.25\"]},"
    "\"updates\":[],\"snmp\":{\"mode\":\"off\"}}";

static void test_cc_opens_41002_to_each_scanner_address(void **state)
{
    (void)state;
    char *t = render(CC, FW_NFT, FW_SETS_NONE);
    assert_has(t, "table inet smsa_agent {");
    assert_has(t, "ip daddr 192.0.2.11 tcp dport 41002 accept");
    assert_has(t, "ip6 daddr 2001:db8::11 tcp dport 41002 accept");
    assert_has(t, "ip daddr 192.0.2.12 tcp dport 41002 accept");
    /* the scanners reach the Control Center on 41002 and 41025 */
    assert_has(t, "ip saddr 192.0.2.12 tcp dport 41025 accept");
    /* every rule names its flow, host and the time of the resolution */
    assert_has(t,
               "comment \"flow 11 scanner1 scanner1.example.net resolved 2025-11-30T23:59:00Z\"");
    assert_has(t, "ct state established,related accept");
    assert_has(t, "ip saddr 192.0.2.100 tcp dport 22 accept");
    /* not a Control Center's: mail flows, and 14 is off by default */
    assert_lacks(t, "dport 25 ");
    assert_lacks(t, "dport 41080");
    free(t);
}

static void test_scanner_accepts_41002_from_the_control_center(void **state)
{
    (void)state;
    char *t = render(SCANNER, FW_NFT, FW_SETS_NONE);
    assert_has(t, "ip saddr 192.0.2.1 tcp dport 41002 accept");
    assert_has(t, "ip daddr 192.0.2.1 tcp dport 41002 accept"); /* flow 12 */
    assert_has(t, "ip daddr 192.0.2.1 tcp dport 41025 accept"); /* flow 13 */
    assert_has(t, "ip saddr 192.0.2.1 tcp dport 41015 accept"); /* flow 16 */
    /* Internet mail comes from anywhere; internal mail from its servers */
    assert_has(t, "\t\ttcp dport 25 accept comment \"flow 2 any source\"");
    assert_has(t, "ip saddr 192.0.2.25 tcp dport 25 accept");
    assert_has(t, "ip daddr 192.0.2.25 tcp dport 25 accept");
    /* no management_hosts: SSH stays closed, and the header says why */
    assert_has(t, "# flow 1: no management_hosts configured: nothing is opened");
    assert_lacks(t, "dport 22 ");
    free(t);
}

static void test_update_hosts_are_never_pinned_by_default(void **state)
{
    (void)state;
    char *t = render(CC, FW_NFT, FW_SETS_NONE);
    assert_has(t, "\t\ttcp dport 443 accept comment \"flow 6 any destination: update hosts are "
                  "never pinned\"");
    assert_has(t, "\t\ttcp dport 80 accept");
    assert_has(t, "It is imperative that you do not use specific IP addresses for these "
                  "hostnames when creating firewall rules.");
    assert_lacks(t, "198.51.100.7");
    assert_lacks(t, "dport 21 "); /* the only rapid-response source is disabled */
    free(t);
}

static void test_sets_keep_update_hosts_restricted_without_pinning(void **state)
{
    (void)state;
    char *t = render(CC, FW_NFT, FW_SETS_ON);
    assert_has(t, "set smsa_f6_443_v4 {");
    assert_has(t, "flags timeout");
    assert_has(t, "elements = { 198.51.100.7, 198.51.100.8 }");
    assert_has(t, "ip daddr @smsa_f6_443_v4 tcp dport 443 accept");
    assert_has(t, "ip6 daddr @smsa_f19_80_v6 tcp dport 80 accept");
    assert_lacks(t, "ip daddr 198.51.100.7");
    free(t);
    t = render(CC, FW_NFT, FW_SETS_ONLY);
    assert_has(t, "flush set inet smsa_agent smsa_f6_443_v4\n"
                  "add element inet smsa_agent smsa_f6_443_v4 { 198.51.100.7, 198.51.100.8 }");
    assert_lacks(t, "chain");
    free(t);
    t = render(CC, FW_IPTABLES, FW_SETS_ONLY);
    assert_has(t, "create smsa_f6_443_v4 hash:ip family inet timeout 3600 -exist");
    assert_has(t, "add smsa_f6_443_v4_n 198.51.100.7");
    assert_has(t, "swap smsa_f6_443_v4_n smsa_f6_443_v4");
    assert_lacks(t, "smsa_f19_80_v6"); /* the IPv6 sets are ip6tables' */
    free(t);
}

static void test_iptables_fills_its_own_chains_only(void **state)
{
    (void)state;
    char *t = render(CC, FW_IPTABLES, FW_SETS_NONE);
    assert_has(t, "*filter\n:SMSA-IN - [0:0]\n:SMSA-OUT - [0:0]\n");
    assert_has(t, "-A SMSA-OUT -d 192.0.2.11/32 -p tcp -m tcp --dport 41002");
    assert_has(t, "-A SMSA-OUT -d 192.0.2.12/32 -p tcp -m tcp --dport 41002");
    assert_has(t, "-A SMSA-IN -m conntrack --ctstate ESTABLISHED,RELATED");
    assert_has(t, "-A SMSA-OUT -m comment --comment \"nothing else\" -j DROP\nCOMMIT\n");
    assert_lacks(t, ":INPUT");
    assert_lacks(t, "\n-A INPUT");
    assert_lacks(t, "\n-F");
    assert_lacks(t, "2001:db8::11"); /* IPv6 goes to the ip6tables file */
    free(t);
    t = render(CC, FW_IP6TABLES, FW_SETS_NONE);
    assert_has(t, "-A SMSA-OUT -d 2001:db8::11/128 -p tcp -m tcp --dport 41002");
    assert_has(t, "--icmpv6-type neighbour-solicitation");
    assert_lacks(t, "192.0.2.11");
    free(t);
}

static void test_a_name_that_does_not_resolve_opens_nothing(void **state)
{
    (void)state;
    char *t =
        render("{\"appliance\":{\"name\":\"cc1\",\"role\":\"control-center\"},"
               "\"peers\":{\"scanners\":[{\"name\":\"ghost\",\"host\":\"ghost.example.net\"}]},"
               "\"updates\":[],\"snmp\":{\"mode\":\"off\"}}",
               FW_NFT, FW_SETS_NONE);
    assert_has(t, "# flow 11: ghost.example.net did not resolve: nothing is opened for it");
    assert_lacks(t, "dport 41002");
    free(t);
}

static void test_literals_need_no_lookup(void **state)
{
    (void)state;
    lookups = 0;
    char *t =
        render("{\"appliance\":{\"name\":\"cc1\",\"role\":\"control-center\"},"
               "\"peers\":{\"scanners\":[{\"name\":\"s1\",\"host\":\"[2001:db8::5]:41002\"}]},"
               "\"updates\":[],\"snmp\":{\"mode\":\"off\"}}",
               FW_NFT, FW_SETS_NONE);
    assert_int_equal(lookups, 0);
    assert_has(t,
               "ip6 daddr 2001:db8::5 tcp dport 41002 accept comment \"flow 11 s1 2001:db8::5\"");
    free(t);
}

static void test_json_is_the_same_content_as_data(void **state)
{
    (void)state;
    char *t = render(CC, FW_JSON, FW_SETS_NONE);
    json_error_t e;
    json_t *doc = json_loads(t, 0, &e);
    if (!doc)
        fail_msg("not JSON: %s\n%s", e.text, t);
    assert_string_equal(json_string_value(json_object_get(doc, "role")), "control-center");
    assert_string_equal(json_string_value(json_object_get(doc, "generated")),
                        "2025-12-01T00:00:00Z");
    json_t *rules = json_object_get(doc, "rules");
    size_t i, to_scanners = 0, unpinned = 0;
    json_t *r;
    json_array_foreach(rules, i, r)
    {
        int flow = (int)json_integer_value(json_object_get(r, "flow"));
        if (flow == 11) {
            assert_string_equal(json_string_value(json_object_get(r, "direction")), "outbound");
            assert_int_equal(json_integer_value(json_object_get(r, "port")), 41002);
            to_scanners++;
        }
        if (json_is_false(json_object_get(r, "pinned"))) {
            assert_true(json_is_null(json_object_get(r, "address")));
            assert_non_null(strstr(json_string_value(json_object_get(r, "warning")), "imperative"));
            unpinned++;
        }
    }
    assert_int_equal(to_scanners, 3); /* scanner1 has two addresses */
    assert_int_equal(unpinned, 2);    /* 443 and 80 */
    json_decref(doc);
    free(t);
}

static void test_format_names(void **state)
{
    (void)state;
    enum fw_format f;
    assert_int_equal(fw_format_parse("ip6tables", &f), 0);
    assert_int_equal(f, FW_IP6TABLES);
    assert_string_equal(fw_format_name(f), "ip6tables");
    assert_int_equal(fw_format_parse("pf", &f), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cc_opens_41002_to_each_scanner_address),
        cmocka_unit_test(test_scanner_accepts_41002_from_the_control_center),
        cmocka_unit_test(test_update_hosts_are_never_pinned_by_default),
        cmocka_unit_test(test_sets_keep_update_hosts_restricted_without_pinning),
        cmocka_unit_test(test_iptables_fills_its_own_chains_only),
        cmocka_unit_test(test_a_name_that_does_not_resolve_opens_nothing),
        cmocka_unit_test(test_literals_need_no_lookup),
        cmocka_unit_test(test_json_is_the_same_content_as_data),
        cmocka_unit_test(test_format_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
