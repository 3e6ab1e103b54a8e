/* Who may talk to the REST face: the allow list, the Host check against DNS rebinding, the
 * bearer token and the status page's sessions, and the count of failed authentications. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "http_internal.h"
#include "http_parse.h"
#include "log.h"
#include "loop.h"

#define TOKEN_MAX 512
#define SESSION_ID_BYTES 32
#define SESSION_ID_HEX (2 * SESSION_ID_BYTES)
/* Browsers that logged in and are remembered at once; a login past it pushes out the session
 * that would expire first. */
#define SESSION_MAX 64
#define SESSION_TTL_S (12 * 3600)

struct session {
    char id[SESSION_ID_HEX + 1]; /* "" when the slot is free */
    int64_t expires_us;          /* loop_now_us() clock */
};

static char token[TOKEN_MAX];
static size_t token_len;
static bool token_set;
static struct addr_cidr *allow;
static size_t n_allow;
static char **server_names; /* http.server_names, copied */
static size_t n_server_names;
static char listen_host[ADDR_MAX_HOST + 2]; /* http.listen's host as written */
static char host_name[256];                 /* gethostname() */
static struct session sessions[SESSION_MAX];
static uint64_t auth_failures;
static struct log_limit auth_log, host_log;
static char start_dir[4096]; /* relative file names are taken from here */

/* ---- files ---- */

void httpf_set_start_dir(const char *dir)
{
    snprintf(start_dir, sizeof(start_dir), "%s", dir ? dir : "");
}

const char *httpf_access_path(const char *path, char *buf, size_t len)
{
    if (!path || path[0] == '/' || !start_dir[0])
        return path;
    if ((size_t)snprintf(buf, len, "%s/%s", start_dir, path) >= len)
        return path; /* too long to join: opened as given, and refused if it is not there */
    return buf;
}

int httpf_open_private(const char *key, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        log_err("http: cannot read %s %s: %s", key, path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        log_err("http: %s %s is not a regular file", key, path);
        close(fd);
        return -1;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        log_err("http: %s %s is accessible by group or others (mode %04o); chmod 600 it", key, path,
                (unsigned)(st.st_mode & 07777));
        close(fd);
        return -1;
    }
    return fd;
}

/* The token of http.token_file into out (TOKEN_MAX bytes); -1, logged, when it will not do. */
static int read_token(const char *file, char *out, size_t *out_len)
{
    char buf[4096];
    const char *path = httpf_access_path(file, buf, sizeof(buf));
    int fd = httpf_open_private("http.token_file", path);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, out, TOKEN_MAX - 1);
    close(fd);
    if (n < 0) {
        log_err("http: cannot read http.token_file %s: %s", path, strerror(errno));
        return -1;
    }
    if ((size_t)n >= TOKEN_MAX - 1) {
        log_err("http: http.token_file %s is too long (limit %d bytes)", path, TOKEN_MAX - 2);
        return -1;
    }
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
        n--;
    out[n] = 0;
    for (ssize_t i = 0; i < n; i++) {
        if ((uint8_t)out[i] <= ' ' || (uint8_t)out[i] >= 0x7f) {
            log_err("http: http.token_file %s holds a token with spaces or control "
                    "characters",
                    path);
            return -1;
        }
    }
    if (n < HTTPF_TOKEN_MIN) {
        /* A short token can be guessed over the network; the package writes 64 characters. */
        log_err("http: http.token_file %s holds a token of %zd characters; at least %d are "
                "needed (e.g. head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n')",
                path, n, HTTPF_TOKEN_MIN);
        return -1;
    }
    *out_len = (size_t)n;
    return 0;
}

/* ---- state ---- */

