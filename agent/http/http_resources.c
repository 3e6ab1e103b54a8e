/* The REST documents built whole, from the core's model and configuration: the face caches
 * each per generation. Their objects are written by http_json.c; the configuration and the
 * events, which nothing else shows, are jansson trees. Names and shapes are those of
 * api/openapi.yaml; change both together. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_internal.h"

/* The text of a finished document, or NULL when it ran out of memory. */
static char *finish(struct httpf_buf *b, size_t *len)
{
    if (b->oom) {
        httpf_buf_free(b);
        return NULL;
    }
    *len = b->len;
    return b->s;
}

char *httpf_status_text(const struct smsa_model *m, const struct cfg *c, size_t *len)
{
    (void)c; /* the running configuration is m->cfg */
    struct httpf_buf b = {0};
    httpf_buf_reserve(&b, 1024);
    httpf_json_status(&b, m);
    return finish(&b, len);
}

char *httpf_links_text(const struct smsa_model *m, const struct cfg *c, size_t *len)
{
    (void)c;
    struct httpf_buf b = {0};
    httpf_buf_reserve(&b, 64 + m->n_links * 256);
    httpf_puts(&b, "{\"items\":[");
    for (size_t i = 0; i < m->n_links; i++) {
        if (i)
            httpf_put(&b, ",", 1);
        httpf_json_link(&b, &m->links[i]);
    }
    httpf_puts(&b, "]}");
    return finish(&b, len);
}

char *httpf_appliances_text(const struct smsa_model *m, const struct cfg *c, size_t *len)
{
    (void)c;
    struct httpf_buf b = {0};
    httpf_buf_reserve(&b, 64 + m->n_appliances * 1024);
    httpf_puts(&b, "{\"items\":[");
    for (size_t i = 0; i < m->n_appliances; i++) {
        if (i)
            httpf_put(&b, ",", 1);
        httpf_json_appliance(&b, &m->appliances[i]);
    }
    httpf_puts(&b, "]}");
    return finish(&b, len);
}

char *httpf_appliance_text(const struct smsa_model *m, const struct cfg *c, const char *name,
                           size_t *len)
{
    (void)c;
    for (size_t i = 0; i < m->n_appliances; i++) {
        if (strcmp(m->appliances[i].name, name))
            continue;
        struct httpf_buf b = {0};
        httpf_json_appliance(&b, &m->appliances[i]);
        return finish(&b, len);
    }
    return NULL;
}

char *httpf_ntp_text(const struct smsa_model *m, const struct cfg *c, size_t *len)
{
    const struct smsa_flow *f = model_flow(m, CAT_FLOW_NTP);
    struct httpf_buf b = {0};
    httpf_buf_reserve(&b, 256 + f->n_peers * 768);
    httpf_puts(&b, c->ntp_enabled ? "{\"enabled\":true,\"servers\":["
                                  : "{\"enabled\":false,\"servers\":[");
    for (size_t i = 0; i < c->ntp_servers.n; i++) {
        char buf[CFG_MAX_HOST + 16];
        cfg_peer_format(&c->ntp_servers.items[i], buf, sizeof(buf));
        if (i)
            httpf_put(&b, ",", 1);
        httpf_put_json_str(&b, buf);
    }
    httpf_puts(&b, "],\"max_offset_ms\":");
    httpf_put_u64(&b, c->ntp_max_offset_ms);
    httpf_puts(&b, ",\"state\":\"");
    httpf_puts(&b, smsa_state_name(f->state));
    httpf_puts(&b, "\",\"status\":[");
    for (size_t i = 0; i < f->n_peers; i++) {
        if (i)
            httpf_put(&b, ",", 1);
        httpf_json_ntp_server(&b, f->peers[i]);
    }
    httpf_puts(&b, "],\"clock\":");
    httpf_json_clock(&b, &m->clock);
    httpf_puts(&b, "}");
    return finish(&b, len);
}

char *httpf_updates_text(const struct smsa_model *m, const struct cfg *c, size_t *len)
{
    struct httpf_buf b = {0};
    httpf_buf_reserve(&b, 64 + c->n_updates * 512);
    httpf_puts(&b, "{\"items\":[");
    for (size_t i = 0; i < c->n_updates; i++) {
        if (i)
            httpf_put(&b, ",", 1);
        httpf_json_update(&b, i + 1, &c->updates[i], i < m->n_updates ? m->updates[i] : NULL);
    }
    httpf_puts(&b, "]}");
    return finish(&b, len);
}

