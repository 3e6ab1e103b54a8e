/* RFC 9457 problem details: the body of every error the REST face answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_helpers.h"
#include "http_parse.h"

const char *httpf_status_title(unsigned status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}

char *httpf_problem_body(unsigned status, const char *slug, const char *detail, json_t *extra,
                         size_t *len)
{
    char type[96];
    snprintf(type, sizeof(type), HTTPF_PROBLEM_TYPE "%s", slug);
    /* A detail may quote the request (a scanner name from the URL): jansson refuses text that
     * is not UTF-8, so bytes outside well-formed sequences are shown as \xHH. */
    char clean[1024];
    httpf_escape_text(detail ? detail : "", clean, sizeof(clean));
    json_t *o = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", httpf_status_title(status),
                          "status", (int)status, "detail", clean);
    if (!o) {
        json_decref(extra);
        return NULL;
    }
    if (extra) {
        json_object_update(o, extra);
        json_decref(extra);
    }
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (s)
        *len = strlen(s);
    return s;
}
