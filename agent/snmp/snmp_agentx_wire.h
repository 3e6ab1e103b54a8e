/* The AgentX wire (snmp_agentx_wire.c): RFC 2741's numbers, the master's address and a
 * non-blocking stream transport to it, and the names of the errors a Response carries. For
 * the face's AgentX files only. */
#ifndef SMSA_SNMP_AGENTX_WIRE_H
#define SMSA_SNMP_AGENTX_WIRE_H

#include "snmp_internal.h"

/* RFC 2741 section 6.1 (net-snmp's agentx/protocol.h uses the same numbers). */
#define AGENTX_VERSION_1 (192 | 0x1)
enum {
    AX_MSG_OPEN = 1,
    AX_MSG_CLOSE = 2,
    AX_MSG_REGISTER = 3,
    AX_MSG_UNREGISTER = 4,
    AX_MSG_NOTIFY = 12,
    AX_MSG_PING = 13,
    AX_MSG_ADD_AGENT_CAPS = 16,
};
enum { AX_FLAG_INSTANCE_REGISTER = 0x01, AX_FLAG_NON_DEFAULT_CONTEXT = 0x08 };
/* Close reasons, RFC 2741 section 6.2.2. */
enum { AX_CLOSE_TIMEOUTS = 4, AX_CLOSE_SHUTDOWN = 5 };
/* Response errors, RFC 2741 section 6.2.16. */
enum { AX_ERR_NOT_OPEN = 257 };

/* A transport with a connected (or, for TCP, connecting: *in_progress) non-blocking socket
 * to the master at spec (/path, unix:/path or tcp:host:port); NULL and err on failure. */
netsnmp_transport *snmpf_agentx_wire_open(const char *spec, bool *in_progress, char *err,
                                          size_t errlen);
/* The name of a Response's error (RFC 2741 section 6.2.16). */
const char *snmpf_agentx_error_name(long e);

#endif
