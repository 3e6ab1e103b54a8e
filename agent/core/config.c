#include "config.h"

#include "addr.h"
#include "config_check.h"
#include "config_error.h"
#include "config_fields.h"
#include "config_table.h"
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

_Static_assert(JPOS_PATH_MAX == sizeof(((struct cfg_error *)0)->path),
               "an error's path is a key path");

/* ------------------------------------------------------------- documents */

static int validate(struct pctx *p, struct cfg *c);
static int check_extra_flows(struct pctx *p, const struct cfg *c);
static const char *master_exposure(const struct cfg *c, char *buf, size_t n);

struct cfg *cfg_parse(const char *text, size_t len, struct cfg_error *err)
{
    struct cfg_error dummy;
    struct pctx p;
    cfgi_pctx_init(&p, text, len, err ? err : &dummy);
    json_t *root = cfgi_load_json(&p, text, len);
    if (!root)
        return NULL;
    struct cfg *c = cfg_defaults();
    if (!c) {
        cfgi_oom(&p);
        json_decref(root);
        return NULL;
    }
    int rc = cfgi_read_document(&p, &cfgi_file, root, c);
    rc = rc < 0 ? rc : validate(&p, c);
    rc = rc < 0 ? rc : cfg_complete(c) < 0 ? cfgi_oom(&p) : 0;
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
        cfgi_set_error(err, CFG_ERR_IO, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) < 0) {
        cfgi_set_error(err, CFG_ERR_IO, "cannot stat %s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        cfgi_set_error(err, CFG_ERR_IO, "%s is not a regular file", path);
        close(fd);
        return NULL;
    }
    if (st.st_size > CFG_MAX_FILE_BYTES) {
        cfgi_set_error(err, CFG_ERR_IO, "%s is %lld bytes, larger than the %d allowed", path,
                       (long long)st.st_size, CFG_MAX_FILE_BYTES);
        close(fd);
        return NULL;
    }
    /* One byte more than allowed, so a file that grew since fstat is still refused. */
    char *buf = malloc(CFG_MAX_FILE_BYTES + 1);
    size_t len = 0;
    if (!buf) {
        cfgi_set_error(err, CFG_ERR_IO, "cannot read %s: out of memory", path);
        close(fd);
        return NULL;
    }
    for (;;) {
        ssize_t n = read(fd, buf + len, CFG_MAX_FILE_BYTES + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            cfgi_set_error(err, CFG_ERR_IO, "cannot read %s: %s", path, strerror(errno));
            free(buf);
            close(fd);
            return NULL;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > CFG_MAX_FILE_BYTES) {
            cfgi_set_error(err, CFG_ERR_IO, "%s is larger than the %d bytes allowed", path,
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

/* Each value as its row allows (bounds, checks, required members, the items of lists:
 * cfgi_check_rows), then the rules that span keys, with p->path at the document root. Only a
 * rule no single row can state is written here. */
static int validate(struct pctx *p, struct cfg *c)
{
    char shown[96];
    if (cfgi_check_rows(p, &cfgi_file, c) < 0)
        return -1;
    /* a probe must end before the next one of its peer starts */
    if (c->probe.timeout_ms >= c->probe.interval_ms) {
        jpos_path_key(&p->path, "probe.timeout_ms");
        return fail(p, "%u must be less than probe.interval_ms (%u)", c->probe.timeout_ms,
                    c->probe.interval_ms);
    }
    /* one client's share cannot exceed the whole */
    if (c->http.per_ip_connections > c->http.max_connections) {
        jpos_path_key(&p->path, "http.per_ip_connections");
        return fail(p, "%u is more than http.max_connections (%u)", c->http.per_ip_connections,
                    c->http.max_connections);
    }
    /* beside, the appliance's inbound flows are checked at its address: no address, no check */
    if (c->placement == PLACEMENT_BESIDE && !c->address) {
        jpos_path_key(&p->path, "appliance.placement");
        return fail(p, "beside needs appliance.address (the appliance's host name or address)");
    }
    /* a scanner is named by its name (REST, the MIB's index): two items, or an item and
     * appliance.name when the scanners and the appliance are one fleet, must differ */
    for (size_t i = 0; i < c->n_scanners; i++) {
        const struct cfg_scanner *s = &c->scanners[i];
        jpos_path_key(&p->path, "peers.scanners");
        jpos_path_index(&p->path, i);
        jpos_path_key(&p->path, "name");
        if (c->role != ROLE_SCANNER && !strcmp(c->name, s->name))
            return fail(p,
                        "%s is also appliance.name (an appliance and its scanners need "
                        "names of their own)",
                        cfgi_quote(s->name, shown, sizeof shown));
        for (size_t j = 0; j < i; j++)
            if (!strcmp(c->scanners[j].name, s->name))
                return fail(p, "duplicate scanner name %s (also peers.scanners[%zu])",
                            cfgi_quote(s->name, shown, sizeof shown), j);
        jpos_path_pop(&p->path, 0);
    }
    /* USM users here are authPriv: a user needs both passphrases */
    if (c->snmp.usm_user && (!c->snmp.usm_auth_key || !c->snmp.usm_priv_key)) {
        jpos_path_key(&p->path, c->snmp.usm_auth_key ? "snmp.usm_priv_key" : "snmp.usm_auth_key");
        return fail(p, "must be set when snmp.usm_user is (USM users here are authPriv)");
    }
    /* a certificate without its key, or a key without its certificate, serves nothing */
    if (!c->http.tls_cert != !c->http.tls_key) {
        jpos_path_key(&p->path, c->http.tls_cert ? "http.tls_key" : "http.tls_cert");
        return fail(p, "must be set together with %s",
                    c->http.tls_cert ? "http.tls_cert" : "http.tls_key");
    }
    /* master mode beyond loopback needs a secret of its own (also checked at start with
     * --master, which a configuration file does not show) */
    char exposure[300];
    if (c->snmp.mode == SNMP_MODE_MASTER && master_exposure(c, exposure, sizeof exposure)) {
        jpos_path_key(&p->path, "snmp.community");
        return fail(p, "%s", exposure);
    }
    return check_extra_flows(p, c);
}

/* ------------------------------------------------------------- extra_flows */

/* The rules of one extra flow that span its members, and the ids across items (p's path at
 * the item). A rule of placement is here too: it spans the item and another key. */
static int check_extra_flow(struct pctx *p, const struct cfg *c, size_t i)
{
    const struct cfg_extra_flow *x = &c->extra_flows[i];
    const struct cat_extra *r = &x->row;
    bool udp_check = r->check == PROBE_DNS || r->check == PROBE_NTP;
    for (size_t j = 0; j < i; j++)
        if (c->extra_flows[j].row.def.id == r->def.id) {
            jpos_path_key(&p->path, "id");
            return fail(p, "%u is also the id of extra_flows[%zu] (ids are unique)", r->def.id, j);
        }
    size_t at = jpos_path_key(&p->path, "check");
    if (r->check != PROBE_LISTEN && udp_check != (r->def.proto == PROTO_UDP))
        return fail(p, "%s is a %s check, and this flow is %s", cat_probe_kind_name(r->check),
                    udp_check ? "udp" : "tcp", cat_proto_name(r->def.proto));
    if (r->check == PROBE_LISTEN && r->direction != DIR_INBOUND)
        return fail(p, "listen checks an inbound flow's listener; an outbound flow needs a "
                       "check of its peers (tcp, smtp, tls, http, ssh, dns or ntp)");
    /* beside, an inbound flow is checked by connecting to the appliance: UDP has no connection
     * to prove, only a service that answers */
    if (r->check == PROBE_LISTEN && r->def.proto == PROTO_UDP && c->placement == PLACEMENT_BESIDE)
        return fail(p, "listen over udp cannot be checked beside the appliance (there is no "
                       "listener table to read from here); use dns or ntp if the service "
                       "answers those");
    jpos_path_pop(&p->path, at);
    jpos_path_key(&p->path, "peers");
    if (r->direction == DIR_OUTBOUND && x->peers.n == 0)
        return fail(p, "an outbound flow needs peers (\"host\" or \"host:port\")");
    if (r->direction == DIR_INBOUND && x->peers.n)
        return fail(p, "an inbound flow has no peers: on-box it is checked by its listener, "
                       "beside at appliance.address");
    return 0;
}

static int cmp_extra_id(const void *a, const void *b)
{
    const struct cfg_extra_flow *x = a, *y = b;
    return x->row.def.id < y->row.def.id ? -1 : x->row.def.id > y->row.def.id;
}

/* Checked in the file's order, so that an error names the item as written. */
static int check_extra_flows(struct pctx *p, const struct cfg *c)
{
    for (size_t i = 0; i < c->n_extra_flows; i++) {
        jpos_path_key(&p->path, "extra_flows");
        jpos_path_index(&p->path, i);
        if (check_extra_flow(p, c, i) < 0)
            return -1;
        jpos_path_pop(&p->path, 0);
    }
    return 0;
}

int cfg_complete(struct cfg *c)
{
    /* the extra flows get the fixed words of the vendor table's "from" and "to", and are
     * sorted by id for the lookups (cfg_extra_flow, the catalogue's) */
    for (size_t i = 0; i < c->n_extra_flows; i++) {
        struct cat_extra *r = &c->extra_flows[i].row;
        r->def.from = r->direction == DIR_INBOUND ? "management hosts or any" : "appliance";
        r->def.to = r->direction == DIR_INBOUND ? "appliance" : "configured peers";
    }
    if (c->n_extra_flows > 1)
        qsort(c->extra_flows, c->n_extra_flows, sizeof *c->extra_flows, cmp_extra_id);
    return cfg_fill_ntp_servers(c);
}

const struct cfg_extra_flow *cfg_extra_flow(const struct cfg *c, unsigned id)
{
    size_t lo = 0, hi = c->n_extra_flows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->extra_flows[mid].row.def.id == id)
            return &c->extra_flows[mid];
        if (c->extra_flows[mid].row.def.id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

struct cat_extra_rows cfg_extra_rows(const struct cfg *c)
{
    return (struct cat_extra_rows){c->extra_flows, c->n_extra_flows, sizeof *c->extra_flows};
}

size_t cfg_n_flows(const struct cfg *c)
{
    return CAT_NFLOWS + c->n_extra_flows;
}

unsigned cfg_flow_id(const struct cfg *c, size_t i)
{
    return i < CAT_NFLOWS ? (unsigned)i + 1 : c->extra_flows[i - CAT_NFLOWS].row.def.id;
}

int cfg_validate(struct cfg *c, struct cfg_error *err)
{
    struct cfg_error dummy;
    struct pctx p;
    cfgi_pctx_init(&p, NULL, 0, err ? err : &dummy);
    return validate(&p, c);
}

/* ------------------------------------------------------------- serialise */

static char *serialise(const struct cfg *c, bool masked)
{
    json_t *doc = cfgi_to_json(&cfgi_file, c, masked);
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
    json_t *ja = cfgi_to_json(&cfgi_file, a, false), *jb = cfgi_to_json(&cfgi_file, b, false);
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
        cfgi_set_error(err, CFG_ERR_IO, "cannot %s %s: %s", step, path, strerror(errno));
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
    cfgi_set_error(err, CFG_ERR_VALUE, "snmp.community: %s", why);
    snprintf(err->path, sizeof err->path, "snmp.community");
    return -1;
}

/* ------------------------------------------------------------- the table's walks */

void cfg_free(struct cfg *c)
{
    if (!c)
        return;
    cfgi_item_release(&cfgi_file, c);
    free(c);
}

struct cfg *cfg_clone(const struct cfg *c)
{
    struct cfg *d = malloc(sizeof *d);
    if (d && !cfgi_item_copy(&cfgi_file, d, c)) {
        cfg_free(d);
        return NULL;
    }
    return d;
}

struct cfg *cfg_defaults(void)
{
    struct cfg *c = calloc(1, sizeof *c);
    if (c && !cfgi_item_default(&cfgi_file, c)) {
        cfg_free(c);
        return NULL;
    }
    return c;
}

size_t cfg_restart_keys(const struct cfg *running, const struct cfg *wanted, const char **keys,
                        size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < cfgi_file.n; i++) {
        const struct field *f = &cfgi_file.rows[i];
        if ((f->flags & F_RESTART) && !cfgi_field_equal(running, wanted, f) && n < max)
            keys[n++] = f->path;
    }
    return n;
}

int cfg_keep_restart_values(struct cfg *dst, const struct cfg *src)
{
    for (size_t i = 0; i < cfgi_file.n; i++) {
        const struct field *f = &cfgi_file.rows[i];
        if (!(f->flags & F_RESTART) || cfgi_field_equal(dst, src, f))
            continue;
        f->type->release(dst, f);
        if (!f->type->copy(dst, src, f))
            return -1;
    }
    return 0;
}
