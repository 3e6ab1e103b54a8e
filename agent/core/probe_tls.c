#include "probe_tls.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct tlsp {
    gnutls_session_t session;
    char *server_name; /* what the certificate is verified against; NULL: nothing */
};

/* One credentials object for every probe, with the system's trust store (ca-certificates)
 * loaded once: a certificate's verification is a fact to publish, not a verdict. */
static gnutls_certificate_credentials_t creds;

static bool is_literal(const char *host)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static int creds_ready(char *why, size_t why_len)
{
    if (creds)
        return 0;
    int rc = gnutls_certificate_allocate_credentials(&creds);
    if (rc < 0) {
        snprintf(why, why_len, "%s", gnutls_strerror(rc));
        creds = NULL;
        return -1;
    }
    /* no trust store: every certificate reads "not trusted", and the checks still run */
    rc = gnutls_certificate_set_x509_system_trust(creds);
    if (rc < 0)
        log_warn("TLS checks: cannot load the system's trust store: %s", gnutls_strerror(rc));
    return 0;
}

struct tlsp *tlsp_new(int fd, const char *server_name, char *why, size_t why_len)
{
    int rc;
    if (creds_ready(why, why_len) < 0)
        return NULL;
    struct tlsp *t = calloc(1, sizeof(*t));
    if (!t || (server_name && *server_name && !(t->server_name = strdup(server_name)))) {
        free(t);
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    if ((rc = gnutls_init(&t->session, GNUTLS_CLIENT | GNUTLS_NONBLOCK)) < 0) {
        snprintf(why, why_len, "%s", gnutls_strerror(rc));
        free(t->server_name);
        free(t);
        return NULL;
    }
    if ((rc = gnutls_set_default_priority(t->session)) < 0 ||
        (rc = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE, creds)) < 0 ||
        (t->server_name && !is_literal(t->server_name) &&
         (rc = gnutls_server_name_set(t->session, GNUTLS_NAME_DNS, t->server_name,
                                      strlen(t->server_name))) < 0)) {
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
    errno = 0;
    int rc = gnutls_handshake(t->session);
    int err = errno;
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
    if ((rc == GNUTLS_E_PULL_ERROR || rc == GNUTLS_E_PUSH_ERROR) && err) {
        /* "Error in the pull function." says less than the socket's own error */
        snprintf(why, why_len, "%s", strerror(err));
        why[0] = (char)tolower((unsigned char)why[0]);
    } else if (rc == GNUTLS_E_PREMATURE_TERMINATION) {
        snprintf(why, why_len, "closed during the handshake");
    } else {
        snprintf(why, why_len, "%s", gnutls_strerror(rc));
    }
    return -1;
}

/* Text cut to fit out (certificate fields are unbounded; the model's are not). */
static void copy_cut(char *out, size_t out_len, const char *in, size_t in_len)
{
    size_t n = in_len < out_len - 1 ? in_len : out_len - 1;
    memcpy(out, in, n);
    out[n] = '\0';
}

/* A datum GnuTLS allocated, copied as text cut to fit, then freed. */
static void take_text(gnutls_datum_t *d, char *out, size_t out_len)
{
    copy_cut(out, out_len, d->data ? (const char *)d->data : "", d->data ? d->size : 0);
    gnutls_free(d->data);
    d->data = NULL;
}

/* Appends word to a space-separated list, or nothing when it no longer fits whole. */
static void append_word(char *list, size_t len, const char *word)
{
    size_t used = strlen(list);
    size_t need = strlen(word) + (used ? 1 : 0);
    if (used + need + 1 > len)
        return;
    snprintf(list + used, len - used, "%s%s", used ? " " : "", word);
}

static void read_sans(gnutls_x509_crt_t crt, struct smsa_tls *out)
{
    /* a certificate with more names than fit keeps the first ones */
    for (unsigned i = 0; i < 64; i++) {
        char buf[256];
        size_t size = sizeof(buf) - 1;
        unsigned critical = 0;
        int type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &size, &critical);
        if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            break;
        if (type == GNUTLS_SAN_DNSNAME) {
            buf[size < sizeof(buf) ? size : sizeof(buf) - 1] = '\0';
            append_word(out->sans, sizeof(out->sans), buf);
        } else if (type == GNUTLS_SAN_IPADDRESS && (size == 4 || size == 16)) {
            char text[INET6_ADDRSTRLEN];
            if (inet_ntop(size == 4 ? AF_INET : AF_INET6, buf, text, sizeof(text)))
                append_word(out->sans, sizeof(out->sans), text);
        }
    }
}

