/* extra_flows: each entry validated with its path, the model's flows table sized at build with
 * one lookup by id, the catalogue's rules answering for an extra flow, and the firewall export
 * (extra flows, and flows 6 and 19 through probe.http_proxy). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "core.h"
#include "firewall.h"
#include "loop.h"
#include "model.h"

static struct cfg *parse(const char *text, struct cfg_error *err)
{
    memset(err, 0, sizeof(*err));
    return cfg_parse(text, strlen(text), err);
}

/* The configuration with extra_flows set to list (JSON text) is refused at path, with a
 * message holding want. */
static void refused(const char *list, const char *path, const char *want)
{
    char text[8192];
    struct cfg_error err;
    snprintf(text, sizeof(text), "{\"extra_flows\": %s}", list);
    struct cfg *c = parse(text, &err);
    if (c || strcmp(err.path, path) || !strstr(err.message, want))
        print_error("list %s: got %s path \"%s\" message \"%s\"\n", list,
                    c ? "accepted" : "refused", err.path, err.message);
    assert_null(c);
    assert_string_equal(err.path, path);
    assert_non_null(strstr(err.message, want));
}

#define SNMP_IN                                                                                    \
    "{\"id\": 161, \"port\": 161, \"protocol\": \"udp\", \"direction\": \"inbound\", "             \
    "\"purpose\": \"SNMP polling\", \"check\": \"listen\"}"
#define REPUTATION_OUT                                                                             \
    "{\"id\": 443, \"port\": 443, \"protocol\": \"tcp\", \"direction\": \"outbound\", "            \
    "\"purpose\": \"URL reputation\", \"check\": \"tls\", \"peers\": [\"192.0.2.44\", "            \
    "\"rep.example.net:8443\"]}"

static void test_each_error_has_its_path(void **state)
{
    (void)state;
    refused("[" SNMP_IN ", {\"id\": 42, \"port\": 1, \"protocol\": \"tcp\", \"direction\": "
            "\"inbound\", \"purpose\": \"x\", \"check\": \"listen\"}]",
            "extra_flows[1].id", "42 is out of range (101..999)");
    static const char *const bad_ids[] = {"0", "100", "1000", "-1", "\"x\"", "101.5"};
    for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
        char list[512];
        snprintf(list, sizeof(list),
                 "[{\"id\": %s, \"port\": 1, \"protocol\": \"tcp\", \"direction\": \"inbound\", "
                 "\"purpose\": \"x\", \"check\": \"listen\"}]",
                 bad_ids[i]);
        refused(list, "extra_flows[0].id",
                bad_ids[i][0] == '"' || strchr(bad_ids[i], '.') ? "expected an integer"
                                                                : "is out of range (101..999)");
    }
    refused("[{\"id\": 101, \"port\": 0, \"protocol\": \"tcp\", \"direction\": \"inbound\", "
            "\"purpose\": \"x\", \"check\": \"listen\"}]",
            "extra_flows[0].port", "0 is out of range (1..65535)");
    refused("[{\"id\": 101, \"port\": 65536, \"protocol\": \"tcp\", \"direction\": \"inbound\", "
            "\"purpose\": \"x\", \"check\": \"listen\"}]",
            "extra_flows[0].port", "65536 is out of range (1..65535)");
    refused("[{\"id\": 101, \"port\": 1, \"protocol\": \"sctp\", \"direction\": \"inbound\", "
            "\"purpose\": \"x\", \"check\": \"listen\"}]",
            "extra_flows[0].protocol", "is not a protocol");
    refused("[{\"id\": 101, \"port\": 1, \"protocol\": \"tcp\", \"direction\": \"sideways\", "
            "\"purpose\": \"x\", \"check\": \"listen\"}]",
            "extra_flows[0].direction", "is not a direction");
    refused("[{\"id\": 101, \"port\": 1, \"protocol\": \"tcp\", \"direction\": \"inbound\", "
            "\"purpose\": \"x\", \"check\": \"icmp\"}]",
            "extra_flows[0].check", "is not a check");
    refused("[{\"id\": 101, \"port\": 1, \"protocol\": \"tcp\", \"direction\": \"inbound\", "
            "\"purpose\": \"a\\\"b\", \"check\": \"listen\"}]",
            "extra_flows[0].purpose", "without quotes");
    refused("[{\"id\": 101, \"port\": 1, \"protocol\": \"tcp\", \"direction\": \"inbound\", "
            "\"purpose\": \"x\", \"check\": \"listen\", \"colour\": 1}]",
            "extra_flows[0].colour", "unknown key");
    refused("[{\"port\": 1, \"protocol\": \"tcp\", \"direction\": \"inbound\", "
            "\"purpose\": \"x\", \"check\": \"listen\"}]",
            "extra_flows[0]", "missing key \"id\"");
    /* the rules across an entry's keys, and across entries */
    refused("[" SNMP_IN ", " SNMP_IN "]", "extra_flows[1].id",
            "161 is also the id of extra_flows[0]");
    refused("[{\"id\": 101, \"port\": 53, \"protocol\": \"tcp\", \"direction\": \"outbound\", "
            "\"purpose\": \"x\", \"check\": \"dns\", \"peers\": [\"192.0.2.1\"]}]",
            "extra_flows[0].check", "dns is a udp check, and this flow is tcp");
    refused("[{\"id\": 101, \"port\": 80, \"protocol\": \"udp\", \"direction\": \"outbound\", "
            "\"purpose\": \"x\", \"check\": \"http\", \"peers\": [\"192.0.2.1\"]}]",
            "extra_flows[0].check", "http is a tcp check, and this flow is udp");
    refused("[{\"id\": 101, \"port\": 80, \"protocol\": \"tcp\", \"direction\": \"outbound\", "
            "\"purpose\": \"x\", \"check\": \"listen\", \"peers\": [\"192.0.2.1\"]}]",
            "extra_flows[0].check", "listen checks an inbound flow");
    refused("[{\"id\": 101, \"port\": 80, \"protocol\": \"tcp\", \"direction\": \"outbound\", "
            "\"purpose\": \"x\", \"check\": \"http\"}]",
            "extra_flows[0].peers", "an outbound flow needs peers");
    refused("[{\"id\": 101, \"port\": 80, \"protocol\": \"tcp\", \"direction\": \"outbound\", "
            "\"purpose\": \"x\", \"check\": \"http\", \"peers\": [\"bad host!\"]}]",
            "extra_flows[0].peers[0]", "");
    refused("[{\"id\": 101, \"port\": 80, \"protocol\": \"tcp\", \"direction\": \"inbound\", "
            "\"purpose\": \"x\", \"check\": \"http\", \"peers\": [\"192.0.2.1\"]}]",
            "extra_flows[0].peers", "an inbound flow has no peers");
    refused("{}", "extra_flows", "expected an array");
}

