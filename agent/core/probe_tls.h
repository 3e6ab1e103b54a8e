/* A TLS client handshake over a connected non-blocking socket, driven by the loop (GnuTLS,
 * never a thread): what proves the HTTPS management service (41443) from beside. */
#ifndef SMSA_PROBE_TLS_H
#define SMSA_PROBE_TLS_H

#include <stdbool.h>
#include <stddef.h>

/* What a finished handshake learnt. Room for the certificate facts (subject, issuer,
 * not-after, verification) to come: a certificate never changes up/down, so they are facts
 * beside the verdict, not part of it. */
struct probe_tls_result {
    bool handshake;   /* the handshake completed */
    char version[16]; /* "TLS1.3" */
    char cipher[48];  /* "AES-256-GCM" */
};

struct tlsp;

/* A client session on fd; server_name is sent as SNI when it is a name (not an address
 * literal). NULL with why filled when GnuTLS cannot start one. */
struct tlsp *tlsp_new(int fd, const char *server_name, char *why, size_t why_len);
/* Advances the handshake: 1 done, 0 wants the socket again (*want_write: writable, else
 * readable), -1 failed with why (gnutls_strerror's text). */
int tlsp_step(struct tlsp *t, bool *want_write, char *why, size_t why_len);
void tlsp_result(const struct tlsp *t, struct probe_tls_result *out);
/* Frees the session; the socket stays the caller's. */
void tlsp_free(struct tlsp *t);

#endif
