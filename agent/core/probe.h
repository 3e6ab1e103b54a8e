/* One probe of one address: TCP connect, SMTP/FTP greeting, DNS query, SNTP query, or the
 * local listen check. Non-blocking; the result arrives through the callback. */
#ifndef SMSA_PROBE_H
#define SMSA_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "model.h"

struct probe;

/* What one probe of one address found. */
struct probe_addr_result {
    bool ok;
    enum smsa_cause cause;
    char detail[SMSA_DETAIL_TEXT]; /* why, in a few words, when !ok */
    int64_t rtt_us;
    struct smsa_ntp_result ntp; /* NTP probes */
};

typedef void (*probe_cb)(const struct probe_addr_result *r, void *arg);

struct probe_params {
    enum smsa_probe_kind kind;
    const struct sockaddr_storage *addr;
    socklen_t addrlen;
    unsigned timeout_ms;
    const char *dns_query_name; /* PROBE_DNS */
};

/* Starts a probe; the callback is called exactly once, never inside this call.
 * Returns NULL only when memory is exhausted. */
struct probe *probe_start(const struct probe_params *p, probe_cb cb, void *arg);
/* Abandons a probe in flight: the callback will not be called. */
void probe_cancel(struct probe *pr);

/* The errno of a failed connect/send/recv as a cause (SPEC §3). */
enum smsa_cause probe_cause_from_errno(int err);
/* Its detail text: "connection refused", "no route to host", ... */
void probe_errno_detail(int err, char *buf, size_t len);

#endif