static void test_ten_thousand_entries_are_refused(void **state)
{
    (void)state;
    size_t cap = 10000 * 8 + 64;
    char *list = malloc(cap);
    assert_non_null(list);
    size_t n = 0;
    n += (size_t)snprintf(list + n, cap - n, "[");
    for (int i = 0; i < 10000; i++)
        n += (size_t)snprintf(list + n, cap - n, "%s{}", i ? "," : "");
    snprintf(list + n, cap - n, "]");
    char *text = malloc(cap + 32);
    snprintf(text, cap + 32, "{\"extra_flows\": %s}", list);
    struct cfg_error err;
    struct cfg *c = parse(text, &err);
    assert_null(c);
    assert_string_equal(err.path, "extra_flows");
    assert_non_null(strstr(err.message, "at most 899"));
    free(text);
    free(list);
}

static void test_entries_are_kept_sorted_and_written_back(void **state)
{
    (void)state;
    struct cfg_error err;
    struct cfg *c = parse("{\"extra_flows\": [" REPUTATION_OUT ", " SNMP_IN "]}", &err);
    assert_non_null(c);
    assert_int_equal(c->n_extra_flows, 2);
    assert_int_equal(c->extra_flows[0].row.def.id, 161);
    assert_int_equal(c->extra_flows[1].row.def.id, 443);
    assert_int_equal(c->extra_flows[1].peers.n, 2);
    assert_int_equal(c->extra_flows[1].peers.items[1].port, 8443);
    assert_ptr_equal(cfg_extra_flow(c, 443), &c->extra_flows[1]);
    assert_null(cfg_extra_flow(c, 444));
    char *text = cfg_serialise(c);
    struct cfg *again = parse(text, &err);
    assert_non_null(again);
    assert_int_equal(again->n_extra_flows, 2);
    assert_string_equal(again->extra_flows[0].row.def.purpose, "SNMP polling");
    struct cfg *copy = cfg_clone(again);
    assert_non_null(copy);
    assert_string_equal(copy->extra_flows[1].peers.items[1].host, "rep.example.net");
    cfg_free(copy);
    cfg_free(again);
    free(text);
    cfg_free(c);
}

static void test_udp_listen_cannot_be_checked_beside(void **state)
{
    (void)state;
    struct cfg_error err;
    struct cfg *c = parse("{\"appliance\": {\"placement\": \"beside\", \"address\": "
                          "\"192.0.2.9\"}, \"extra_flows\": [" SNMP_IN "]}",
                          &err);
    assert_null(c);
    assert_string_equal(err.path, "extra_flows[0].check");
}

