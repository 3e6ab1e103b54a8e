/* The REST face's resources: which path is which, what each allows, which need the token. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "config.h"
#include "http_helpers.h"

static const struct httpf_route_def routes[] = {
    {"/healthz", R_HEALTHZ, M_GET | M_HEAD, "GET, HEAD", false, NULL, false},
    {"/metrics", R_METRICS, M_GET | M_HEAD, "GET, HEAD", true, NULL, false},
    {"/api/v1/status", R_STATUS, M_GET | M_HEAD, "GET, HEAD", true, httpf_status_text, true},
    {"/api/v1/flows", R_FLOWS, M_GET | M_HEAD, "GET, HEAD", true, NULL, false},
    {"/api/v1/flows/", R_FLOW, M_GET | M_HEAD, "GET, HEAD", true, NULL, false},
    {"/api/v1/links", R_LINKS, M_GET | M_HEAD, "GET, HEAD", true, httpf_links_text, false},
    {"/api/v1/ntp", R_NTP, M_GET | M_HEAD | M_PUT, "GET, HEAD, PUT", true, httpf_ntp_text, false},
    {"/api/v1/updates", R_UPDATES, M_GET | M_HEAD | M_PUT, "GET, HEAD, PUT", true,
     httpf_updates_text, false},
    {"/api/v1/scanners", R_SCANNERS, M_GET | M_HEAD | M_POST, "GET, HEAD, POST", true,
     httpf_scanners_text, false},
    {"/api/v1/scanners/", R_SCANNER, M_GET | M_HEAD | M_DELETE, "GET, HEAD, DELETE", true, NULL,
     false},
    {"/api/v1/config", R_CONFIG, M_GET | M_HEAD, "GET, HEAD", true, httpf_config_text, false},
    {"/api/v1/events", R_EVENTS, M_GET, "GET", true, NULL, false},
    {"/api/v1/firewall", R_FIREWALL, M_GET | M_HEAD, "GET, HEAD", true, NULL, false},
    {"/api/v1/appliances", R_APPLIANCES, M_GET | M_HEAD, "GET, HEAD", true, httpf_appliances_text,
     false},
    {"/api/v1/appliances/", R_APPLIANCE, M_GET | M_HEAD, "GET, HEAD", true, NULL, false},
    {"/", R_PAGE, M_GET | M_HEAD, "GET, HEAD", true, NULL, false},
};
_Static_assert(sizeof(routes) / sizeof(routes[0]) <= HTTPF_MAX_ROUTES, "HTTPF_MAX_ROUTES");

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
        /* The catalogue's ids, 1..20; anything else, "01" or "1x" included, is no flow. */
        char *end;
        errno = 0;
        unsigned long id = strtoul(item, &end, 10);
        if (*end || errno || item[0] == '0' || item[0] < '0' || item[0] > '9' || id < 1 ||
            id > CAT_NFLOWS)
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
