/* One probe of one address: TCP connect, SMTP/FTP greeting, DNS query, SNTP query, SSH
 * identification line, TLS handshake, HTTP status line, or the local listen check.
 * Non-blocking; the result arrives through the callback. */
#ifndef SMSA_PROBE_H
#define SMSA_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "model.h"
#include "probe_tls.h"

struct probe;

/* What one probe of one address found. */
struct probe_addr_result {
    bool ok;
    enum smsa_cause cause;
    char detail[SMSA_DETAIL_TEXT]; /* why, in a few words, when !ok */
    int64_t rtt_us;
    struct smsa_ntp_result ntp;  /* NTP probes */
    struct probe_tls_result tls; /* TLS probes */
};

typedef void (*probe_cb)(const struct probe_addr_result *r, void *arg);

struct probe_params {
    enum smsa_probe_kind kind;
    const struct sockaddr_storage *addr;
    socklen_t addrlen;
    unsigned timeout_ms;
    const char *dns_query_name; /* PROBE_DNS */
    const char *host;      /* the peer's host as configured: TLS's SNI and name to verify, HTTP's
                            * Host header, what an HTTP proxy is asked to CONNECT to */
    uint16_t port;         /* the peer's port (with a proxy, addr is the proxy's) */
    const char *via_proxy; /* "host:port" of an HTTP proxy that tunnels the check; NULL:
                            * direct. The detail then ends "via proxy host:port". */
};

/* Starts a probe; the callback is called exactly once, never inside this call.
 * Returns NULL only when memory is exhausted. */
struct probe *probe_start(const struct probe_params *p, probe_cb cb, void *arg);
/* Abandons a probe in flight: the callback will not be called. */
void probe_cancel(struct probe *pr);

/* The answers that prove a service, as pure parsers over what was received so far: 1 the
 * answer is complete and good, 0 more is needed, -1 it is not that service (why says, with
 * the line received made printable and cut to fit). */
/* RFC 4253 §4.2: the first line starts "SSH-" ("SSH-2.0-OpenSSH_9.2p1"). */
int probe_parse_ssh_ident(const char *buf, size_t len, char *why, size_t why_len);
/* RFC 9112 §4: "HTTP/1.x NNN reason"; *code gets NNN and line the status line when good. */
int probe_parse_http_status(const char *buf, size_t len, unsigned *code, char *line,
                            size_t line_len, char *why, size_t why_len);
/* An SMTP reply (RFC 5321 §4.2): lines "NNN-text" then "NNN text". 1 complete with *code and
 * *starttls (an EHLO reply's line names the STARTTLS extension, RFC 3207), 0 more is
 * needed, -1 not a reply (why says). */
int probe_parse_smtp_reply(const char *buf, size_t len, unsigned *code, bool *starttls, char *why,
                           size_t why_len);
/* The end of an HTTP header block ("\r\n\r\n" or "\n\n"): the offset just past it, 0 while
 * it has not come. */
size_t probe_http_header_end(const char *buf, size_t len);
/* A line from a peer as text an operator can read: up to the first CR or LF, every byte
 * that is not printable ASCII as '?', cut to fit out (with "..." when cut). */
void probe_printable(const char *in, size_t len, char *out, size_t out_len);

/* The errno of a failed connect/send/recv as a cause (the causes of README, What it checks). */
enum smsa_cause probe_cause_from_errno(int err);
/* Its detail text: "connection refused", "no route to host", ... */
void probe_errno_detail(int err, char *buf, size_t len);

#endif
