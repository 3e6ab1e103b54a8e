/* A TLS client handshake over a connected non-blocking socket, driven by the loop (GnuTLS,
 * never a thread): what proves the HTTPS management service (41443) from beside, an SMTP
 * peer's STARTTLS and the update hosts on 443. The leaf certificate it shows is read into
 * facts (struct smsa_tls) that never decide the verdict. */
#ifndef SMSA_PROBE_TLS_H
#define SMSA_PROBE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* What a finished handshake learnt: the certificate's facts (days_left is the core's, from
 * the time of the round). */
struct probe_tls_result {
    bool handshake;  /* the handshake completed */
    char cipher[48]; /* "AES-256-GCM" */
    struct smsa_tls cert;
};

struct tlsp;

/* A client session on fd; server_name is sent as SNI when it is a name (not an address
 * literal), and the certificate is verified against it (a name or an address). NULL with
 * why filled when GnuTLS cannot start one. */
struct tlsp *tlsp_new(int fd, const char *server_name, char *why, size_t why_len);
/* Advances the handshake: 1 done, 0 wants the socket again (*want_write: writable, else
 * readable), -1 failed with why (gnutls_strerror's text). */
int tlsp_step(struct tlsp *t, bool *want_write, char *why, size_t why_len);
/* The session's facts once tlsp_step returned 1: version, cipher, the leaf certificate and
 * whether it verifies against the system's trust store and the server name. */
void tlsp_result(const struct tlsp *t, struct probe_tls_result *out);
/* Frees the session; the socket stays the caller's. */
void tlsp_free(struct tlsp *t);

/* Whole days from now to not_after (seconds since the epoch), rounded down: 4 for a
 * certificate that ends in 4.9 days, -1 for one that ended an hour ago. */
int32_t tlsp_days_left(int64_t not_after, int64_t now);

/* What a person reads about a certificate beside a check (the page, the preflight):
 * "certificate: 4 days left, not verified", "certificate expired, verified". */
void tlsp_describe(const struct smsa_tls *t, char *out, size_t len);

#endif
