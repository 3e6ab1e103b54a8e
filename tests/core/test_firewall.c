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
#include <unistd.h>

#include <cmocka.h>
#include <regex.h>

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
        {"mirror.example.net", {"10.0.0.8", NULL, NULL}},
        /* a hostile answer: nothing but literals may reach a rule or a set */
        {"evil.example.net", {"198.51.100.66 }\nflush ruleset", "198.51.100.9", "1.2.3.4;"}},
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

/* This host's resolv.conf, as the tests write it (absent: no resolvers to keep). */
static const char *resolv_conf = "/nonexistent/resolv.conf";
/* What the renderer warned about, one line each. */
static char warned[2048];

static void record_warning(const char *text, void *arg)
{
    (void)arg;
    size_t n = strlen(warned);
    snprintf(warned + n, sizeof(warned) - n, "%s\n", text);
}

/* This host's addresses beside (the vantage of the checks); NULL: unknown. */
static const struct fw_addrs *vantage;

static char *render(const char *cfg_text, enum fw_format f, enum fw_sets sets)
{
    struct cfg *c = parse_ok(cfg_text);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    warned[0] = '\0';
    struct fw_options o = {.format = f,
                           .sets = sets,
                           .now_us = NOW_US,
                           .resolv_conf = resolv_conf,
                           .warn = record_warning,
                           .vantage = vantage};
    assert_int_equal(fw_render(out, c, &o, fake_lookup, NULL), 0);
    fclose(out);
    cfg_free(c);
    return text;
}

static char names_seen[4096];

static void note_name(const char *host, void *arg)
{
    (void)arg;
    size_t n = strlen(names_seen);
    snprintf(names_seen + n, sizeof(names_seen) - n, "%s\n", host);
}

