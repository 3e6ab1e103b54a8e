#include "sntp.h"

#include <stdio.h>
#include <string.h>

/* Seconds from 1900-01-01 (NTP prime epoch, RFC 5905 §6) to 1970-01-01. */
#define NTP_UNIX_OFFSET 2208988800LL
#define US_PER_S 1000000LL

/* RFC 5905 §7.3 header layout. */
#define OFF_LI_VN_MODE 0
#define OFF_STRATUM 1
#define OFF_POLL 2
#define OFF_PRECISION 3
#define OFF_REFID 12
#define OFF_REFERENCE 16
#define OFF_ORIGIN 24
#define OFF_RECEIVE 32
#define OFF_TRANSMIT 40

#define LI_ALARM 3    /* RFC 5905 §7.3: clock unsynchronised */
#define MODE_CLIENT 3 /* RFC 5905 §7.3 */
#define MODE_SERVER 4
#define NTP_VERSION 4
#define MAX_STRATUM 15 /* RFC 5905 §7.3: 16 means unsynchronised, 17-255 reserved */

/* RFC 7822 §3/§7: an extension field is at least 16 bytes, a multiple of 4; a legacy MAC
 * is 4 bytes of key id and a 16-byte (MD5) or 20-byte (SHA-1) digest. */
#define EF_MIN_LEN 16
#define MAC_MD5_LEN 20
#define MAC_SHA1_LEN 24

/*
 * Era handling: NTP timestamps carry seconds modulo 2^32 (RFC 5905 §6). We assume era 0
 * (1900-01-01 .. 2036-02-07), so sntp_ts_to_unix_us() answers 1900..2036 and
 * sntp_ts_from_unix_us() keeps only the low 32 bits of the seconds. Offset and delay stay
 * right across the era boundary only while both sides agree on the era; revisit before 2036.
 */
sntp_ts sntp_ts_from_unix_us(int64_t unix_us)
{
    int64_t s = unix_us / US_PER_S;
    int64_t us = unix_us % US_PER_S;
    if (us < 0) { /* floor, so the fraction is always positive */
        us += US_PER_S;
        s--;
    }
    uint64_t secs = (uint64_t)(s + NTP_UNIX_OFFSET) & 0xffffffffu;
    /* Round to the nearest 2^-32 s; never reaches 2^32 since us <= 999999. */
    uint64_t frac = (((uint64_t)us << 32) + US_PER_S / 2) / US_PER_S;
    return secs << 32 | frac;
}

