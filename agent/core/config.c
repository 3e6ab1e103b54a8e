#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deeper than any real configuration: the schema itself is at most 4 levels deep. */
#define CFG_MAX_DEPTH 16
/* Longest free-form string (paths, communities, passphrases): PATH_MAX is enough. */
#define CFG_MAX_STRING 4096

/* The vendor's update sources (SPEC §4, TECH85204), in this order. */
static const struct {
    const char *purpose, *host;
    uint16_t port;
} default_updates[] = {
    {"software", "swupdate.brightmail.com", 443},
    {"registration", "register.brightmail.com", 443},
    {"rules", "aztec.brightmail.com", 443},
    {"antivirus", "liveupdate.symantecliveupdate.com", 80},
    {"antivirus", "liveupdate.symantec.com", 80},
    {"rapid-response", "update.symantec.com", 21},
};

/* The vendor's NTP servers, filled in when NTP is enabled with none (SPEC §4). */
static const char *const default_ntp_servers[] = {"pool.ntp.org", "clock.isc.org", "time.nist.gov"};

static const char *const default_allow[] = {"127.0.0.0/8", "::1/128"};

static const char *const update_purposes[] = {"software", "registration", "rules", "antivirus",
                                              "rapid-response"};

/* Keys of each object, in the order cfg_serialise writes them. */
static const char *const top_keys[] = {"appliance", "peers", "ntp",       "updates", "probe",
                                       "snmp",      "http",  "state_dir", NULL};
static const char *const appliance_keys[] = {"name", "role", "http_management", NULL};
static const char *const peers_keys[] = {"control_center",        "scanners",
                                         "dns_servers",           "ldap_servers",
                                         "internal_mail_servers", "internet_mail_hosts",
                                         "management_hosts",      NULL};
static const char *const scanner_keys[] = {"name", "host", NULL};
static const char *const ntp_keys[] = {"enabled", "servers", NULL};
static const char *const update_keys[] = {"purpose", "host", "port", "enabled", NULL};
static const char *const probe_keys[] = {
    "interval_ms", "timeout_ms", "fail_threshold", "recover_threshold", "dns_query_name",
    "resolver",    NULL};
static const char *const snmp_keys[] = {
    "mode",       "agentx_socket",  "master_listen",     "ping_interval_s",
    "community",  "usm_user",       "usm_auth_key",      "usm_priv_key",
    "trap_sinks", "trap_community", "notify_rate_limit", "notify_queue",
    NULL};
static const char *const http_keys[] = {
    "listen",          "token_file",         "allow",     "tls_cert", "tls_key",
    "max_connections", "per_ip_connections", "timeout_s", NULL};
static const char *const updates_body_keys[] = {"items", NULL};
static const char *const trap_sink_keys[] = {"address", "inform", NULL};

/* Numeric bounds, shared by the parser (which reports the value as written) and
 * cfg_validate (which re-checks copies changed in memory). */
static const struct {
    const char *path;
    size_t off;
    unsigned min, max;
} num_fields[] = {
    {"probe.interval_ms", offsetof(struct cfg, probe.interval_ms), 100, 3600000},
    {"probe.timeout_ms", offsetof(struct cfg, probe.timeout_ms), 50, 60000},
    {"probe.fail_threshold", offsetof(struct cfg, probe.fail_threshold), 1, 100},
    {"probe.recover_threshold", offsetof(struct cfg, probe.recover_threshold), 1, 100},
    {"snmp.ping_interval_s", offsetof(struct cfg, snmp.ping_interval_s), 1, 3600},
    {"snmp.notify_rate_limit", offsetof(struct cfg, snmp.notify_rate_limit), 0, 100000},
    {"snmp.notify_queue", offsetof(struct cfg, snmp.notify_queue), 1, 100000},
    {"http.max_connections", offsetof(struct cfg, http.max_connections), 1, 10000},
    {"http.per_ip_connections", offsetof(struct cfg, http.per_ip_connections), 1, 10000},
    {"http.timeout_s", offsetof(struct cfg, http.timeout_s), 1, 3600},
};

/* The keys a running daemon cannot apply: the sockets it listens on, what net-snmp read at
 * start (its access control and trap sinks cannot be re-initialised in place) and where its
 * state lives. Every other key is applied by a reload. */
enum restart_kind { RK_STR, RK_STRV, RK_UINT, RK_MODE };
static const struct {
    const char *path;
    enum restart_kind kind;
    size_t off, count_off;
} restart_keys[] = {
    {"snmp.mode", RK_MODE, offsetof(struct cfg, snmp.mode), 0},
    {"snmp.master_listen", RK_STR, offsetof(struct cfg, snmp.master_listen), 0},
    {"snmp.community", RK_STR, offsetof(struct cfg, snmp.community), 0},
    {"snmp.usm_user", RK_STR, offsetof(struct cfg, snmp.usm_user), 0},
    {"snmp.usm_auth_key", RK_STR, offsetof(struct cfg, snmp.usm_auth_key), 0},
    {"snmp.usm_priv_key", RK_STR, offsetof(struct cfg, snmp.usm_priv_key), 0},
    {"snmp.trap_sinks", RK_STRV, offsetof(struct cfg, snmp.trap_sinks),
     offsetof(struct cfg, snmp.n_trap_sinks)},
    {"snmp.trap_community", RK_STR, offsetof(struct cfg, snmp.trap_community), 0},
    {"http.listen", RK_STR, offsetof(struct cfg, http.listen), 0},
    {"http.tls_cert", RK_STR, offsetof(struct cfg, http.tls_cert), 0},
    {"http.tls_key", RK_STR, offsetof(struct cfg, http.tls_key), 0},
    {"http.max_connections", RK_UINT, offsetof(struct cfg, http.max_connections), 0},
    {"http.per_ip_connections", RK_UINT, offsetof(struct cfg, http.per_ip_connections), 0},
    {"http.timeout_s", RK_UINT, offsetof(struct cfg, http.timeout_s), 0},
    {"state_dir", RK_STR, offsetof(struct cfg, state_dir), 0},
};

/* ---------------------------------------------------------------- key paths */

/* The parser and the position finder build paths with the same code, so a path that had to
 * be truncated still matches itself. */
struct path {
    char buf[sizeof(((struct cfg_error *)0)->path)];
    size_t len;
};

static size_t path_key(struct path *p, const char *key)
{
    size_t old = p->len;
    int n = snprintf(p->buf + p->len, sizeof p->buf - p->len, "%s%s", p->len ? "." : "", key);
    if (n > 0)
        p->len += (size_t)n < sizeof p->buf - p->len ? (size_t)n : sizeof p->buf - p->len - 1;
    return old;
}

static size_t path_index(struct path *p, size_t i)
{
    size_t old = p->len;
    int n = snprintf(p->buf + p->len, sizeof p->buf - p->len, "[%zu]", i);
    if (n > 0)
        p->len += (size_t)n < sizeof p->buf - p->len ? (size_t)n : sizeof p->buf - p->len - 1;
    return old;
}

static void path_pop(struct path *p, size_t old)
{
    p->len = old;
    p->buf[old] = '\0';
}

/* ------------------------------------------------------------ position finder */

/* jansson keeps no positions, so errors find theirs by walking the original text again.
 * The text has already been accepted by jansson, so this scanner only needs to be correct
 * on valid JSON; it gives up quietly on anything else. */
struct locator {
    const char *s;
    size_t len, pos;
    int line, col;
    const char *target;
    bool want_key, found;
    int found_line, found_col;
    struct path path;
};

static void loc_advance(struct locator *l)
{
    unsigned char ch = (unsigned char)l->s[l->pos++];
    if (ch == '\n') {
        l->line++;
        l->col = 1;
    } else if ((ch & 0xC0) != 0x80) {
        l->col++; /* columns count characters, as jansson's do */
    }
}

static void loc_ws(struct locator *l)
{
    while (l->pos < l->len && strchr(" \t\r\n", l->s[l->pos]) && l->s[l->pos])
        loc_advance(l);
}

static void put_utf8(char *out, size_t *n, size_t cap, unsigned long cp)
{
    unsigned char b[4];
    size_t k;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        k = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    for (size_t i = 0; i < k && *n + 1 < cap; i++)
        out[(*n)++] = (char)b[i];
}

static unsigned long loc_hex4(struct locator *l)
{
    unsigned long v = 0;
    for (int i = 0; i < 4 && l->pos < l->len; i++) {
        char ch = l->s[l->pos];
        v = v * 16 + (unsigned long)(isdigit((unsigned char)ch)
                                         ? ch - '0'
                                         : (tolower((unsigned char)ch) - 'a' + 10));
        loc_advance(l);
    }
    return v;
}