static void assert_has(const char *text, const char *needle)
{
    if (!strstr(text, needle)) {
        fprintf(stderr, "%s\n", text); /* whole: cmocka cuts its message short */
        fail_msg("expected \"%s\" in the text above", needle);
    }
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
    /* no management_hosts: SSH stays open from anywhere, and the output says so twice */
    assert_lacks(t, "# flow 1: no management_hosts configured: nothing is opened");
    assert_has(t, "# flow 1: management_hosts is empty: SSH (22/tcp) stays open from anywhere");
    assert_has(t, "\t\ttcp dport 22 accept comment \"flow 1 from anywhere: no management host");
    assert_has(t, "# WARNING: no management host to open it to");
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

static void test_empty_management_hosts_keeps_ssh_open_and_warns(void **state)
{
    (void)state;
    char *t = render(SCANNER, FW_NFT, FW_SETS_NONE);
    assert_has(t, "\t\ttcp dport 22 accept");
    assert_has(warned, "management_hosts is empty: SSH (22/tcp) stays open from anywhere");
    free(t);
    /* a management host that does not resolve must not close SSH either */
    t = render("{\"appliance\":{\"name\":\"s\",\"role\":\"scanner\"},"
               "\"peers\":{\"management_hosts\":[\"nowhere.example.net\"]},"
               "\"updates\":[],\"snmp\":{\"mode\":\"off\"}}",
               FW_IPTABLES, FW_SETS_NONE);
    assert_has(t,
               "-A SMSA-IN -p tcp -m tcp --dport 22 -m comment --comment \"flow 1 from anywhere");
    assert_has(warned, "no management host resolved: SSH (22/tcp) stays open from anywhere");
    free(t);
    /* with management hosts, only from them, and no warning */
    t = render(CC, FW_NFT, FW_SETS_NONE);
    assert_has(t, "ip saddr 192.0.2.100 tcp dport 22 accept");
    assert_lacks(t, "\t\ttcp dport 22 accept");
    assert_string_equal(warned, "");
    free(t);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_keeps_this_hosts_resolvers(void **state)
{
    (void)state;
    char path[] = "/tmp/fw-resolv-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_file(path, "# generated\nsearch example.net\nnameserver 192.0.2.153\n"
                     "nameserver fe80::53%eth0\n  nameserver\t2001:db8::53\noptions edns0\n");
    resolv_conf = path;
    /* a Control Center with no dns_servers: flow 7 opens nothing, the host still resolves */
    char *t = render("{\"appliance\":{\"name\":\"c\",\"role\":\"control-center\"},"
                     "\"peers\":{\"management_hosts\":[\"192.0.2.100\"]},\"updates\":[],"
                     "\"probe\":{\"resolver\":\"192.0.2.154:5353\"},\"snmp\":{\"mode\":\"off\"}}",
                     FW_NFT, FW_SETS_NONE);
    assert_has(t,
               "ip daddr 192.0.2.153 udp dport 53 accept comment \"kept: resolver of this host\"");
    assert_has(t, "ip daddr 192.0.2.153 tcp dport 53 accept");
    assert_has(t, "ip6 daddr fe80::53 udp dport 53 accept");
    assert_has(t, "ip6 daddr 2001:db8::53 tcp dport 53 accept");
    assert_has(
        t, "ip daddr 192.0.2.154 udp dport 5353 accept comment \"kept: resolver of the agent\"");
    assert_has(t, "ip daddr 192.0.2.154 tcp dport 5353 accept");
    free(t);
    t = render(SCANNER, FW_IPTABLES, FW_SETS_NONE);
    assert_has(t, "-A SMSA-OUT -d 192.0.2.153/32 -p udp -m udp --dport 53");
    assert_has(t, "-A SMSA-OUT -d 192.0.2.153/32 -p tcp -m tcp --dport 53");
    free(t);
    /* a resolv.conf that cannot be read: DNS stays open to anywhere, with a warning */
    resolv_conf = "/etc/passwd/not-a-folder";
    t = render(SCANNER, FW_NFT, FW_SETS_NONE);
    assert_has(t, "\t\tudp dport 53 accept comment \"kept: resolvers of this host unknown");
    assert_has(t, "\t\ttcp dport 53 accept");
    assert_has(warned, "cannot read /etc/passwd/not-a-folder: 53 udp and tcp stay open");
    free(t);
    resolv_conf = "/nonexistent/resolv.conf";
    unlink(path);
}

static void test_keeps_the_agents_own_listeners(void **state)
{
    (void)state;
    char *t = render("{\"appliance\":{\"name\":\"c\",\"role\":\"control-center\"},"
                     "\"updates\":[],\"http\":{\"listen\":\"192.0.2.5:8161\","
                     "\"allow\":[\"192.0.2.0/24\",\"2001:db8::/32\",\"198.51.100.7\"]},"
                     "\"snmp\":{\"mode\":\"master\",\"master_listen\":\"udp:0.0.0.0:1161\","
                     "\"community\":\"s3cret-community\"}}",
                     FW_NFT, FW_SETS_NONE);
    assert_has(t, "ip saddr 192.0.2.0/24 tcp dport 8161 accept");
    assert_has(t, "ip6 saddr 2001:db8::/32 tcp dport 8161 accept");
    assert_has(t, "ip saddr 198.51.100.7 tcp dport 8161 accept");
    assert_has(t, "\t\tudp dport 1161 accept comment \"kept: SNMP master of the agent");
    assert_lacks(t, "dport 161 ");
    free(t);
    t = render("{\"appliance\":{\"name\":\"c\",\"role\":\"control-center\"},"
               "\"updates\":[],\"http\":{\"listen\":\"192.0.2.5:8161\","
               "\"allow\":[\"192.0.2.0/24\"]},\"snmp\":{\"mode\":\"off\"}}",
               FW_IPTABLES, FW_SETS_NONE);
    assert_has(t, "-A SMSA-IN -s 192.0.2.0/24 -p tcp -m tcp --dport 8161");
    free(t);
    /* loopback listeners are covered by the loopback rule; a subagent has no listener */
    t = render(SCANNER, FW_NFT, FW_SETS_NONE);
    assert_lacks(t, "dport 8161");
    assert_lacks(t, "dport 1161");
    free(t);
}

/* The port rules of flow `flow` in t: "dport N" for each rule line of that flow. */
static void assert_flow_port(const char *t, unsigned flow, const char *proto, unsigned port)
{
    char needle[96];
    snprintf(needle, sizeof(needle), "%s dport %u accept comment \"flow %u ", proto, port, flow);
    assert_has(t, needle);
}

static void assert_no_flow_port(const char *t, unsigned flow, const char *proto, unsigned port)
{
    char needle[96];
    snprintf(needle, sizeof(needle), "%s dport %u accept comment \"flow %u ", proto, port, flow);
    assert_lacks(t, needle);
}

static void test_a_peer_port_moves_only_its_lists_first_flow(void **state)
{
    (void)state;
    /* scanners: the link (11) moves; 16-18 stay */
    char *t = render("{\"appliance\":{\"name\":\"c\",\"role\":\"control-center\"},"
                     "\"peers\":{\"scanners\":[{\"name\":\"s1\",\"host\":\"192.0.2.11:65535\"}],"
                     "\"ldap_servers\":[\"192.0.2.9:636\"],\"dns_servers\":[\"192.0.2.53:5353\"],"
                     "\"management_hosts\":[\"192.0.2.100:2222\"]},"
                     "\"ntp\":{\"enabled\":true,\"servers\":[\"192.0.2.123:1123\"]},"
                     "\"updates\":[],\"snmp\":{\"mode\":\"off\"}}",
                     FW_NFT, FW_SETS_NONE);
    assert_flow_port(t, 11, "tcp", 65535);
    assert_no_flow_port(t, 11, "tcp", 41002);
    assert_flow_port(t, 16, "tcp", 41015);
    assert_flow_port(t, 17, "tcp", 41016);
    assert_flow_port(t, 18, "tcp", 41017);
    assert_no_flow_port(t, 16, "tcp", 65535);
    /* ldap: 389 moves to 636, the Global Catalog stays on 3268 */
    assert_flow_port(t, 9, "tcp", 636);
    assert_flow_port(t, 10, "tcp", 3268);
    assert_no_flow_port(t, 10, "tcp", 636);
    /* single-flow lists take it */
    assert_flow_port(t, 7, "udp", 5353);
    assert_flow_port(t, 8, "udp", 1123);
    /* a management host's port says where it is reached, not our SSH port */
    assert_flow_port(t, 1, "tcp", 22);
    free(t);
    /* control_center on a Scanner: 12 moves, 13 stays on 41025 */
    t = render("{\"appliance\":{\"name\":\"s\",\"role\":\"scanner\"},"
               "\"peers\":{\"control_center\":\"192.0.2.1:41999\"},"
               "\"updates\":[],\"snmp\":{\"mode\":\"off\"}}",
               FW_NFT, FW_SETS_NONE);
    assert_flow_port(t, 12, "tcp", 41999);
    assert_flow_port(t, 13, "tcp", 41025);
    assert_no_flow_port(t, 13, "tcp", 41999);
    free(t);
    /* mail lists on an all-in-one: 3 and 5 take the port, 4 (inbound from them) does not */
    t = render("{\"appliance\":{\"name\":\"a\",\"role\":\"all-in-one\"},"
               "\"peers\":{\"internal_mail_servers\":[\"192.0.2.25:2525\"],"
               "\"internet_mail_hosts\":[\"192.0.2.26:587\"]},"
               "\"updates\":[],\"snmp\":{\"mode\":\"off\"}}",
               FW_NFT, FW_SETS_NONE);
    assert_has(t, "ip daddr 192.0.2.25 tcp dport 2525 accept comment \"flow 3 ");
    assert_has(t, "ip saddr 192.0.2.25 tcp dport 25 accept comment \"flow 4 ");
    assert_has(t, "ip daddr 192.0.2.26 tcp dport 587 accept comment \"flow 5 ");
    free(t);
}

static void test_an_update_mirror_is_pinned_to_its_addresses(void **state)
{
    (void)state;
    static const char MIRROR[] =
        "{\"appliance\":{\"name\":\"c\",\"role\":\"control-center\"},"
        "\"peers\":{\"management_hosts\":[\"192.0.2.100\"]},"
        "\"updates\":[{\"purpose\":\"software\",\"host\":\"mirror.example.net\",\"port\":8080},"
        "{\"purpose\":\"rules\",\"host\":\"swupdate.example.net\",\"port\":443},"
        "{\"purpose\":\"antivirus\",\"host\":\"198.51.100.80\",\"port\":65535}],"
        "\"snmp\":{\"mode\":\"off\"}}";
    for (int sets = FW_SETS_NONE; sets <= FW_SETS_ON; sets++) {
        char *t = render(MIRROR, FW_NFT, (enum fw_sets)sets);
        assert_has(t, "ip daddr 10.0.0.8 tcp dport 8080 accept comment \"flow 6 update mirror "
                      "mirror.example.net resolved");
        assert_has(t, "# An internal mirror: pinned to its addresses");
        assert_has(t, "ip daddr 198.51.100.80 tcp dport 65535 accept comment \"flow 19 ");
        assert_lacks(t, "\t\ttcp dport 8080 accept");
        assert_lacks(t, "\t\ttcp dport 65535 accept");
        /* the vendor's port of flow 6 is still not pinned */
        assert_has(t, sets == FW_SETS_NONE ? "\t\ttcp dport 443 accept"
                                           : "ip daddr @smsa_f6_443_v4 tcp dport 443 accept");
        free(t);
    }
    /* the CLI resolves the mirror even without sets */
    struct cfg *c = parse_ok(MIRROR);
    names_seen[0] = '\0';
    fw_each_name(c, FW_SETS_NONE, note_name, NULL);
    assert_has(names_seen, "mirror.example.net");
    assert_lacks(names_seen, "swupdate.example.net");
    cfg_free(c);
}

/* Every line of a sets-only output is a comment or a statement on the product's own sets. */
static void assert_only_set_statements(const char *t, const char *pattern)
{
    regex_t re;
    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    char *copy = strdup(t), *save = NULL;
    unsigned statements = 0;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        if (regexec(&re, line, 0, NULL, 0))
            fail_msg("not a set statement: \"%s\" in:\n%s", line, t);
        statements++;
    }
    assert_true(statements > 0);
    free(copy);
    regfree(&re);
}

