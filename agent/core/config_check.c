/* The syntax of configuration values: each check returns NULL when the value is good, or
 * the rest of a message that starts with the quoted value. */
#include "addr.h"
#include "config_check.h"
#include "config_error.h"

#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* host:port with the port required; v6 says the host must be an IPv6 literal (or a name),
 * !v6 that it must not be one, -1 either. */
static const char *endpoint_fits(const struct addr_hostport *hp, int v6)
{
    if (!hp->port)
        return "has no port (expected host:port or [address]:port)";
    if (v6 == 1 && hp->family == AF_INET)
        return "names an IPv4 address for an IPv6 transport";
    if (v6 == 0 && hp->family == AF_INET6)
        return "names an IPv6 address for an IPv4 transport (use udp6: or tcp6:)";
    return NULL;
}

static const char *check_endpoint(const char *s, int v6)
{
    struct addr_hostport hp;
    char why[128];
    if (addr_parse_hostport(s, &hp, why, sizeof why) < 0)
        return "is not host:port or [address]:port";
    return endpoint_fits(&hp, v6);
}

/* A net-snmp transport address: [udp:|tcp:|udp6:|tcp6:]host:port. */
static const char *check_transport(const char *s, bool port_optional)
{
    struct addr_endpoint e;
    char why[128];
    if (addr_parse_transport(s, &e, why, sizeof why) < 0)
        return port_optional ? "is not [udp:|tcp:|udp6:|tcp6:]host[:port]"
                             : "is not host:port or [address]:port";
    if (port_optional)
        return NULL;
    return endpoint_fits(&e.hp, e.transport == ADDR_UDP6 || e.transport == ADDR_TCP6);
}

const char *cfgi_check_master_listen(const char *s)
{
    return check_transport(s, false);
}

const char *cfgi_check_trap_sink(const char *s)
{
    return check_transport(s, true);
}

const char *cfgi_check_agentx(const char *s)
{
    if (s[0] == '/' || (!strncmp(s, "unix:", 5) && s[5]))
        return NULL;
    if (!strncmp(s, "tcp:", 4))
        return check_endpoint(s + 4, -1);
    return "is not an AgentX address (expected /path, unix:/path or tcp:host:port)";
}

const char *cfgi_check_listen(const char *s)
{
    return check_endpoint(s, -1);
}

const char *cfgi_check_cidr(const char *s)
{
    struct addr_cidr c;
    return addr_parse_cidr(s, &c) == 0
               ? NULL
               : "is not an address or CIDR (e.g. 192.0.2.0/24, 2001:db8::/32)";
}

const char *cfgi_check_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > CFG_MAX_NAME - 1)
        return "is not a valid name (1..63 characters)";
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
            return "is not a valid name (letters, digits, '.', '_', '-')";
    return NULL;
}

const char *cfgi_check_host(const char *s)
{
    return cfg_host_valid(s) ? NULL : "is not a valid host name or address";
}

const char *cfgi_check_query_name(const char *s)
{
    return !strcmp(s, ".") || cfg_host_valid(s) ? NULL
                                                : "is not a DNS name (\".\" asks for the root)";
}

/* c-ares takes servers as "address[:port],...": addresses only, a resolver cannot be named. */
const char *cfgi_check_resolver(const char *s)
{
    if (!*s)
        return "is empty (null uses /etc/resolv.conf)";
    while (*s) {
        char item[CFG_MAX_HOST + 16], why[128];
        size_t n = strcspn(s, ",");
        struct addr_hostport hp;
        if (n == 0 || n >= sizeof item)
            return "is not a list of address[:port] separated by commas";
        memcpy(item, s, n);
        item[n] = '\0';
        if (addr_parse_hostport(item, &hp, why, sizeof why) < 0)
            return "is not a list of address[:port] separated by commas";
        if (!hp.family)
            return "names a host: resolvers must be addresses (address[:port],...)";
        s += n;
        if (*s == ',' && !*++s)
            return "ends with a comma";
    }
    return NULL;
}

const char *cfgi_check_state_dir(const char *s)
{
    return s[0] == '/' ? NULL : "is not an absolute path";
}

const char *cfgi_check_nonempty(const char *s)
{
    return *s ? NULL : "is empty";
}

/* Communities and the USM user name become words of net-snmp's configuration lines. */
const char *cfgi_check_word(const char *s)
{
    if (!*s)
        return "is empty";
    for (const char *c = s; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == '"' || *c == '\'' || *c == '\\' || *c == '#' ||
            (unsigned char)*c == 0x7f)
            return "must be one word, without spaces, quotes, backslashes, '#' or control "
                   "characters";
    return NULL;
}

const char *cfgi_check_passphrase(const char *s)
{
    /* net-snmp refuses USM passphrases shorter than 8 characters (RFC 3414 §11.2). */
    if (strlen(s) < 8)
        return "is shorter than 8 characters";
    /* it goes into a createUser line as one quoted string */
    for (const char *c = s; *c; c++)
        if ((unsigned char)*c < ' ' || *c == '"' || *c == '\\' || (unsigned char)*c == 0x7f)
            return "must not hold quotes, backslashes or control characters";
    return NULL;
}

/* ------------------------------------------------------------- host syntax */

bool cfg_host_valid(const char *host)
{
    return addr_host_valid(host);
}

int cfg_parse_peer(const char *s, struct cfg_peer *out, char *why, size_t why_len)
{
    struct addr_hostport hp;
    out->host = NULL;
    out->port = 0;
    if (addr_parse_hostport(s, &hp, why, why_len) < 0)
        return -1;
    if (!(out->host = strdup(hp.host))) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    out->port = hp.port;
    return 0;
}

void cfg_peer_format(const struct cfg_peer *p, char *buf, size_t len)
{
    addr_format_hostport(p->host, p->port, buf, len);
}