/* Skips a string at pos (on the opening quote); decodes it into out when out is not NULL. */
static bool loc_string(struct locator *l, char *out, size_t cap)
{
    size_t n = 0;
    loc_advance(l);
    while (l->pos < l->len && l->s[l->pos] != '"') {
        char ch = l->s[l->pos];
        if (ch != '\\') {
            if (out && n + 1 < cap)
                out[n++] = ch;
            loc_advance(l);
            continue;
        }
        loc_advance(l);
        if (l->pos >= l->len)
            return false;
        ch = l->s[l->pos];
        loc_advance(l);
        if (ch == 'u') {
            unsigned long cp = loc_hex4(l);
            if (cp >= 0xD800 && cp < 0xDC00 && l->pos + 1 < l->len && l->s[l->pos] == '\\' &&
                l->s[l->pos + 1] == 'u') {
                loc_advance(l);
                loc_advance(l);
                unsigned long lo = loc_hex4(l);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (out)
                put_utf8(out, &n, cap, cp);
            continue;
        }
        static const char esc_in[] = "bfnrt", esc_out[] = "\b\f\n\r\t";
        const char *e = strchr(esc_in, ch);
        if (out && n + 1 < cap)
            out[n++] = e && ch ? esc_out[e - esc_in] : ch;
    }
    if (out)
        out[n] = '\0';
    if (l->pos >= l->len)
        return false;
    loc_advance(l);
    return true;
}

static bool loc_here(struct locator *l, bool is_key)
{
    if (l->want_key == is_key && !strcmp(l->path.buf, l->target)) {
        l->found = true;
        l->found_line = l->line;
        l->found_col = l->col;
    }
    return l->found;
}

/* Walks one value; returns false when done (found, or text not understood). */
static bool loc_value(struct locator *l, int depth)
{
    if (loc_here(l, false) || depth > 2 * CFG_MAX_DEPTH || l->pos >= l->len)
        return false;
    char ch = l->s[l->pos];
    if (ch == '{' || ch == '[') {
        char close = ch == '{' ? '}' : ']';
        loc_advance(l);
        loc_ws(l);
        if (l->pos < l->len && l->s[l->pos] == close) {
            loc_advance(l);
            return true;
        }
        for (size_t i = 0;; i++) {
            size_t old = 0;
            if (close == '}') {
                char key[sizeof l->path.buf];
                int kline = l->line, kcol = l->col;
                if (l->pos >= l->len || l->s[l->pos] != '"' || !loc_string(l, key, sizeof key))
                    return false;
                old = path_key(&l->path, key);
                if (l->want_key && !strcmp(l->path.buf, l->target)) {
                    l->found = true;
                    l->found_line = kline;
                    l->found_col = kcol;
                    return false;
                }
                loc_ws(l);
                if (l->pos >= l->len || l->s[l->pos] != ':')
                    return false;
                loc_advance(l);
                loc_ws(l);
            } else {
                old = path_index(&l->path, i);
            }
            if (!loc_value(l, depth + 1))
                return false;
            path_pop(&l->path, old);
            loc_ws(l);
            if (l->pos >= l->len)
                return false;
            ch = l->s[l->pos];
            loc_advance(l);
            if (ch == close)
                return true;
            if (ch != ',')
                return false;
            loc_ws(l);
        }
    }
    if (ch == '"')
        return loc_string(l, NULL, 0);
    while (l->pos < l->len &&
           (isalnum((unsigned char)l->s[l->pos]) || strchr("+-.", l->s[l->pos])) && l->s[l->pos])
        loc_advance(l);
    return true;
}

/* Line and column of the value (or key) at path; falls back to the nearest enclosing value
 * that is in the text (a missing key is reported where its object starts). */
static void locate(const char *text, size_t len, const char *path, bool want_key, int *line,
                   int *col)
{
    char target[sizeof(((struct cfg_error *)0)->path)];
    snprintf(target, sizeof target, "%s", path);
    *line = *col = 0;
    if (!text)
        return;
    for (;;) {
        struct locator l = {
            .s = text, .len = len, .line = 1, .col = 1, .target = target, .want_key = want_key};
        loc_ws(&l);
        loc_value(&l, 0);
        if (l.found) {
            *line = l.found_line;
            *col = l.found_col;
            return;
        }
        if (!*target)
            return;
        char *cut = strrchr(target, '[');
        char *dot = strrchr(target, '.');
        if (!cut || (dot && dot > cut))
            cut = dot;
        if (cut)
            *cut = '\0';
        else
            *target = '\0';
        want_key = false;
    }
}

/* ------------------------------------------------------------- error helpers */

struct pctx {
    const char *text; /* original document, for positions; NULL when there is none */
    size_t len;
    struct cfg_error *err;
    struct path path;
};

static int fail_at(struct pctx *p, bool at_key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(struct pctx *p, bool at_key, const char *fmt, ...)
{
    struct cfg_error *e = p->err;
    char what[sizeof e->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    e->kind = CFG_ERR_VALUE;
    snprintf(e->path, sizeof e->path, "%s", p->path.buf);
    /* A long path or value may cut the message short; it stays a readable prefix. */
    if (p->path.len)
        snprintf(e->message, sizeof e->message, "%.200s: %.300s", p->path.buf, what);
    else
        snprintf(e->message, sizeof e->message, "%s", what);
    locate(p->text, p->len, p->path.buf, at_key, &e->line, &e->column);
    return -1;
}

#define fail(p, ...) fail_at(p, false, __VA_ARGS__)

static void set_error(struct cfg_error *e, enum cfg_error_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_error(struct cfg_error *e, enum cfg_error_kind kind, const char *fmt, ...)
{
    va_list ap;
    memset(e, 0, sizeof *e);
    e->kind = kind;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

/* A string as it may appear in a message: quoted, bounded, control characters escaped. */
static const char *quote_len(const char *s, size_t len, char *buf, size_t cap)
{
    const char *end = s + len;
    size_t n = 0;
    buf[n++] = '"';
    while (s < end) {
        unsigned char ch = (unsigned char)*s;
        size_t k = ch < 0x80 ? 1 : ch >= 0xF0 ? 4 : ch >= 0xE0 ? 3 : ch >= 0xC0 ? 2 : 0;
        if (k > (size_t)(end - s))
            k = 0;
        for (size_t i = 1; i < k; i++)
            if (((unsigned char)s[i] & 0xC0) != 0x80)
                k = 0; /* not UTF-8 (a name from a URL): show the byte escaped */
        if (n + (k > 1 ? k : 4) + 6 >= cap)
            break;
        if (k > 1) {
            memcpy(buf + n, s, k);
            n += k;
            s += k;
            continue;
        }
        if (ch < 0x20 || ch >= 0x7F)
            n += (size_t)snprintf(buf + n, cap - n, "\\x%02x", ch);
        else if (ch == '"' || ch == '\\')
            n += (size_t)snprintf(buf + n, cap - n, "\\%c", ch);
        else
            buf[n++] = (char)ch;
        s++;
    }
    if (s < end)
        n += (size_t)snprintf(buf + n, cap - n, "...");
    buf[n++] = '"';
    buf[n] = '\0';
    return buf;
}

static const char *quote(const char *s, char *buf, size_t cap)
{
    return quote_len(s, strlen(s), buf, cap);
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

/* "got an integer (42)": the value in short, so the user can find it. */
static int fail_type(struct pctx *p, const json_t *v, const char *expected)
{
    char shown[96] = "";
    if (json_is_string(v)) {
        quote(json_string_value(v), shown, 64);
    } else if (json_is_number(v) || json_is_boolean(v)) {
        char *d = json_dumps(v, JSON_ENCODE_ANY);
        snprintf(shown, sizeof shown, "%.60s", d ? d : "");
        free(d);
    }
    if (*shown)
        return fail(p, "expected %s, got %s (%s)", expected, type_name(v), shown);
    return fail(p, "expected %s, got %s", expected, type_name(v));
}

static int oom(struct pctx *p)
{
    return fail(p, "out of memory");
}

/* ------------------------------------------------------------- host syntax */

static bool ip_literal(const char *s, int af)
{
    unsigned char buf[16];
    return inet_pton(af, s, buf) == 1;
}

bool cfg_host_valid(const char *host)
{
    if (!host || !*host)
        return false;
    if (ip_literal(host, AF_INET) || ip_literal(host, AF_INET6))
        return true;
    size_t len = strlen(host), start = 0, last = 0;
    if (host[len - 1] == '.') /* the root's trailing dot is optional */
        len--;
    if (len == 0 || len > CFG_MAX_HOST)
        return false;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || host[i] == '.') {
            size_t l = i - start;
            if (l < 1 || l > 63 || host[start] == '-' || host[i - 1] == '-')
                return false;
            last = start;
            start = i + 1;
        } else if (!isalnum((unsigned char)host[i]) && host[i] != '-') {
            return false;
        }
    }
    /* An all-numeric last label is a mistyped address ("192.0.2.300"), not a name. */
    for (size_t i = last; i < len; i++)
        if (!isdigit((unsigned char)host[i]))
            return true;
    return false;
}

static bool parse_port(const char *s, uint16_t *out)
{
    unsigned long v = 0;
    if (!*s || strlen(s) > 5)
        return false;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return false;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    if (v < 1 || v > 65535)
        return false;
    *out = (uint16_t)v;
    return true;
}

int cfg_parse_peer(const char *s, struct cfg_peer *out, char *why, size_t why_len)
{
    char host[CFG_MAX_HOST + 2];
    const char *port = NULL;
    size_t hlen;
    out->host = NULL;
    out->port = 0;
    if (!s || !*s) {
        snprintf(why, why_len, "is empty (expected host or host:port)");
        return -1;
    }
    if (*s == '[') {
        const char *end = strchr(s, ']');
        if (!end) {
            snprintf(why, why_len, "has '[' without ']'");
            return -1;
        }
        hlen = (size_t)(end - s - 1);
        if (end[1] == ':')
            port = end + 2;
        else if (end[1]) {
            snprintf(why, why_len, "has text after ']' (expected [address]:port)");
            return -1;
        }
        if (hlen >= sizeof host) {
            snprintf(why, why_len, "is not a valid IPv6 address in brackets");
            return -1;
        }
        memcpy(host, s + 1, hlen);
        host[hlen] = '\0';
        if (!ip_literal(host, AF_INET6)) {
            snprintf(why, why_len, "is not a valid IPv6 address in brackets");
            return -1;
        }
    } else {
        const char *colon = strchr(s, ':');
        if (colon && strchr(colon + 1, ':')) {
            /* Two colons or more: an IPv6 literal, which can carry a port only in brackets. */
            if (!ip_literal(s, AF_INET6)) {
                snprintf(why, why_len,
                         "is neither host:port nor an IPv6 address (write [address]:port)");
                return -1;
            }
            hlen = strlen(s);
        } else {
            hlen = colon ? (size_t)(colon - s) : strlen(s);
            port = colon ? colon + 1 : NULL;
        }
        if (hlen >= sizeof host) {
            snprintf(why, why_len, "has a host name longer than %d characters", CFG_MAX_HOST);
            return -1;
        }
        memcpy(host, s, hlen);
        host[hlen] = '\0';
        if (!cfg_host_valid(host)) {
            snprintf(why, why_len, "is not a valid host name or address");
            return -1;
        }
    }
    if (port && !parse_port(port, &out->port)) {
        snprintf(why, why_len, "has port \"%.8s%s\" (expected 1..65535)", port,
                 strlen(port) > 8 ? "..." : "");
        return -1;
    }
    out->host = strdup(host);
    if (!out->host) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    return 0;
}

void cfg_peer_format(const struct cfg_peer *p, char *buf, size_t len)
{
    bool v6 = strchr(p->host, ':') != NULL;
    if (!p->port)
        snprintf(buf, len, "%s", p->host);
    else if (v6)
        snprintf(buf, len, "[%s]:%u", p->host, (unsigned)p->port);
    else
        snprintf(buf, len, "%s:%u", p->host, (unsigned)p->port);
}

/* Address with an optional prefix length: "192.0.2.0/24", "2001:db8::/32", "::1". */
static bool cidr_valid(const char *s)
{
    char addr[INET6_ADDRSTRLEN + 1];
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    if (alen == 0 || alen >= sizeof addr)
        return false;
    memcpy(addr, s, alen);
    addr[alen] = '\0';
    int max = ip_literal(addr, AF_INET) ? 32 : ip_literal(addr, AF_INET6) ? 128 : -1;
    if (max < 0)
        return false;
    if (!slash)
        return true;
    const char *d = slash + 1;
    if (!*d || strlen(d) > 3)
        return false;
    int v = 0;
    for (; *d; d++) {
        if (!isdigit((unsigned char)*d))
            return false;
        v = v * 10 + (*d - '0');
    }
    return v <= max;
}

/* host:port with the port required; v6 says the host must be an IPv6 literal (or a name),
 * !v6 that it must not be one. */
static const char *check_endpoint(const char *s, int v6)
{
    struct cfg_peer pe;
    char why[128];
    if (cfg_parse_peer(s, &pe, why, sizeof why) < 0)
        return "is not host:port or [address]:port";
    bool port = pe.port != 0, is6 = ip_literal(pe.host, AF_INET6),
         is4 = ip_literal(pe.host, AF_INET);
    free(pe.host);
    if (!port)
        return "has no port (expected host:port or [address]:port)";
    if (v6 == 1 && is4)
        return "names an IPv4 address for an IPv6 transport";
    if (v6 == 0 && is6)
        return "names an IPv6 address for an IPv4 transport (use udp6: or tcp6:)";
    return NULL;
}

/* A net-snmp transport address: [udp:|tcp:|udp6:|tcp6:]host:port. */
static const char *check_transport(const char *s, bool port_optional)
{
    static const struct {
        const char *prefix;
        int v6;
    } transports[] = {{"udp:", 0}, {"tcp:", 0}, {"udp6:", 1}, {"tcp6:", 1}};
    int v6 = 0;
    for (size_t i = 0; i < sizeof transports / sizeof transports[0]; i++) {
        size_t n = strlen(transports[i].prefix);
        if (!strncmp(s, transports[i].prefix, n)) {
            s += n;
            v6 = transports[i].v6;
            break;
        }
    }
    if (port_optional) {
        struct cfg_peer pe;
        char why[128];
        if (cfg_parse_peer(s, &pe, why, sizeof why) < 0)
            return "is not [udp:|tcp:|udp6:|tcp6:]host[:port]";
        free(pe.host);
        return NULL;
    }
    return check_endpoint(s, v6);
}

static const char *check_master_listen(const char *s)
{
    return check_transport(s, false);
}

static const char *check_trap_sink(const char *s)
{
    return check_transport(s, true);
}

static const char *check_agentx(const char *s)
{
    if (s[0] == '/' || (!strncmp(s, "unix:", 5) && s[5]))
        return NULL;
    if (!strncmp(s, "tcp:", 4))
        return check_endpoint(s + 4, -1);
    return "is not an AgentX address (expected /path, unix:/path or tcp:host:port)";
}

static const char *check_listen(const char *s)
{
    return check_endpoint(s, -1);
}

static const char *check_cidr(const char *s)
{
    return cidr_valid(s) ? NULL : "is not an address or CIDR (e.g. 192.0.2.0/24, 2001:db8::/32)";
}

static const char *check_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > CFG_MAX_NAME - 1)
        return "is not a valid name (1..63 characters)";
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
            return "is not a valid name (letters, digits, '.', '_', '-')";
    return NULL;
}

static const char *check_host(const char *s)
{
    return cfg_host_valid(s) ? NULL : "is not a valid host name or address";
}

static const char *check_query_name(const char *s)
{
    return !strcmp(s, ".") || cfg_host_valid(s) ? NULL
                                                : "is not a DNS name (\".\" asks for the root)";
}

/* c-ares takes servers as "address[:port],...": addresses only, a resolver cannot be named. */
static const char *check_resolver(const char *s)
{
    if (!*s)
        return "is empty (null uses /etc/resolv.conf)";
    while (*s) {
        char item[CFG_MAX_HOST + 16], why[128];
        size_t n = strcspn(s, ",");
        struct cfg_peer pe;
        if (n == 0 || n >= sizeof item)
            return "is not a list of address[:port] separated by commas";
        memcpy(item, s, n);
        item[n] = '\0';
        if (cfg_parse_peer(item, &pe, why, sizeof why) < 0)
            return "is not a list of address[:port] separated by commas";
        bool ip = ip_literal(pe.host, AF_INET) || ip_literal(pe.host, AF_INET6);
        free(pe.host);
        if (!ip)
            return "names a host: resolvers must be addresses (address[:port],...)";
        s += n;
        if (*s == ',' && !*++s)
            return "ends with a comma";
    }
    return NULL;
}

static const char *check_state_dir(const char *s)
{
    return s[0] == '/' ? NULL : "is not an absolute path";
}

static const char *check_nonempty(const char *s)
{
    return *s ? NULL : "is empty";
}

static const char *check_passphrase(const char *s)
{
    /* net-snmp refuses USM passphrases shorter than 8 characters (RFC 3414 §11.2). */
    return strlen(s) >= 8 ? NULL : "is shorter than 8 characters";
}

/* ------------------------------------------------------------- allocation */

static void list_free(struct cfg_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].host);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

static void strv_free(char ***v, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        free((*v)[i]);
    free(*v);
    *v = NULL;
    *n = 0;
}

static void scanners_free(struct cfg *c)
{
    for (size_t i = 0; i < c->n_scanners; i++) {
        free(c->scanners[i].name);
        free(c->scanners[i].peer.host);
    }
    free(c->scanners);
    c->scanners = NULL;
    c->n_scanners = 0;
}

static void updates_free(struct cfg *c)
{
    for (size_t i = 0; i < c->n_updates; i++) {
        free(c->updates[i].purpose);
        free(c->updates[i].host);
    }
    free(c->updates);
    c->updates = NULL;
    c->n_updates = 0;
}

void cfg_free(struct cfg *c)
{
    if (!c)
        return;
    free(c->name);
    free(c->control_center);
    scanners_free(c);
    list_free(&c->dns_servers);
    list_free(&c->ldap_servers);
    list_free(&c->internal_mail_servers);
    list_free(&c->internet_mail_hosts);
    list_free(&c->management_hosts);
    list_free(&c->ntp_servers);
    updates_free(c);
    free(c->probe.dns_query_name);
    free(c->probe.resolver);
    free(c->snmp.agentx_socket);
    free(c->snmp.master_listen);
    free(c->snmp.community);
    free(c->snmp.usm_user);
    free(c->snmp.usm_auth_key);
    free(c->snmp.usm_priv_key);
    strv_free(&c->snmp.trap_sinks, &c->snmp.n_trap_sinks);
    free(c->snmp.trap_sink_inform);
    c->snmp.trap_sink_inform = NULL;
    free(c->snmp.trap_community);
    free(c->http.listen);
    free(c->http.token_file);
    strv_free(&c->http.allow, &c->http.n_allow);
    free(c->http.tls_cert);
    free(c->http.tls_key);
    free(c->state_dir);
    free(c);
}

/* strdup that keeps NULL as NULL and records a failure in *ok. */
static char *dup_opt(const char *s, bool *ok)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *ok = false;
    return d;
}

