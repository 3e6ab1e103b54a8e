#include "dnsmsg.h"

#include <string.h>

/* RFC 1035 §4.1.1 header. */
#define HDR_LEN 12
#define FLAG_QR 0x8000
#define FLAG_TC 0x0200
#define FLAG_RD 0x0100
#define RCODE_MASK 0x000f
#define RCODE_NOERROR 0
#define RCODE_NXDOMAIN 3
#define CLASS_IN 1

/* RFC 1035 §2.3.4: labels up to 63 octets, names up to 255 octets on the wire, which is
 * 253 characters in text form without the trailing dot. */
#define MAX_LABEL 63
#define MAX_WIRE_NAME 255
#define MAX_TEXT_NAME 253

/* RFC 1035 §4.1.4: the top two bits of a length octet; 01 and 10 are reserved. */
#define LABEL_KIND_MASK 0xc0
#define LABEL_POINTER 0xc0

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Text name to wire labels. Characters are taken as they are (no \-escapes); bytes that no
 * hostname can hold (controls, space, DEL, non-ASCII: use the A-label form of an IDN) are
 * refused so a typo in the configuration is not sent on the wire. Returns the wire length
 * or -1. */
static int encode_name(uint8_t *out, size_t out_len, const char *name)
{
    size_t n = strlen(name);
    if (n > 0 && name[n - 1] == '.')
        n--; /* one trailing dot: a fully qualified name; "." becomes the root */
    if (n > MAX_TEXT_NAME)
        return -1;

    size_t w = 0;
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        while (i < n && name[i] != '.') {
            unsigned char c = (unsigned char)name[i];
            if (c <= 0x20 || c >= 0x7f)
                return -1;
            i++;
        }
        size_t label = i - start;
        if (label == 0 || label > MAX_LABEL) /* "a..b", ".a", "a.." or a 64-octet label */
            return -1;
        if (w + 1 + label > out_len)
            return -1;
        out[w++] = (uint8_t)label;
        memcpy(out + w, name + start, label);
        w += label;
        if (i < n && ++i == n)
            return -1; /* "a.." : an empty label before the trailing dot */
    }
    if (w + 1 > out_len)
        return -1;
    out[w++] = 0;
    return w <= MAX_WIRE_NAME ? (int)w : -1;
}

int dnsmsg_encode_query(uint8_t *out, size_t out_len, uint16_t id, const char *name, uint16_t qtype)
{
    if (!out || !name || out_len < HDR_LEN)
        return -1;
    int nlen = encode_name(out + HDR_LEN, out_len - HDR_LEN, name);
    if (nlen < 0 || (size_t)HDR_LEN + (size_t)nlen + 4 > out_len)
        return -1;
    memset(out, 0, HDR_LEN);
    put_u16(out, id);
    put_u16(out + 2, FLAG_RD); /* recursion desired: we ask resolvers, not authorities */
    put_u16(out + 4, 1);       /* QDCOUNT */
    put_u16(out + HDR_LEN + nlen, qtype);
    put_u16(out + HDR_LEN + nlen + 2, CLASS_IN);
    return HDR_LEN + nlen + 4;
}

/*
 * Reads the name at *off, following compression pointers (RFC 1035 §4.1.4), into out as
 * wire labels (uncompressed). Every pointer must point before the pointer itself, so a
 * chain strictly descends and cannot loop; the hop bound is a second fence. On success
 * *off is just past the name in the record. DNSMSG_SHORT means it runs past len.
 */
static enum dnsmsg_status read_name(const uint8_t *buf, size_t len, size_t *off,
                                    uint8_t out[MAX_WIRE_NAME], size_t *out_len)
{
    size_t pos = *off;
    size_t end = 0; /* where the name ends in the record; set at the first pointer */
    int jumped = 0;
    unsigned hops = 0;
    size_t w = 0;

    for (;;) {
        if (pos >= len)
            return DNSMSG_SHORT;
        uint8_t c = buf[pos];
        if ((c & LABEL_KIND_MASK) == LABEL_POINTER) {
            if (pos + 1 >= len)
                return DNSMSG_SHORT;
            size_t target = (size_t)(c & ~LABEL_KIND_MASK) << 8 | buf[pos + 1];
            if (target >= pos || ++hops > MAX_WIRE_NAME / 2)
                return DNSMSG_MALFORMED;
            if (!jumped) {
                end = pos + 2;
                jumped = 1;
            }
            pos = target;
            continue;
        }
        if (c & LABEL_KIND_MASK)
            return DNSMSG_MALFORMED; /* 01/10: reserved (RFC 6891 retired 01) */
        if (pos + 1 + c > len)
            return DNSMSG_SHORT;
        if (w + 1 + c > MAX_WIRE_NAME)
            return DNSMSG_MALFORMED;
        memcpy(out + w, buf + pos, (size_t)c + 1);
        w += (size_t)c + 1;
        pos += (size_t)c + 1;
        if (c == 0)
            break;
    }
    *off = jumped ? end : pos;
    *out_len = w;
    return DNSMSG_OK;
}

