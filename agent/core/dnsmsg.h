/* DNS messages for the DNS probe (RFC 1035): one question out, its answer checked.
 * Pure functions: no I/O. */
#ifndef SMSA_DNSMSG_H
#define SMSA_DNSMSG_H

#include <stddef.h>
#include <stdint.h>

#define DNSMSG_MAX_UDP 512 /* RFC 1035 §4.2.1, no EDNS0 is offered */
#define DNSMSG_TYPE_A 1
#define DNSMSG_TYPE_NS 2
#define DNSMSG_TYPE_SOA 6
#define DNSMSG_TYPE_AAAA 28

enum dnsmsg_status {
    DNSMSG_OK,           /* a response to our question; rcode NOERROR or NXDOMAIN */
    DNSMSG_SHORT,        /* shorter than a header, or the question does not fit */
    DNSMSG_OVERSIZED,    /* longer than DNSMSG_MAX_UDP */
    DNSMSG_BAD_ID,       /* id differs: spoofed or stale */
    DNSMSG_NOT_RESPONSE, /* QR bit clear */
    DNSMSG_BAD_QUESTION, /* the question is not ours (count, name, type or class) */
    DNSMSG_RCODE,        /* SERVFAIL, REFUSED, ...: the server does not serve us */
    DNSMSG_MALFORMED,    /* a name or record runs past the end, a pointer loops, ... */
};

struct dnsmsg_reply {
    unsigned rcode;
    unsigned ancount;
    int truncated; /* TC bit */
};

/* Encodes a recursive query (RD=1) for name ("." is the root) and qtype into out.
 * Returns the length, or -1 when the name is not a valid domain name or out is too small. */
int dnsmsg_encode_query(uint8_t *out, size_t out_len, uint16_t id, const char *name,
                        uint16_t qtype);

/* Checks a reply against the query (id, name, qtype). */
enum dnsmsg_status dnsmsg_decode_reply(const uint8_t *buf, size_t len, uint16_t id,
                                       const char *name, uint16_t qtype, struct dnsmsg_reply *r);

const char *dnsmsg_status_name(enum dnsmsg_status s);

#endif