static void *dup_array(const void *a, size_t n, size_t size, bool *ok)
{
    if (!n)
        return NULL;
    void *d = calloc(n, size);
    if (!d) {
        *ok = false;
        return NULL;
    }
    memcpy(d, a, n * size);
    return d;
}

static void list_copy(struct cfg_list *dst, const struct cfg_list *src, bool *ok)
{
    dst->items = dup_array(src->items, src->n, sizeof *src->items, ok);
    dst->n = dst->items ? src->n : 0;
    for (size_t i = 0; i < dst->n; i++)
        dst->items[i].host = dup_opt(src->items[i].host, ok);
}

static void strv_copy(char ***dst, size_t *dn, char *const *src, size_t n, bool *ok)
{
    *dst = dup_array(src, n, sizeof *src, ok);
    *dn = *dst ? n : 0;
    for (size_t i = 0; i < *dn; i++)
        (*dst)[i] = dup_opt(src[i], ok);
}

struct cfg *cfg_clone(const struct cfg *c)
{
    bool ok = true;
    struct cfg *d = malloc(sizeof *d);
    if (!d)
        return NULL;
    *d = *c; /* scalars; every pointer is replaced below */
    d->name = dup_opt(c->name, &ok);
    d->control_center = dup_opt(c->control_center, &ok);
    d->scanners = dup_array(c->scanners, c->n_scanners, sizeof *c->scanners, &ok);
    d->n_scanners = d->scanners ? c->n_scanners : 0;
    for (size_t i = 0; i < d->n_scanners; i++) {
        d->scanners[i].name = dup_opt(c->scanners[i].name, &ok);
        d->scanners[i].peer.host = dup_opt(c->scanners[i].peer.host, &ok);
    }
    list_copy(&d->dns_servers, &c->dns_servers, &ok);
    list_copy(&d->ldap_servers, &c->ldap_servers, &ok);
    list_copy(&d->internal_mail_servers, &c->internal_mail_servers, &ok);
    list_copy(&d->internet_mail_hosts, &c->internet_mail_hosts, &ok);
    list_copy(&d->management_hosts, &c->management_hosts, &ok);
    list_copy(&d->ntp_servers, &c->ntp_servers, &ok);
    d->updates = dup_array(c->updates, c->n_updates, sizeof *c->updates, &ok);
    d->n_updates = d->updates ? c->n_updates : 0;
    for (size_t i = 0; i < d->n_updates; i++) {
        d->updates[i].purpose = dup_opt(c->updates[i].purpose, &ok);
        d->updates[i].host = dup_opt(c->updates[i].host, &ok);
    }
    d->probe.dns_query_name = dup_opt(c->probe.dns_query_name, &ok);
    d->probe.resolver = dup_opt(c->probe.resolver, &ok);
    d->snmp.agentx_socket = dup_opt(c->snmp.agentx_socket, &ok);
    d->snmp.master_listen = dup_opt(c->snmp.master_listen, &ok);
    d->snmp.community = dup_opt(c->snmp.community, &ok);
    d->snmp.usm_user = dup_opt(c->snmp.usm_user, &ok);
    d->snmp.usm_auth_key = dup_opt(c->snmp.usm_auth_key, &ok);
    d->snmp.usm_priv_key = dup_opt(c->snmp.usm_priv_key, &ok);
    strv_copy(&d->snmp.trap_sinks, &d->snmp.n_trap_sinks, c->snmp.trap_sinks, c->snmp.n_trap_sinks,
              &ok);
    /* An empty trap_sinks array still has its (empty) inform array: never share it. */
    d->snmp.trap_sink_inform = NULL;
    if (c->snmp.trap_sink_inform && c->snmp.n_trap_sinks) {
        d->snmp.trap_sink_inform = malloc(c->snmp.n_trap_sinks * sizeof(bool));
        if (d->snmp.trap_sink_inform)
            memcpy(d->snmp.trap_sink_inform, c->snmp.trap_sink_inform,
                   c->snmp.n_trap_sinks * sizeof(bool));
        else
            ok = false;
    }
    d->snmp.trap_community = dup_opt(c->snmp.trap_community, &ok);
    d->http.listen = dup_opt(c->http.listen, &ok);
    d->http.token_file = dup_opt(c->http.token_file, &ok);
    strv_copy(&d->http.allow, &d->http.n_allow, c->http.allow, c->http.n_allow, &ok);
    d->http.tls_cert = dup_opt(c->http.tls_cert, &ok);
    d->http.tls_key = dup_opt(c->http.tls_key, &ok);
    d->state_dir = dup_opt(c->state_dir, &ok);
    if (!ok) {
        cfg_free(d);
        return NULL;
    }
    return d;
}

static bool set_default_updates(struct cfg *c)
{
    size_t n = sizeof default_updates / sizeof default_updates[0];
    c->updates = calloc(n, sizeof *c->updates);
    if (!c->updates)
        return false;
    c->n_updates = n;
    for (size_t i = 0; i < n; i++) {
        c->updates[i].purpose = strdup(default_updates[i].purpose);
        c->updates[i].host = strdup(default_updates[i].host);
        c->updates[i].port = default_updates[i].port;
        c->updates[i].enabled = true;
        if (!c->updates[i].purpose || !c->updates[i].host)
            return false;
    }
    return true;
}

/* The short host name, when it is usable as an appliance name. */
static char *default_name(void)
{
    char host[256];
    if (gethostname(host, sizeof host) == 0) {
        host[sizeof host - 1] = '\0';
        host[strcspn(host, ".")] = '\0';
        if (!check_name(host))
            return strdup(host);
    }
    return strdup("smsa");
}

