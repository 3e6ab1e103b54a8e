/* The label sets of /metrics, which change only with the configuration: escaped once per
 * configuration generation and shared (http_snapshot.c's per-configuration texts) by every
 * scrape of that generation. Private to the REST face. */
#ifndef SMSA_HTTP_LABELS_H
#define SMSA_HTTP_LABELS_H

#include "http_internal.h"

struct httpf_span {
    uint32_t off, len;
};

/* One part of the shared per-configuration texts (http_snapshot.c). */
struct httpf_labels {
    struct httpf_buf text;   /* every label set below, back to back */
    struct httpf_span info;  /* appliance="..",role="..",version=".." */
    struct httpf_span start; /* the start time, formatted once */
    struct httpf_span *flow; /* in the model's order */
    size_t n_flows;
    struct httpf_span *peer; /* flow="..",peer="..",host="..",port=".." in flow order */
    size_t n_peers;
    struct httpf_span *link; /* link="<name>",host=".." */
    size_t n_links;
    struct httpf_span *update; /* update="..",purpose="..",host=".."; len 0: no peer */
    size_t n_updates;
    struct httpf_span *appliance; /* appliance_name="..",appliance_role=".." */
    size_t n_appliances;
};

/* The running configuration's texts, their label sets written, with a reference for the
 * caller; NULL when out of memory. */
struct httpf_ctexts *httpf_labels_get(const struct smsa_model *m);

#endif
