/* GET /: the status page for a person with a browser. One HTML document rendered here from
 * the model (so it reads the same with JavaScript off), its style and script inline under a
 * per-response CSP nonce: nothing is loaded from anywhere, not even from this origin. The
 * script (page/status.js) listens to /api/v1/events and, on each event, fetches this page
 * again and swaps its <main> in: one renderer for the first paint and the live page.
 *
 * The page is rendered in one loop turn; a flow shows at most PAGE_MAX_PEERS peers (the rest
 * are counted and are in /api/v1/flows/{id}), which keeps that turn short on a box with a
 * thousand scanners. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "http_internal.h"
#include "loop.h"
#include "page_status_css.h"
#include "page_status_js.h"

#define PAGE_MAX_PEERS 50

static void html(struct httpf_buf *b, const char *s)
{
    for (const char *p = s ? s : ""; *p; p++) {
        switch (*p) {
        case '&':
            httpf_puts(b, "&amp;");
            break;
        case '<':
            httpf_puts(b, "&lt;");
            break;
        case '>':
            httpf_puts(b, "&gt;");
            break;
        case '"':
            httpf_puts(b, "&quot;");
            break;
        case '\'':
            httpf_puts(b, "&#39;");
            break;
        default:
            httpf_put(b, p, 1);
        }
    }
}

/* <span class="st st-down">down</span>: the word, a shape (CSS) and a colour. */
static void state_badge(struct httpf_buf *b, enum smsa_state st)
{
    const char *name = smsa_state_name(st);
    httpf_puts(b, "<span class=\"st st-");
    httpf_puts(b, name);
    httpf_puts(b, "\">");
    httpf_puts(b, name);
    httpf_puts(b, "</span>");
}

static void stamp(struct httpf_buf *b, int64_t wall_us)
{
    char t[40];
    httpf_rfc3339(wall_us, t, sizeof(t));
    if (!t[0]) {
        httpf_puts(b, "never");
        return;
    }
    httpf_puts(b, "<time datetime=\"");
    httpf_puts(b, t);
    httpf_puts(b, "\">");
    httpf_puts(b, t);
    httpf_puts(b, "</time>");
}

static void cell_open(struct httpf_buf *b, const char *cls)
{
    httpf_puts(b, cls ? "<td class=\"" : "<td>");
    if (cls) {
        httpf_puts(b, cls);
        httpf_puts(b, "\">");
    }
}

static void cell(struct httpf_buf *b, const char *text, const char *cls)
{
    cell_open(b, cls);
    html(b, text);
    httpf_puts(b, "</td>");
}

static void cell_u(struct httpf_buf *b, uint64_t v)
{
    httpf_puts(b, "<td>");
    httpf_put_u64(b, v);
    httpf_puts(b, "</td>");
}

/* A cause with the check's own words beside it: "refused: connection refused". */
static void cause_cell(struct httpf_buf *b, enum smsa_cause cause, const char *detail)
{
    httpf_puts(b, "<td>");
    if (cause != CAUSE_NONE) {
        httpf_puts(b, smsa_cause_name(cause));
        if (detail && detail[0]) {
            httpf_puts(b, ": ");
            html(b, detail);
        }
    }
    httpf_puts(b, "</td>");
}