struct cfg *cfg_defaults(void)
{
    bool ok = true;
    struct cfg *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->name = default_name();
    c->role = ROLE_CONTROL_CENTER;
    c->http_management = false;
    c->ntp_enabled = false;
    ok = c->name && set_default_updates(c);
    c->probe.interval_ms = 10000;
    c->probe.timeout_ms = 3000;
    c->probe.fail_threshold = 3;
    c->probe.recover_threshold = 1;
    c->probe.dns_query_name = dup_opt(".", &ok);
    c->snmp.mode = SNMP_MODE_SUBAGENT;
    c->snmp.agentx_socket = dup_opt("/var/agentx/master", &ok);
    c->snmp.master_listen = dup_opt("udp:127.0.0.1:1161", &ok);
    c->snmp.ping_interval_s = 5;
    c->snmp.community = dup_opt("public", &ok);
    c->snmp.trap_community = dup_opt("public", &ok);
    c->snmp.notify_rate_limit = 60;
    c->snmp.notify_queue = 1000;
    c->http.listen = dup_opt("127.0.0.1:8161", &ok);
    strv_copy(&c->http.allow, &c->http.n_allow, (char *const *)default_allow,
              sizeof default_allow / sizeof default_allow[0], &ok);
    c->http.max_connections = 256;
    c->http.per_ip_connections = 64;
    c->http.timeout_s = 30;
    c->state_dir = dup_opt(CFG_DEFAULT_STATE_DIR, &ok);
    if (!ok) {
        cfg_free(c);
        return NULL;
    }
    return c;
}

const char *cfg_snmp_mode_name(enum cfg_snmp_mode m)
{
    switch (m) {
    case SNMP_MODE_SUBAGENT:
        return "subagent";
    case SNMP_MODE_MASTER:
        return "master";
    case SNMP_MODE_OFF:
        return "off";
    }
    return "?";
}

/* ------------------------------------------------------------- typed readers */

/* Each reader leaves the field alone when the key is absent (the default stands). */

static int check_keys(struct pctx *p, json_t *obj, const char *const *keys)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        size_t i;
        for (i = 0; keys[i] && strcmp(keys[i], key); i++)
            ;
        if (keys[i])
            continue;
        char expected[256] = "";
        for (i = 0; keys[i]; i++)
            snprintf(expected + strlen(expected), sizeof expected - strlen(expected), "%s%s",
                     i ? ", " : "", keys[i]);
        path_key(&p->path, key);
        return fail_at(p, true, "unknown key (expected one of: %s)", expected);
    }
    return 0;
}

/* Looks key up in obj and pushes it on the path; NULL (path unchanged) when absent. */
static json_t *enter(struct pctx *p, json_t *obj, const char *key, size_t *old)
{
    json_t *v = json_object_get(obj, key);
    if (v)
        *old = path_key(&p->path, key);
    return v;
}

static int want_object(struct pctx *p, json_t *v, const char *const *keys)
{
    if (!json_is_object(v))
        return fail_type(p, v, "an object");
    return check_keys(p, v, keys);
}

static int read_bool(struct pctx *p, json_t *obj, const char *key, bool *out)
{
    size_t old = 0;
    json_t *v = enter(p, obj, key, &old);
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return fail_type(p, v, "true or false");
    *out = json_is_true(v);
    path_pop(&p->path, old);
    return 0;
}

static int read_uint(struct pctx *p, json_t *obj, const char *key, unsigned *out)
{
    size_t old = 0;
    json_t *v = enter(p, obj, key, &old);
    if (!v)
        return 0;
    unsigned min = 0, max = UINT_MAX;
    for (size_t i = 0; i < sizeof num_fields / sizeof num_fields[0]; i++) {
        if (!strcmp(num_fields[i].path, p->path.buf)) {
            min = num_fields[i].min;
            max = num_fields[i].max;
        }
    }
    if (!json_is_integer(v))
        return fail_type(p, v, "an integer");
    json_int_t n = json_integer_value(v);
    if (n < (json_int_t)min || n > (json_int_t)max)
        return fail(p, "%" JSON_INTEGER_FORMAT " is out of range (%u..%u)", n, min, max);
    *out = (unsigned)n;
    path_pop(&p->path, old);
    return 0;
}

/* A string value: no NUL, bounded, and check() (when given) returning NULL. */
static int string_value(struct pctx *p, json_t *v, const char *(*check)(const char *),
                        const char **out)
{
    char shown[96];
    if (!json_is_string(v))
        return fail_type(p, v, "a string");
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v))
        return fail(p, "%s contains a NUL character",
                    quote_len(s, json_string_length(v), shown, sizeof shown));
    if (json_string_length(v) > CFG_MAX_STRING)
        return fail(p, "is longer than %d bytes", CFG_MAX_STRING);
    const char *why = check ? check(s) : NULL;
    if (why)
        return fail(p, "%s %s", quote(s, shown, sizeof shown), why);
    *out = s;
    return 0;
}

static int replace_str(struct pctx *p, char **field, const char *s)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        return oom(p);
    free(*field);
    *field = d;
    return 0;
}

static int read_str(struct pctx *p, json_t *obj, const char *key, bool nullable,
                    const char *(*check)(const char *), char **out)
{
    size_t old = 0;
    const char *s = NULL;
    json_t *v = enter(p, obj, key, &old);
    if (!v)
        return 0;
    if (!(nullable && json_is_null(v)) && string_value(p, v, check, &s) < 0)
        return -1;
    if (replace_str(p, out, s) < 0)
        return -1;
    path_pop(&p->path, old);
    return 0;
}

static int peer_value(struct pctx *p, json_t *v, struct cfg_peer *out)
{
    const char *s;
    char why[160], shown[96];
    if (string_value(p, v, NULL, &s) < 0)
        return -1;
    if (cfg_parse_peer(s, out, why, sizeof why) < 0)
        return fail(p, "%s %s", quote(s, shown, sizeof shown), why);
    return 0;
}

static int want_array(struct pctx *p, json_t *v)
{
    if (!json_is_array(v))
        return fail_type(p, v, "an array");
    if (json_array_size(v) > CFG_MAX_LIST)
        return fail(p, "has %zu entries (at most %d)", json_array_size(v), CFG_MAX_LIST);
    return 0;
}

static int read_peer_list(struct pctx *p, json_t *obj, const char *key, struct cfg_list *out)
{
    size_t old = 0, i;
    json_t *v = enter(p, obj, key, &old), *item;
    if (!v)
        return 0;
    if (want_array(p, v) < 0)
        return -1;
    struct cfg_list l = {calloc(json_array_size(v) + 1, sizeof *l.items), 0};
    if (!l.items)
        return oom(p);
    json_array_foreach(v, i, item)
    {
        size_t o = path_index(&p->path, i);
        if (peer_value(p, item, &l.items[i]) < 0) {
            list_free(&l);
            return -1;
        }
        l.n++;
        path_pop(&p->path, o);
    }
    list_free(out);
    *out = l;
    path_pop(&p->path, old);
    return 0;
}

static int read_str_list(struct pctx *p, json_t *obj, const char *key,
                         const char *(*check)(const char *), char ***out, size_t *n_out)
{
    size_t old = 0, i, n = 0;
    json_t *v = enter(p, obj, key, &old), *item;
    if (!v)
        return 0;
    if (want_array(p, v) < 0)
        return -1;
    char **l = calloc(json_array_size(v) + 1, sizeof *l);
    if (!l)
        return oom(p);
    json_array_foreach(v, i, item)
    {
        size_t o = path_index(&p->path, i);
        const char *s;
        if (string_value(p, item, check, &s) < 0) {
            strv_free(&l, &n);
            return -1;
        }
        if (!(l[n] = strdup(s))) {
            strv_free(&l, &n);
            return oom(p);
        }
        n++;
        path_pop(&p->path, o);
    }
    strv_free(out, n_out);
    *out = l;
    *n_out = n;
    path_pop(&p->path, old);
    return 0;
}

/* snmp.trap_sinks: each entry is a transport address (an SNMPv2c trap) or an object
 * {"address": ..., "inform": true|false} (an inform when true, resent until acknowledged). */
static int read_trap_sinks(struct pctx *p, json_t *obj, struct cfg *c)
{
    size_t old = 0, i, n = 0;
    json_t *v = enter(p, obj, "trap_sinks", &old), *item;
    if (!v)
        return 0;
    if (want_array(p, v) < 0)
        return -1;
    char **l = calloc(json_array_size(v) + 1, sizeof *l);
    bool *inform = calloc(json_array_size(v) + 1, sizeof *inform);
    if (!l || !inform) {
        free(l);
        free(inform);
        return oom(p);
    }
    json_array_foreach(v, i, item)
    {
        size_t o = path_index(&p->path, i), ko = 0;
        const char *s;
        json_t *a = item;
        if (json_is_object(item)) {
            if (want_object(p, item, trap_sink_keys) < 0 ||
                read_bool(p, item, "inform", &inform[n]) < 0)
                goto fail;
            if (!(a = enter(p, item, "address", &ko))) {
                fail(p, "missing key \"address\" (a sink object has an address and inform)");
                goto fail;
            }
        }
        if (string_value(p, a, check_trap_sink, &s) < 0)
            goto fail;
        if (!(l[n] = strdup(s))) {
            oom(p);
            goto fail;
        }
        n++;
        if (a != item)
            path_pop(&p->path, ko);
        path_pop(&p->path, o);
    }
    strv_free(&c->snmp.trap_sinks, &c->snmp.n_trap_sinks);
    free(c->snmp.trap_sink_inform);
    c->snmp.trap_sinks = l;
    c->snmp.trap_sink_inform = inform;
    c->snmp.n_trap_sinks = n;
    path_pop(&p->path, old);
    return 0;
fail:
    strv_free(&l, &n);
    free(inform);
    return -1;
}

/* ------------------------------------------------------------- sections */

static int parse_appliance(struct pctx *p, json_t *o, struct cfg *c)
{
    size_t old = 0;
    json_t *v;
    char shown[96];
    if (want_object(p, o, appliance_keys) < 0 ||
        read_str(p, o, "name", false, check_name, &c->name) < 0)
        return -1;
    if ((v = enter(p, o, "role", &old))) {
        const char *s;
        if (string_value(p, v, NULL, &s) < 0)
            return -1;
        if (cat_role_parse(s, &c->role) < 0)
            return fail(p, "%s is not a role (expected control-center, scanner or all-in-one)",
                        quote(s, shown, sizeof shown));
        path_pop(&p->path, old);
    }
    return read_bool(p, o, "http_management", &c->http_management);
}

static int parse_scanner(struct pctx *p, json_t *o, struct cfg_scanner *out)
{
    size_t old = 0;
    json_t *v;
    const char *s;
    if (want_object(p, o, scanner_keys) < 0)
        return -1;
    for (const char *const *k = scanner_keys; *k; k++)
        if (!json_object_get(o, *k))
            return fail(p, "missing key \"%s\" (a scanner has a name and a host)", *k);
    v = enter(p, o, "name", &old);
    if (string_value(p, v, check_name, &s) < 0)
        return -1;
    if (!(out->name = strdup(s)))
        return oom(p);
    path_pop(&p->path, old);
    v = enter(p, o, "host", &old);
    if (peer_value(p, v, &out->peer) < 0)
        return -1;
    path_pop(&p->path, old);
    return 0;
}

