/* The inbound check: does a local TCP socket LISTEN on a port, and on which addresses? */
#ifndef SMSA_LISTEN_H
#define SMSA_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum listen_status {
    LISTEN_UNKNOWN = -1, /* cannot tell */
    LISTEN_NONE = 0,     /* no socket listens on the port */
    LISTEN_REACHABLE,    /* a wildcard or non-loopback address listens: others can connect */
    LISTEN_LOOPBACK_ONLY /* only loopback addresses listen: nothing outside can connect */
};

/* Asks the kernel through sock_diag, falling back to /proc/net/tcp{,6}. The listening
 * addresses go into addrs, space-separated and sorted ("" when none). */
enum listen_status listen_check(uint16_t port, char *addrs, size_t len);
/* The same for a protocol: udp, a socket bound to the port and not connected (a server's;
 * an operator-added inbound flow over UDP, such as SNMP on 161). */
enum listen_status listen_check_proto(uint16_t port, bool udp, char *addrs, size_t len);

/* A list from listen_check, shortened for a detail: as many whole addresses as fit in out,
 * then " (+N more)" for those left out; never half an address. Returns out. */
const char *listen_brief(char *out, size_t len, const char *addrs);

#endif