static void test_sets_only_is_set_elements_only(void **state)
{
    (void)state;
    static const char HOSTILE[] =
        "{\"appliance\":{\"name\":\"cc1\",\"role\":\"control-center\"},"
        "\"peers\":{\"scanners\":[{\"name\":\"s1\",\"host\":\"evil.example.net\"}],"
        "\"management_hosts\":[\"evil.example.net\"]},"
        "\"updates\":[{\"purpose\":\"software\",\"host\":\"evil.example.net\",\"port\":443},"
        "{\"purpose\":\"antivirus\",\"host\":\"nowhere.example.net\",\"port\":80},"
        "{\"purpose\":\"rapid-response\",\"host\":\"evil.example.net\",\"port\":2121}],"
        "\"snmp\":{\"mode\":\"off\"}}";
    char *t = render(HOSTILE, FW_NFT, FW_SETS_ONLY);
    assert_only_set_statements(t, "^(flush set inet smsa_agent smsa_f[0-9]+_[0-9]+_v[46]|"
                                  "add element inet smsa_agent smsa_f[0-9]+_[0-9]+_v[46] "
                                  "\\{ [0-9a-f.:]+(, [0-9a-f.:]+)* \\})$");
    assert_has(t, "add element inet smsa_agent smsa_f6_443_v4 { 198.51.100.9 }");
    assert_lacks(t, "flush ruleset");
    assert_lacks(t, "1.2.3.4");
    free(t);
    for (enum fw_format f = FW_IPTABLES; f <= FW_IP6TABLES; f++) {
        t = render(HOSTILE, f, FW_SETS_ONLY);
        assert_only_set_statements(t, "^((create|flush|add|swap|destroy) smsa_f[0-9]+_[0-9]+_v[46]"
                                      "(_n)?( .*)?)$");
        assert_lacks(t, "flush ruleset");
        assert_lacks(t, "1.2.3.4");
        free(t);
    }
    /* the full ruleset took only the literal too */
    t = render(HOSTILE, FW_NFT, FW_SETS_NONE);
    assert_has(t, "ip daddr 198.51.100.9 tcp dport 41002 accept");
    assert_lacks(t, "flush ruleset");
    assert_lacks(t, "198.51.100.66");
    free(t);
}

