/* The address syntax of the configuration, parsed once into typed values: host names and
 * literals, host[:port] with IPv6 in brackets, address prefixes (CIDR) and net-snmp transport
 * addresses. The loader checks with these parsers, and the faces take their results, so a
 * string the loader accepts is read the same way everywhere. */
#ifndef SMSA_ADDR_H
#define SMSA_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ADDR_MAX_HOST 253 /* RFC 1035 §2.3.4, without the root's trailing dot */

/* AF_INET or AF_INET6 when s is an address literal of that family, else 0. */
int addr_literal_family(const char *s);
/* A DNS name (labels of 1..63 letters, digits and '-', not all-numeric at the end) or an
 * address literal. */
bool addr_host_valid(const char *host);

struct addr_hostport {
    char host[ADDR_MAX_HOST + 2]; /* without brackets */
    uint16_t port;                /* 0: none written */
    int family;                   /* AF_INET, AF_INET6 for a literal; 0 for a name */
};

/* "host", "host:port", "192.0.2.1:25", "[2001:db8::1]:25", "2001:db8::1". -1 with why (the
 * rest of a sentence that starts with the quoted text, e.g. "has '[' without ']'"). */
int addr_parse_hostport(const char *s, struct addr_hostport *out, char *why, size_t why_len);
/* As written in a configuration: "[2001:db8::1]:25", "host:25" or "host" when port is 0. */
void addr_format_hostport(const char *host, uint16_t port, char *buf, size_t len);
/* Whether the host reaches only this machine: "localhost", 127/8, ::1, ::ffff:127/104. A
 * name other than "localhost" may resolve anywhere, so it does not count. */
bool addr_hostport_is_loopback(const struct addr_hostport *hp);
/* The same rule for addresses already in binary: 127/8, ::1 and 127/8 mapped into IPv6 reach
 * nothing beyond this host; a wildcard (0.0.0.0, ::) or any other address does. */
struct in6_addr;
struct sockaddr;
bool addr_in6_is_loopback(const struct in6_addr *a);
bool addr_sockaddr_is_loopback(const struct sockaddr *sa);

/* An address with a prefix length: "192.0.2.0/24", "2001:db8::/32", or a bare address (a
 * host prefix). An IPv4-mapped prefix of /96 or longer is the IPv4 prefix it spells. */
struct addr_cidr {
    int family; /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    unsigned bits;
};
int addr_parse_cidr(const char *s, struct addr_cidr *out);

/* A net-snmp transport address: [udp:|tcp:|udp6:|tcp6:]host[:port]. */
enum addr_transport { ADDR_DEFAULT, ADDR_UDP, ADDR_TCP, ADDR_UDP6, ADDR_TCP6 };
struct addr_endpoint {
    enum addr_transport transport;
    struct addr_hostport hp;
};
int addr_parse_transport(const char *s, struct addr_endpoint *out, char *why, size_t why_len);

#endif
