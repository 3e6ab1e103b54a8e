/* The DNS decoder: any reply is judged without reading past its end; and a query we encode,
 * echoed back as a response, is accepted with the rcode and counts it carries. */
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    uint16_t id = (uint16_t)(data[0] << 8 | data[1]);
    static const uint16_t types[] = {DNSMSG_TYPE_A, DNSMSG_TYPE_NS, DNSMSG_TYPE_SOA,
                                     DNSMSG_TYPE_AAAA};
    uint16_t qtype = types[data[2] % 4];
    data += 3;
    size -= 3;

    /* Part 1: the bytes as a reply to a query for example.net. */
    struct dnsmsg_reply r;
    uint8_t *copy = malloc(size ? size : 1); /* exact size: ASan sees any overread */
    memcpy(copy, data, size);
    enum dnsmsg_status st = dnsmsg_decode_reply(copy, size, id, "example.net", qtype, &r);
    if (!dnsmsg_status_name(st))
        abort();
    free(copy);

    /* Part 2: the bytes up to the first NUL as a name; encode, then answer it. */
    size_t nlen = strnlen((const char *)data, size);
    if (nlen > 300)
        nlen = 300;
    char name[301];
    memcpy(name, data, nlen);
    name[nlen] = 0;
    uint8_t q[DNSMSG_MAX_UDP];
    int qlen = dnsmsg_encode_query(q, sizeof(q), id, name, qtype);
    if (qlen < 0)
        return 0;
    if (qlen < 12 + 1 + 4 || qlen > DNSMSG_MAX_UDP)
        abort();
    uint8_t *reply = malloc((size_t)qlen);
    memcpy(reply, q, (size_t)qlen);
    reply[2] |= 0x80; /* QR: a response */
    unsigned rcode = nlen ? (uint8_t)data[0] % 4 : 0;
    reply[3] = (uint8_t)((reply[3] & 0xf0) | (rcode == 1 ? 3 : rcode == 2 ? 2 : 0));
    memset(&r, 0, sizeof(r));
    st = dnsmsg_decode_reply(reply, (size_t)qlen, id, name, qtype, &r);
    unsigned want_rcode = rcode == 1 ? 3 : rcode == 2 ? 2 : 0;
    if (want_rcode == 2 ? st != DNSMSG_RCODE : st != DNSMSG_OK)
        abort();
    if (st == DNSMSG_OK && (r.rcode != want_rcode || r.ancount != 0 || r.truncated))
        abort();
    /* The same reply with another id is not ours. */
    if (dnsmsg_decode_reply(reply, (size_t)qlen, (uint16_t)(id + 1), name, qtype, &r) !=
        DNSMSG_BAD_ID)
        abort();
    free(reply);
    return 0;
}
