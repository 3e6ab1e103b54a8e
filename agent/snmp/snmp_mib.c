/* SMSA-AGENT-MIB's encodings of the core's facts: every enumeration the core publishes as
 * the MIB numbers it, and the conversions of times, addresses and text into MIB types
 * (TimeTicks, DateAndTime, InetAddress, SnmpAdminString). Shared by the MIB handler and the
 * notifications, so that a GET and a notification say the same thing. */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "snmp_internal.h"

/* ---- enumerations as the MIB numbers them ---- */

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
    return p == PROTO_UDP ? 2 : 1; /* tcp(1), udp(2) */
}

long snmpf_mib_truth(bool b)
{
    return b ? 1 : 2; /* TruthValue: true(1), false(2) */
}

long snmpf_mib_tls_state(const struct smsa_tls *t)
{
    if (!t->seen)
        return 1; /* noCertificate */
    switch (t->expiry) {
    case TLS_EXPIRY_EXPIRED:
        return 4;
    case TLS_EXPIRY_SOON:
        return 3;
    default:
        return 2;
    }
}

long snmpf_mib_enabled(bool b)
{
    return b ? 1 : 2; /* enabled(1), disabled(2) */
}

long snmpf_mib_placement(enum cfg_placement p)
{
    return p == PLACEMENT_BESIDE ? 2 : 1; /* onBox(1), beside(2) */
}

long snmpf_mib_measured_from(enum smsa_measured_from m)
{
    return m == MEASURED_FROM_VANTAGE ? 2 : 1; /* appliance(1), vantage(2) */
}

/* ---- helpers ---- */

u_long snmpf_ticks_since_start(int64_t mono_us)
{
    const struct smsa_model *m = core_model();
    if (!m || mono_us <= 0 || mono_us <= m->started.mono_us)
        return 0;
    return (u_long)((mono_us - m->started.mono_us) / 10000);
}

size_t snmpf_date_and_time(int64_t wall_us, u_char out[11])
{
    time_t t = (time_t)(wall_us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    int year = tm.tm_year + 1900;
    out[0] = (u_char)(year >> 8);
    out[1] = (u_char)(year & 0xff);
    out[2] = (u_char)(tm.tm_mon + 1);
    out[3] = (u_char)tm.tm_mday;
    out[4] = (u_char)tm.tm_hour;
    out[5] = (u_char)tm.tm_min;
    out[6] = (u_char)(tm.tm_sec > 59 ? 59 : tm.tm_sec); /* DateAndTime allows 60, most NMS not */
    out[7] = (u_char)((wall_us % 1000000) / 100000);
    out[8] = '+'; /* UTC */
    out[9] = 0;
    out[10] = 0;
    return 11;
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
    return snmpf_date_and_time(t->not_after * 1000000, out);
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
