/* The open AgentX session (snmp_agentx.c), for the requests that ride on it
 * (snmp_agentx_requests.c: registrations and Notify PDUs). For the face's AgentX files only. */
#ifndef SMSA_SNMP_AGENTX_H
#define SMSA_SNMP_AGENTX_H

#include "snmp_agentx_wire.h"

/* The open session and the tag its answers carry (a request's magic); NULL when none. */
netsnmp_session *snmpf_agentx_session(void **tag);
/* Whether s and tag are the open session's: an answer of a session already dropped changes
 * nothing. */
bool snmpf_agentx_current(netsnmp_session *s, void *tag);
/* The master failed a request (no answer, notOpen): the session is dropped and reconnected,
 * from the next loop turn (never inside net-snmp's processing of its packet). */
void snmpf_agentx_failed(const char *why);
/* The configured master's address, for messages. */
const char *snmpf_agentx_master(void);

#endif