/* Thousands of scanners, each address under two names: one rule per address and flow. */
static void test_many_scanners_one_rule_per_address(void **state)
{
    (void)state;
    size_t cap = 4096 * 80 + 512, n = 0;
    char *text = malloc(cap);
    n += (size_t)snprintf(text + n, cap - n,
                          "{\"appliance\":{\"name\":\"c\",\"role\":\"control-center\"},"
                          "\"peers\":{\"management_hosts\":[\"192.0.2.100\"],\"scanners\":[");
    for (unsigned i = 0; i < 4096; i++)
        n += (size_t)snprintf(text + n, cap - n, "%s{\"name\":\"s%u\",\"host\":\"10.%u.%u.1\"}",
                              i ? "," : "", i, (i % 2048) / 250, (i % 2048) % 250);
    snprintf(text + n, cap - n, "]},\"updates\":[],\"snmp\":{\"mode\":\"off\"}}");
    char *t = render(text, FW_NFT, FW_SETS_NONE);
    unsigned rules = 0;
    for (const char *s = t; (s = strstr(s, "tcp dport 41002 accept")); s++)
        rules++;
    assert_int_equal(rules, 2 * 2048); /* flow 11 out and flow 12 in, per address */
    free(t);
    free(text);
}

/* A Control Center beside, watching two scanners, from 192.0.2.200 and 2001:db8::200. */
static const char CC_BESIDE[] =
    "{\"appliance\":{\"name\":\"cc1\",\"role\":\"control-center\",\"placement\":\"beside\","
    "\"address\":\"cc.example.net\"},"
    "\"peers\":{\"scanners\":[{\"name\":\"scanner1\",\"host\":\"scanner1.example.net\"},"
    "{\"name\":\"scanner2\",\"host\":\"scanner2.example.net\"}],"
    "\"dns_servers\":[\"192.0.2.53\"],\"management_hosts\":[\"192.0.2.100\"],"
    "\"internal_mail_servers\":[\"192.0.2.25\"]},"
    "\"updates\":[{\"purpose\":\"software\",\"host\":\"swupdate.example.net\",\"port\":443}],"
    "\"snmp\":{\"mode\":\"off\"},\"http\":{\"listen\":\"0.0.0.0:8080\"}}";

