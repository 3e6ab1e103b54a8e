/* SNTP client messages (RFC 4330, RFC 5905 §7.3): encode a mode-3 request, check and decode
 * a mode-4 reply. Pure functions: no I/O. */
#ifndef SMSA_SNTP_H
#define SMSA_SNTP_H

#include <stddef.h>
#include <stdint.h>

#define SNTP_PACKET_LEN 48

/* NTP 64-bit timestamp (seconds since 1900 in the high 32 bits). */
typedef uint64_t sntp_ts;

sntp_ts sntp_ts_from_unix_us(int64_t unix_us);
int64_t sntp_ts_to_unix_us(sntp_ts ts);

enum sntp_status {
    SNTP_OK,
    SNTP_SHORT,          /* fewer than 48 bytes */
    SNTP_OVERSIZED,      /* longer than any valid message (extension fields + MAC bound) */
    SNTP_BAD_MODE,       /* not mode 4 (server) */
    SNTP_BAD_VERSION,    /* version not 1..4 */
    SNTP_BAD_ORIGIN,     /* origin timestamp is not our transmit timestamp: spoofed or stale */
    SNTP_UNSYNCHRONISED, /* LI = 3, or transmit timestamp 0 */
    SNTP_BAD_STRATUM,    /* stratum > 15 */
    SNTP_KOD_DENY,       /* stratum 0 with kiss code DENY */
    SNTP_KOD_RSTR,
    SNTP_KOD_RATE,
    SNTP_KOD_OTHER, /* stratum 0, another kiss code: treat as no answer */
};

#define SNTP_MAX_PACKET_LEN 1024

struct sntp_reply {
    unsigned leap, version, mode, stratum;
    int poll, precision;
    char refid[16]; /* text: 4 ASCII chars for stratum 0/1, dotted quad otherwise */
    sntp_ts reference, origin, receive, transmit;
};

/* Writes a 48-byte request (LI 0, VN 4, mode 3) whose transmit timestamp is xmt.
 * The caller chooses xmt (random, RFC 5905 data minimisation) and remembers it. */
void sntp_encode_request(uint8_t out[SNTP_PACKET_LEN], sntp_ts xmt);

/* Checks buf against the request that carried xmt. Fills r when the header parses. */
enum sntp_status sntp_decode_reply(const uint8_t *buf, size_t len, sntp_ts xmt,
                                   struct sntp_reply *r);

/* Offset and delay (RFC 5905 §8) in microseconds: t1 our send time, t4 our receive time
 * (unix microseconds), t2/t3 from the reply. */
void sntp_offset_delay(int64_t t1_us, const struct sntp_reply *r, int64_t t4_us, int64_t *offset_us,
                       int64_t *delay_us);

const char *sntp_status_name(enum sntp_status s);

#endif