static void sessions_clear(void)
{
    explicit_bzero(sessions, sizeof(sessions));
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

void httpf_access_reset(void)
{
    explicit_bzero(token, sizeof(token));
    token_len = 0;
    token_set = false;
    free(allow);
    allow = NULL;
    n_allow = 0;
    free_names(server_names, n_server_names);
    server_names = NULL;
    n_server_names = 0;
    sessions_clear();
}

/* A copy of http.server_names; false when out of memory. */
static bool copy_names(const struct cfg *cfg, char ***out, size_t *n_out)
{
    size_t n = cfg->http.n_server_names;
    char **v = calloc(n ? n : 1, sizeof(*v));
    if (!v)
        return false;
    for (size_t i = 0; i < n; i++) {
        v[i] = strdup(cfg->http.server_names[i]);
        if (!v[i]) {
            free_names(v, i);
            return false;
        }
    }
    *out = v;
    *n_out = n;
    return true;
}

/* The allow list of cfg, parsed; NULL (logged) when an entry is not a prefix. */
static struct addr_cidr *parse_allow(const struct cfg *cfg)
{
    size_t n = cfg->http.n_allow;
    struct addr_cidr *next = calloc(n ? n : 1, sizeof(*next));
    if (!next) {
        log_err("http: out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (addr_parse_cidr(cfg->http.allow[i], &next[i]) < 0) {
            log_err("http: http.allow[%zu] \"%s\" is not an address/prefix", i, cfg->http.allow[i]);
            free(next);
            return NULL;
        }
    }
    return next;
}

int httpf_access_prepare(const struct cfg *cfg, const struct addr_hostport *listen, bool loopback)
{
    snprintf(listen_host, sizeof(listen_host), "%s", listen->host);
    if (gethostname(host_name, sizeof(host_name) - 1) < 0)
        host_name[0] = 0;
    if (cfg->http.token_file) {
        if (read_token(cfg->http.token_file, token, &token_len) < 0) {
            httpf_access_reset();
            return -1;
        }
        token_set = true;
    }
    if (!token_set && !loopback) {
        log_err("http: refusing to listen on %s beyond loopback without http.token_file",
                cfg->http.listen);
        httpf_access_reset();
        return -1;
    }
    allow = parse_allow(cfg);
    if (!allow || !copy_names(cfg, &server_names, &n_server_names)) {
        httpf_access_reset();
        return -1;
    }
    n_allow = cfg->http.n_allow;
    return 0;
}

void httpf_access_apply(const struct cfg *cfg, bool loopback)
{
    struct addr_cidr *next = parse_allow(cfg);
    if (!next) {
        log_err("http: http.allow not changed");
    } else {
        free(allow);
        allow = next;
        n_allow = cfg->http.n_allow;
    }
    char **names;
    size_t n_names;
    if (copy_names(cfg, &names, &n_names)) {
        free_names(server_names, n_server_names);
        server_names = names;
        n_server_names = n_names;
    } else {
        log_err("http: out of memory: http.server_names not changed");
    }

    if (cfg->http.token_file) {
        char fresh[TOKEN_MAX];
        size_t len;
        if (read_token(cfg->http.token_file, fresh, &len) < 0) {
            log_err("http: new token refused: the bearer token stays the previous one");
        } else {
            if (!token_set || len != token_len || memcmp(fresh, token, len)) {
                /* A browser logged in with the old token is not let in by the new one. */
                sessions_clear();
            }
            memcpy(token, fresh, len + 1);
            token_len = len;
            token_set = true;
        }
        explicit_bzero(fresh, sizeof(fresh));
    } else if (token_set && !loopback) {
        log_err("http: http.token_file is needed while listening beyond loopback: the bearer "
                "token stays");
    } else if (token_set) {
        explicit_bzero(token, sizeof(token));
        token_len = 0;
        token_set = false;
        sessions_clear();
    }
}

bool httpf_access_token_set(void)
{
    return token_set;
}

size_t httpf_access_n_allow(void)
{
    return n_allow;
}

uint64_t httpf_access_failures(void)
{
    return auth_failures;
}

bool httpf_access_client_allowed(const struct sockaddr *sa)
{
    return sa && httpf_cidr_match(allow, n_allow, sa);
}

/* ---- the Host header ---- */

/* The address this connection came in on; false when it cannot be known. */
static bool local_addr(struct MHD_Connection *conn, struct sockaddr_storage *ss)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    socklen_t len = sizeof(*ss);
    return ci && getsockname(ci->connect_fd, (struct sockaddr *)ss, &len) == 0;
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
    return ntohs(ss->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)ss)->sin6_port
                                           : ((const struct sockaddr_in *)ss)->sin_port);
}

static bool same_name(const char *a, const char *b)
{
    size_t n = strlen(b);
    if (n && b[n - 1] == '.')
        n--;
    return n && strlen(a) == n && !strncasecmp(a, b, n);
}

bool httpf_access_host_ok(struct MHD_Connection *conn)
{
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!h)
        return true; /* HTTP/1.0 without Host: no browser sends that (MHD refuses it in 1.1) */
    struct sockaddr_storage ss;
    if (!local_addr(conn, &ss))
        return false;
    struct addr_hostport hp;
    char why[64];
    if (addr_parse_hostport(h, &hp, why, sizeof(why)) < 0)
        goto refused;
    /* A browser always names the port it connected to unless it is the scheme's default:
     * another port is another origin, whose pages have no business here. */
    if (hp.port && hp.port != port_of(&ss))
        goto refused;
    if (hp.family) {
        struct addr_cidr c;
        if (addr_parse_cidr(hp.host, &c) == 0 && httpf_cidr_match(&c, 1, (struct sockaddr *)&ss))
            return true;
        goto refused;
    }
    /* A name: ours only. "localhost" reaches only loopback, so it is ours on a loopback
     * connection; any other name must be configured or be this host's own. */
    if (same_name(listen_host, hp.host) || (host_name[0] && same_name(host_name, hp.host)))
        return true;
    if (addr_sockaddr_is_loopback((struct sockaddr *)&ss) && same_name("localhost", hp.host))
        return true;
    for (size_t i = 0; i < n_server_names; i++)
        if (same_name(server_names[i], hp.host))
            return true;