static int read_scanners(struct pctx *p, json_t *obj, const char *key, struct cfg *c)
{
    size_t old = 0, i;
    json_t *v = enter(p, obj, key, &old), *item;
    if (!v)
        return 0;
    if (want_array(p, v) < 0)
        return -1;
    struct cfg tmp = {.scanners = calloc(json_array_size(v) + 1, sizeof *tmp.scanners)};
    if (!tmp.scanners)
        return oom(p);
    json_array_foreach(v, i, item)
    {
        size_t o = path_index(&p->path, i);
        tmp.n_scanners++; /* counted before filling, so a half-built entry is freed too */
        if (parse_scanner(p, item, &tmp.scanners[i]) < 0) {
            scanners_free(&tmp);
            return -1;
        }
        path_pop(&p->path, o);
    }
    scanners_free(c);
    c->scanners = tmp.scanners;
    c->n_scanners = tmp.n_scanners;
    path_pop(&p->path, old);
    return 0;
}

static int parse_peers(struct pctx *p, json_t *o, struct cfg *c)
{
    size_t old = 0;
    json_t *v;
    if (want_object(p, o, peers_keys) < 0)
        return -1;
    if ((v = enter(p, o, "control_center", &old))) {
        struct cfg_peer pe = {NULL, 0};
        if (!json_is_null(v) && peer_value(p, v, &pe) < 0)
            return -1;
        free(c->control_center);
        c->control_center = pe.host;
        c->control_center_port = pe.port;
        path_pop(&p->path, old);
    }
    if (read_scanners(p, o, "scanners", c) < 0 ||
        read_peer_list(p, o, "dns_servers", &c->dns_servers) < 0 ||
        read_peer_list(p, o, "ldap_servers", &c->ldap_servers) < 0 ||
        read_peer_list(p, o, "internal_mail_servers", &c->internal_mail_servers) < 0 ||
        read_peer_list(p, o, "internet_mail_hosts", &c->internet_mail_hosts) < 0 ||
        read_peer_list(p, o, "management_hosts", &c->management_hosts) < 0)
        return -1;
    return 0;
}

static int parse_update(struct pctx *p, json_t *o, struct cfg_update *out)
{
    size_t old = 0;
    json_t *v;
    const char *s;
    char shown[96];
    size_t k;
    if (want_object(p, o, update_keys) < 0)
        return -1;
    if (!json_object_get(o, "purpose"))
        return fail(p, "missing key \"purpose\"");
    if (!json_object_get(o, "host"))
        return fail(p, "missing key \"host\"");
    v = enter(p, o, "purpose", &old);
    if (string_value(p, v, NULL, &s) < 0)
        return -1;
    for (k = 0; k < sizeof update_purposes / sizeof update_purposes[0]; k++)
        if (!strcmp(s, update_purposes[k]))
            break;
    if (k == sizeof update_purposes / sizeof update_purposes[0])
        return fail(p,
                    "%s is not an update purpose (expected software, registration, rules, "
                    "antivirus or rapid-response)",
                    quote(s, shown, sizeof shown));
    if (!(out->purpose = strdup(s)))
        return oom(p);
    path_pop(&p->path, old);
    if (read_str(p, o, "host", false, check_host, &out->host) < 0)
        return -1;
    /* Without a port, the source is checked on its flow's port (6: 443, 19: 80, 20: 21). */
    out->port = cat_flow(cat_update_flow(out->purpose))->port;
    out->enabled = true;
    unsigned port = out->port;
    if ((v = enter(p, o, "port", &old))) {
        if (!json_is_integer(v))
            return fail_type(p, v, "an integer");
        json_int_t n = json_integer_value(v);
        if (n < 1 || n > 65535)
            return fail(p, "%" JSON_INTEGER_FORMAT " is out of range (1..65535)", n);
        port = (unsigned)n;
        path_pop(&p->path, old);
    }
    out->port = (uint16_t)port;
    return read_bool(p, o, "enabled", &out->enabled);
}

/* The updates array at v (path already pushed); replaces c's list. */
static int updates_value(struct pctx *p, json_t *v, struct cfg *c)
{
    size_t i;
    json_t *item;
    if (want_array(p, v) < 0)
        return -1;
    struct cfg tmp = {.updates = calloc(json_array_size(v) + 1, sizeof *tmp.updates)};
    if (!tmp.updates)
        return oom(p);
    json_array_foreach(v, i, item)
    {
        size_t o = path_index(&p->path, i);
        tmp.n_updates++;
        if (parse_update(p, item, &tmp.updates[i]) < 0) {
            updates_free(&tmp);
            return -1;
        }
        path_pop(&p->path, o);
    }
    updates_free(c);
    c->updates = tmp.updates;
    c->n_updates = tmp.n_updates;
    return 0;
}

static int parse_ntp(struct pctx *p, json_t *o, struct cfg *c)
{
    if (want_object(p, o, ntp_keys) < 0 || read_bool(p, o, "enabled", &c->ntp_enabled) < 0 ||
        read_peer_list(p, o, "servers", &c->ntp_servers) < 0)
        return -1;
    return 0;
}

static int parse_probe(struct pctx *p, json_t *o, struct cfg *c)
{
    if (want_object(p, o, probe_keys) < 0 ||
        read_uint(p, o, "interval_ms", &c->probe.interval_ms) < 0 ||
        read_uint(p, o, "timeout_ms", &c->probe.timeout_ms) < 0 ||
        read_uint(p, o, "fail_threshold", &c->probe.fail_threshold) < 0 ||
        read_uint(p, o, "recover_threshold", &c->probe.recover_threshold) < 0 ||
        read_str(p, o, "dns_query_name", false, check_query_name, &c->probe.dns_query_name) < 0 ||
        read_str(p, o, "resolver", true, check_resolver, &c->probe.resolver) < 0)
        return -1;
    return 0;
}

static int parse_snmp(struct pctx *p, json_t *o, struct cfg *c)
{
    size_t old = 0;
    json_t *v;
    char shown[96];
    if (want_object(p, o, snmp_keys) < 0)
        return -1;
    if ((v = enter(p, o, "mode", &old))) {
        const char *s;
        if (string_value(p, v, NULL, &s) < 0)
            return -1;
        if (!strcmp(s, "subagent"))
            c->snmp.mode = SNMP_MODE_SUBAGENT;
        else if (!strcmp(s, "master"))
            c->snmp.mode = SNMP_MODE_MASTER;
        else if (!strcmp(s, "off"))
            c->snmp.mode = SNMP_MODE_OFF;
        else
            return fail(p, "%s is not an SNMP mode (expected subagent, master or off)",
                        quote(s, shown, sizeof shown));
        path_pop(&p->path, old);
    }
    if (read_str(p, o, "agentx_socket", false, check_agentx, &c->snmp.agentx_socket) < 0 ||
        read_str(p, o, "master_listen", false, check_master_listen, &c->snmp.master_listen) < 0 ||
        read_uint(p, o, "ping_interval_s", &c->snmp.ping_interval_s) < 0 ||
        read_str(p, o, "community", true, check_nonempty, &c->snmp.community) < 0 ||
        read_str(p, o, "usm_user", true, check_nonempty, &c->snmp.usm_user) < 0 ||
        read_str(p, o, "usm_auth_key", true, check_passphrase, &c->snmp.usm_auth_key) < 0 ||
        read_str(p, o, "usm_priv_key", true, check_passphrase, &c->snmp.usm_priv_key) < 0 ||
        read_trap_sinks(p, o, c) < 0 ||
        read_str(p, o, "trap_community", false, check_nonempty, &c->snmp.trap_community) < 0 ||
        read_uint(p, o, "notify_rate_limit", &c->snmp.notify_rate_limit) < 0 ||
        read_uint(p, o, "notify_queue", &c->snmp.notify_queue) < 0)
        return -1;
    return 0;
}

static const char *check_listen_opt(const char *s)
{
    return *s ? check_listen(s) : NULL; /* "" turns REST off, like null */
}

static int parse_http(struct pctx *p, json_t *o, struct cfg *c)
{
    if (want_object(p, o, http_keys) < 0 ||
        read_str(p, o, "listen", true, check_listen_opt, &c->http.listen) < 0 ||
        read_str(p, o, "token_file", true, check_nonempty, &c->http.token_file) < 0 ||
        read_str_list(p, o, "allow", check_cidr, &c->http.allow, &c->http.n_allow) < 0 ||
        read_str(p, o, "tls_cert", true, check_nonempty, &c->http.tls_cert) < 0 ||
        read_str(p, o, "tls_key", true, check_nonempty, &c->http.tls_key) < 0 ||
        read_uint(p, o, "max_connections", &c->http.max_connections) < 0 ||
        read_uint(p, o, "per_ip_connections", &c->http.per_ip_connections) < 0 ||
        read_uint(p, o, "timeout_s", &c->http.timeout_s) < 0)
        return -1;
    return 0;
}

/* ------------------------------------------------------------- documents */

/* The first container nested deeper than CFG_MAX_DEPTH, with its path in p. */
static int check_depth(struct pctx *p, json_t *v, int depth)
{
    if (!json_is_object(v) && !json_is_array(v))
        return 0;
    if (depth > CFG_MAX_DEPTH)
        return fail(p, "is nested deeper than %d levels", CFG_MAX_DEPTH);
    if (json_is_object(v)) {
        const char *key;
        json_t *m;
        json_object_foreach(v, key, m)
        {
            size_t old = path_key(&p->path, key);
            if (check_depth(p, m, depth + 1) < 0)
                return -1;
            path_pop(&p->path, old);
        }
    } else {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m)
        {
            size_t old = path_index(&p->path, i);
            if (check_depth(p, m, depth + 1) < 0)
                return -1;
            path_pop(&p->path, old);
        }
    }
    return 0;
}

/* Parses text as JSON; syntax errors carry jansson's line and column. */
static json_t *load_json(struct pctx *p, const char *text, size_t len)
{
    json_error_t je;
    /* jansson takes a raw NUL byte for the end of its input and would parse only what comes
     * before it; no JSON text contains one (RFC 8259 §7: control characters are escaped). */
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        set_error(p->err, CFG_ERR_SYNTAX, "not valid JSON: a NUL byte at offset %zu",
                  (size_t)(nul - text));
        p->err->line = 1;
        p->err->column = 1;
        for (const char *c = text; c < nul; c++) {
            p->err->column++;
            if (*c == '\n') {
                p->err->line++;
                p->err->column = 1;
            }
        }
        return NULL;
    }
    /* an escaped \u0000 is let through so it is refused with a key path */
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!root) {
        set_error(p->err, CFG_ERR_SYNTAX, "not valid JSON: %s", je.text);
        p->err->line = je.line;
        p->err->column = je.column;
        return NULL;
    }
    if (check_depth(p, root, 1) < 0) {
        json_decref(root);
        return NULL;
    }
    return root;
}

static void pctx_init(struct pctx *p, const char *text, size_t len, struct cfg_error *err)
{
    memset(p, 0, sizeof *p);
    p->text = text;
    p->len = len;
    p->err = err;
    memset(err, 0, sizeof *err);
}

static int section(struct pctx *p, json_t *root, const char *key,
                   int (*parse)(struct pctx *, json_t *, struct cfg *), struct cfg *c)
{
    size_t old = 0;
    json_t *v = enter(p, root, key, &old);
    if (!v)
        return 0;
    if (parse(p, v, c) < 0)
        return -1;
    path_pop(&p->path, old);
    return 0;
}

static int validate(struct pctx *p, struct cfg *c);