static const struct fw_addrs this_host = {
    .resolved = true, .n = 2, .addr = {"192.0.2.200", "2001:db8::200"}};

static void test_beside_is_a_forward_chain_between_the_fleets_addresses(void **state)
{
    (void)state;
    vantage = &this_host;
    char *t = render(CC_BESIDE, FW_NFT, FW_SETS_NONE);
    vantage = NULL;
    /* a forward chain that decides only the appliances' traffic: the router keeps the rest */
    assert_has(t, "\tchain forward {\n");
    assert_has(t, "type filter hook forward priority filter; policy accept;");
    assert_lacks(t, "hook input");
    assert_lacks(t, "hook output");
    assert_lacks(t, "policy drop");
    assert_has(t, "ct state established,related accept");
    /* inbound flows to each appliance's address from their sources */
    assert_has(t, "ip saddr 192.0.2.100 ip daddr 192.0.2.1 tcp dport 22 accept");
    assert_has(t, "ip saddr 192.0.2.100 ip daddr 192.0.2.1 tcp dport 41443 accept");
    assert_has(t, "ip saddr 192.0.2.100 ip daddr 192.0.2.11 tcp dport 22 accept");
    assert_has(t, "ip saddr 192.0.2.100 ip daddr 192.0.2.12 tcp dport 22 accept");
    assert_has(
        t, "\t\tip daddr 192.0.2.12 tcp dport 25 accept comment \"scanner2: flow 2 any source\"");
    assert_has(t, "ip saddr 192.0.2.25 ip daddr 192.0.2.11 tcp dport 25 accept");
    /* outbound flows from each appliance's address to their peers */
    assert_has(t, "ip saddr 192.0.2.1 ip daddr 192.0.2.53 udp dport 53 accept");
    assert_has(t, "ip saddr 192.0.2.12 ip daddr 192.0.2.53 udp dport 53 accept");
    assert_has(t, "ip saddr 192.0.2.11 ip daddr 192.0.2.25 tcp dport 25 accept");
    /* Control Center <-> Scanner, once each */
    assert_has(t, "ip saddr 192.0.2.1 ip daddr 192.0.2.11 tcp dport 41002 accept comment \"cc1: "
                  "flow 11 scanner1 scanner1.example.net resolved 2025-11-30T23:59:00Z\"");
    assert_has(t, "ip saddr 192.0.2.1 ip daddr 192.0.2.12 tcp dport 41017 accept");
    assert_has(t, "ip saddr 192.0.2.12 ip daddr 192.0.2.1 tcp dport 41002 accept");
    assert_has(t, "ip saddr 192.0.2.11 ip daddr 192.0.2.1 tcp dport 41025 accept");
    const char *once = strstr(t, "ip saddr 192.0.2.1 ip daddr 192.0.2.11 tcp dport 41002 accept");
    assert_null(strstr(once + 1, "ip saddr 192.0.2.1 ip daddr 192.0.2.11 tcp dport 41002 accept"));
    /* the Control Center has no IPv6 address: no IPv6 rule between it and scanner1 */
    assert_lacks(t, "ip6 daddr 2001:db8::11 tcp dport 41002 accept comment \"cc1:");
    /* this host, whose checks reach the scanners and the appliances' inbound ports */
    for (unsigned port = 41015; port <= 41017; port++) {
        char want[128];
        snprintf(want, sizeof(want), "ip saddr 192.0.2.200 ip daddr 192.0.2.12 tcp dport %u accept",
                 port);
        assert_has(t, want);
    }
    assert_has(t, "ip saddr 192.0.2.200 ip daddr 192.0.2.11 tcp dport 41002 accept comment "
                  "\"scanner1: flow 11 checked from this host\"");
    assert_has(t, "ip6 saddr 2001:db8::200 ip6 daddr 2001:db8::11 tcp dport 41002 accept");
    assert_has(t, "ip saddr 192.0.2.200 ip daddr 192.0.2.1 tcp dport 22 accept");
    assert_has(t, "ip saddr 192.0.2.200 ip daddr 192.0.2.1 tcp dport 41443 accept");
    assert_has(t, "ip saddr 192.0.2.200 ip daddr 192.0.2.11 tcp dport 22 accept");
    assert_has(t, "ip saddr 192.0.2.200 ip daddr 192.0.2.12 tcp dport 25 accept");
    /* 41080 is off by default: neither its sources nor this host reach it */
    assert_lacks(t, "dport 41080");
    /* the update hosts are never pinned, beside either */
    assert_has(t, "\t\tip saddr 192.0.2.1 tcp dport 443 accept comment \"cc1: flow 6 any "
                  "destination: update hosts are never pinned\"");
    assert_has(t, "\t\tip6 saddr 2001:db8::11 tcp dport 443 accept");
    assert_has(t, "It is imperative that you do not use specific IP addresses");
    assert_lacks(t, "198.51.100.7");
    /* nothing else to or from an appliance; everything else is not this chain's business */
    assert_has(t, "ip daddr { 192.0.2.1, 192.0.2.11, 192.0.2.12 } drop");
    assert_has(t, "ip saddr { 192.0.2.1, 192.0.2.11, 192.0.2.12 } drop");
    assert_has(t, "ip6 daddr { 2001:db8::11 } drop");
    /* this host's own input and output belong to the on-box export, not to a forward chain */
    assert_lacks(t, "kept:");
    assert_lacks(t, "dport 8080");
    assert_lacks(t, "iif \"lo\"");
    assert_has(t, "the on-box export's job");
    free(t);
}

