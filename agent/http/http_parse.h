/* Private to the REST face: the parsers of request text that need no libmicrohttpd, apart so
 * that the fuzz targets (tests/fuzz) call the very code the daemon runs. */
#ifndef SMSA_HTTP_PARSE_H
#define SMSA_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct httpf_cidr {
    int family; /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    unsigned bits;
};

/* "192.0.2.0/24", "2001:db8::/32" or a bare address (a host prefix). -1 when it is not. */
int httpf_parse_cidr(const char *s, struct httpf_cidr *out);
/* Whether the socket address (IPv4, IPv6, or IPv4-mapped IPv6) is inside one of the n. */
bool httpf_cidr_match(const struct httpf_cidr *list, size_t n, const struct sockaddr *sa);

/* If-None-Match: whether a comma-separated list of entity tags names etag ("*" names any). */
bool httpf_etag_list_has(const char *list, const char *etag);
/* If-Match: whether one tag of the list was issued under configuration generation cgen. */
bool httpf_if_match_ok(const char *list, uint64_t cgen);

/* Writes s into out (at most out_len bytes, NUL included) as valid UTF-8 text: bytes that are
 * not part of a well-formed UTF-8 sequence, and control characters, become "\xHH". Text taken
 * from a request (a URL's item name) goes through it before it reaches a JSON document. */
void httpf_escape_text(const char *s, char *out, size_t out_len);

/* Routing (http_face.c): the route a decoded URL path names, as its table path ("/api/v1/flows/"
 * for an item route), or NULL. *bad_item when the route is right but the item is not (flow id
 * out of range, name too long); *item is the strdup'd name of an item route (caller frees). */
const char *httpf_route_path(const char *url, unsigned *flow_id, char **item, bool *bad_item);

#endif
