/* SMSA-AGENT-MIB's encodings of the core's facts: every enumeration the core publishes as
 * the MIB numbers it, and the conversions of times, addresses and text into MIB types
 * (TimeTicks, DateAndTime, InetAddress, SnmpAdminString). Shared by the MIB handler and the
 * notifications, so that a GET and a notification say the same thing. */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "snmp_internal.h"

/* ---- enumerations as the MIB numbers them ----
 * A table over a _COUNT leaves a new value at 0, which tests/snmp/test_mib.c refuses; a switch
 * has no default, so a new enumerator without a MIB value stops the build (-Wswitch with
 * warnings as errors). */

long snmpf_mib_state(enum smsa_state s)
{
    static const long v[ST_COUNT] = {
        [ST_UNKNOWN] = 1,  [ST_UP] = 2,           [ST_DEGRADED] = 3,      [ST_DOWN] = 4,
        [ST_DISABLED] = 5, [ST_UNCONFIGURED] = 6, [ST_NOT_APPLICABLE] = 7};
    return (unsigned)s < ST_COUNT ? v[s] : 1;
}

long snmpf_mib_cause(enum smsa_cause c)
{
    static const long v[CAUSE_COUNT] = {
        [CAUSE_NONE] = 1,           [CAUSE_TIMEOUT] = 2,       [CAUSE_REFUSED] = 3,
        [CAUSE_UNREACHABLE] = 4,    [CAUSE_DNS_FAILURE] = 5,   [CAUSE_PROTOCOL_ERROR] = 6,
        [CAUSE_KISS_OF_DEATH] = 7,  [CAUSE_NOT_LISTENING] = 8, [CAUSE_ERROR] = 9,
        [CAUSE_LOOPBACK_ONLY] = 10, [CAUSE_PROHIBITED] = 11,   [CAUSE_OFFSET] = 12};
    return (unsigned)c < CAUSE_COUNT ? v[c] : v[CAUSE_ERROR];
}

long snmpf_mib_role(enum smsa_role r)
{
    switch (r) {
    case ROLE_CONTROL_CENTER:
        return 1;
    case ROLE_SCANNER:
        return 2;
    case ROLE_ALL_IN_ONE:
        return 3;
    }
    return 1;
}

long snmpf_mib_direction(enum smsa_direction d)
{
    switch (d) {
    case DIR_NOT_APPLICABLE:
        return 1;
    case DIR_OUTBOUND:
        return 2;
    case DIR_INBOUND:
        return 3;
    }
    return 1;
}

long snmpf_mib_protocol(enum smsa_proto p)
{
    switch (p) {
    case PROTO_TCP:
        return 1;
    case PROTO_UDP:
        return 2;
    }
    return 1;
}

long snmpf_mib_truth(bool b)
{
    return b ? 1 : 2; /* TruthValue: true(1), false(2) */
}

long snmpf_mib_tls_state(const struct smsa_tls *t)
{
    if (!t->seen)
        return 1; /* noCertificate */
    switch ((enum smsa_tls_expiry)t->expiry) {
    case TLS_EXPIRY_NONE:
        return 2; /* valid */
    case TLS_EXPIRY_SOON:
        return 3; /* expiresSoon */
    case TLS_EXPIRY_EXPIRED:
        return 4; /* expired */
    }
    return 2;
}

long snmpf_mib_enabled(bool b)
{
    return b ? 1 : 2; /* enabled(1), disabled(2) */
}

long snmpf_mib_placement(enum cfg_placement p)
{
    switch (p) {
    case PLACEMENT_ON_BOX:
        return 1;
    case PLACEMENT_BESIDE:
        return 2;
    }
    return 1;
}

long snmpf_mib_measured_from(enum smsa_measured_from m)
{
    switch (m) {
    case MEASURED_FROM_APPLIANCE:
        return 1;
    case MEASURED_FROM_VANTAGE:
        return 2;
    }
    return 1;
}

/* ---- helpers ---- */

