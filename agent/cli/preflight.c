#include "preflight.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "engine.h"
#include "indexes.h"
#include "log.h"
#include "loop.h"
#include "probe_tls.h"
#include "probing.h"
#ifdef SMSA_HAVE_HTTP
#include "http_face.h"
#include "http_helpers.h"
#endif

/* A round ends at the probe timeout and a name lookup at the resolver's; past this something
 * is wrong, and whatever has not answered is reported as not checked. */
#define GUARD_MS(timeout_ms) (4 * (int64_t)(timeout_ms) + 5000)

static bool finished;

static void all_done(void *arg)
{
    (void)arg;
    finished = true;
    loop_stop();
}

static void guard_expired(void *arg)
{
    (void)arg;
    loop_stop();
}

static bool selected(const struct preflight_options *o, unsigned flow_id)
{
    /* --flow names the vendor's flows only: an extra flow is reported when every flow is */
    return !o->flows || (flow_id <= CAT_NFLOWS && (o->flows & (UINT32_C(1) << (flow_id - 1))));
}

/* The peers a preflight reports: enabled peers of checked flows. */
static bool reported(const struct smsa_flow *f, const struct smsa_peer *p)
{
    return f->state != ST_NOT_APPLICABLE && f->state != ST_DISABLED &&
           f->state != ST_UNCONFIGURED && p->enabled;
}

/* The reported peers in flow order: the first after *cursor (flow id * 2^16 + peer slot; 0
 * starts), or NULL at the end. */
static const struct smsa_peer *next_reported(const struct smsa_model *m,
                                             const struct preflight_options *o, uint32_t *cursor,
                                             const struct smsa_flow **flow)
{
    size_t k = *cursor ? (*cursor >> 16) - 1 : 0;
    size_t j = *cursor ? (*cursor & 0xffff) + 1 : 0;
    for (; k < m->n_flows; k++, j = 0) {
        const struct smsa_flow *f = &m->flows[k];
        if (!selected(o, f->def->id))
            continue;
        for (; j < f->n_peers; j++) {
            if (reported(f, f->peers[j])) {
                *cursor = (uint32_t)(k + 1) << 16 | (uint32_t)j;
                *flow = f;
                return f->peers[j];
            }
        }
    }
    return NULL;
}

/* ---- the verdict ---- */

struct tally {
    unsigned up, degraded, down, unknown;
};

static struct tally count(const struct smsa_model *m, const struct preflight_options *o)
{
    struct tally t = {0};
    uint32_t cur = 0;
    const struct smsa_flow *f;
    for (const struct smsa_peer *p; (p = next_reported(m, o, &cur, &f));) {
        switch (p->state) {
        case ST_UP:
            t.up++;
            break;
        case ST_DEGRADED:
            t.degraded++;
            break;
        case ST_DOWN:
            t.down++;
            break;
        default:
            t.unknown++;
            break;
        }
    }
    return t;
}

/* Monitoring-plugins semantics: the worst single check decides. */
static int verdict(const struct tally *t)
{
    if (t->down)
        return PREFLIGHT_CRITICAL;
    if (t->unknown || t->up + t->degraded == 0)
        return PREFLIGHT_UNKNOWN;
    if (t->degraded)
        return PREFLIGHT_WARNING;
    return PREFLIGHT_OK;
}