/* RFC 1035 §2.3.3: names compare case-insensitively, ASCII only. Length octets (<= 63)
 * are below 'A', so folding them is harmless. */
static int wire_name_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++) {
        uint8_t x = a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i];
        uint8_t y = b[i] >= 'A' && b[i] <= 'Z' ? b[i] + 32 : b[i];
        if (x != y)
            return 0;
    }
    return 1;
}

/* Walks one resource record (RFC 1035 §4.1.3) without interpreting its data. */
static enum dnsmsg_status skip_record(const uint8_t *buf, size_t len, size_t *off)
{
    uint8_t name[MAX_WIRE_NAME];
    size_t nlen;
    if (read_name(buf, len, off, name, &nlen) != DNSMSG_OK)
        return DNSMSG_MALFORMED;
    if (len - *off < 10) /* TYPE, CLASS, TTL, RDLENGTH */
        return DNSMSG_MALFORMED;
    size_t rdlen = get_u16(buf + *off + 8);
    *off += 10;
    if (len - *off < rdlen)
        return DNSMSG_MALFORMED;
    *off += rdlen;
    return DNSMSG_OK;
}

enum dnsmsg_status dnsmsg_decode_reply(const uint8_t *buf, size_t len, uint16_t id,
                                       const char *name, uint16_t qtype, struct dnsmsg_reply *r)
{
    if (len > DNSMSG_MAX_UDP)
        return DNSMSG_OVERSIZED;
    if (!buf || len < HDR_LEN)
        return DNSMSG_SHORT;

    uint16_t flags = get_u16(buf + 2);
    if (r) {
        r->rcode = flags & RCODE_MASK;
        r->ancount = get_u16(buf + 6);
        r->truncated = (flags & FLAG_TC) != 0;
    }
    if (get_u16(buf) != id)
        return DNSMSG_BAD_ID;
    if (!(flags & FLAG_QR))
        return DNSMSG_NOT_RESPONSE;
    if (get_u16(buf + 4) != 1)
        return DNSMSG_BAD_QUESTION;

    /* RFC 5452 §4.2: besides the id, the question must be the one we asked. */
    uint8_t want[MAX_WIRE_NAME];
    int wlen = name ? encode_name(want, sizeof want, name) : -1;
    if (wlen < 0)
        return DNSMSG_BAD_QUESTION;
    uint8_t got[MAX_WIRE_NAME];
    size_t glen;
    size_t off = HDR_LEN;
    enum dnsmsg_status st = read_name(buf, len, &off, got, &glen);
    if (st != DNSMSG_OK)
        return st;
    if (len - off < 4)
        return DNSMSG_SHORT;
    if (!wire_name_equal(got, glen, want, (size_t)wlen) || get_u16(buf + off) != qtype ||
        get_u16(buf + off + 2) != CLASS_IN)
        return DNSMSG_BAD_QUESTION;
    off += 4;

    /* Every record is walked, bounds-checked, even though only the counts are used: a
     * message that lies about its own structure is not a working server's answer. */
    unsigned records = (unsigned)get_u16(buf + 6) + get_u16(buf + 8) + get_u16(buf + 10);
    for (unsigned i = 0; i < records; i++) {
        if (skip_record(buf, len, &off) != DNSMSG_OK)
            return DNSMSG_MALFORMED;
    }

    /* NXDOMAIN is a working server answering; SERVFAIL, REFUSED, ... are not. */
    unsigned rcode = flags & RCODE_MASK;
    if (rcode != RCODE_NOERROR && rcode != RCODE_NXDOMAIN)
        return DNSMSG_RCODE;
    return DNSMSG_OK;
}

const char *dnsmsg_status_name(enum dnsmsg_status s)
{
    static const char *const names[] = {
        [DNSMSG_OK] = "ok",
        [DNSMSG_SHORT] = "short",
        [DNSMSG_OVERSIZED] = "oversized",
        [DNSMSG_BAD_ID] = "bad-id",
        [DNSMSG_NOT_RESPONSE] = "not-response",
        [DNSMSG_BAD_QUESTION] = "bad-question",
        [DNSMSG_RCODE] = "rcode",
        [DNSMSG_MALFORMED] = "malformed",
    };
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}