/* ---- the model and the rules ---- */

static struct cfg *extra_config(const char *extra)
{
    char text[4096];
    struct cfg_error err;
    snprintf(text, sizeof(text),
             "{\"appliance\": {\"role\": \"scanner\"}, \"state_dir\": \"/nonexistent/smsa-x\", "
             "\"probe\": {\"interval_ms\": 3600000}, \"extra_flows\": %s}",
             extra);
    struct cfg *c = parse(text, &err);
    if (!c)
        print_error("%s: %s\n", err.path, err.message);
    assert_non_null(c);
    return c;
}

static void test_model_holds_the_extra_flows_after_the_vendors(void **state)
{
    (void)state;
    assert_int_equal(loop_init(), 0);
    /* a file to persist the reload's change to */
    char path[] = "/tmp/smsa-extra-flows-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct cfg *first = extra_config("[" REPUTATION_OUT ", " SNMP_IN "]");
    struct cfg_error err;
    assert_int_equal(cfg_save(first, path, &err), 0);
    assert_int_equal(core_init(first, path, NULL), 0);
    const struct smsa_model *m = core_model();
    assert_int_equal(m->n_flows, CAT_NFLOWS + 2);
    for (unsigned id = 1; id <= CAT_NFLOWS; id++)
        assert_ptr_equal(model_flow(m, id)->def, cat_flow(id));
    assert_null(model_flow(m, 0));
    assert_null(model_flow(m, 21));
    assert_null(model_flow(m, 160));
    assert_null(model_flow(m, 1000));
    const struct smsa_flow *snmp = model_flow(m, 161), *rep = model_flow(m, 443);
    assert_non_null(snmp);
    assert_non_null(rep);
    assert_ptr_equal(snmp, &m->flows[CAT_NFLOWS]);
    assert_string_equal(snmp->def->purpose, "SNMP polling");
    assert_int_equal(snmp->direction, DIR_INBOUND);
    assert_int_equal(snmp->n_peers, 1);
    assert_int_equal(snmp->peers[0]->kind, PROBE_LISTEN);
    assert_int_equal(snmp->peers[0]->port, 161);
    assert_int_equal(rep->direction, DIR_OUTBOUND);
    assert_int_equal(rep->n_peers, 2);
    assert_int_equal(rep->peers[0]->kind, PROBE_TLS);
    assert_int_equal(rep->peers[0]->port, 443);
    assert_int_equal(rep->peers[1]->port, 8443);
    /* the rules answer from the entry, for every role */
    assert_int_equal(cat_direction(443, ROLE_CONTROL_CENTER), DIR_OUTBOUND);
    assert_int_equal(cat_probe_kind(443, ROLE_SCANNER), PROBE_TLS);
    assert_int_equal(cat_probe_kind(161, ROLE_SCANNER), PROBE_LISTEN);
    assert_int_equal(cat_peer_source(443), SRC_EXTRA);
    assert_int_equal(cat_inbound_source(161), CAT_FROM_MANAGEMENT_OR_ANY);
    assert_int_equal(cat_flow_switch(161), CAT_SWITCH_NONE);
    assert_null(cat_flow(162));

    /* a reload removes one flow and adds another; learnt state carries over */
    rep->peers[0]->checks = 7;
    struct cfg *next =
        extra_config("[" REPUTATION_OUT ", {\"id\": 999, \"port\": 2222, \"protocol\": \"tcp\", "
                     "\"direction\": \"outbound\", \"purpose\": \"later\", \"check\": \"ssh\", "
                     "\"peers\": [\"127.0.0.1\"]}]");
    assert_int_equal(core_change(next, &err), 0);
    m = core_model();
    assert_null(model_flow(m, 161));
    assert_null(cat_flow(161));
    assert_non_null(model_flow(m, 999));
    assert_int_equal(model_flow(m, 999)->peers[0]->kind, PROBE_SSH);
    assert_int_equal(model_flow(m, 443)->peers[0]->checks, 7);
    core_fini();
    loop_fini();
    unlink(path);
}