/* What a person wants next to a state: why, or how well. */
static void peer_detail(struct httpf_buf *b, const struct smsa_peer *p)
{
    if (p->cause != CAUSE_NONE) {
        httpf_puts(b, smsa_cause_name(p->cause));
        if (p->detail[0]) {
            httpf_puts(b, ": ");
            html(b, p->detail);
        }
    }
    if (p->flow_id == CAT_FLOW_NTP) {
        if (p->ntp.valid) {
            httpf_puts(b, p->cause != CAUSE_NONE ? ", stratum " : "stratum ");
            httpf_put_u64(b, p->ntp.stratum);
            httpf_puts(b, ", offset ");
            httpf_put_json_ms(b, p->ntp.offset_us);
            httpf_puts(b, " ms");
        } else if (p->cause == CAUSE_KISS_OF_DEATH && p->ntp.refid[0]) {
            httpf_puts(b, " ");
            html(b, p->ntp.refid);
            if (p->kod_stopped)
                httpf_puts(b, ", no longer asked");
        }
        return;
    }
    if (p->state == ST_UP && p->rtt_us >= 0) {
        httpf_puts(b, "rtt ");
        httpf_put_json_ms(b, p->rtt_us);
        httpf_puts(b, " ms");
        if (p->detail[0]) { /* what proved it: a status line, "via proxy ..." */
            httpf_puts(b, ", ");
            html(b, p->detail);
        }
    }
    const struct smsa_tls *tls = smsa_tls_of(p->tls);
    if (tls->seen) {
        char words[96];
        tlsp_describe(tls, words, sizeof(words));
        httpf_puts(b, tls->days_left < 0 || tls->expiry == TLS_EXPIRY_SOON
                          ? " <strong class=\"cert\">"
                          : " <span class=\"cert\">");
        html(b, words);
        httpf_puts(b,
                   tls->days_left < 0 || tls->expiry == TLS_EXPIRY_SOON ? "</strong>" : "</span>");
    }
}

static void put_header(struct httpf_buf *b, const struct smsa_model *m)
{
    const struct cfg *c = m->cfg;
    httpf_puts(b, "<header><h1>");
    html(b, c && c->name ? c->name : "");
    httpf_puts(b, "</h1><span class=\"meta\">");
    httpf_puts(b, cat_role_name(c ? c->role : ROLE_CONTROL_CENTER));
    /* where the checks are made from, so that nobody reads a check from beside as the
     * appliance's own view */
    if (c && c->placement == PLACEMENT_BESIDE) {
        httpf_puts(b, " &middot; <span id=\"placement\">beside, checked from ");
        html(b, core_vantage());
        httpf_puts(b, "</span>");
    } else {
        httpf_puts(b, " &middot; <span id=\"placement\">on-box</span>");
    }
    httpf_puts(b, " &middot; smsa-agentd " SMSA_VERSION "</span><span id=\"overall\">overall ");
    state_badge(b, m->overall);
    httpf_puts(b, "</span><span class=\"meta\">rendered ");
    stamp(b, loop_wall_us());
    httpf_puts(b, "</span></header>\n");
}

static void put_links(struct httpf_buf *b, const struct smsa_model *m)
{
    httpf_puts(b, "<section id=\"links\"><h2>Control Center&ndash;Scanner links</h2>");
    if (m->n_links == 0) {
        httpf_puts(b, "<p class=\"meta\">No links: no scanner or Control Center is "
                      "configured.</p></section>\n");
        return;
    }
    httpf_puts(b,
               "<div class=\"scroll\"><table><thead><tr><th>Link</th><th>State</th>"
               "<th>Cause</th><th>Since</th><th>Down count</th><th class=\"wide\">Host</th>"
               "<th class=\"wide\">Address</th><th class=\"wide\">Port</th></tr></thead><tbody>");
    for (size_t i = 0; i < m->n_links; i++) {
        const struct smsa_link *l = &m->links[i];
        httpf_puts(b, "<tr data-link=\"");
        html(b, l->name);
        httpf_puts(b, "\" data-state=\"");
        httpf_puts(b, smsa_state_name(l->state));
        httpf_puts(b, "\">");
        cell(b, l->name, NULL);
        httpf_puts(b, "<td>");
        state_badge(b, l->state);
        httpf_puts(b, "</td>");
        cause_cell(b, l->cause, l->detail);
        httpf_puts(b, "<td>");
        stamp(b, l->since.wall_us);
        httpf_puts(b, "</td>");
        cell_u(b, l->down_count);
        cell(b, l->peer ? l->peer->host : "", "wide");
        const struct smsa_addr *a = core_link_address(l);
        cell(b, a ? a->text : "", "wide");
        cell_open(b, "wide");
        if (l->peer)
            httpf_put_u64(b, l->peer->port);
        httpf_puts(b, "</td></tr>");
    }
    httpf_puts(b, "</tbody></table></div></section>\n");
}

