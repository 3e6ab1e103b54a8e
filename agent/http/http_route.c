/* The REST face's resources: which path is which, what each allows, which need the token. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "config.h"
#include "http_helpers.h"

#define RO "GET, HEAD"
#define GET_HEAD (M_GET | M_HEAD)

/* One row per resource: its handlers, no switch on the route anywhere. */
static const struct httpf_route_def routes[] = {
    {"/healthz", R_HEALTHZ, GET_HEAD, RO, false, .get = httpf_get_healthz},
    {"/metrics", R_METRICS, GET_HEAD, RO, true, .get = httpf_get_metrics},
    {"/api/v1/status", R_STATUS, GET_HEAD, RO, true, httpf_status_text, true, .get = httpf_get_doc},
    {"/api/v1/flows", R_FLOWS, GET_HEAD, RO, true, .get = httpf_get_flows},
    {"/api/v1/flows/", R_FLOW, GET_HEAD, RO, true, .get = httpf_get_flows},
    {"/api/v1/links", R_LINKS, GET_HEAD, RO, true, httpf_links_text, .get = httpf_get_doc},
    {"/api/v1/ntp", R_NTP, GET_HEAD | M_PUT, "GET, HEAD, PUT", true, httpf_ntp_text,
     .get = httpf_get_doc, .write = httpf_put_ntp},
    {"/api/v1/updates", R_UPDATES, GET_HEAD | M_PUT, "GET, HEAD, PUT", true, httpf_updates_text,
     .get = httpf_get_doc, .write = httpf_put_updates},
    {"/api/v1/scanners", R_SCANNERS, GET_HEAD | M_POST, "GET, HEAD, POST", true,
     httpf_scanners_text, .get = httpf_get_doc, .write = httpf_post_scanner},
    {"/api/v1/scanners/", R_SCANNER, GET_HEAD | M_DELETE, "GET, HEAD, DELETE", true,
     .item_doc = httpf_scanner_text, .noun = "scanner", .get = httpf_get_item,
     .write = httpf_delete_scanner},
    {"/api/v1/config", R_CONFIG, GET_HEAD, RO, true, httpf_config_text, .get = httpf_get_doc},
    {"/api/v1/events", R_EVENTS, M_GET, "GET", true, .get = httpf_get_events},
    {"/api/v1/firewall", R_FIREWALL, GET_HEAD, RO, true, .get = httpf_get_firewall},
    {"/api/v1/appliances", R_APPLIANCES, GET_HEAD, RO, true, httpf_appliances_text,
     .get = httpf_get_doc},
    {"/api/v1/appliances/", R_APPLIANCE, GET_HEAD, RO, true, .item_doc = httpf_appliance_text,
     .noun = "appliance", .get = httpf_get_item},
    /* POST: the login form, the token in its body */
    {"/", R_PAGE, GET_HEAD | M_POST, "GET, HEAD, POST", true, .get = httpf_get_page,
     .write = httpf_post_login},
};
_Static_assert(sizeof(routes) / sizeof(routes[0]) <= HTTPF_MAX_ROUTES, "HTTPF_MAX_ROUTES");

const struct httpf_route_def *httpf_route_at(size_t i)
{
    return i < sizeof(routes) / sizeof(routes[0]) ? &routes[i] : NULL;
}

size_t httpf_route_slot(const struct httpf_route_def *rd)
{
    return (size_t)(rd - routes);
}

unsigned httpf_method_bit(const char *m)
{
    static const struct {
        const char *name;
        unsigned bit;
    } t[] = {{"GET", M_GET},   {"HEAD", M_HEAD},     {"PUT", M_PUT},
             {"POST", M_POST}, {"DELETE", M_DELETE}, {"OPTIONS", M_OPTIONS}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (!strcmp(m, t[i].name))
            return t[i].bit;
    return 0;
}

/* The item of an item route: a flow id, or a name of at most CFG_MAX_NAME bytes. */
static void take_item(const char *item, struct httpf_target *t)
{
    if (t->rd->route == R_FLOW) {
        /* The catalogue's ids, 1..20, and extra flows' up to 999 (404 when the model has no
         * such flow); anything else, "01" or "1x" included, is no flow. */
        char *end;
        errno = 0;
        unsigned long id = strtoul(item, &end, 10);
        if (*end || errno || item[0] == '0' || item[0] < '0' || item[0] > '9' || id < 1 ||
            id > CAT_MAX_ID)
            t->bad_item = true;
        else
            t->flow_id = (unsigned)id;
    } else if (strlen(item) > CFG_MAX_NAME) {
        t->bad_item = true;
    } else {
        t->item = strdup(item);
    }
}

void httpf_route_find(const char *url, struct httpf_target *t)
{
    memset(t, 0, sizeof(*t));
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const struct httpf_route_def *rd = &routes[i];
        size_t n = strlen(rd->path);
        if (rd->path[n - 1] != '/' || n == 1) {
            if (!strcmp(url, rd->path)) {
                t->rd = rd;
                return;
            }
            continue;
        }
        if (strncmp(url, rd->path, n) || !url[n] || strchr(url + n, '/'))
            continue;
        t->rd = rd;
        take_item(url + n, t);
        return;
    }
}