/* Beside, an inbound extra flow is checked at the appliance's address with its check. */
static void test_beside_checks_an_inbound_extra_flow_at_the_appliance(void **state)
{
    (void)state;
    struct cfg_error err;
    struct cfg *c =
        parse("{\"appliance\": {\"role\": \"scanner\", \"placement\": \"beside\", "
              "\"address\": \"192.0.2.9\"}, \"state_dir\": \"/nonexistent/smsa-x\", "
              "\"extra_flows\": [{\"id\": 180, \"port\": 80, \"protocol\": \"tcp\", \"direction\": "
              "\"inbound\", \"purpose\": \"ThreatCon\", \"check\": \"http\"}, {\"id\": 181, "
              "\"port\": 8081, \"protocol\": \"tcp\", \"direction\": \"inbound\", \"purpose\": "
              "\"plain\", \"check\": \"listen\"}]}",
              &err);
    if (!c)
        print_error("%s: %s\n", err.path, err.message);
    assert_non_null(c);
    assert_int_equal(loop_init(), 0);
    assert_int_equal(core_init(c, NULL, NULL), 0);
    const struct smsa_flow *f = model_flow(core_model(), 180);
    assert_non_null(f);
    assert_int_equal(f->direction, DIR_INBOUND);
    assert_int_equal(f->measured_from, MEASURED_FROM_VANTAGE);
    assert_int_equal(f->n_peers, 1);
    assert_string_equal(f->peers[0]->host, "192.0.2.9");
    assert_int_equal(f->peers[0]->port, 80);
    assert_int_equal(f->peers[0]->kind, PROBE_HTTP);
    assert_true(f->peers[0]->appliance_index > 0);
    /* listen beside is a connection to the port */
    assert_int_equal(model_flow(core_model(), 181)->peers[0]->kind, PROBE_TCP);
    core_fini();
    loop_fini();
    assert_null(cat_flow(180)); /* the rows in force went with the configuration */
}

/* ---- the firewall export ---- */

static void no_lookup(const char *host, struct fw_addrs *out, void *arg)
{
    (void)arg;
    out->resolved = !strcmp(host, "proxy.example.net");
    out->n = out->resolved ? 1 : 0;
    if (out->resolved)
        snprintf(out->addr[0], SMSA_ADDR_TEXT, "192.0.2.80");
}

static char *render(const char *text)
{
    struct cfg_error err;
    struct cfg *c = parse(text, &err);
    if (!c)
        print_error("%s: %s\n", err.path, err.message);
    assert_non_null(c);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    struct fw_options o = {.format = FW_NFT, .now_us = 1, .resolv_conf = "/nonexistent"};
    assert_int_equal(fw_render(f, c, &o, no_lookup, NULL), 0);
    fclose(f);
    cfg_free(c);
    return out;
}

static void test_firewall_opens_extra_flows(void **state)
{
    (void)state;
    char *t = render("{\"appliance\": {\"role\": \"scanner\"}, \"extra_flows\": [" SNMP_IN
                     ", " REPUTATION_OUT "]}");
    /* inbound, no management hosts: from anywhere, the purpose named */
    assert_non_null(strstr(t, "udp dport 161 accept comment \"flow 161 SNMP polling\""));
    assert_non_null(strstr(t, "# flow 161, SNMP polling, 161/udp inbound"));
    /* outbound: to its peers, each on its own port */
    assert_non_null(strstr(t, "ip daddr 192.0.2.44 tcp dport 443 accept"));
    assert_null(strstr(t, "rep.example.net resolved"));
    free(t);
    t = render("{\"appliance\": {\"role\": \"scanner\"}, \"peers\": {\"management_hosts\": "
               "[\"192.0.2.7\"]}, \"extra_flows\": [" SNMP_IN "]}");
    assert_non_null(strstr(t, "ip saddr 192.0.2.7 udp dport 161 accept"));
    free(t);
}

static void test_firewall_opens_update_flows_to_the_proxy_only(void **state)
{
    (void)state;
    char *t = render("{\"probe\": {\"http_proxy\": \"proxy.example.net:3128\"}}");
    assert_non_null(strstr(t, "ip daddr 192.0.2.80 tcp dport 3128 accept comment \"flow 6"));
    assert_non_null(strstr(t, "ip daddr 192.0.2.80 tcp dport 3128 accept comment \"flow 19"));
    assert_non_null(strstr(t, "through the proxy proxy.example.net:3128"));
    /* neither 443 nor 80 to any destination any more; 21 (FTP, not through the proxy) is */
    assert_null(strstr(t, "tcp dport 443 accept"));
    assert_null(strstr(t, "tcp dport 80 accept"));
    assert_non_null(strstr(t, "tcp dport 21 accept"));
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_error_has_its_path),
        cmocka_unit_test(test_ten_thousand_entries_are_refused),
        cmocka_unit_test(test_entries_are_kept_sorted_and_written_back),
        cmocka_unit_test(test_udp_listen_cannot_be_checked_beside),
        cmocka_unit_test(test_model_holds_the_extra_flows_after_the_vendors),
        cmocka_unit_test(test_beside_checks_an_inbound_extra_flow_at_the_appliance),
        cmocka_unit_test(test_firewall_opens_extra_flows),
        cmocka_unit_test(test_firewall_opens_update_flows_to_the_proxy_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
