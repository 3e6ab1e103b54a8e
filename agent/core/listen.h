/* The inbound check: does a local TCP socket LISTEN on a port (any address, v4 or v6)? */
#ifndef SMSA_LISTEN_H
#define SMSA_LISTEN_H

#include <stdbool.h>
#include <stdint.h>

/* 1 listening, 0 not, -1 cannot tell. Asks the kernel through sock_diag, falling back to
 * /proc/net/tcp and /proc/net/tcp6. */
int listen_check(uint16_t port);

/* Parses one /proc/net/tcp{,6} text; exposed for tests. */
int listen_scan_proc_text(const char *text, uint16_t port);

#endif