struct cfg *cfg_parse(const char *text, size_t len, struct cfg_error *err)
{
    struct cfg_error dummy;
    struct pctx p;
    size_t old = 0;
    pctx_init(&p, text, len, err ? err : &dummy);
    json_t *root = load_json(&p, text, len), *v;
    if (!root)
        return NULL;
    struct cfg *c = cfg_defaults();
    if (!c) {
        oom(&p);
        json_decref(root);
        return NULL;
    }
    int rc = want_object(&p, root, top_keys);
    rc = rc < 0 ? rc : section(&p, root, "appliance", parse_appliance, c);
    rc = rc < 0 ? rc : section(&p, root, "peers", parse_peers, c);
    rc = rc < 0 ? rc : section(&p, root, "ntp", parse_ntp, c);
    if (rc == 0 && (v = enter(&p, root, "updates", &old))) {
        rc = updates_value(&p, v, c);
        if (rc == 0)
            path_pop(&p.path, old);
    }
    rc = rc < 0 ? rc : section(&p, root, "probe", parse_probe, c);
    rc = rc < 0 ? rc : section(&p, root, "snmp", parse_snmp, c);
    rc = rc < 0 ? rc : section(&p, root, "http", parse_http, c);
    rc = rc < 0 ? rc : read_str(&p, root, "state_dir", false, check_state_dir, &c->state_dir);
    rc = rc < 0 ? rc : validate(&p, c);
    json_decref(root);
    if (rc < 0) {
        cfg_free(c);
        return NULL;
    }
    return c;
}

struct cfg *cfg_load(const char *path, struct cfg_error *err)
{
    struct cfg_error dummy;
    struct stat st;
    err = err ? err : &dummy;
    memset(err, 0, sizeof *err);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        set_error(err, CFG_ERR_IO, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) < 0) {
        set_error(err, CFG_ERR_IO, "cannot stat %s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        set_error(err, CFG_ERR_IO, "%s is not a regular file", path);
        close(fd);
        return NULL;
    }
    if (st.st_size > CFG_MAX_FILE_BYTES) {
        set_error(err, CFG_ERR_IO, "%s is %lld bytes, larger than the %d allowed", path,
                  (long long)st.st_size, CFG_MAX_FILE_BYTES);
        close(fd);
        return NULL;
    }
    /* One byte more than allowed, so a file that grew since fstat is still refused. */
    char *buf = malloc(CFG_MAX_FILE_BYTES + 1);
    size_t len = 0;
    if (!buf) {
        set_error(err, CFG_ERR_IO, "cannot read %s: out of memory", path);
        close(fd);
        return NULL;
    }
    for (;;) {
        ssize_t n = read(fd, buf + len, CFG_MAX_FILE_BYTES + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            set_error(err, CFG_ERR_IO, "cannot read %s: %s", path, strerror(errno));
            free(buf);
            close(fd);
            return NULL;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > CFG_MAX_FILE_BYTES) {
            set_error(err, CFG_ERR_IO, "%s is larger than the %d bytes allowed", path,
                      CFG_MAX_FILE_BYTES);
            free(buf);
            close(fd);
            return NULL;
        }
    }
    close(fd);
    struct cfg *c = cfg_parse(buf, len, err);
    free(buf);
    return c;
}

/* ------------------------------------------------------------- validation */

static unsigned *num_field(struct cfg *c, size_t i)
{
    return (unsigned *)((char *)c + num_fields[i].off);
}

static int validate_list(struct pctx *p, const char *path, const struct cfg_list *l)
{
    size_t old = path_key(&p->path, path);
    if (l->n > CFG_MAX_LIST)
        return fail(p, "has %zu entries (at most %d)", l->n, CFG_MAX_LIST);
    for (size_t i = 0; i < l->n; i++) {
        size_t o = path_index(&p->path, i);
        if (!l->items[i].host || !cfg_host_valid(l->items[i].host))
            return fail(p, "is not a valid host name or address");
        path_pop(&p->path, o);
    }
    path_pop(&p->path, old);
    return 0;
}

static int fill_ntp_defaults(struct pctx *p, struct cfg *c)
{
    size_t n = sizeof default_ntp_servers / sizeof default_ntp_servers[0];
    struct cfg_list l = {calloc(n, sizeof *l.items), 0};
    if (!l.items)
        return oom(p);
    for (; l.n < n; l.n++) {
        if (!(l.items[l.n].host = strdup(default_ntp_servers[l.n]))) {
            list_free(&l);
            return oom(p);
        }
    }
    list_free(&c->ntp_servers);
    c->ntp_servers = l;
    return 0;
}

/* Checks across keys, with p->path at the document root. */
static int validate(struct pctx *p, struct cfg *c)
{
    char shown[96];
    for (size_t i = 0; i < sizeof num_fields / sizeof num_fields[0]; i++) {
        unsigned v = *num_field(c, i);
        if (v < num_fields[i].min || v > num_fields[i].max) {
            path_key(&p->path, num_fields[i].path);
            return fail(p, "%u is out of range (%u..%u)", v, num_fields[i].min, num_fields[i].max);
        }
    }
    if (c->probe.timeout_ms >= c->probe.interval_ms) {
        path_key(&p->path, "probe.timeout_ms");
        return fail(p, "%u must be less than probe.interval_ms (%u)", c->probe.timeout_ms,
                    c->probe.interval_ms);
    }
    if (c->http.per_ip_connections > c->http.max_connections) {
        path_key(&p->path, "http.per_ip_connections");
        return fail(p, "%u is more than http.max_connections (%u)", c->http.per_ip_connections,
                    c->http.max_connections);
    }
    if (!c->name || check_name(c->name)) {
        path_key(&p->path, "appliance.name");
        return fail(p, "is not a valid name (1..63 letters, digits, '.', '_', '-')");
    }
    if (c->control_center && !cfg_host_valid(c->control_center)) {
        path_key(&p->path, "peers.control_center");
        return fail(p, "is not a valid host name or address");
    }
    if (c->n_scanners > CFG_MAX_LIST) {
        path_key(&p->path, "peers.scanners");
        return fail(p, "has %zu entries (at most %d)", c->n_scanners, CFG_MAX_LIST);
    }
    for (size_t i = 0; i < c->n_scanners; i++) {
        const struct cfg_scanner *s = &c->scanners[i];
        path_key(&p->path, "peers.scanners");
        path_index(&p->path, i);
        path_key(&p->path, "name");
        if (!s->name || check_name(s->name))
            return fail(p, "is not a valid name (1..63 letters, digits, '.', '_', '-')");
        for (size_t j = 0; j < i; j++)
            if (!strcmp(c->scanners[j].name, s->name))
                return fail(p, "duplicate scanner name %s (also peers.scanners[%zu])",
                            quote(s->name, shown, sizeof shown), j);
        path_pop(&p->path, 0);
        if (!s->peer.host || !cfg_host_valid(s->peer.host)) {
            path_key(&p->path, "peers.scanners");
            path_index(&p->path, i);
            path_key(&p->path, "host");
            return fail(p, "is not a valid host name or address");
        }
    }
    if (validate_list(p, "peers.dns_servers", &c->dns_servers) < 0 ||
        validate_list(p, "peers.ldap_servers", &c->ldap_servers) < 0 ||
        validate_list(p, "peers.internal_mail_servers", &c->internal_mail_servers) < 0 ||
        validate_list(p, "peers.internet_mail_hosts", &c->internet_mail_hosts) < 0 ||
        validate_list(p, "peers.management_hosts", &c->management_hosts) < 0 ||
        validate_list(p, "ntp.servers", &c->ntp_servers) < 0)
        return -1;
    if (c->n_updates > CFG_MAX_LIST) {
        path_key(&p->path, "updates");
        return fail(p, "has %zu entries (at most %d)", c->n_updates, CFG_MAX_LIST);
    }
    for (size_t i = 0; i < c->n_updates; i++) {
        const struct cfg_update *u = &c->updates[i];
        path_key(&p->path, "updates");
        path_index(&p->path, i);
        if (!u->purpose || !cat_update_flow(u->purpose)) {
            path_key(&p->path, "purpose");
            return fail(p, "is not an update purpose");
        }
        if (!u->host || !cfg_host_valid(u->host)) {
            path_key(&p->path, "host");
            return fail(p, "is not a valid host name or address");
        }
        if (!u->port) {
            path_key(&p->path, "port");
            return fail(p, "0 is out of range (1..65535)");
        }
        path_pop(&p->path, 0);
    }
    if (!c->probe.dns_query_name || !c->snmp.agentx_socket || !c->snmp.master_listen ||
        !c->snmp.trap_community) {
        path_key(&p->path, !c->probe.dns_query_name ? "probe.dns_query_name"
                           : !c->snmp.agentx_socket ? "snmp.agentx_socket"
                           : !c->snmp.master_listen ? "snmp.master_listen"
                                                    : "snmp.trap_community");
        return fail(p, "must be set");
    }
    if (c->snmp.usm_user && (!c->snmp.usm_auth_key || !c->snmp.usm_priv_key)) {
        path_key(&p->path, c->snmp.usm_auth_key ? "snmp.usm_priv_key" : "snmp.usm_auth_key");
        return fail(p, "must be set when snmp.usm_user is (USM users here are authPriv)");
    }
    if (!c->http.tls_cert != !c->http.tls_key) {
        path_key(&p->path, c->http.tls_cert ? "http.tls_key" : "http.tls_cert");
        return fail(p, "must be set together with %s",
                    c->http.tls_cert ? "http.tls_cert" : "http.tls_key");
    }
    if (c->snmp.n_trap_sinks > CFG_MAX_LIST || c->http.n_allow > CFG_MAX_LIST) {
        path_key(&p->path, c->snmp.n_trap_sinks > CFG_MAX_LIST ? "snmp.trap_sinks" : "http.allow");
        return fail(p, "has too many entries (at most %d)", CFG_MAX_LIST);
    }
    if (!c->state_dir || check_state_dir(c->state_dir)) {
        path_key(&p->path, "state_dir");
        return fail(p, "is not an absolute path");
    }
    if (c->ntp_enabled && c->ntp_servers.n == 0)
        return fill_ntp_defaults(p, c);
    return 0;
}

int cfg_validate(struct cfg *c, struct cfg_error *err)
{
    struct cfg_error dummy;
    struct pctx p;
    pctx_init(&p, NULL, 0, err ? err : &dummy);
    return validate(&p, c);
}

/* ------------------------------------------------------------- serialise */

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *peer_json(const char *host, uint16_t port)
{
    char buf[CFG_MAX_HOST + 16];
    struct cfg_peer pe = {(char *)host, port};
    if (!host)
        return json_null();
    cfg_peer_format(&pe, buf, sizeof buf);
    return json_string(buf);
}

static json_t *list_json(const struct cfg_list *l)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < l->n; i++)
        json_array_append_new(a, peer_json(l->items[i].host, l->items[i].port));
    return a;
}

static json_t *strv_json(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

/* A trap sink as written: its address, or {"address", "inform": true} for an inform. */
static json_t *trap_sinks_json(const struct cfg *c)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < c->snmp.n_trap_sinks; i++)
        json_array_append_new(
            a, c->snmp.trap_sink_inform && c->snmp.trap_sink_inform[i]
                   ? json_pack("{s:s, s:b}", "address", c->snmp.trap_sinks[i], "inform", 1)
                   : json_string(c->snmp.trap_sinks[i]));
    return a;
}