static const char *verdict_name(int v)
{
    static const char *const n[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
    return v >= 0 && v <= 3 ? n[v] : "UNKNOWN";
}

/* ---- the table ---- */

enum col {
    C_APPLIANCE,
    C_FLOW,
    C_PORT,
    C_DIR,
    C_PEER,
    C_ADDR,
    C_STATE,
    C_CAUSE,
    C_RTT,
    C_DETAIL,
    C_N
};

static const char *const col_title[C_N] = {"APPLIANCE", "FLOW",  "PORT",  "DIRECTION", "PEER",
                                           "ADDRESS",   "STATE", "CAUSE", "RTT",       "DETAIL"};

struct row {
    char cell[C_N][272];
};

static void fmt_rtt(char *buf, size_t len, int64_t rtt_us)
{
    if (rtt_us < 0)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.3f ms", (double)rtt_us / 1000.0);
}

/* The check's own detail first (the daemon's words: "rcode REFUSED", "greeting 554"), then
 * what names the peer, then the certificate the address showed (days left). */
static void fmt_detail(char *buf, size_t len, const struct smsa_peer *p,
                       const struct smsa_ntp_result *ntp, const struct smsa_tls *tls,
                       const char *fail)
{
    size_t off = 0;
    if (fail && fail[0])
        off += (size_t)snprintf(buf, len, "%s", fail);
    if (off < len && p->label)
        off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "", p->label);
    if (off < len && p->kind == PROBE_LISTEN && !(fail && fail[0])) /* else it names the port */
        off += (size_t)snprintf(buf + off, len - off, "%slocal port %u", off ? ", " : "",
                                (unsigned)p->port);
    if (off < len && p->kind != PROBE_LISTEN && p->n_addrs == 0)
        off += (size_t)snprintf(buf + off, len - off, "%sname did not resolve", off ? ", " : "");
    if (off < len && ntp && ntp->valid)
        off += (size_t)snprintf(buf + off, len - off, "%sstratum %u, offset %.3f ms, refid %s",
                                off ? ", " : "", ntp->stratum, (double)ntp->offset_us / 1000.0,
                                ntp->refid);
    if (off < len && tls && tls->seen) {
        char words[96];
        tlsp_describe(tls, words, sizeof(words));
        off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "", words);
    }
    if (!buf[0])
        snprintf(buf, len, "-");
}

static void peer_cells(struct row *r, const struct smsa_flow *f, const struct smsa_peer *p)
{
    const struct smsa_appliance *a = core_appliance(p->appliance_index);
    snprintf(r->cell[C_APPLIANCE], sizeof(r->cell[0]), "%s", a ? a->name : "-");
    snprintf(r->cell[C_FLOW], sizeof(r->cell[0]), "%u", f->def->id);
    snprintf(r->cell[C_PORT], sizeof(r->cell[0]), "%u/%s", (unsigned)p->port,
             cat_proto_name(f->def->proto));
    snprintf(r->cell[C_DIR], sizeof(r->cell[0]), "%s", cat_direction_name(f->direction));
    snprintf(r->cell[C_PEER], sizeof(r->cell[0]), "%s", p->host);
}

/* The rows of one peer: one per address (one when it has none, or is a listen check). */
static int add_rows(struct row **rowsp, size_t *np, size_t *capp, const struct smsa_flow *f,
                    const struct smsa_peer *p)
{
    struct row *rows = *rowsp;
    size_t n = *np, cap = *capp;
    size_t need = p->n_addrs && p->kind != PROBE_LISTEN ? p->n_addrs : 1;
    if (n + need > cap) {
        cap = (n + need) * 2;
        struct row *g = realloc(rows, cap * sizeof(*g));
        if (!g)
            return -1;
        rows = g;
        *rowsp = rows;
        *capp = cap;
    }
    if (p->kind == PROBE_LISTEN || p->n_addrs == 0) {
        struct row *r = &rows[n++];
        memset(r, 0, sizeof(*r));
        peer_cells(r, f, p);
        snprintf(r->cell[C_ADDR], sizeof(r->cell[0]), "%s",
                 p->kind == PROBE_LISTEN ? "local" : "-");
        snprintf(r->cell[C_STATE], sizeof(r->cell[0]), "%s", smsa_state_name(p->state));
        snprintf(r->cell[C_CAUSE], sizeof(r->cell[0]), "%s", smsa_cause_name(p->cause));
        fmt_rtt(r->cell[C_RTT], sizeof(r->cell[0]), p->rtt_us);
        fmt_detail(r->cell[C_DETAIL], sizeof(r->cell[0]), p, NULL, NULL, p->detail);
        *np = n;
        return 0;
    }
    for (size_t a = 0; a < p->n_addrs; a++) {
        const struct smsa_addr *ad = &p->addrs[a];
        struct row *r = &rows[n++];
        memset(r, 0, sizeof(*r));
        peer_cells(r, f, p);
        snprintf(r->cell[C_ADDR], sizeof(r->cell[0]), "%s", ad->text);
        snprintf(r->cell[C_STATE], sizeof(r->cell[0]), "%s", smsa_state_name(ad->state));
        snprintf(r->cell[C_CAUSE], sizeof(r->cell[0]), "%s", smsa_cause_name(ad->cause));
        fmt_rtt(r->cell[C_RTT], sizeof(r->cell[0]), ad->state == ST_UP ? ad->rtt_us : -1);
        fmt_detail(r->cell[C_DETAIL], sizeof(r->cell[0]), p, p->kind == PROBE_NTP ? &ad->ntp : NULL,
                   smsa_tls_of(ad->tls), ad->detail);
    }
    *np = n;
    return 0;
}