static void put_appliances(struct httpf_buf *b, const struct smsa_model *m)
{
    httpf_puts(b, "<section id=\"appliances\"><h2>Appliances</h2>"
                  "<div class=\"scroll\"><table><thead><tr><th>Appliance</th><th>Role</th>"
                  "<th>State</th><th>Cause</th><th>Checks up</th><th>Since</th>"
                  "<th class=\"wide\">Host</th><th class=\"wide\">Address</th></tr></thead>"
                  "<tbody>");
    for (size_t i = 0; i < m->n_appliances; i++) {
        const struct smsa_appliance *a = &m->appliances[i];
        httpf_puts(b, "<tr data-appliance=\"");
        html(b, a->name);
        httpf_puts(b, "\" data-state=\"");
        httpf_puts(b, smsa_state_name(a->state));
        httpf_puts(b, "\">");
        cell(b, a->name, NULL);
        cell(b, cat_role_name(a->role), NULL);
        httpf_puts(b, "<td>");
        state_badge(b, a->state);
        httpf_puts(b, "</td>");
        cause_cell(b, a->cause, a->detail);
        cell_open(b, NULL);
        httpf_put_u64(b, a->n_up);
        httpf_puts(b, " of ");
        httpf_put_u64(b, a->n_checks);
        httpf_puts(b, "</td><td>");
        stamp(b, a->since.wall_us);
        httpf_puts(b, "</td>");
        cell(b, a->host, "wide");
        const struct smsa_addr *ad = core_appliance_address(a);
        cell(b, ad ? ad->text : "", "wide");
        httpf_puts(b, "</tr>");
    }
    httpf_puts(b, "</tbody></table></div></section>\n");
}

static void put_addrs(struct httpf_buf *b, const struct smsa_peer *p)
{
    if (p->n_addrs == 0)
        return;
    httpf_puts(b, "<div class=\"addrs\">");
    for (size_t k = 0; k < p->n_addrs; k++) {
        const struct smsa_addr *a = &p->addrs[k];
        if (k)
            httpf_puts(b, ", ");
        httpf_puts(b, "<code>");
        html(b, a->text);
        httpf_puts(b, "</code> ");
        httpf_puts(b, smsa_state_name(a->state));
    }
    httpf_puts(b, "</div>");
}

static void put_flow(struct httpf_buf *b, const struct smsa_flow *f)
{
    const char *st = smsa_state_name(f->state);
    httpf_puts(b, "<article class=\"flow st-b-");
    httpf_puts(b, st);
    httpf_puts(b, "\" id=\"flow-");
    httpf_put_u64(b, f->def->id);
    httpf_puts(b, "\" data-state=\"");
    httpf_puts(b, st);
    httpf_puts(b, "\"><div class=\"head\"><h3>");
    httpf_put_u64(b, f->def->id);
    httpf_puts(b, " &middot; ");
    httpf_put_u64(b, f->def->port);
    httpf_puts(b, "/");
    httpf_puts(b, cat_proto_name(f->def->proto));
    httpf_puts(b, "</h3>");
    state_badge(b, f->state);
    httpf_puts(b, "</div><p>");
    html(b, f->def->purpose);
    httpf_puts(b, "</p><p>");
    httpf_puts(b, cat_direction_name(f->direction));
    httpf_puts(b, f->measured_from == MEASURED_FROM_VANTAGE ? ", measured from this host: " : ": ");
    html(b, f->def->from);
    httpf_puts(b, " &rarr; ");
    html(b, f->def->to);
    httpf_puts(b, "</p>");
    if (f->n_peers) {
        httpf_puts(b, "<ul>");
        for (size_t j = 0; j < f->n_peers && j < PAGE_MAX_PEERS; j++) {
            const struct smsa_peer *p = f->peers[j];
            httpf_puts(b, "<li data-peer=\"");
            html(b, p->host);
            httpf_puts(b, "\">");
            state_badge(b, p->state);
            httpf_puts(b, " <code>");
            html(b, p->host);
            httpf_puts(b, ":");
            httpf_put_u64(b, p->port);
            httpf_puts(b, "</code>");
            if (p->label) {
                httpf_puts(b, " (");
                html(b, p->label);
                httpf_puts(b, ")");
            }
            httpf_puts(b, " ");
            peer_detail(b, p);
            put_addrs(b, p);
            httpf_puts(b, "</li>");
        }
        if (f->n_peers > PAGE_MAX_PEERS) {
            httpf_puts(b, "<li>and ");
            httpf_put_u64(b, f->n_peers - PAGE_MAX_PEERS);
            httpf_puts(b, " more: <code>/api/v1/flows/");
            httpf_put_u64(b, f->def->id);
            httpf_puts(b, "</code></li>");
        }
        httpf_puts(b, "</ul>");
    }
    httpf_puts(b, "</article>\n");
}