int64_t sntp_ts_to_unix_us(sntp_ts ts)
{
    int64_t secs = (int64_t)(ts >> 32) - NTP_UNIX_OFFSET;
    int64_t us = (int64_t)(((ts & 0xffffffffu) * US_PER_S + (1ULL << 31)) >> 32);
    return secs * US_PER_S + us;
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

void sntp_encode_request(uint8_t out[SNTP_PACKET_LEN], sntp_ts xmt)
{
    /* RFC 4330 §5: everything zero but the first byte and the transmit timestamp. */
    memset(out, 0, SNTP_PACKET_LEN);
    out[OFF_LI_VN_MODE] = (uint8_t)(0 << 6 | NTP_VERSION << 3 | MODE_CLIENT);
    put_u64(out + OFF_TRANSMIT, xmt);
}

/*
 * What may follow the 48-byte header (RFC 7822). The rule, kept simple on purpose:
 * walk extension fields (length >= 16, a multiple of 4, within the packet) until exactly
 * 20 or 24 bytes remain (a MAC, or a last field of that size: both well-formed) or
 * nothing remains. So 48, 68, 72 and 48 + whole extension fields [+ MAC] are accepted;
 * anything else is not a message we could have asked for.
 */
static int trailer_ok(const uint8_t *p, size_t rem)
{
    while (rem > 0) {
        if (rem == MAC_MD5_LEN || rem == MAC_SHA1_LEN)
            return 1;
        if (rem < EF_MIN_LEN)
            return 0;
        size_t flen = (size_t)p[2] << 8 | p[3];
        if (flen < EF_MIN_LEN || flen % 4 != 0 || flen > rem)
            return 0;
        p += flen;
        rem -= flen;
    }
    return 1;
}

/* RFC 5905 §7.3: stratum 0/1 carry four ASCII characters (kiss code or clock source);
 * above that, the IPv4 address of the upstream server (or an IPv6 address hash). */
static void refid_text(const uint8_t *id, unsigned stratum, char out[16])
{
    if (stratum <= 1) {
        size_t n = 4;
        while (n > 0 && id[n - 1] == 0)
            n--;
        for (size_t i = 0; i < n; i++)
            out[i] = id[i] >= 0x20 && id[i] < 0x7f ? (char)id[i] : '?';
        out[n] = '\0';
    } else {
        snprintf(out, 16, "%u.%u.%u.%u", id[0], id[1], id[2], id[3]);
    }
}

static enum sntp_status kiss_code(const uint8_t *id)
{
    /* RFC 5905 §7.4: DENY and RSTR mean stop asking this server, RATE means slow down. */
    if (!memcmp(id, "DENY", 4))
        return SNTP_KOD_DENY;
    if (!memcmp(id, "RSTR", 4))
        return SNTP_KOD_RSTR;
    if (!memcmp(id, "RATE", 4))
        return SNTP_KOD_RATE;
    return SNTP_KOD_OTHER;
}

enum sntp_status sntp_decode_reply(const uint8_t *buf, size_t len, sntp_ts xmt,
                                   struct sntp_reply *r)
{
    if (len < SNTP_PACKET_LEN)
        return SNTP_SHORT;
    if (len > SNTP_MAX_PACKET_LEN || !trailer_ok(buf + SNTP_PACKET_LEN, len - SNTP_PACKET_LEN))
        return SNTP_OVERSIZED;

    struct sntp_reply rep;
    rep.leap = buf[OFF_LI_VN_MODE] >> 6;
    rep.version = buf[OFF_LI_VN_MODE] >> 3 & 7;
    rep.mode = buf[OFF_LI_VN_MODE] & 7;
    rep.stratum = buf[OFF_STRATUM];
    rep.poll = (int8_t)buf[OFF_POLL];
    rep.precision = (int8_t)buf[OFF_PRECISION];
    refid_text(buf + OFF_REFID, rep.stratum, rep.refid);
    rep.reference = get_u64(buf + OFF_REFERENCE);
    rep.origin = get_u64(buf + OFF_ORIGIN);
    rep.receive = get_u64(buf + OFF_RECEIVE);
    rep.transmit = get_u64(buf + OFF_TRANSMIT);
    if (r)
        *r = rep;

    if (rep.version < 1 || rep.version > NTP_VERSION)
        return SNTP_BAD_VERSION;
    if (rep.mode != MODE_SERVER)
        return SNTP_BAD_MODE;
    /* RFC 5905 §8 (bogus packet test) / RFC 4330 §5: only a reply echoing our transmit
     * timestamp is ours; checked before the kiss codes so a spoofer cannot silence us. */
    if (rep.origin != xmt)
        return SNTP_BAD_ORIGIN;
    if (rep.stratum == 0)
        return kiss_code(buf + OFF_REFID);
    if (rep.stratum > MAX_STRATUM)
        return SNTP_BAD_STRATUM;
    if (rep.leap == LI_ALARM || rep.transmit == 0)
        return SNTP_UNSYNCHRONISED;
    return SNTP_OK;
}

/* Saturating arithmetic: t1/t4 come from the caller and may be anything. */
static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t v;
    if (__builtin_add_overflow(a, b, &v))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return v;
}

static int64_t sat_sub(int64_t a, int64_t b)
{
    int64_t v;
    if (__builtin_sub_overflow(a, b, &v))
        return b < 0 ? INT64_MAX : INT64_MIN;
    return v;
}

void sntp_offset_delay(int64_t t1_us, const struct sntp_reply *r, int64_t t4_us, int64_t *offset_us,
                       int64_t *delay_us)
{
    int64_t t2 = sntp_ts_to_unix_us(r->receive);
    int64_t t3 = sntp_ts_to_unix_us(r->transmit);
    int64_t a = sat_sub(t2, t1_us);
    int64_t b = sat_sub(t3, t4_us);
    /* RFC 5905 §8: offset = ((T2-T1) + (T3-T4)) / 2, halves first so the sum cannot wrap;
     * the remainder term puts back what the two truncating halvings dropped. */
    int64_t off = sat_add(sat_add(a / 2, b / 2), (a % 2 + b % 2) / 2);
    /* delay = (T4-T1) - (T3-T2) */
    int64_t del = sat_sub(sat_sub(t4_us, t1_us), sat_sub(t3, t2));
    if (offset_us)
        *offset_us = off;
    if (delay_us)
        *delay_us = del;
}

const char *sntp_status_name(enum sntp_status s)
{
    static const char *const names[] = {
        [SNTP_OK] = "ok",
        [SNTP_SHORT] = "short",
        [SNTP_OVERSIZED] = "oversized",
        [SNTP_BAD_MODE] = "bad-mode",
        [SNTP_BAD_VERSION] = "bad-version",
        [SNTP_BAD_ORIGIN] = "bad-origin",
        [SNTP_UNSYNCHRONISED] = "unsynchronised",
        [SNTP_BAD_STRATUM] = "bad-stratum",
        [SNTP_KOD_DENY] = "kiss-of-death-deny",
        [SNTP_KOD_RSTR] = "kiss-of-death-rstr",
        [SNTP_KOD_RATE] = "kiss-of-death-rate",
        [SNTP_KOD_OTHER] = "kiss-of-death-other",
    };
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}
