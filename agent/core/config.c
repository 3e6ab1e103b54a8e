#include "config.h"

#include "addr.h"
#include "config_internal.h"
#include "jsonpos.h"

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

/* The vendor's NTP servers, filled in when NTP is enabled with none. */
static const char *const default_ntp_servers[] = {"pool.ntp.org", "clock.isc.org", "time.nist.gov"};

_Static_assert(JPOS_PATH_MAX == sizeof(((struct cfg_error *)0)->path),
               "an error's path is a key path");

/* ------------------------------------------------------------- error helpers */

int cfgi_fail_at(struct pctx *p, bool at_key, const char *fmt, ...)
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
    jpos_locate(p->text, p->len, p->path.buf, at_key, &e->line, &e->column);
    return -1;
}

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
const char *cfgi_quote_len(const char *s, size_t len, char *buf, size_t cap)
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

const char *cfgi_quote(const char *s, char *buf, size_t cap)
{
    return cfgi_quote_len(s, strlen(s), buf, cap);
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
int cfgi_fail_type(struct pctx *p, const json_t *v, const char *expected)
{
    char shown[96] = "";
    if (json_is_string(v)) {
        cfgi_quote(json_string_value(v), shown, 64);
    } else if (json_is_number(v) || json_is_boolean(v)) {
        char *d = json_dumps(v, JSON_ENCODE_ANY);
        snprintf(shown, sizeof shown, "%.60s", d ? d : "");
        free(d);
    }
    if (*shown)
        return fail(p, "expected %s, got %s (%s)", expected, type_name(v), shown);
    return fail(p, "expected %s, got %s", expected, type_name(v));
}

int cfgi_oom(struct pctx *p)
{
    return fail(p, "out of memory");
}

/* ------------------------------------------------------------- host syntax */

bool cfg_host_valid(const char *host)
{
    return addr_host_valid(host);
}

int cfg_parse_peer(const char *s, struct cfg_peer *out, char *why, size_t why_len)
{
    struct addr_hostport hp;
    out->host = NULL;
    out->port = 0;
    if (addr_parse_hostport(s, &hp, why, why_len) < 0)
        return -1;
    if (!(out->host = strdup(hp.host))) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    out->port = hp.port;
    return 0;
}

void cfg_peer_format(const struct cfg_peer *p, char *buf, size_t len)
{
    addr_format_hostport(p->host, p->port, buf, len);
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
            size_t old = jpos_path_key(&p->path, key);
            if (check_depth(p, m, depth + 1) < 0)
                return -1;
            jpos_path_pop(&p->path, old);
        }
    } else {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m)
        {
            size_t old = jpos_path_index(&p->path, i);
            if (check_depth(p, m, depth + 1) < 0)
                return -1;
            jpos_path_pop(&p->path, old);
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

static int validate(struct pctx *p, struct cfg *c);
static const char *master_exposure(const struct cfg *c, char *buf, size_t n);

struct cfg *cfg_parse(const char *text, size_t len, struct cfg_error *err)
{
    struct cfg_error dummy;
    struct pctx p;
    pctx_init(&p, text, len, err ? err : &dummy);
    json_t *root = load_json(&p, text, len);
    if (!root)
        return NULL;
    struct cfg *c = cfg_defaults();
    if (!c) {
        cfgi_oom(&p);
        json_decref(root);
        return NULL;
    }
    int rc = cfgi_read_document(&p, root, c);
    rc = rc < 0 ? rc : validate(&p, c);
    rc = rc < 0 ? rc : cfg_fill_ntp_servers(c) < 0 ? cfgi_oom(&p) : 0;
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

static int validate_list(struct pctx *p, const char *path, const struct cfg_list *l)
{
    size_t old = jpos_path_key(&p->path, path);
    if (l->n > CFG_MAX_LIST)
        return fail(p, "has %zu entries (at most %d)", l->n, CFG_MAX_LIST);
    for (size_t i = 0; i < l->n; i++) {
        size_t o = jpos_path_index(&p->path, i);
        if (!l->items[i].host || !cfg_host_valid(l->items[i].host))
            return fail(p, "is not a valid host name or address");
        jpos_path_pop(&p->path, o);
    }
    jpos_path_pop(&p->path, old);
    return 0;
}

int cfg_fill_ntp_servers(struct cfg *c)
{
    if (!c->ntp_enabled || c->ntp_servers.n)
        return 0;
    size_t n = sizeof default_ntp_servers / sizeof default_ntp_servers[0];
    struct cfg_list l = {calloc(n, sizeof *l.items), 0};
    if (!l.items)
        return -1;
    for (; l.n < n; l.n++) {
        if (!(l.items[l.n].host = strdup(default_ntp_servers[l.n]))) {
            cfgi_list_free(&l);
            return -1;
        }
    }
    cfgi_list_free(&c->ntp_servers);
    c->ntp_servers = l;
    return 0;
}

/* Checks across keys, with p->path at the document root. */
static int validate(struct pctx *p, struct cfg *c)
{
    char shown[96];
    if (cfgi_check_numbers(p, c) < 0)
        return -1;
    if (c->probe.timeout_ms >= c->probe.interval_ms) {
        jpos_path_key(&p->path, "probe.timeout_ms");
        return fail(p, "%u must be less than probe.interval_ms (%u)", c->probe.timeout_ms,
                    c->probe.interval_ms);
    }
    if (c->http.per_ip_connections > c->http.max_connections) {
        jpos_path_key(&p->path, "http.per_ip_connections");
        return fail(p, "%u is more than http.max_connections (%u)", c->http.per_ip_connections,
                    c->http.max_connections);
    }
    if (!c->name || cfgi_check_name(c->name)) {
        jpos_path_key(&p->path, "appliance.name");
        return fail(p, "is not a valid name (1..63 letters, digits, '.', '_', '-')");
    }
    /* beside, the appliance's inbound flows are checked at its address: no address, no check */
    if (c->placement == PLACEMENT_BESIDE && !c->address) {
        jpos_path_key(&p->path, "appliance.placement");
        return fail(p, "beside needs appliance.address (the appliance's host name or address)");
    }
    if (c->address && !cfg_host_valid(c->address)) {
        jpos_path_key(&p->path, "appliance.address");
        return fail(p, "is not a valid host name or address");
    }
    if (c->control_center && !cfg_host_valid(c->control_center)) {
        jpos_path_key(&p->path, "peers.control_center");
        return fail(p, "is not a valid host name or address");
    }
    if (c->n_scanners > CFG_MAX_LIST) {
        jpos_path_key(&p->path, "peers.scanners");
        return fail(p, "has %zu entries (at most %d)", c->n_scanners, CFG_MAX_LIST);
    }
    for (size_t i = 0; i < c->n_scanners; i++) {
        const struct cfg_scanner *s = &c->scanners[i];
        jpos_path_key(&p->path, "peers.scanners");
        jpos_path_index(&p->path, i);
        jpos_path_key(&p->path, "name");
        if (!s->name || cfgi_check_name(s->name))
            return fail(p, "is not a valid name (1..63 letters, digits, '.', '_', '-')");
        /* beside a Control Center the scanners and the appliance are one fleet, named alike */
        if (c->role != ROLE_SCANNER && c->name && !strcmp(c->name, s->name))
            return fail(p,
                        "%s is also appliance.name (an appliance and its scanners need "
                        "names of their own)",
                        cfgi_quote(s->name, shown, sizeof shown));
        for (size_t j = 0; j < i; j++)
            if (!strcmp(c->scanners[j].name, s->name))
                return fail(p, "duplicate scanner name %s (also peers.scanners[%zu])",
                            cfgi_quote(s->name, shown, sizeof shown), j);
        jpos_path_pop(&p->path, 0);
        if (!s->peer.host || !cfg_host_valid(s->peer.host)) {
            jpos_path_key(&p->path, "peers.scanners");
            jpos_path_index(&p->path, i);
            jpos_path_key(&p->path, "host");
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
        jpos_path_key(&p->path, "updates");
        return fail(p, "has %zu entries (at most %d)", c->n_updates, CFG_MAX_LIST);
    }
    for (size_t i = 0; i < c->n_updates; i++) {
        const struct cfg_update *u = &c->updates[i];
        jpos_path_key(&p->path, "updates");
        jpos_path_index(&p->path, i);
        if (!u->purpose || !cat_update_flow(u->purpose)) {
            jpos_path_key(&p->path, "purpose");
            return fail(p, "is not an update purpose");
        }
        if (!u->host || !cfg_host_valid(u->host)) {
            jpos_path_key(&p->path, "host");
            return fail(p, "is not a valid host name or address");
        }
        if (!u->port) {
            jpos_path_key(&p->path, "port");
            return fail(p, "0 is out of range (1..65535)");
        }
        jpos_path_pop(&p->path, 0);
    }
    if (cfgi_check_extra_flows(p, c) < 0)
        return -1;
    if (!c->probe.dns_query_name || !c->snmp.agentx_socket || !c->snmp.master_listen ||
        !c->snmp.trap_community) {
        jpos_path_key(&p->path, !c->probe.dns_query_name ? "probe.dns_query_name"
                                : !c->snmp.agentx_socket ? "snmp.agentx_socket"
                                : !c->snmp.master_listen ? "snmp.master_listen"
                                                         : "snmp.trap_community");
        return fail(p, "must be set");
    }
    if (c->snmp.usm_user && (!c->snmp.usm_auth_key || !c->snmp.usm_priv_key)) {
        jpos_path_key(&p->path, c->snmp.usm_auth_key ? "snmp.usm_priv_key" : "snmp.usm_auth_key");
        return fail(p, "must be set when snmp.usm_user is (USM users here are authPriv)");
    }
    if (!c->http.tls_cert != !c->http.tls_key) {
        jpos_path_key(&p->path, c->http.tls_cert ? "http.tls_key" : "http.tls_cert");
        return fail(p, "must be set together with %s",
                    c->http.tls_cert ? "http.tls_cert" : "http.tls_key");
    }
    if (c->snmp.n_trap_sinks > CFG_MAX_LIST || c->http.n_allow > CFG_MAX_LIST) {
        jpos_path_key(&p->path,
                      c->snmp.n_trap_sinks > CFG_MAX_LIST ? "snmp.trap_sinks" : "http.allow");
        return fail(p, "has too many entries (at most %d)", CFG_MAX_LIST);
    }
    /* master mode beyond loopback needs a secret of its own (also checked at start with
     * --master, which a configuration file does not show) */
    char exposure[300];
    if (c->snmp.mode == SNMP_MODE_MASTER && master_exposure(c, exposure, sizeof exposure)) {
        jpos_path_key(&p->path, "snmp.community");
        return fail(p, "%s", exposure);
    }
    if (!c->state_dir || cfgi_check_state_dir(c->state_dir)) {
        jpos_path_key(&p->path, "state_dir");
        return fail(p, "is not an absolute path");
    }
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

static char *serialise(const struct cfg *c, bool masked)
{
    json_t *doc = cfgi_to_json(c, masked);
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

char *cfg_serialise(const struct cfg *c)
{
    return serialise(c, false);
}

char *cfg_serialise_masked(const struct cfg *c)
{
    return serialise(c, true);
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
    json_t *ja = cfgi_to_json(a, false), *jb = cfgi_to_json(b, false);
    if (ja && jb) {
        char path[512] = "";
        diff_json(ja, jb, path, sizeof(path), buf, len, &k);
    }
    json_decref(ja);
    json_decref(jb);
    return k < len ? k : len - 1;
}

int cfg_save_begin(const struct cfg *c, const char *path, struct cfg_saved *s,
                   struct cfg_error *err)
{
    struct cfg_error dummy;
    const char *step = "serialise the configuration for";
    err = err ? err : &dummy;
    memset(err, 0, sizeof *err);
    char *text = cfg_serialise(c);
    int rc = -1;
    memset(s, 0, sizeof *s);
    s->file.folder = -1;
    errno = ENOMEM;
    if (text)
        rc = atomic_begin(path, text, &s->file, &step);
    if (rc < 0)
        set_error(err, CFG_ERR_IO, "cannot %s %s: %s", step, path, strerror(errno));
    free(text);
    return rc;
}

void cfg_save_commit(struct cfg_saved *s)
{
    atomic_commit(&s->file);
}

int cfg_save_undo(struct cfg_saved *s)
{
    return atomic_undo(&s->file);
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

/* Whether a master_listen address ([transport:]host:port) reaches only this host. */
static bool listen_is_loopback(const char *listen)
{
    struct addr_endpoint e;
    char why[128];
    return addr_parse_transport(listen, &e, why, sizeof why) == 0 &&
           addr_hostport_is_loopback(&e.hp);
}

/* Why master mode cannot run this configuration's access beyond loopback, or NULL. */
static const char *master_exposure(const struct cfg *c, char *buf, size_t n)
{
    if (!c->snmp.master_listen || listen_is_loopback(c->snmp.master_listen))
        return NULL;
    if (!c->snmp.community || strcmp(c->snmp.community, CFG_WELL_KNOWN_COMMUNITY))
        return NULL;
    snprintf(buf, n,
             "master mode on \"%s\" (beyond loopback) refuses the well-known community \"%s\"; "
             "set snmp.community to a secret of your own, or to null with an snmp.usm_user",
             c->snmp.master_listen, CFG_WELL_KNOWN_COMMUNITY);
    return buf;
}

int cfg_check_master_exposure(const struct cfg *c, struct cfg_error *err)
{
    struct cfg_error dummy;
    char why[sizeof err->message - 32];
    err = err ? err : &dummy;
    memset(err, 0, sizeof *err);
    if (!master_exposure(c, why, sizeof why))
        return 0;
    set_error(err, CFG_ERR_VALUE, "snmp.community: %s", why);
    snprintf(err->path, sizeof err->path, "snmp.community");
    return -1;
}

/* ------------------------------------------------------------- REST writes */

static struct cfg *with_finish(struct pctx *p, struct cfg *next, json_t *root)
{
    json_decref(root);
    /* Cross-key checks of the whole result; their paths are document paths. */
    jpos_path_pop(&p->path, 0);
    p->text = NULL;
    if (validate(p, next) < 0 || (cfg_fill_ntp_servers(next) < 0 && cfgi_oom(p) < 0)) {
        cfg_free(next);
        return NULL;
    }
    return next;
}

struct cfg *cfg_with_section(const struct cfg *base, const char *section,
                             const char *const *required, const char *text, size_t len,
                             struct cfg_error *err)
{
    struct cfg_error dummy;
    struct pctx p;
    pctx_init(&p, text, len, err ? err : &dummy);
    json_t *root = load_json(&p, text, len);
    if (!root)
        return NULL;
    struct cfg *next = NULL;
    if (cfgi_want_section(&p, root, section) < 0)
        goto refuse;
    for (const char *const *k = required; k && *k; k++) {
        if (!json_object_get(root, *k)) {
            fail(&p, "missing key \"%s\"", *k);
            goto refuse;
        }
    }
    if (!(next = cfg_clone(base))) {
        cfgi_oom(&p);
        goto refuse;
    }
    /* the section is replaced whole: what the text leaves out takes its default */
    if (cfgi_reset_section(next, section) < 0) {
        cfgi_oom(&p);
        goto refuse;
    }
    if (cfgi_read_section(&p, root, section, next) < 0)
        goto refuse;
    return with_finish(&p, next, root);
refuse:
    cfg_free(next);
    json_decref(root);
    return NULL;
}

struct cfg *cfg_with_value(const struct cfg *base, const char *key, const char *wrapper,
                           const char *text, size_t len, struct cfg_error *err)
{
    struct cfg_error dummy;
    struct pctx p;
    size_t old = 0;
    pctx_init(&p, text, len, err ? err : &dummy);
    json_t *root = load_json(&p, text, len), *v = root;
    if (!root)
        return NULL;
    struct cfg *next = NULL;
    if (wrapper && !json_is_array(root)) {
        const char *keys[] = {wrapper, NULL};
        if (cfgi_want_object(&p, root, keys) < 0)
            goto refuse;
        if (!(v = cfgi_enter(&p, root, wrapper, &old))) {
            fail(&p, "missing key \"%s\" (expected {\"%s\": [...]} or an array)", wrapper, wrapper);
            goto refuse;
        }
    }
    if (!(next = cfg_clone(base))) {
        cfgi_oom(&p);
        goto refuse;
    }
    if (cfgi_read_key(&p, v, next, key) < 0)
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
    if (cfgi_parse_scanner(&p, root, &s) < 0)
        goto refuse;
    for (size_t i = 0; i < base->n_scanners; i++) {
        if (!strcmp(base->scanners[i].name, s.name)) {
            size_t old = 0;
            cfgi_enter(&p, root, "name", &old);
            fail(&p, "a scanner named %s already exists", cfgi_quote(s.name, shown, sizeof shown));
            goto refuse;
        }
    }
    if (base->n_scanners >= CFG_MAX_LIST) {
        fail(&p, "there are already %d scanners (at most %d)", CFG_MAX_LIST, CFG_MAX_LIST);
        goto refuse;
    }
    if (!(next = cfg_clone(base))) {
        cfgi_oom(&p);
        goto refuse;
    }
    struct cfg_scanner *grown = realloc(next->scanners, (next->n_scanners + 1) * sizeof *grown);
    if (!grown) {
        cfgi_oom(&p);
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
    set_error(err, CFG_ERR_NOT_FOUND, "no scanner named %s", cfgi_quote(name, shown, sizeof shown));
    return NULL;
}
