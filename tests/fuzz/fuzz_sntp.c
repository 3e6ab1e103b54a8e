/* The SNTP decoder: any reply is judged without reading past its end; a reply built from
 * our own request decodes to the fields it was given. */
#include <stdlib.h>
#include <string.h>

#include "sntp.h"

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    sntp_ts xmt = get_u64(data);
    const uint8_t *pkt = data + 8;
    size_t len = size - 8;

    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, pkt, len);
    struct sntp_reply r;
    enum sntp_status st = sntp_decode_reply(copy, len, xmt, &r);
    if (!sntp_status_name(st))
        abort();
    if (st == SNTP_OK) {
        if (r.mode != 4 || r.origin != xmt || r.stratum < 1 || r.stratum > 15)
            abort();
        int64_t off, delay;
        sntp_offset_delay(0, &r, 1000, &off, &delay); /* must not overflow (UBSan) */
        sntp_offset_delay(INT64_MIN, &r, INT64_MAX, &off, &delay);
    }
    free(copy);

    /* encode -> decode: our request, turned into a server's reply. */
    uint8_t req[SNTP_PACKET_LEN];
    sntp_encode_request(req, xmt);
    struct sntp_reply q;
    if (sntp_decode_reply(req, sizeof(req), xmt, &q) != SNTP_BAD_MODE || q.mode != 3 ||
        q.version != 4 || q.transmit != xmt)
        abort();
    uint8_t rep[SNTP_PACKET_LEN];
    memcpy(rep, req, sizeof(rep));
    unsigned stratum = len ? 1 + pkt[0] % 15 : 2;
    rep[0] = (uint8_t)(0 << 6 | 4 << 3 | 4); /* LI 0, VN 4, mode 4 */
    rep[1] = (uint8_t)stratum;
    memcpy(rep + 24, req + 40, 8); /* origin = our transmit */
    uint64_t t = xmt | 1;          /* receive and transmit: never 0 */
    for (int i = 0; i < 8; i++)
        rep[32 + i] = rep[40 + i] = (uint8_t)(t >> (56 - 8 * i));
    st = sntp_decode_reply(rep, sizeof(rep), xmt, &q);
    if (st != SNTP_OK || q.stratum != stratum || q.origin != xmt || q.transmit != t ||
        q.receive != t)
        abort();
    return 0;
}