static void put_ntp(struct httpf_buf *b, const struct smsa_model *m)
{
    const struct smsa_flow *f = model_flow(m, CAT_FLOW_NTP);
    const struct cfg *c = m->cfg;
    httpf_puts(b, "<section id=\"ntp\"><h2>NTP</h2><p>");
    httpf_puts(b, c && c->ntp_enabled ? "Enabled" : "Disabled (the vendor's default)");
    httpf_puts(b, "</p>");
    if (f->n_peers) {
        httpf_puts(b, "<div class=\"scroll\"><table><thead><tr><th>Server</th><th>State</th>"
                      "<th>Cause</th><th>Stratum</th><th>Offset ms</th><th>Delay ms</th>"
                      "<th class=\"wide\">Reference</th></tr></thead><tbody>");
        for (size_t j = 0; j < f->n_peers; j++) {
            const struct smsa_peer *p = f->peers[j];
            httpf_puts(b, "<tr data-ntp=\"");
            html(b, p->host);
            httpf_puts(b, "\">");
            cell(b, p->host, NULL);
            httpf_puts(b, "<td>");
            state_badge(b, p->state);
            httpf_puts(b, "</td>");
            cause_cell(b, p->cause, p->detail);
            if (p->ntp.valid) {
                cell_u(b, p->ntp.stratum);
                httpf_puts(b, "<td>");
                httpf_put_json_ms(b, p->ntp.offset_us);
                httpf_puts(b, "</td><td>");
                httpf_put_json_ms(b, p->ntp.delay_us);
                httpf_puts(b, "</td>");
            } else {
                httpf_puts(b, "<td></td><td></td><td></td>");
            }
            cell(b, p->ntp.refid, "wide");
            httpf_puts(b, "</tr>");
        }
        httpf_puts(b, "</tbody></table></div>");
    }
    httpf_puts(b, "</section>\n");
}

static void put_updates(struct httpf_buf *b, const struct smsa_model *m)
{
    const struct cfg *c = m->cfg;
    httpf_puts(b, "<section id=\"updates\"><h2>Update sources</h2>");
    if (!c || c->n_updates == 0) {
        httpf_puts(b, "<p class=\"meta\">None configured.</p></section>\n");
        return;
    }
    httpf_puts(b, "<div class=\"scroll\"><table><thead><tr><th>Purpose</th><th>Host</th>"
                  "<th>Port</th><th>State</th><th>Cause</th><th>Addresses</th></tr></thead>"
                  "<tbody>");
    for (size_t i = 0; i < c->n_updates; i++) {
        const struct cfg_update *u = &c->updates[i];
        const struct smsa_peer *p = i < m->n_updates ? m->updates[i] : NULL;
        httpf_puts(b, "<tr>");
        cell(b, u->purpose, NULL);
        cell(b, u->host, NULL);
        cell_u(b, u->port);
        httpf_puts(b, "<td>");
        state_badge(b, !u->enabled ? ST_DISABLED : p ? p->state : ST_UNKNOWN);
        httpf_puts(b, "</td>");
        cause_cell(b, p ? p->cause : CAUSE_NONE, p ? p->detail : NULL);
        httpf_puts(b, "<td>");
        for (size_t k = 0; p && k < p->n_addrs; k++) {
            if (k)
                httpf_puts(b, ", ");
            httpf_puts(b, "<code>");
            html(b, p->addrs[k].text);
            httpf_puts(b, "</code>");
        }
        httpf_puts(b, "</td></tr>");
    }
    httpf_puts(b, "</tbody></table></div></section>\n");
}