static void test_beside_iptables_fills_its_forward_chain(void **state)
{
    (void)state;
    vantage = &this_host;
    char *v4 = render(CC_BESIDE, FW_IPTABLES, FW_SETS_NONE);
    char *v6 = render(CC_BESIDE, FW_IP6TABLES, FW_SETS_NONE);
    vantage = NULL;
    assert_has(v4, "*filter\n:SMSA-AGENT-FWD - [0:0]\n");
    assert_has(v4, "iptables -I FORWARD -j SMSA-AGENT-FWD");
    assert_lacks(v4, "SMSA-IN");
    assert_lacks(v4, "SMSA-OUT");
    assert_has(v4,
               "-A SMSA-AGENT-FWD -s 192.0.2.100/32 -d 192.0.2.11/32 -p tcp -m tcp --dport 22 ");
    assert_has(v4,
               "-A SMSA-AGENT-FWD -s 192.0.2.1/32 -d 192.0.2.12/32 -p tcp -m tcp --dport 41002 ");
    assert_has(v4,
               "-A SMSA-AGENT-FWD -s 192.0.2.200/32 -d 192.0.2.12/32 -p tcp -m tcp --dport 41016 ");
    assert_has(v4, "-A SMSA-AGENT-FWD -s 192.0.2.1/32 -p tcp -m tcp --dport 443 ");
    assert_has(v4, "-A SMSA-AGENT-FWD -d 192.0.2.12/32 -m comment --comment \"nothing else to an "
                   "appliance\" -j DROP\n");
    assert_has(v4, "-A SMSA-AGENT-FWD -s 192.0.2.12/32 -m comment --comment \"nothing else from "
                   "an appliance\" -j DROP\nCOMMIT\n");
    assert_lacks(v4, "2001:db8::11/128"); /* the header names them; no rule does */
    assert_has(v6, "-A SMSA-AGENT-FWD -s 2001:db8::200/128 -d 2001:db8::11/128 -p tcp -m tcp "
                   "--dport 41015 ");
    assert_has(v6, "-A SMSA-AGENT-FWD -d 2001:db8::11/128 -m comment");
    assert_lacks(v6, "192.0.2.11/32");
    free(v4);
    free(v6);
}