/* Grouped by appliance (in index order), then the checks that concern none: what this host
 * reaches beyond the fleet. */
static size_t build_rows(const struct smsa_model *m, const struct preflight_options *o,
                         struct row **out)
{
    size_t n = 0, cap = 0;
    struct row *rows = NULL;
    for (size_t g = 0; g <= m->n_appliances; g++) {
        unsigned group = g < m->n_appliances ? m->appliances[g].index : 0;
        uint32_t cur = 0;
        const struct smsa_flow *f;
        for (const struct smsa_peer *p; (p = next_reported(m, o, &cur, &f));) {
            if (p->appliance_index != group)
                continue;
            if (add_rows(&rows, &n, &cap, f, p) < 0) {
                free(rows);
                *out = NULL;
                return 0;
            }
        }
    }
    *out = rows;
    return n;
}

/* Beside, one line per appliance after the table: the fleet at a glance. On-box the
 * APPLIANCE column says enough. */
static void print_appliances(const struct smsa_model *m, const struct preflight_options *o)
{
    if (!m->n_appliances || m->cfg->placement != PLACEMENT_BESIDE)
        return;
    printf("\n");
    for (size_t i = 0; i < m->n_appliances; i++) {
        const struct smsa_appliance *a = &m->appliances[i];
        unsigned checks = 0, up = 0;
        for (size_t k = 0; k < a->n_checks; k++) {
            if (!selected(o, a->checks[k]->flow_id) || !a->checks[k]->enabled)
                continue;
            checks++;
            up += a->checks[k]->state == ST_UP;
        }
        if (!checks)
            continue;
        const struct smsa_addr *ad = core_appliance_address(a);
        printf("appliance %s (%s, %s%s%s): %s, %u of %u checks up", a->name, cat_role_name(a->role),
               a->host, ad && strcmp(ad->text, a->host) ? " " : "",
               ad && strcmp(ad->text, a->host) ? ad->text : "", smsa_state_name(a->state), up,
               checks);
        if (a->cause != CAUSE_NONE)
            printf("; %s%s%s", smsa_cause_name(a->cause), a->detail[0] ? ": " : "", a->detail);
        printf("\n");
    }
}

static void print_flow_list(const struct smsa_model *m, const struct preflight_options *o,
                            enum smsa_state s, const char *what)
{
    bool any = false;
    for (size_t k = 0; k < m->n_flows; k++) {
        unsigned id = m->flows[k].def->id;
        if (!selected(o, id) || m->flows[k].state != s)
            continue;
        if (!any)
            printf("; %s flows", what);
        printf("%s%u", any ? ", " : " ", id);
        any = true;
    }
}

static void print_row(const char *const *cells, const size_t *width)
{
    for (int c = 0; c < C_N - 1; c++)
        printf("%-*s  ", (int)width[c], cells[c]);
    printf("%s\n", cells[C_N - 1]);
}

