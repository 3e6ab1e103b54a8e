/* Prints what the SNMP face serves, for system_mib_columns.py to hold against the MIB:
 *   object <MIB name> <OID>            every readable scalar and column the handler answers
 *   enum <TC or object> <label> <n>    the MIB value each core enumeration is answered with
 * Labels are the core's own names ("not-applicable"); the test writes them as the MIB does. */
#include <stdio.h>

#include "snmp_internal.h"

static void object(const char *name, const oid *o, size_t len, void *arg)
{
    (void)arg;
    printf("object %s ", name);
    for (size_t i = 0; i < len; i++)
        printf(".%lu", (unsigned long)o[i]);
    printf("\n");
}

int main(void)
{
    snmpf_tables_describe(object, NULL);
    for (unsigned s = 0; s < ST_COUNT; s++)
        printf("enum SmsaState %s %ld\n", smsa_state_name(s), snmpf_mib_state(s));
    for (unsigned c = 0; c < CAUSE_COUNT; c++)
        printf("enum SmsaCause %s %ld\n", smsa_cause_name(c), snmpf_mib_cause(c));
    for (unsigned r = 0; r <= ROLE_ALL_IN_ONE; r++)
        printf("enum SmsaRole %s %ld\n", cat_role_name(r), snmpf_mib_role(r));
    for (unsigned d = 0; d <= DIR_INBOUND; d++)
        printf("enum SmsaDirection %s %ld\n", cat_direction_name(d), snmpf_mib_direction(d));
    for (unsigned p = 0; p <= PROTO_UDP; p++)
        printf("enum smsaFlowProtocol %s %ld\n", cat_proto_name(p), snmpf_mib_protocol(p));
    printf("enum TruthValue true %ld\nenum TruthValue false %ld\n", snmpf_mib_truth(true),
           snmpf_mib_truth(false));
    printf("enum smsaLinkTrapEnable enabled %ld\nenum smsaLinkTrapEnable disabled %ld\n",
           snmpf_mib_enabled(true), snmpf_mib_enabled(false));
    for (unsigned p = 0; p <= PLACEMENT_BESIDE; p++)
        printf("enum smsaAgentPlacement %s %ld\n", cfg_placement_name(p), snmpf_mib_placement(p));
    for (unsigned m = 0; m <= MEASURED_FROM_VANTAGE; m++)
        printf("enum smsaFlowMeasuredFrom %s %ld\n", smsa_measured_from_name(m),
               snmpf_mib_measured_from(m));
    printf("enum InetAddressType unknown %d\nenum InetAddressType ipv4 %d\n"
           "enum InetAddressType ipv6 %d\n",
           INET_TYPE_UNKNOWN, INET_TYPE_IPV4, INET_TYPE_IPV6);
    /* a certificate's threshold (smsa_tls_expiry), and none seen */
    static const char *const tls_labels[] = {"valid", "expiresSoon", "expired"};
    struct smsa_tls none = {0};
    printf("enum smsaPeerTlsState noCertificate %ld\n", snmpf_mib_tls_state(&none));
    for (unsigned e = TLS_EXPIRY_NONE; e <= TLS_EXPIRY_EXPIRED; e++) {
        struct smsa_tls t = {.seen = true, .expiry = (uint8_t)e};
        printf("enum smsaPeerTlsState %s %ld\n", tls_labels[e], snmpf_mib_tls_state(&t));
    }
    return 0;
}