static json_t *to_json(const struct cfg *c)
{
    json_t *scanners = json_array(), *updates = json_array();
    for (size_t i = 0; scanners && i < c->n_scanners; i++)
        json_array_append_new(
            scanners, json_pack("{s:s, s:o}", "name", c->scanners[i].name, "host",
                                peer_json(c->scanners[i].peer.host, c->scanners[i].peer.port)));
    for (size_t i = 0; updates && i < c->n_updates; i++)
        json_array_append_new(updates,
                              json_pack("{s:s, s:s, s:i, s:b}", "purpose", c->updates[i].purpose,
                                        "host", c->updates[i].host, "port", (int)c->updates[i].port,
                                        "enabled", c->updates[i].enabled));
    /* "o" steals each reference, even when packing fails, so nothing leaks on error. */
    return json_pack(
        "{s:{s:s, s:s, s:b}, s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o}, s:{s:b, s:o}, s:o,"
        " s:{s:i, s:i, s:i, s:i, s:s, s:o},"
        " s:{s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:o, s:s, s:i, s:i},"
        " s:{s:o, s:o, s:o, s:o, s:o, s:i, s:i, s:i}, s:s}",
        "appliance", "name", c->name, "role", cat_role_name(c->role), "http_management",
        c->http_management, "peers", "control_center",
        peer_json(c->control_center, c->control_center_port), "scanners", scanners, "dns_servers",
        list_json(&c->dns_servers), "ldap_servers", list_json(&c->ldap_servers),
        "internal_mail_servers", list_json(&c->internal_mail_servers), "internet_mail_hosts",
        list_json(&c->internet_mail_hosts), "management_hosts", list_json(&c->management_hosts),
        "ntp", "enabled", c->ntp_enabled, "servers", list_json(&c->ntp_servers), "updates", updates,
        "probe", "interval_ms", (int)c->probe.interval_ms, "timeout_ms", (int)c->probe.timeout_ms,
        "fail_threshold", (int)c->probe.fail_threshold, "recover_threshold",
        (int)c->probe.recover_threshold, "dns_query_name", c->probe.dns_query_name, "resolver",
        str_or_null(c->probe.resolver), "snmp", "mode", cfg_snmp_mode_name(c->snmp.mode),
        "agentx_socket", c->snmp.agentx_socket, "master_listen", c->snmp.master_listen,
        "ping_interval_s", (int)c->snmp.ping_interval_s, "community",
        str_or_null(c->snmp.community), "usm_user", str_or_null(c->snmp.usm_user), "usm_auth_key",
        str_or_null(c->snmp.usm_auth_key), "usm_priv_key", str_or_null(c->snmp.usm_priv_key),
        "trap_sinks", trap_sinks_json(c), "trap_community", c->snmp.trap_community,
        "notify_rate_limit", (int)c->snmp.notify_rate_limit, "notify_queue",
        (int)c->snmp.notify_queue, "http", "listen", str_or_null(c->http.listen), "token_file",
        str_or_null(c->http.token_file), "allow", strv_json(c->http.allow, c->http.n_allow),
        "tls_cert", str_or_null(c->http.tls_cert), "tls_key", str_or_null(c->http.tls_key),
        "max_connections", (int)c->http.max_connections, "per_ip_connections",
        (int)c->http.per_ip_connections, "timeout_s", (int)c->http.timeout_s, "state_dir",
        c->state_dir);
}

char *cfg_serialise(const struct cfg *c)
{
    json_t *doc = to_json(c);
    if (!doc)
        return NULL;
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (!text)
        return NULL;
    size_t n = strlen(text);
    char *out = realloc(text, n + 2);
    if (!out) {
        free(text);
        return NULL;
    }
    out[n] = '\n';
    out[n + 1] = '\0';
    return out;
}

/* ------------------------------------------------------------- diff */

static void diff_add(char *buf, size_t len, size_t *k, const char *path, const char *note)
{
    if (*k >= len)
        return;
    int n = snprintf(buf + *k, len - *k, "%s%s%s", *k ? ", " : "", path[0] ? path : "(all)", note);
    *k += n > 0 ? (size_t)n : 0;
    if (*k >= len && len > 4)
        memcpy(buf + len - 4, "...", 4); /* truncated: say so */
}

/* Objects are compared key by key, arrays item by item when their length is the same (else
 * the array is named with both lengths), anything else by value. */
static void diff_json(json_t *a, json_t *b, char *path, size_t plen, char *buf, size_t len,
                      size_t *k)
{
    size_t at = strlen(path);
    if (json_is_object(a) && json_is_object(b)) {
        const char *key;
        json_t *va;
        json_object_foreach(a, key, va)
        {
            snprintf(path + at, plen - at, "%s%s", at ? "." : "", key);
            json_t *vb = json_object_get(b, key);
            if (vb)
                diff_json(va, vb, path, plen, buf, len, k);
            else
                diff_add(buf, len, k, path, "");
        }
        json_t *vb;
        json_object_foreach(b, key, vb)
        {
            if (json_object_get(a, key))
                continue;
            snprintf(path + at, plen - at, "%s%s", at ? "." : "", key);
            diff_add(buf, len, k, path, "");
        }
    } else if (json_is_array(a) && json_is_array(b)) {
        size_t na = json_array_size(a), nb = json_array_size(b);
        if (na != nb) {
            char note[64];
            snprintf(note, sizeof(note), " (%zu -> %zu items)", na, nb);
            diff_add(buf, len, k, path, note);
        } else {
            for (size_t i = 0; i < na; i++) {
                snprintf(path + at, plen - at, "[%zu]", i);
                diff_json(json_array_get(a, i), json_array_get(b, i), path, plen, buf, len, k);
            }
        }
    } else if (!json_equal(a, b)) {
        diff_add(buf, len, k, path, "");
    }
    path[at] = '\0';
}

size_t cfg_diff(const struct cfg *a, const struct cfg *b, char *buf, size_t len)
{
    size_t k = 0;
    if (len == 0)
        return 0;
    buf[0] = '\0';
    json_t *ja = to_json(a), *jb = to_json(b);
    if (ja && jb) {
        char path[512] = "";
        diff_json(ja, jb, path, sizeof(path), buf, len, &k);
    }
    json_decref(ja);
    json_decref(jb);
    return k < len ? k : len - 1;
}

/* ------------------------------------------------------------- save */

static int write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The folder of path, opened for fsync: the new directory entry of a rename reaches the disk
 * only when the folder is synced. Opened before anything changes, so that a folder we cannot
 * sync (no read permission) refuses the save while the old file is still in place. */
static int open_folder(const char *path)
{
    char *dir = strdup(path);
    if (!dir)
        return -1;
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int saved = errno;
    free(dir);
    errno = saved;
    return fd;
}

static int sync_folder(int fd)
{
    /* Some file systems cannot sync a folder (EINVAL); the rename is then as durable as
     * they make it. */
    return fsync(fd) < 0 && errno != EINVAL ? -1 : 0;
}

/* Writes text to a new temporary file next to path; its name is left in tmp. */
static int write_temp(char *tmp, const char *text, const char **step)
{
    *step = "create a temporary file next to";
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -1;
    fcntl(fd, F_SETFD, FD_CLOEXEC); /* the daemon may spawn helpers; keep the fd out of them */
    *step = "write";
    int rc = fchmod(fd, 0640) < 0 || write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0;
    int saved = errno;
    if (close(fd) < 0 && !rc) /* NFS reports some write errors only at close */
        return unlink(tmp), -1;
    if (rc) {
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return 0;
}

/* Writes text to path atomically (for files other than the configuration, e.g. the index
 * map): temp file in the same folder, fsync, rename, fsync of the folder. */
int cfg_write_atomic(const char *path, const char *text, const char **step)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + sizeof ".XXXXXX");
    int rc = -1, folder = -1;
    errno = ENOMEM;
    *step = "allocate memory for";
    if (tmp) {
        memcpy(tmp, path, plen);
        memcpy(tmp + plen, ".XXXXXX", sizeof ".XXXXXX");
        *step = "open for syncing the folder of";
        if ((folder = open_folder(path)) >= 0)
            rc = write_temp(tmp, text, step);
    }
    if (rc == 0) {
        *step = "rename a temporary file over";
        if ((rc = rename(tmp, path)) < 0) {
            int saved = errno;
            unlink(tmp);
            errno = saved;
        }
    }
    if (rc == 0 && (rc = sync_folder(folder)) < 0)
        *step = "sync the folder of"; /* the new file is in place, but may not survive a crash */
    int saved = errno;
    if (folder >= 0)
        close(folder);
    free(tmp);
    errno = saved;
    return rc;
}

/* A copy of the old file where a hard link is refused: fs.protected_hardlinks forbids linking
 * a file we do not own, e.g. one an operator wrote as root. The copy is synced like the new
 * file. */
static int copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    int rc = out < 0 ? -1 : 0;
    char buf[16384];
    while (rc == 0) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -1 : 0;
            break;
        }
        rc = write_all(out, buf, (size_t)n);
    }
    if (rc == 0 && fsync(out) < 0)
        rc = -1;
    int saved = errno;
    close(in);
    if (out >= 0 && close(out) < 0 && rc == 0)
        rc = -1, saved = errno;
    if (rc < 0 && out >= 0)
        unlink(to);
    errno = saved;
    return rc;
}

/* Crash safety: at every instant path names either the whole old file or the whole new one.
 * The new text is complete and synced in a temporary file before the rename; the old file
 * stays reachable under a second name (a hard link) until the caller commits, so that any
 * failure after the rename (the folder's fsync, applying the change) renames it back. A crash
 * leaves at most that second name behind; the next save removes it. */
int cfg_save_begin(const struct cfg *c, const char *path, struct cfg_saved *s,
                   struct cfg_error *err)
{
    struct cfg_error dummy;
    const char *step = "serialise the configuration for";
    err = err ? err : &dummy;
    memset(err, 0, sizeof *err);
    memset(s, 0, sizeof *s);
    s->folder = -1;
    size_t plen = strlen(path);
    char *text = cfg_serialise(c), *tmp = malloc(plen + sizeof ".XXXXXX");
    s->path = strdup(path);
    s->old = malloc(plen + sizeof CFG_SAVE_OLD_SUFFIX);
    int rc = -1;
    errno = ENOMEM;
    if (text && tmp && s->path && s->old) {
        memcpy(tmp, path, plen);
        memcpy(tmp + plen, ".XXXXXX", sizeof ".XXXXXX");
        memcpy(s->old, path, plen);
        memcpy(s->old + plen, CFG_SAVE_OLD_SUFFIX, sizeof CFG_SAVE_OLD_SUFFIX);
        step = "open for syncing the folder of";
        if ((s->folder = open_folder(path)) >= 0)
            rc = write_temp(tmp, text, &step);
    }
    if (rc == 0) {
        step = "keep the old file beside";
        if (unlink(s->old) < 0 && errno != ENOENT) /* left by a crash during a save */
            rc = -1;
        else if (link(path, s->old) == 0 || (errno != ENOENT && copy_file(path, s->old) == 0))
            s->had_old = true;
        else if (errno != ENOENT) /* ENOENT: the first save creates the file */
            rc = -1;
        if (rc < 0) {
            int saved = errno;
            unlink(tmp);
            errno = saved;
        }
    }
    if (rc == 0) {
        step = "rename a temporary file over";
        if ((rc = rename(tmp, path)) < 0) {
            int saved = errno;
            unlink(tmp);
            if (s->had_old)
                unlink(s->old);
            s->had_old = false;
            errno = saved;
        }
    }
    if (rc == 0) {
        s->created = !s->had_old;
        /* The new file is in place but may not survive a crash: the save failed, and the
         * undo below puts the old one back. */
        step = "sync the folder of";
        rc = sync_folder(s->folder);
    }
    if (rc < 0) {
        set_error(err, CFG_ERR_IO, "cannot %s %s: %s", step, path, strerror(errno));
        cfg_save_undo(s);
    }
    free(text);
    free(tmp);
    return rc;
}