static void print_table(const struct smsa_model *m, const struct preflight_options *o,
                        const struct tally *t, int v, double seconds)
{
    struct row *rows = NULL;
    size_t n = build_rows(m, o, &rows);
    size_t width[C_N];
    for (int c = 0; c < C_N; c++) {
        width[c] = strlen(col_title[c]);
        for (size_t i = 0; i < n; i++)
            if (strlen(rows[i].cell[c]) > width[c])
                width[c] = strlen(rows[i].cell[c]);
    }
    print_row(col_title, width);
    for (size_t i = 0; i < n; i++) {
        const char *cells[C_N];
        for (int c = 0; c < C_N; c++)
            cells[c] = rows[i].cell[c];
        print_row(cells, width);
    }
    free(rows);
    print_appliances(m, o);
    const struct cfg *c = m->cfg;
    if (c->placement == PLACEMENT_BESIDE)
        printf("%s: %s (%s, beside at %s, checked from %s): ", verdict_name(v), c->name,
               cat_role_name(c->role), c->address, core_vantage());
    else
        printf("%s: %s (%s, on-box): ", verdict_name(v), c->name, cat_role_name(c->role));
    printf("%u checks: %u up, %u degraded, %u down", t->up + t->degraded + t->down + t->unknown,
           t->up, t->degraded, t->down);
    if (t->unknown)
        printf(", %u not finished", t->unknown);
    printf(" in %.2f s", seconds);
    print_flow_list(m, o, ST_UNCONFIGURED, "unconfigured");
    print_flow_list(m, o, ST_DISABLED, "disabled");
    printf("\n");
}

/* ---- the plugin line ---- */

/* A perfdata label: single-quoted, so only quotes and '=' need replacing. */
static void put_label(const struct smsa_peer *p)
{
    printf(" 'f%u_", p->flow_id);
    for (const char *s = p->label ? p->label : p->host; *s; s++)
        putchar(*s == '\'' || *s == '=' ? '_' : *s);
    printf("_rtt'=");
}

static void print_nagios(const struct smsa_model *m, const struct preflight_options *o,
                         const struct tally *t, int v)
{
    printf("SMSA %s - ", verdict_name(v));
    if (t->down || t->degraded) {
        /* name the checks that fail, the worst first, a few at most */
        unsigned shown = 0;
        for (int pass = 0; pass < 2; pass++) {
            enum smsa_state want = pass == 0 ? ST_DOWN : ST_DEGRADED;
            for (size_t k = 0; k < m->n_flows; k++) {
                const struct smsa_flow *f = &m->flows[k];
                unsigned id = f->def->id;
                for (size_t j = 0; selected(o, id) && j < f->n_peers; j++) {
                    const struct smsa_peer *p = f->peers[j];
                    if (!reported(f, p) || p->state != want)
                        continue;
                    if (shown++ < 5)
                        printf("%sflow %u %s:%u %s (%s)", shown > 1 ? ", " : "", id, p->host,
                               (unsigned)p->port, smsa_state_name(p->state),
                               smsa_cause_name(p->cause));
                }
            }
        }
        if (shown > 5)
            printf(" and %u more", shown - 5);
        printf("; %u of %u checks up", t->up, t->up + t->degraded + t->down + t->unknown);
    } else if (v == PREFLIGHT_OK) {
        printf("%u checks up", t->up);
    } else {
        printf("%u of %u checks did not finish", t->unknown, t->up + t->unknown);
    }
    printf(" |");
    unsigned timeout_ms = m->cfg->probe.timeout_ms;
    for (size_t k = 0; k < m->n_flows; k++) {
        const struct smsa_flow *f = &m->flows[k];
        for (size_t j = 0; selected(o, f->def->id) && j < f->n_peers; j++) {
            const struct smsa_peer *p = f->peers[j];
            if (!reported(f, p) || p->kind == PROBE_LISTEN)
                continue; /* a listening socket has no round trip */
            put_label(p);
            if (p->state == ST_UP || p->state == ST_DEGRADED)
                printf("%.3fms;;;0;%u", (double)p->rtt_us / 1000.0, timeout_ms);
            else
                printf("U");
        }
    }
    printf("\n");
}

/* ---- JSON: the REST face's own writer ---- */