static void test_beside_json_says_hook_and_appliance(void **state)
{
    (void)state;
    vantage = &this_host;
    char *t = render(CC_BESIDE, FW_JSON, FW_SETS_NONE);
    vantage = NULL;
    json_error_t e;
    json_t *doc = json_loads(t, 0, &e);
    if (!doc)
        fail_msg("not JSON: %s\n%s", e.text, t);
    assert_string_equal(json_string_value(json_object_get(doc, "placement")), "beside");
    assert_int_equal(json_array_size(json_object_get(doc, "appliances")), 3);
    assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "vantage"), 0)),
                        "192.0.2.200");
    size_t i, from_here = 0, unpinned = 0;
    json_t *r;
    json_array_foreach(json_object_get(doc, "rules"), i, r)
    {
        assert_string_equal(json_string_value(json_object_get(r, "hook")), "forward");
        assert_non_null(json_string_value(json_object_get(r, "appliance")));
        assert_non_null(json_string_value(json_object_get(r, "appliance_address")));
        const char *label = json_string_value(json_object_get(r, "label"));
        from_here += label && !strcmp(label, "this host");
        if (json_is_false(json_object_get(r, "pinned"))) {
            assert_true(json_is_null(json_object_get(r, "address")));
            unpinned++;
        }
    }
    /* 443 from cc1 (v4), scanner1 (v4, v6) and scanner2 (v4) */
    assert_int_equal(unpinned, 4);
    assert_true(from_here > 0);
    json_decref(doc);
    free(t);
    /* on-box, the same rules say their hook: input or output */
    t = render(CC, FW_JSON, FW_SETS_NONE);
    doc = json_loads(t, 0, &e);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "placement")), "on-box");
    json_array_foreach(json_object_get(doc, "rules"), i, r)
    {
        const char *dir = json_string_value(json_object_get(r, "direction"));
        assert_string_equal(json_string_value(json_object_get(r, "hook")),
                            !strcmp(dir, "inbound") ? "input" : "output");
        assert_true(json_is_null(json_object_get(r, "appliance")));
    }
    json_decref(doc);
    free(t);
}