refused : {
    char shown[128];
    httpf_escape_text(h, shown, sizeof(shown));
    log_limited(&host_log, LOG_LVL_WARN,
                "http: request for host \"%s\" refused (421): not one of this agent's names "
                "(add it to http.server_names)",
                shown);
    return false;
}
}

/* ---- the token and the sessions ---- */

static bool const_time_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    /* Always walks the expected value's full length, whatever the candidate. */
    unsigned diff = (unsigned)(alen ^ blen);
    for (size_t i = 0; i < blen; i++)
        diff |= (unsigned)((uint8_t)(i < alen ? a[i] : 0) ^ (uint8_t)b[i]);
    return diff == 0;
}

bool httpf_access_token_matches(const char *given, size_t n)
{
    return token_set && const_time_equal(given, n, token, token_len);
}

/* The bearer token of the Authorization header: true when it is right; *presented when
 * there was one at all. */
static bool bearer_ok(struct MHD_Connection *conn, bool *presented)
{
    const char *h =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h)
        return false;
    *presented = true;
    if (strncasecmp(h, "Bearer ", 7))
        return false;
    h += 7;
    while (*h == ' ')
        h++;
    size_t n = strlen(h);
    while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
        n--;
    return httpf_access_token_matches(h, n);
}

/* The session cookie: only for reads, so that no page of another site can make a write with
 * it (SameSite=Strict already keeps it from cross-site requests). */
static bool session_ok(struct MHD_Connection *conn, const char *method, bool *presented)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, HTTPF_PAGE_COOKIE);
    if (!v)
        return false;
    *presented = true;
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return false;
    size_t n = strlen(v);
    int64_t now = loop_now_us();
    bool found = false;
    for (size_t i = 0; i < SESSION_MAX; i++) {
        struct session *s = &sessions[i];
        if (!s->id[0])
            continue;
        if (s->expires_us <= now) {
            explicit_bzero(s, sizeof(*s));
            continue;
        }
        found |= const_time_equal(v, n, s->id, SESSION_ID_HEX);
    }
    return found;
}

bool httpf_access_authorised(struct MHD_Connection *conn, const char *method)
{
    if (!token_set)
        return true;
    bool presented = false;
    if (bearer_ok(conn, &presented) || session_ok(conn, method, &presented))
        return true;
    if (presented)
        httpf_access_failed(conn, "a wrong token or session");
    return false;
}

void httpf_access_failed(struct MHD_Connection *conn, const char *what)
{
    auth_failures++;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char who[INET6_ADDRSTRLEN] = "?";
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        const void *a = sa->sa_family == AF_INET6
                            ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
                            : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
        if (!inet_ntop(sa->sa_family, a, who, sizeof(who)))
            snprintf(who, sizeof(who), "?");
    }
    log_limited(&auth_log, LOG_LVL_WARN, "http: authentication failed from %s: %s (%llu so far)",
                who, what, (unsigned long long)auth_failures);
}

int httpf_access_login(char *cookie, size_t len, bool tls)
{
    uint8_t raw[SESSION_ID_BYTES];
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
        log_err("http: no random bytes for a session: %s", strerror(errno));
        return -1;
    }
    int64_t now = loop_now_us();
    struct session *slot = &sessions[0];
    for (size_t i = 0; i < SESSION_MAX; i++) {
        struct session *s = &sessions[i];
        if (!s->id[0] || s->expires_us <= now) {
            slot = s;
            break;
        }
        if (s->expires_us < slot->expires_us)
            slot = s;
    }
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(slot->id + 2 * i, 3, "%02x", raw[i]);
    explicit_bzero(raw, sizeof(raw));
    slot->expires_us = now + (int64_t)SESSION_TTL_S * 1000000;
    snprintf(cookie, len, "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s",
             HTTPF_PAGE_COOKIE, slot->id, SESSION_TTL_S, tls ? "; Secure" : "");
    return 0;
}

/* The value of key in an application/x-www-form-urlencoded body, decoded into out (false:
 * absent or too long). */
static bool form_value(const char *body, const char *key, char *out, size_t out_len)
{
    size_t klen = strlen(key);
    for (const char *p = body; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncmp(p, key, klen) || p[klen] != '=')
            continue;
        const char *v = p + klen + 1;
        size_t n = strcspn(v, "&");
        if (n >= out_len)
            return false;
        memcpy(out, v, n);
        out[n] = 0;
        for (char *c = out; *c; c++)
            if (*c == '+')
                *c = ' ';
        out[MHD_http_unescape(out)] = 0;
        return true;
    }
    return false;
}

bool httpf_access_form_token_ok(char *body, size_t len)
{
    char given[1024];
    bool ok = body && form_value(body, "token", given, sizeof(given)) && given[0] &&
              httpf_access_token_matches(given, strlen(given));
    explicit_bzero(given, sizeof(given));
    if (body)
        explicit_bzero(body, len);
    return ok;
}
