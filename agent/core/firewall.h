/* What this appliance's host firewall must allow for its role and configuration (the vendor's
 * port table, TECH85204), rendered as an nft ruleset, iptables-restore / ip6tables-restore
 * files, or JSON. Pure: names are looked up through the caller (resolved now by the CLI, the
 * agent's last resolution over REST), and the output goes to a stream. */
#ifndef SMSA_FIREWALL_H
#define SMSA_FIREWALL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "model.h"

enum fw_format { FW_NFT, FW_IPTABLES, FW_IP6TABLES, FW_JSON };

/* Update hosts (flows 6, 19, 20) must not be pinned to addresses (the vendor's words); the
 * opt-in keeps them restricted to named sets of their current addresses instead. */
enum fw_sets {
    FW_SETS_NONE, /* their port to any destination, with the vendor's warning */
    FW_SETS_ON,   /* the whole ruleset, update hosts matched through sets */
    FW_SETS_ONLY, /* only the sets' contents, for a timer to refresh them */
};

/* How long a set element lives unless refreshed: a stopped refresh fails closed within the
 * hour, and the agent's own update checks then show it. */
#define FW_SET_TIMEOUT_S 3600

#define FW_MAX_ADDRS 32

/* The addresses of one name. */
struct fw_addrs {
    bool resolved; /* false: the name could not be resolved */
    size_t n;
    char addr[FW_MAX_ADDRS][SMSA_ADDR_TEXT];
    int64_t at_us; /* wall clock of that resolution; 0 when unknown */
};

/* Fills out for a host name (never for an address literal, which needs no lookup). */
typedef void (*fw_lookup_fn)(const char *host, struct fw_addrs *out, void *arg);

struct fw_options {
    enum fw_format format;
    enum fw_sets sets;
    int64_t now_us; /* wall clock written in the header: injectable for tests */
    /* This host's own resolvers are kept reachable (53 udp and tcp): read from this file;
     * NULL: FW_RESOLV_CONF. */
    const char *resolv_conf;
    /* Told what a person loading the rules must hear (SSH open from anywhere, ...); may be
     * NULL. The same text is a comment in the output. */
    void (*warn)(const char *text, void *arg);
    void *warn_arg;
    /* Beside: this host's own addresses (fw_vantage_addrs), admitted to the appliances for
     * the checks it makes from here; NULL or none: a note says nothing admits it. */
    const struct fw_addrs *vantage;
};

#define FW_RESOLV_CONF "/etc/resolv.conf"

/* The name of the chain an iptables FORWARD jumps to, beside. */
#define FW_IPT_FORWARD_CHAIN "SMSA-AGENT-FWD"

/* This host's addresses, as the vantage of the checks beside: every address of an interface
 * that is up, except loopback and link-local ones (no check leaves from those). -1 when the
 * interfaces cannot be read. */
int fw_vantage_addrs(struct fw_addrs *out);

int fw_format_parse(const char *s, enum fw_format *out);
const char *fw_format_name(enum fw_format f);

/* Calls cb for every host name the rendering of c will look up (some more than once). */
void fw_each_name(const struct cfg *c, enum fw_sets sets, void (*cb)(const char *host, void *arg),
                  void *arg);

/* Renders what c's appliance must allow; 0, or -1 when out of memory or the write failed.
 * On-box (appliance.placement), this host's input and output chains; whatever the
 * configuration, they keep this host reachable: SSH (from
 * management_hosts, else from anywhere with a warning), its own resolvers on 53 udp and tcp,
 * the agent's own listeners (http.listen, snmp.master_listen in master mode) from their
 * allow lists, loopback, and established and related traffic. Beside, the network firewall's
 * forward view: each appliance's flows between its addresses and their sources and peers,
 * this host admitted for its checks, established and related traffic, and nothing else to or
 * from an appliance's address; other forwarded traffic is left alone. A sets-only output
 * holds statements on the product's own sets and nothing else. */
int fw_render(FILE *out, const struct cfg *c, const struct fw_options *o, fw_lookup_fn lookup,
              void *arg);

#endif
