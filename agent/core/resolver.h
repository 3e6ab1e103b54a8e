/* Asynchronous name resolution with c-ares on the loop (A and AAAA). */
#ifndef SMSA_RESOLVER_H
#define SMSA_RESOLVER_H

#include <stddef.h>
#include <sys/socket.h>

struct resolver_req;

/* status 0: addrs[n] (n may be 0 when the name has no address); otherwise a c-ares failure. */
typedef void (*resolver_cb)(int status, const struct sockaddr_storage *addrs, const socklen_t *lens,
                            size_t n, void *arg);

/* servers: NULL for /etc/resolv.conf, or "host:port,..." (c-ares ports_csv syntax). */
int resolver_init(const char *servers, unsigned timeout_ms);
void resolver_fini(void);
/* Re-creates the channel when servers or timeout changed; pending lookups must be cancelled. */
int resolver_configure(const char *servers, unsigned timeout_ms);

/* port is stored into every returned address. The callback never runs inside this call. */
struct resolver_req *resolver_lookup(const char *host, unsigned short port, resolver_cb cb,
                                     void *arg);
/* A failed status as a few words: c-ares' text ("Domain name not found", "Timeout while
 * contacting DNS servers"), and "no address" for a name that has none. */
const char *resolver_status_text(int status);
/* The callback will not be called. */
void resolver_cancel(struct resolver_req *req);

#endif