static void read_certificate(const struct tlsp *t, struct smsa_tls *out)
{
    unsigned n = 0;
    const gnutls_datum_t *chain = gnutls_certificate_get_peers(t->session, &n);
    gnutls_x509_crt_t crt;
    if (!chain || n == 0 || gnutls_certificate_type_get(t->session) != GNUTLS_CRT_X509 ||
        gnutls_x509_crt_init(&crt) < 0)
        return;
    if (gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) < 0) {
        gnutls_x509_crt_deinit(crt);
        return;
    }
    out->seen = true;
    char cn[256];
    size_t size = sizeof(cn);
    gnutls_datum_t d = {NULL, 0};
    if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &size) == 0)
        copy_cut(out->subject, sizeof(out->subject), cn, strlen(cn));
    else if (gnutls_x509_crt_get_dn3(crt, &d, 0) == 0)
        take_text(&d, out->subject, sizeof(out->subject));
    if (gnutls_x509_crt_get_issuer_dn3(crt, &d, 0) == 0)
        take_text(&d, out->issuer, sizeof(out->issuer));
    read_sans(crt, out);
    out->not_before = (int64_t)gnutls_x509_crt_get_activation_time(crt);
    out->not_after = (int64_t)gnutls_x509_crt_get_expiration_time(crt);
    int sig = gnutls_x509_crt_get_signature_algorithm(crt);
    const char *sig_name = sig >= 0 ? gnutls_sign_get_name((gnutls_sign_algorithm_t)sig) : NULL;
    snprintf(out->sig_alg, sizeof(out->sig_alg), "%s", sig_name ? sig_name : "unknown");
    out->sha1 =
        sig >= 0 && gnutls_sign_get_hash_algorithm((gnutls_sign_algorithm_t)sig) == GNUTLS_DIG_SHA1;
    gnutls_x509_crt_deinit(crt);

    /* the chain against the trust store, and the leaf against the name the peer was
     * configured with (a name, or an address matched against the IP SANs) */
    unsigned status = 0;
    int rc = gnutls_certificate_verify_peers3(t->session, t->server_name, &status);
    if (rc < 0) {
        snprintf(out->verify_error, sizeof(out->verify_error), "%s", gnutls_strerror(rc));
        return;
    }
    out->verified = status == 0;
    if (status != 0 &&
        gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &d, 0) == 0) {
        char all[512];
        take_text(&d, all, sizeof(all));
        /* whole sentences only: GnuTLS gives one per reason ("The certificate is NOT trusted.
         * The certificate issuer is unknown. ...") */
        size_t keep = strlen(all);
        while (keep >= sizeof(out->verify_error)) {
            size_t dot = keep - 1;
            while (dot > 0 && all[dot - 1] != '.')
                dot--;
            keep = dot > 0 ? dot : sizeof(out->verify_error) - 1;
        }
        while (keep && all[keep - 1] == ' ')
            keep--;
        copy_cut(out->verify_error, sizeof(out->verify_error), all, keep);
    }
}

void tlsp_result(const struct tlsp *t, struct probe_tls_result *out)
{
    memset(out, 0, sizeof(*out));
    out->handshake = true;
    const char *v = gnutls_protocol_get_name(gnutls_protocol_get_version(t->session));
    const char *c = gnutls_cipher_get_name(gnutls_cipher_get(t->session));
    snprintf(out->cert.version, sizeof(out->cert.version), "%s", v ? v : "?");
    snprintf(out->cipher, sizeof(out->cipher), "%s", c ? c : "?");
    read_certificate(t, &out->cert);
}

void tlsp_free(struct tlsp *t)
{
    if (!t)
        return;
    gnutls_deinit(t->session);
    free(t->server_name);
    free(t);
}

void tlsp_describe(const struct smsa_tls *t, char *out, size_t len)
{
    if (!t->seen) {
        snprintf(out, len, "no certificate");
        return;
    }
    const char *v = t->verified ? "verified" : "not verified";
    if (t->days_left < 0)
        snprintf(out, len, "certificate expired, %s%s", v, t->sha1 ? ", SHA-1" : "");
    else
        snprintf(out, len, "certificate: %d day%s left, %s%s", (int)t->days_left,
                 t->days_left == 1 ? "" : "s", v, t->sha1 ? ", SHA-1" : "");
}

int32_t tlsp_days_left(int64_t not_after, int64_t now)
{
    int64_t d = not_after - now;
    /* whole days left; once it has ended, -1 for the first two days, then -2, ...: never 0,
     * which would read as "still valid today" */
    int64_t days = d >= 0 ? d / 86400 : (d / 86400 < 0 ? d / 86400 : -1);
    if (days > INT32_MAX)
        return INT32_MAX;
    if (days < INT32_MIN)
        return INT32_MIN;
    return (int32_t)days;
}