char *httpf_scanners_text(const struct smsa_model *m, const struct cfg *c, size_t *len)
{
    struct httpf_buf b = {0};
    httpf_buf_reserve(&b, 64 + c->n_scanners * 512);
    httpf_puts(&b, "{\"items\":[");
    for (size_t i = 0; i < c->n_scanners; i++) {
        if (i)
            httpf_put(&b, ",", 1);
        httpf_json_scanner(&b, m, &c->scanners[i]);
    }
    httpf_puts(&b, "]}");
    return finish(&b, len);
}

char *httpf_scanner_text(const struct smsa_model *m, const struct cfg *c, const char *name,
                         size_t *len)
{
    for (size_t i = 0; i < c->n_scanners; i++) {
        if (strcmp(c->scanners[i].name, name))
            continue;
        struct httpf_buf b = {0};
        httpf_json_scanner(&b, m, &c->scanners[i]);
        return finish(&b, len);
    }
    return NULL;
}

/* Secrets never leave the box: the keys the configuration marks secret (SNMP communities,
 * USM passphrases) are masked. The token file is a path and is shown; its contents are not in
 * the configuration at all. */
json_t *httpf_config_json(const struct cfg *c)
{
    char *s = cfg_serialise_masked(c);
    if (!s)
        return NULL;
    json_t *doc = json_loads(s, 0, NULL);
    free(s);
    return doc;
}

char *httpf_config_text(const struct smsa_model *m, const struct cfg *c, size_t *len)
{
    (void)m;
    json_t *doc = httpf_config_json(c);
    char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (s)
        *len = strlen(s);
    return s;
}

json_t *httpf_event_json(const struct smsa_event *ev)
{
    char at[40];
    httpf_rfc3339(ev->at.wall_us, at, sizeof(at));
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "seq", (json_int_t)ev->seq, "kind",
                          smsa_event_kind_name(ev->kind), "at", at, "old_state",
                          smsa_state_name(ev->old_state), "new_state",
                          smsa_state_name(ev->new_state), "cause", smsa_cause_name(ev->cause));
    if (!o)
        return NULL;
    if (ev->flow_id)
        json_object_set_new(o, "flow", json_integer(ev->flow_id));
    if (ev->peer_index)
        json_object_set_new(o, "peer", json_integer(ev->peer_index));
    if (ev->link_index)
        json_object_set_new(o, "link", json_integer(ev->link_index));
    if (ev->update_index)
        json_object_set_new(o, "update", json_integer(ev->update_index));
    if (ev->appliance_index)
        json_object_set_new(o, "appliance", json_integer(ev->appliance_index));
    if (ev->kind == EV_APPLIANCE)
        json_object_set_new(o, "role", json_string(cat_role_name(ev->role)));
    if (ev->port)
        json_object_set_new(o, "port", json_integer(ev->port));
    if (ev->name[0])
        json_object_set_new(o, "name", json_stringn(ev->name, strnlen(ev->name, sizeof(ev->name))));
    if (ev->host[0])
        json_object_set_new(o, "host", json_stringn(ev->host, strnlen(ev->host, sizeof(ev->host))));
    if (ev->address[0])
        json_object_set_new(o, "address", json_string(ev->address));
    if (ev->detail[0])
        json_object_set_new(o, "detail",
                            json_stringn(ev->detail, strnlen(ev->detail, sizeof(ev->detail))));
    if (ev->kind == EV_TLS) {
        char na[40];
        httpf_rfc3339(ev->not_after * 1000000, na, sizeof(na));
        json_object_set_new(o, "expiry", json_string(smsa_tls_expiry_name(ev->expiry)));
        json_object_set_new(o, "not_after", json_string(na));
        json_object_set_new(o, "days_left", json_integer(ev->days_left));
        json_object_set_new(o, "subject", json_string(ev->subject));
    }
    if (ev->kind == EV_ADDRSET) {
        json_t *arr = json_array();
        char buf[sizeof(ev->addresses) + 1];
        memcpy(buf, ev->addresses, sizeof(ev->addresses));
        buf[sizeof(ev->addresses)] = 0;
        char *save = NULL;
        for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
            json_array_append_new(arr, json_string(t));
        json_object_set_new(o, "addresses", arr);
    }
    return o;
}