/* 16 random bytes, base64: a fresh CSP nonce for each response. */
static bool make_nonce(char out[25])
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t r[18]; /* 18 bytes encode to 24 characters without padding */
    if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
        return false;
    for (size_t i = 0, o = 0; i < sizeof(r); i += 3) {
        uint32_t v = (uint32_t)r[i] << 16 | (uint32_t)r[i + 1] << 8 | r[i + 2];
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        out[o++] = a[v >> 6 & 63];
        out[o++] = a[v & 63];
    }
    out[24] = 0;
    return true;
}

static struct MHD_Response *html_response(struct httpf_buf *b, const char *nonce)
{
    if (b->oom) {
        httpf_buf_free(b);
        return NULL;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(b->len, b->s, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        httpf_buf_free(b);
        return NULL;
    }
    /* Nothing from anywhere: only the inline style and script carrying this nonce, and
     * fetches back to this origin (the page itself and the event stream). */
    char csp[256];
    snprintf(csp, sizeof(csp),
             "default-src 'none'; style-src 'nonce-%s'; script-src 'nonce-%s'; "
             "connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'self'; "
             "frame-ancestors 'none'",
             nonce, nonce);
    MHD_add_response_header(r, "Content-Security-Policy", csp);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    return r;
}

static void page_head(struct httpf_buf *b, const char *title, const char *title2, const char *nonce)
{
    httpf_puts(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                  "<title>");
    html(b, title);
    html(b, title2);
    httpf_puts(b, "</title><style nonce=\"");
    httpf_puts(b, nonce);
    httpf_puts(b, "\">");
    httpf_puts(b, page_status_css);
    httpf_puts(b, "</style></head><body>\n");
}

struct MHD_Response *httpf_page_response(const struct smsa_model *m, bool main_only)
{
    char nonce[25];
    if (!make_nonce(nonce))
        return NULL;
    struct httpf_buf b = {0};
    const struct cfg *c = m->cfg;
    char title[160];
    snprintf(title, sizeof(title), "%s: %s", smsa_state_name(m->overall),
             c && c->name ? c->name : "smsa-agent");
    if (!main_only) {
        page_head(&b, title, "", nonce);
        httpf_puts(&b, "<div class=\"meta\" id=\"live\">snapshot: reload for news</div>\n");
    }
    httpf_puts(&b, "<main data-title=\"");
    html(&b, title);
    httpf_puts(&b, "\">");
    put_header(&b, m);
    put_appliances(&b, m);
    put_links(&b, m);
    httpf_puts(&b, "<section id=\"flows\"><h2>Flows</h2><div class=\"matrix\">\n");
    for (size_t i = 0; i < m->n_flows; i++)
        put_flow(&b, &m->flows[i]);
    httpf_puts(&b, "</div></section>\n");
    put_ntp(&b, m);
    put_updates(&b, m);
    httpf_puts(&b, "</main>\n");
    if (main_only)
        return html_response(&b, nonce);
    httpf_puts(&b, "<script nonce=\"");
    httpf_puts(&b, nonce);
    httpf_puts(&b, "\">");
    httpf_puts(&b, page_status_js);
    httpf_puts(&b, "</script></body></html>\n");
    return html_response(&b, nonce);
}

struct MHD_Response *httpf_page_login_response(bool refused)
{
    char nonce[25];
    if (!make_nonce(nonce))
        return NULL;
    struct httpf_buf b = {0};
    page_head(&b, "smsa-agent: token required", "", nonce);
    httpf_puts(&b, "<main><h1>Token required</h1>");
    if (refused)
        httpf_puts(&b, "<p><span class=\"st st-down\">refused</span> That is not the token.</p>");
    httpf_puts(&b, "<p>This agent asks for the token of <code>http.token_file</code>. The "
                   "token is sent once, in this form; the browser then keeps a session of its "
                   "own, for reading only, which ends after 12 hours or when the agent "
                   "restarts.</p>"
                   "<form method=\"post\" action=\"/\"><p><label>Token "
                   "<input name=\"token\" type=\"password\" autocomplete=\"current-password\" "
                   "required></label> <button type=\"submit\">Open</button></p></form>"
                   "</main></body></html>\n");
    return html_response(&b, nonce);
}