static int print_json(const struct smsa_model *m, const struct preflight_options *o)
{
#ifdef SMSA_HAVE_HTTP
    /* /api/v1/flows, or the same list holding the selected flows only */
    fputs("{\"items\":[", stdout);
    bool first = true;
    for (size_t k = 0; k < m->n_flows; k++) {
        unsigned id = m->flows[k].def->id;
        if (!selected(o, id))
            continue;
        size_t len;
        char *s = httpf_flows_document(m, id, &len);
        if (!s) {
            fprintf(stderr, "smsa-agentd: out of memory\n");
            return -1;
        }
        if (!first)
            fputc(',', stdout);
        fwrite(s, 1, len, stdout);
        free(s);
        first = false;
    }
    /* the appliances as GET /api/v1/appliances lists them: its items array */
    size_t len;
    char *s = httpf_appliances_text(m, m->cfg, &len);
    const char *head = "{\"items\":";
    if (!s || len < strlen(head) + 1 || strncmp(s, head, strlen(head))) {
        free(s);
        fprintf(stderr, "smsa-agentd: out of memory\n");
        return -1;
    }
    fputs("],\"placement\":\"", stdout);
    fputs(cfg_placement_name(m->cfg->placement), stdout);
    fputs("\",\"appliances\":", stdout);
    fwrite(s + strlen(head), 1, len - strlen(head) - 1, stdout);
    free(s);
    fputs("}\n", stdout);
    return 0;
#else
    (void)m;
    (void)o;
    fprintf(stderr, "smsa-agentd: --json needs the REST face, which this build leaves out\n");
    return -1;
#endif
}

int preflight_unusable(const struct preflight_options *o, const char *why)
{
    if (o->output == PREFLIGHT_NAGIOS)
        printf("SMSA UNKNOWN - %s\n", why);
    fprintf(stderr, "smsa-agentd: preflight: %s\n", why);
    return PREFLIGHT_UNKNOWN;
}

int preflight_run(struct cfg *cfg, const struct preflight_options *o)
{
    /* A preflight verdict is what one check finds: the hysteresis that keeps a daemon from
     * flapping would leave a single failure "unknown". */
    cfg->probe.fail_threshold = 1;
    cfg->probe.recover_threshold = 1;
    unsigned timeout_ms = cfg->probe.timeout_ms;
    log_init("smsa-agentd", true, LOG_LVL_WARN);
    if (loop_init() < 0) {
        cfg_free(cfg);
        log_fini();
        return preflight_unusable(o, "cannot set up the event loop");
    }
    finished = false;
    engine_set_once(&(struct engine_once){.flows = o->flows, .done = all_done});
    /* the daemon's index map is read for the numbers, never written: run as root, a check
     * would leave a root-owned map the daemon cannot replace */
    core_indexes_read_only(true);
    int64_t started = loop_now_us();
    if (probing_init(cfg, NULL) < 0) {
        engine_set_once(NULL);
        loop_fini();
        log_fini();
        return preflight_unusable(o, "cannot start the checks");
    }
    struct loop_timer guard = {0};
    loop_timer_start(&guard, GUARD_MS(timeout_ms) * 1000, guard_expired, NULL);
    int rc = loop_run();
    loop_timer_stop(&guard);
    double seconds = (double)(loop_now_us() - started) / 1e6;

    const struct smsa_model *m = core_model();
    struct tally t = count(m, o);
    int v = rc < 0 ? PREFLIGHT_UNKNOWN : verdict(&t);
    if (!finished && v != PREFLIGHT_CRITICAL)
        v = PREFLIGHT_UNKNOWN;
    switch (o->output) {
    case PREFLIGHT_TABLE:
        print_table(m, o, &t, v, seconds);
        break;
    case PREFLIGHT_NAGIOS:
        print_nagios(m, o, &t, v);
        break;
    case PREFLIGHT_JSON:
        if (print_json(m, o) < 0)
            v = PREFLIGHT_UNKNOWN;
        break;
    }
    fflush(stdout);
    probing_fini();
    engine_set_once(NULL);
    loop_fini();
    log_fini();
    return v;
}
