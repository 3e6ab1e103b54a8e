#include "probe_tls.h"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tlsp {
    gnutls_session_t session;
};

/* One credentials object for every probe: without a trust store yet, since a certificate
 * does not decide whether the service answers. */
static gnutls_certificate_credentials_t creds;

static bool is_literal(const char *host)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

struct tlsp *tlsp_new(int fd, const char *server_name, char *why, size_t why_len)
{
    int rc;
    if (!creds && (rc = gnutls_certificate_allocate_credentials(&creds)) < 0) {
        snprintf(why, why_len, "%s", gnutls_strerror(rc));
        creds = NULL;
        return NULL;
    }
    struct tlsp *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    if ((rc = gnutls_init(&t->session, GNUTLS_CLIENT | GNUTLS_NONBLOCK)) < 0) {
        snprintf(why, why_len, "%s", gnutls_strerror(rc));
        free(t);
        return NULL;
    }
    if ((rc = gnutls_set_default_priority(t->session)) < 0 ||
        (rc = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE, creds)) < 0 ||
        (server_name && *server_name && !is_literal(server_name) &&
         (rc = gnutls_server_name_set(t->session, GNUTLS_NAME_DNS, server_name,
                                      strlen(server_name))) < 0)) {
        snprintf(why, why_len, "%s", gnutls_strerror(rc));
        tlsp_free(t);
        return NULL;
    }
    gnutls_transport_set_int(t->session, fd);
    /* the probe's own timer bounds the handshake */
    gnutls_handshake_set_timeout(t->session, 0);
    return t;
}

int tlsp_step(struct tlsp *t, bool *want_write, char *why, size_t why_len)
{
    int rc = gnutls_handshake(t->session);
    if (rc == GNUTLS_E_SUCCESS)
        return 1;
    if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
        *want_write = gnutls_record_get_direction(t->session) == 1;
        return 0;
    }
    if (!gnutls_error_is_fatal(rc)) {
        /* a warning alert: the handshake goes on */
        *want_write = gnutls_record_get_direction(t->session) == 1;
        return 0;
    }
    snprintf(why, why_len, "%s", gnutls_strerror(rc));
    return -1;
}

void tlsp_result(const struct tlsp *t, struct probe_tls_result *out)
{
    memset(out, 0, sizeof(*out));
    out->handshake = true;
    const char *v = gnutls_protocol_get_name(gnutls_protocol_get_version(t->session));
    const char *c = gnutls_cipher_get_name(gnutls_cipher_get(t->session));
    snprintf(out->version, sizeof(out->version), "%s", v ? v : "?");
    snprintf(out->cipher, sizeof(out->cipher), "%s", c ? c : "?");
}

void tlsp_free(struct tlsp *t)
{
    if (!t)
        return;
    gnutls_deinit(t->session);
    free(t);
}
