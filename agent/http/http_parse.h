/* Private to the REST face: address prefixes of http.allow and the escaping of request text,
 * apart from libmicrohttpd so that the fuzz targets (tests/fuzz) call the very code the daemon
 * runs. Entity tags, routes and problem bodies are in http_helpers.h. */
#ifndef SMSA_HTTP_PARSE_H
#define SMSA_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "addr.h"

/* Whether the socket address (IPv4, IPv6, or IPv4-mapped IPv6) is inside one of the n
 * prefixes (http.allow, parsed by addr_parse_cidr). */
bool httpf_cidr_match(const struct addr_cidr *list, size_t n, const struct sockaddr *sa);

/* Writes s into out (at most out_len bytes, NUL included) as valid UTF-8 text: bytes that are
 * not part of a well-formed UTF-8 sequence, and control characters, become "\xHH". Text taken
 * from a request (a URL's item name) goes through it before it reaches a JSON document. */
void httpf_escape_text(const char *s, char *out, size_t out_len);

#endif