u_long snmpf_ticks_since_start(int64_t mono_us)
{
    const struct smsa_model *m = core_model();
    if (!m || mono_us <= 0 || mono_us <= m->started.mono_us)
        return 0;
    /* TimeTicks counts modulo 2^32 (RFC 2578 section 7.1.8): after 497 days it wraps */
    return (u_long)(((mono_us - m->started.mono_us) / 10000) & 0xffffffffu);
}

/* The first and the last second DateAndTime's two-octet year can say: 0000-01-01 00:00:00
 * and 65535-12-31 23:59:59 UTC. */
#define DATE_MIN_S (-62167219200LL)
#define DATE_MAX_S 2005949145599LL

/* secs and deci-seconds (0..9) since the epoch, as DateAndTime in UTC. */
static size_t date_and_time_s(int64_t secs, unsigned deci, u_char out[11])
{
    struct tm tm;
    if (secs < DATE_MIN_S) { /* the nearest instant it can say, not a wrapped year */
        secs = DATE_MIN_S;
        deci = 0;
    } else if (secs > DATE_MAX_S) {
        secs = DATE_MAX_S;
        deci = 9;
    }
    time_t t = (time_t)secs;
    if (!gmtime_r(&t, &tm))
        memset(&tm, 0, sizeof(tm)); /* not reached within the limits above */
    int year = tm.tm_year + 1900;
    out[0] = (u_char)(year >> 8);
    out[1] = (u_char)(year & 0xff);
    out[2] = (u_char)(tm.tm_mon + 1);
    out[3] = (u_char)tm.tm_mday;
    out[4] = (u_char)tm.tm_hour;
    out[5] = (u_char)tm.tm_min;
    out[6] = (u_char)(tm.tm_sec > 59 ? 59 : tm.tm_sec); /* DateAndTime allows 60, most NMS not */
    out[7] = (u_char)deci;
    out[8] = '+'; /* UTC, whatever the local zone: gmtime_r */
    out[9] = 0;
    out[10] = 0;
    return 11;
}

size_t snmpf_date_and_time(int64_t wall_us, u_char out[11])
{
    /* rounded down, so that a time before 1970 has deci-seconds 0..9 too */
    int64_t secs = wall_us / 1000000, us = wall_us % 1000000;
    if (us < 0) {
        secs--;
        us += 1000000;
    }
    return date_and_time_s(secs, (unsigned)(us / 100000), out);
}

size_t snmpf_tls_not_after(const struct smsa_tls *t, u_char out[11])
{
    if (!t->seen) {
        /* the epoch, which DateAndTime can say (all zeros it cannot: month 0): collectors
         * such as snmp_exporter read it as 0 */
        static const u_char epoch[8] = {0x07, 0xb2, 1, 1, 0, 0, 0, 0};
        memcpy(out, epoch, sizeof(epoch));
        return sizeof(epoch);
    }
    return date_and_time_s(t->not_after, 0, out); /* seconds: no product to overflow */
}

int snmpf_inet_from_text(const char *text, u_char out[16], size_t *len)
{
    *len = 0;
    if (!text || !*text)
        return INET_TYPE_UNKNOWN;
    if (inet_pton(AF_INET, text, out) == 1) {
        *len = 4;
        return INET_TYPE_IPV4;
    }
    char buf[SMSA_ADDR_TEXT];
    snprintf(buf, sizeof(buf), "%s", text);
    char *pct = strchr(buf, '%'); /* a zone index: reported as plain ipv6 */
    if (pct)
        *pct = '\0';
    if (inet_pton(AF_INET6, buf, out) == 1) {
        *len = 16;
        return INET_TYPE_IPV6;
    }
    return INET_TYPE_UNKNOWN;
}

size_t snmpf_cut(const char *s, size_t max, bool at_word)
{
    size_t n = strlen(s);
    if (n <= max)
        return n;
    n = max;
    if (at_word) {
        while (n > 0 && s[n] != ' ')
            n--;
        return n;
    }
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) /* not inside a UTF-8 sequence */
        n--;
    return n;
}