/* ------------------------------------------------------------- restart keys */

static bool restart_key_equal(const struct cfg *a, const struct cfg *b, size_t i)
{
    const char *pa = (const char *)a + restart_keys[i].off;
    const char *pb = (const char *)b + restart_keys[i].off;
    switch (restart_keys[i].kind) {
    case RK_STR: {
        const char *x = *(char *const *)pa, *y = *(char *const *)pb;
        return (!x && !y) || (x && y && !strcmp(x, y));
    }
    case RK_STRV: {
        char *const *x = *(char **const *)pa, *const *y = *(char **const *)pb;
        size_t n = *(const size_t *)((const char *)a + restart_keys[i].count_off);
        if (n != *(const size_t *)((const char *)b + restart_keys[i].count_off))
            return false;
        for (size_t k = 0; k < n; k++)
            if (strcmp(x[k], y[k]) != 0)
                return false;
        return true;
    }
    case RK_UINT:
        return *(const unsigned *)pa == *(const unsigned *)pb;
    case RK_MODE:
        return *(const enum cfg_snmp_mode *)pa == *(const enum cfg_snmp_mode *)pb;
    }
    return true;
}

size_t cfg_restart_keys(const struct cfg *running, const struct cfg *wanted, const char **keys,
                        size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof restart_keys / sizeof restart_keys[0]; i++)
        if (!restart_key_equal(running, wanted, i) && n < max)
            keys[n++] = restart_keys[i].path;
    return n;
}

int cfg_keep_restart_values(struct cfg *dst, const struct cfg *src)
{
    bool ok = true;
    for (size_t i = 0; i < sizeof restart_keys / sizeof restart_keys[0]; i++) {
        if (restart_key_equal(dst, src, i))
            continue;
        char *pd = (char *)dst + restart_keys[i].off;
        const char *ps = (const char *)src + restart_keys[i].off;
        switch (restart_keys[i].kind) {
        case RK_STR: {
            char *copy = dup_opt(*(char *const *)ps, &ok);
            if (!ok)
                return -1;
            free(*(char **)pd);
            *(char **)pd = copy;
            break;
        }
        case RK_STRV: {
            size_t *nd = (size_t *)((char *)dst + restart_keys[i].count_off);
            size_t ns = *(const size_t *)((const char *)src + restart_keys[i].count_off);
            char **v = NULL;
            size_t n = 0;
            strv_copy(&v, &n, *(char **const *)ps, ns, &ok);
            if (!ok) {
                strv_free(&v, &n);
                return -1;
            }
            strv_free((char ***)pd, nd);
            *(char ***)pd = v;
            *nd = n;
            break;
        }
        case RK_UINT:
            *(unsigned *)pd = *(const unsigned *)ps;
            break;
        case RK_MODE:
            *(enum cfg_snmp_mode *)pd = *(const enum cfg_snmp_mode *)ps;
            break;
        }
    }
    return 0;
}

void cfg_save_commit(struct cfg_saved *s)
{
    if (s->had_old)
        unlink(s->old); /* not synced: after a crash it is only a stale copy */
    s->had_old = s->created = false;
    cfg_save_undo(s); /* with nothing to undo: releases the rest */
}

int cfg_save_undo(struct cfg_saved *s)
{
    int rc = 0;
    if (s->path && s->folder >= 0) {
        if (s->had_old)
            rc = rename(s->old, s->path);
        else if (s->created)
            rc = unlink(s->path);
        if (s->had_old || s->created)
            sync_folder(s->folder);
    }
    if (s->folder >= 0)
        close(s->folder);
    free(s->path);
    free(s->old);
    memset(s, 0, sizeof *s);
    s->folder = -1;
    return rc;
}

int cfg_save(const struct cfg *c, const char *path, struct cfg_error *err)
{
    struct cfg_saved s;
    if (cfg_save_begin(c, path, &s, err) < 0)
        return -1;
    cfg_save_commit(&s);
    return 0;
}

/* ------------------------------------------------------------- exposure */

/* Whether a master_listen address ([transport:]host:port) reaches only this host. A name
 * other than "localhost" may resolve anywhere, so it counts as beyond loopback. */
static bool listen_is_loopback(const char *listen)
{
    static const char *const transports[] = {"udp:", "tcp:", "udp6:", "tcp6:"};
    for (size_t i = 0; i < sizeof transports / sizeof transports[0]; i++) {
        size_t n = strlen(transports[i]);
        if (!strncmp(listen, transports[i], n)) {
            listen += n;
            break;
        }
    }
    struct cfg_peer pe;
    char why[128];
    if (cfg_parse_peer(listen, &pe, why, sizeof why) < 0)
        return false;
    unsigned char a[16];
    bool lo = !strcmp(pe.host, "localhost") ||
              (inet_pton(AF_INET, pe.host, a) == 1 && a[0] == 127) ||
              (inet_pton(AF_INET6, pe.host, a) == 1 &&
               (IN6_IS_ADDR_LOOPBACK((struct in6_addr *)a) ||
                (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a) && a[12] == 127)));
    free(pe.host);
    return lo;
}

int cfg_check_master_exposure(const struct cfg *c, struct cfg_error *err)
{
    struct cfg_error dummy;
    err = err ? err : &dummy;
    memset(err, 0, sizeof *err);
    if (!c->snmp.master_listen || listen_is_loopback(c->snmp.master_listen))
        return 0;
    if (c->snmp.community && !strcmp(c->snmp.community, CFG_WELL_KNOWN_COMMUNITY)) {
        set_error(err, CFG_ERR_VALUE,
                  "snmp.community: master mode on \"%s\" (beyond loopback) refuses the "
                  "well-known community \"%s\"; set snmp.community to a secret of your own, or "
                  "to null with an snmp.usm_user",
                  c->snmp.master_listen, CFG_WELL_KNOWN_COMMUNITY);
        snprintf(err->path, sizeof err->path, "snmp.community");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------- REST writes */

static struct cfg *with_finish(struct pctx *p, struct cfg *next, json_t *root)
{
    json_decref(root);
    /* Cross-key checks of the whole result; their paths are document paths. */
    path_pop(&p->path, 0);
    p->text = NULL;
    if (validate(p, next) < 0) {
        cfg_free(next);
        return NULL;
    }
    return next;
}

struct cfg *cfg_with_ntp(const struct cfg *base, const char *json, size_t len,
                         struct cfg_error *err)
{
    struct cfg_error dummy;
    struct pctx p;
    pctx_init(&p, json, len, err ? err : &dummy);
    json_t *root = load_json(&p, json, len);
    if (!root)
        return NULL;
    struct cfg *next = NULL;
    if (want_object(&p, root, ntp_keys) < 0)
        goto refuse;
    if (!json_object_get(root, "enabled")) {
        fail(&p, "missing key \"enabled\"");
        goto refuse;
    }
    if (!(next = cfg_clone(base))) {
        oom(&p);
        goto refuse;
    }
    list_free(&next->ntp_servers); /* absent "servers" means none */
    if (parse_ntp(&p, root, next) < 0)
        goto refuse;
    return with_finish(&p, next, root);
refuse:
    cfg_free(next);
    json_decref(root);
    return NULL;
}

struct cfg *cfg_with_updates(const struct cfg *base, const char *json, size_t len,
                             struct cfg_error *err)
{
    struct cfg_error dummy;
    struct pctx p;
    size_t old = 0;
    pctx_init(&p, json, len, err ? err : &dummy);
    json_t *root = load_json(&p, json, len), *items = root;
    if (!root)
        return NULL;
    struct cfg *next = NULL;
    if (!json_is_array(root)) {
        if (want_object(&p, root, updates_body_keys) < 0)
            goto refuse;
        if (!(items = enter(&p, root, "items", &old))) {
            fail(&p, "missing key \"items\" (expected {\"items\": [...]} or an array)");
            goto refuse;
        }
    }
    if (!(next = cfg_clone(base))) {
        oom(&p);
        goto refuse;
    }
    if (updates_value(&p, items, next) < 0)
        goto refuse;
    return with_finish(&p, next, root);
refuse:
    cfg_free(next);
    json_decref(root);
    return NULL;
}

struct cfg *cfg_with_scanner(const struct cfg *base, const char *json, size_t len,
                             struct cfg_error *err)
{
    struct cfg_error dummy;
    struct pctx p;
    char shown[96];
    pctx_init(&p, json, len, err ? err : &dummy);
    json_t *root = load_json(&p, json, len);
    if (!root)
        return NULL;
    struct cfg_scanner s = {NULL, {NULL, 0}};
    struct cfg *next = NULL;
    if (parse_scanner(&p, root, &s) < 0)
        goto refuse;
    for (size_t i = 0; i < base->n_scanners; i++) {
        if (!strcmp(base->scanners[i].name, s.name)) {
            size_t old = 0;
            enter(&p, root, "name", &old);
            fail(&p, "a scanner named %s already exists", quote(s.name, shown, sizeof shown));
            goto refuse;
        }
    }
    if (base->n_scanners >= CFG_MAX_LIST) {
        fail(&p, "there are already %d scanners (at most %d)", CFG_MAX_LIST, CFG_MAX_LIST);
        goto refuse;
    }
    if (!(next = cfg_clone(base))) {
        oom(&p);
        goto refuse;
    }
    struct cfg_scanner *grown = realloc(next->scanners, (next->n_scanners + 1) * sizeof *grown);
    if (!grown) {
        oom(&p);
        goto refuse;
    }
    next->scanners = grown;
    next->scanners[next->n_scanners++] = s;
    return with_finish(&p, next, root);
refuse:
    free(s.name);
    free(s.peer.host);
    cfg_free(next);
    json_decref(root);
    return NULL;
}

struct cfg *cfg_without_scanner(const struct cfg *base, const char *name, struct cfg_error *err)
{
    struct cfg_error dummy;
    char shown[96];
    err = err ? err : &dummy;
    memset(err, 0, sizeof *err);
    for (size_t i = 0; i < base->n_scanners; i++) {
        if (strcmp(base->scanners[i].name, name))
            continue;
        struct cfg *next = cfg_clone(base);
        if (!next) {
            set_error(err, CFG_ERR_VALUE, "out of memory");
            return NULL;
        }
        free(next->scanners[i].name);
        free(next->scanners[i].peer.host);
        memmove(&next->scanners[i], &next->scanners[i + 1],
                (next->n_scanners - i - 1) * sizeof *next->scanners);
        next->n_scanners--;
        if (cfg_validate(next, err) < 0) {
            cfg_free(next);
            return NULL;
        }
        return next;
    }
    set_error(err, CFG_ERR_NOT_FOUND, "no scanner named %s", quote(name, shown, sizeof shown));
    return NULL;
}