static void test_beside_a_scanner_admits_this_host_to_its_control_center(void **state)
{
    (void)state;
    static const char scanner_beside[] =
        "{\"appliance\":{\"name\":\"scan1\",\"role\":\"scanner\",\"placement\":\"beside\","
        "\"address\":\"192.0.2.11\"},"
        "\"peers\":{\"control_center\":\"cc.example.net\",\"dns_servers\":[\"192.0.2.53\"],"
        "\"management_hosts\":[\"192.0.2.100\"]},"
        "\"updates\":[],\"snmp\":{\"mode\":\"off\"}}";
    vantage = &this_host;
    char *t = render(scanner_beside, FW_NFT, FW_SETS_NONE);
    vantage = NULL;
    assert_has(t, "ip saddr 192.0.2.1 ip daddr 192.0.2.11 tcp dport 41002 accept");
    assert_has(t, "ip saddr 192.0.2.1 ip daddr 192.0.2.11 tcp dport 41016 accept");
    assert_has(t, "ip saddr 192.0.2.11 ip daddr 192.0.2.1 tcp dport 41025 accept");
    /* flows 12 and 13 are checked from this host */
    assert_has(t, "ip saddr 192.0.2.200 ip daddr 192.0.2.1 tcp dport 41002 accept");
    assert_has(t, "ip saddr 192.0.2.200 ip daddr 192.0.2.1 tcp dport 41025 accept");
    assert_has(t, "ip saddr 192.0.2.200 ip daddr 192.0.2.11 tcp dport 25 accept");
    /* the Control Center is not of this fleet: nothing else to it is dropped here */
    assert_has(t, "ip daddr { 192.0.2.11 } drop");
    assert_lacks(t, "ip daddr { 192.0.2.1 }");
    free(t);
}

static void test_beside_without_vantage_or_address_says_so(void **state)
{
    (void)state;
    char *t = render(CC_BESIDE, FW_NFT, FW_SETS_NONE);
    assert_has(t,
               "# the addresses of this host are unknown: nothing admits the checks of the agent");
    assert_lacks(t, "checked from this host");
    free(t);
    /* scanner2's name does not resolve: nothing for it, and no drop of an address it lacks */
    static const char unresolved[] =
        "{\"appliance\":{\"name\":\"cc1\",\"role\":\"control-center\",\"placement\":"
        "\"beside\",\"address\":\"192.0.2.1\"},"
        "\"peers\":{\"scanners\":[{\"name\":\"scanner2\",\"host\":\"gone.example.net\"}]},"
        "\"updates\":[],\"snmp\":{\"mode\":\"off\"}}";
    t = render(unresolved, FW_NFT, FW_SETS_NONE);
    assert_has(t, "# gone.example.net did not resolve: nothing is opened for appliance scanner2");
    assert_has(t, "ip daddr { 192.0.2.1 } drop");
    assert_lacks(t, "scanner2: flow");
    free(t);
}

static void test_beside_sets_keep_update_hosts_unpinned_per_appliance(void **state)
{
    (void)state;
    char *t = render(CC_BESIDE, FW_NFT, FW_SETS_ON);
    assert_has(t, "ip saddr 192.0.2.1 ip daddr @smsa_f6_443_v4 tcp dport 443 accept");
    assert_has(t, "ip6 saddr 2001:db8::11 ip6 daddr @smsa_f6_443_v6 tcp dport 443 accept");
    assert_has(t, "elements = { 198.51.100.7, 198.51.100.8 }");
    free(t);
    names_seen[0] = '\0';
    struct cfg *c = parse_ok(CC_BESIDE);
    fw_each_name(c, FW_SETS_NONE, note_name, NULL);
    cfg_free(c);
    assert_has(names_seen, "cc.example.net\n"); /* appliance.address, resolved now */
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
        cmocka_unit_test(test_empty_management_hosts_keeps_ssh_open_and_warns),
        cmocka_unit_test(test_keeps_this_hosts_resolvers),
        cmocka_unit_test(test_keeps_the_agents_own_listeners),
        cmocka_unit_test(test_a_peer_port_moves_only_its_lists_first_flow),
        cmocka_unit_test(test_an_update_mirror_is_pinned_to_its_addresses),
        cmocka_unit_test(test_sets_only_is_set_elements_only),
        cmocka_unit_test(test_many_scanners_one_rule_per_address),
        cmocka_unit_test(test_beside_is_a_forward_chain_between_the_fleets_addresses),
        cmocka_unit_test(test_beside_iptables_fills_its_forward_chain),
        cmocka_unit_test(test_beside_json_says_hook_and_appliance),
        cmocka_unit_test(test_beside_a_scanner_admits_this_host_to_its_control_center),
        cmocka_unit_test(test_beside_without_vantage_or_address_says_so),
        cmocka_unit_test(test_beside_sets_keep_update_hosts_unpinned_per_appliance),
        cmocka_unit_test(test_format_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
