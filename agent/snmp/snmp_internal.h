/* Private interface between the parts of the SNMP face: every OID arc, notification and
 * object of SMSA-AGENT-MIB by name, the MIB's encodings (snmp_mib.c), and the functions of
 * each module (the loop glue, the MIB handler, the notification queue, its varbinds and
 * sinks, the AgentX session and its requests). docs/architecture.md says who calls whom. */
#ifndef SMSA_SNMP_INTERNAL_H
#define SMSA_SNMP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/agent/agent_callbacks.h>
#include <net-snmp/library/large_fd_set.h>

#include "config.h"
#include "model.h"

/* enterprises.32473 is the documentation PEN (RFC 5612); the MIB's MODULE-IDENTITY holds the
 * same single arc. Change both for a real Private Enterprise Number. */
#define SMSA_PEN 32473
#define SMSA_ROOT_OID 1, 3, 6, 1, 4, 1, SMSA_PEN
#define SMSA_ROOT_LEN 7
/* smsaAgentMIB, the MODULE-IDENTITY: our sysORTable entry (sysORID, sysORDescr). */
#define SMSA_MIB_OID SMSA_ROOT_OID
#define SMSA_MIB_DESCR "SMSA-AGENT-MIB: network flows of a Symantec Mail Security Appliance"
/* The arcs under smsaAgentMIB. */
enum {
    SMSA_NOTIFICATIONS_ARC = 0, /* smsaNotifications: smsaLinkDown is .0.1 */
    SMSA_OBJECTS_ARC = 1,       /* smsaObjects: every scalar and table */
    SMSA_PRODUCTS_ARC = 3,      /* smsaProducts */
    SMSA_PRODUCT_AGENT = 1,     /* smsaAgentProduct, smsaProducts.1 */
};
#define SMSA_NOTIFICATIONS_OID SMSA_ROOT_OID, SMSA_NOTIFICATIONS_ARC
#define SMSA_OBJECTS_OID SMSA_ROOT_OID, SMSA_OBJECTS_ARC
#define SMSA_OBJECTS_LEN (SMSA_ROOT_LEN + 1)
/* smsaAgentProduct, the sysObjectID of smsa-agentd in master mode. */
#define SMSA_PRODUCT_OID SMSA_ROOT_OID, SMSA_PRODUCTS_ARC, SMSA_PRODUCT_AGENT
/* Every table's entry is its table's arc 1 (smsaFlowEntry is smsaFlowTable.1); a scalar's one
 * instance is .0. */
enum { SMSA_ENTRY = 1, SMSA_SCALAR_INSTANCE = 0 };

/* Objects of other MIBs that the face sends or names. */
#define SNMP_SYS_UPTIME_0 1, 3, 6, 1, 2, 1, 1, 3, 0      /* SNMPv2-MIB sysUpTime.0 */
#define SNMP_TRAP_OID_0 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0  /* SNMPv2-MIB snmpTrapOID.0 */
#define SNMP_DOMAIN_LOCAL 1, 3, 6, 1, 2, 1, 100, 1, 13   /* RFC 3419 transportDomainLocal */
#define SNMP_DOMAIN_TCP_IPV4 1, 3, 6, 1, 2, 1, 100, 1, 5 /* transportDomainTcpIpv4 */
#define SNMP_DOMAIN_TCP_IPV6 1, 3, 6, 1, 2, 1, 100, 1, 6 /* transportDomainTcpIpv6 */

/* Column numbers inside smsaObjects (SMSA-AGENT-MIB), used by tables and notifications. */
enum {
    SMSA_OBJ_APPLIANCE = 1,
    SMSA_OBJ_NOTIFY = 2,
    SMSA_OBJ_FLOW_TABLE = 3,
    SMSA_OBJ_PEER_TABLE = 4,
    SMSA_OBJ_ADDR_TABLE = 5,
    SMSA_OBJ_LINK_TABLE = 6,
    SMSA_OBJ_NTP = 7,
    SMSA_OBJ_UPDATE_TABLE = 8,
    SMSA_OBJ_APPLIANCE_TABLE = 9,
};

/* The notifications, smsaNotifications.N (smsaAgentMIB.0.N), as the MIB numbers them. */
enum snmpf_notification {
    NOTIF_LINK_DOWN = 1,             /* smsaLinkDown */
    NOTIF_LINK_UP = 2,               /* smsaLinkUp */
    NOTIF_FLOW_STATUS_CHANGE = 3,    /* smsaFlowStatusChange */
    NOTIF_UPDATE_ADDRESS_CHANGE = 4, /* smsaUpdateAddressChange */
    NOTIF_APPLIANCE_DOWN = 5,        /* smsaApplianceDown: rate-limited as flows are */
    NOTIF_APPLIANCE_UP = 6,          /* smsaApplianceUp */
    NOTIF_CERTIFICATE_EXPIRY = 10,   /* smsaCertificateExpiry: rate-limited as flows are */
};

/* Every object of SMSA-AGENT-MIB by its number, as the MIB names it (lldpd's agent.c does
 * the same). tests/snmp/system_mib_columns.py checks these against the MIB. */

/* smsaAppliance (smsaObjects.1), scalars */
enum {
    SMSA_APPLIANCE_NAME = 1,
    SMSA_APPLIANCE_ROLE = 2,
    SMSA_AGENT_VERSION = 3,
    SMSA_OVERALL_STATUS = 4,
    SMSA_AGENT_UP_TIME = 5,
    SMSA_AGENT_PLACEMENT = 6,
    SMSA_AGENT_VANTAGE = 7,
};

/* smsaNotify (smsaObjects.2), scalars; 6-8 are accessible-for-notify */
enum {
    NOTIFY_SENT = 1,
    NOTIFY_SUPPRESSED = 2,
    NOTIFY_DROPPED = 3,
    NOTIFY_QUEUED = 4,
    NOTIFY_RATE_LIMIT = 5,
    NOTIFY_EVENT_TIME = 6,
    NOTIFY_PREVIOUS_STATUS = 7,
    NOTIFY_SEQUENCE = 8,
};

/* smsaFlowEntry (smsaObjects.3.1) */
enum {
    COL_FLOW_INDEX = 1, /* not-accessible */
    COL_FLOW_PORT = 2,
    COL_FLOW_PROTOCOL = 3,
    COL_FLOW_FROM = 4,
    COL_FLOW_TO = 5,
    COL_FLOW_PURPOSE = 6,
    COL_FLOW_DIRECTION = 7,
    COL_FLOW_STATUS = 8,
    COL_FLOW_LAST_CHANGE = 9,
    COL_FLOW_PEER_COUNT = 10,
    COL_FLOW_MEASURED_FROM = 11,
};

/* smsaPeerEntry (smsaObjects.4.1) */
enum {
    COL_PEER_INDEX = 1, /* not-accessible */
    COL_PEER_HOST = 2,
    COL_PEER_PORT = 3,
    COL_PEER_LABEL = 4,
    COL_PEER_STATUS = 5,
    COL_PEER_CAUSE = 6,
    COL_PEER_LAST_CHANGE = 7,
    COL_PEER_RTT = 8,
    COL_PEER_CHECKS = 9,
    COL_PEER_FAILURES = 10,
    COL_PEER_ADDRESS_COUNT = 11,
    COL_PEER_ADDRESS_CHANGES = 12,
    COL_PEER_ADDRESS_LAST_CHANGE = 13,
    COL_PEER_DETAIL = 14,
    /* the certificate of a TLS check (smsaTlsGroup) */
    COL_PEER_TLS_STATE = 40,
    COL_PEER_TLS_NOT_AFTER = 41,
    COL_PEER_TLS_DAYS_LEFT = 42,
    COL_PEER_TLS_VERIFIED = 43,
    COL_PEER_TLS_SUBJECT = 44,
};

/* smsaPeerAddressEntry (smsaObjects.5.1) */
enum {
    COL_ADDR_TYPE = 1,    /* not-accessible */
    COL_ADDR_ADDRESS = 2, /* not-accessible */
    COL_ADDR_STATUS = 3,
    COL_ADDR_CAUSE = 4,
    COL_ADDR_STATUS_SINCE = 5,
    COL_ADDR_RTT = 6,
    COL_ADDR_CHECKS = 7,
    COL_ADDR_FAILURES = 8,
    COL_ADDR_DETAIL = 9,
};

/* smsaLinkEntry (smsaObjects.6.1) */
enum {
    COL_LINK_INDEX = 1, /* not-accessible */
    COL_LINK_NAME = 2,
    COL_LINK_HOST = 3,
    COL_LINK_PORT = 4,
    COL_LINK_ADDR_TYPE = 5,
    COL_LINK_ADDR = 6,
    COL_LINK_STATUS = 7,
    COL_LINK_CAUSE = 8,
    COL_LINK_LAST_CHANGE = 9,
    COL_LINK_DOWN_COUNT = 10,
    COL_LINK_TRAP_ENABLE = 11,
    COL_LINK_FLOW_INDEX = 12,
    COL_LINK_PEER_INDEX = 13,
    COL_LINK_DETAIL = 14,
};

/* smsaNtp (smsaObjects.7): the scalar smsaNtpEnabled, then smsaNtpServerEntry (7.2.1) */
enum { NTP_ENABLED = 1, NTP_SERVER_TABLE = 2 };
/* smsaNtp's scalars after the table: the verdict on this host's clock (model.clock) */
enum { NTP_CLOCK_STATUS = 3, NTP_CLOCK_OFFSET = 4 };
enum {
    COL_NTP_INDEX = 1, /* not-accessible */
    COL_NTP_HOST = 2,
    COL_NTP_STATUS = 3,
    COL_NTP_CAUSE = 4,
    COL_NTP_REPLY_VALID = 5,
    COL_NTP_STRATUM = 6,
    COL_NTP_OFFSET = 7,
    COL_NTP_DELAY = 8,
    COL_NTP_REFID = 9,
    COL_NTP_LAST_CHANGE = 10,
};

/* smsaUpdateSourceEntry (smsaObjects.8.1) */
enum {
    COL_UPD_INDEX = 1, /* not-accessible */
    COL_UPD_PURPOSE = 2,
    COL_UPD_HOST = 3,
    COL_UPD_PORT = 4,
    COL_UPD_ENABLED = 5,
    COL_UPD_STATUS = 6,
    COL_UPD_CAUSE = 7,
    COL_UPD_ADDRESSES = 8,
    COL_UPD_ADDRESS_CHANGES = 9,
    COL_UPD_ADDR_LAST_CHANGE = 10,
    COL_UPD_FLOW_INDEX = 11,
    COL_UPD_PEER_INDEX = 12,
};

/* smsaApplianceEntry (smsaObjects.9.1): the fleet. The scalars smsaApplianceName and
 * smsaApplianceRole already hold this appliance's name and role, hence Label and FleetRole. */
enum {
    COL_APPL_INDEX = 1, /* not-accessible */
    COL_APPL_LABEL = 2,
    COL_APPL_ROLE = 3,
    COL_APPL_SELF = 4,
    COL_APPL_HOST = 5,
    COL_APPL_ADDR_TYPE = 6,
    COL_APPL_ADDR = 7,
    COL_APPL_STATUS = 8,
    COL_APPL_CAUSE = 9,
    COL_APPL_LAST_CHANGE = 10,
    COL_APPL_DOWN_COUNT = 11,
    COL_APPL_CHECKS = 12,
    COL_APPL_CHECKS_UP = 13,
    COL_APPL_CHECKS_DOWN = 14,
    COL_APPL_DETAIL = 15,
};

/* ---- snmp_mib.c: the core's facts as SMSA-AGENT-MIB encodes them ----
 *
 * The MIB's value of each enumeration the core publishes (SmsaState, SmsaCause, SmsaRole,
 * SmsaDirection, smsaFlowProtocol, TruthValue, smsaLinkTrapEnable, smsaAgentPlacement,
 * smsaFlowMeasuredFrom): the one place that turns a core enum into what SNMP answers. */
long snmpf_mib_state(enum smsa_state s);
long snmpf_mib_cause(enum smsa_cause c);
long snmpf_mib_role(enum smsa_role r);
long snmpf_mib_direction(enum smsa_direction d);
long snmpf_mib_protocol(enum smsa_proto p);
long snmpf_mib_truth(bool b);
long snmpf_mib_enabled(bool b);
long snmpf_mib_placement(enum cfg_placement p);          /* smsaAgentPlacement */
long snmpf_mib_measured_from(enum smsa_measured_from m); /* smsaFlowMeasuredFrom */
/* smsaPeerTlsState of a peer's certificate facts. */
long snmpf_mib_tls_state(const struct smsa_tls *t);
/* Conversions into MIB types, shared by the tables and the notifications. */
size_t snmpf_date_and_time(int64_t wall_us, u_char out[11]);
/* smsaPeerTlsNotAfter: the certificate's not-after, or 1970-01-01,00:00:00.0 without one. */
size_t snmpf_tls_not_after(const struct smsa_tls *t, u_char out[11]);
/* The InetAddressType of text and its bytes in out (4 or 16); INET_TYPE_UNKNOWN if neither. */
int snmpf_inet_from_text(const char *text, u_char out[16], size_t *len);
/* TimeTicks of a monotonic time since the daemon started (0 for 0 or earlier). */
u_long snmpf_ticks_since_start(int64_t mono_us);
/* The length of s cut to max octets at a UTF-8 boundary (or at the last space, if words). */
size_t snmpf_cut(const char *s, size_t max, bool at_word);
/* SnmpAdminString and DisplayString hold at most 255 octets. */
#define SMSA_SNMP_STRING_MAX 255
/* InetAddressType values (RFC 4001). */
enum { INET_TYPE_UNKNOWN = 0, INET_TYPE_IPV4 = 1, INET_TYPE_IPV6 = 2 };

/* The MIB handler's two layers, without net-snmp's agent around them (the handler and the
 * unit tests call these). vb->name is a full OID. GET: SNMP_ERR_NOERROR with vb's value set,
 * or the exception to answer (SNMP_NOSUCHOBJECT, SNMP_NOSUCHINSTANCE). GETNEXT: true with
 * vb's name and value set to the first instance under smsaObjects after vb->name; false when
 * there is none here. */
int snmpf_tables_get(const struct smsa_model *m, netsnmp_variable_list *vb);
bool snmpf_tables_get_next(const struct smsa_model *m, netsnmp_variable_list *vb);
/* Every object the handler serves, in OID order: its MIB name and full OID (a column's OID
 * without an index, a scalar's without .0). */
void snmpf_tables_describe(void (*cb)(const char *name, const oid *o, size_t len, void *arg),
                           void *arg);

/* Registers the handler of smsaObjects; 0 or -1. */
int snmpf_tables_register(void);
void snmpf_tables_unregister(void);

/* ---- snmp_loop.c: net-snmp on the daemon's loop ----
 * start before init_snmp (net-snmp's first sessions open there), attach once set up (a
 * "prepare" hook on the loop, then on every turn), stop before snmp_shutdown, fini after it. */
void snmpf_loop_start(void);
void snmpf_loop_attach(void);
void snmpf_loop_stop(void);
void snmpf_loop_fini(void);
/* Re-reads net-snmp's descriptors and timeout into the loop; call after calling into
 * net-snmp from outside the face's own callbacks (a send can close a session). */
void snmpf_resync(void);
/* Sessions were closed outside net-snmp's own reconnects: a new socket may come back with a
 * closed one's number, so the next resync watches every descriptor afresh. */
void snmpf_sessions_changed(void);

/* How a notification sent as an AgentX Notify was answered. */
enum snmpf_answer {
    SNMPF_ANSWER_ACK,     /* the master took the notification */
    SNMPF_ANSWER_REFUSED, /* the master answered with an error: sending again will not help */
    SNMPF_ANSWER_NONE,    /* no answer (timeout, session lost): send again after reconnecting */
};
/* Sends a notification's varbinds (taken over) with its queue number seq: 0, or -1 when it
 * cannot go now. */
typedef int (*snmpf_send_fn)(netsnmp_variable_list *vars, uint64_t seq);
/* Hears how the notification seq was answered. */
typedef void (*snmpf_answer_fn)(uint64_t seq, enum snmpf_answer answer);

/* ---- snmp_agentx.c: the AgentX session (subagent mode) ----
 * Prepare between init_agent and init_snmp, start after init_snmp, stop before
 * snmp_shutdown. Connects, pings and reconnects without ever waiting on the master. */
void snmpf_agentx_prepare(void);
int snmpf_agentx_start(const struct cfg *cfg);
void snmpf_agentx_stop(void);

/* ---- snmp_agentx_requests.c: registrations and Notify PDUs on the open session ----
 * Start before init_snmp (net-snmp's registry announces every registration from then on),
 * stop after snmpf_agentx_stop and after the MIB's handler is unregistered (its Unregister
 * goes out). The answers to snmpf_agentx_notify go to on_answer (snmp_face.c hands it the
 * queue's). */
void snmpf_agentx_requests_start(snmpf_answer_fn on_answer);
void snmpf_agentx_requests_stop(void);
/* Sends a notification (sysUpTime.0, snmpTrapOID.0, ...; taken over) as an AgentX Notify PDU;
 * its answer comes to on_answer with seq. 0, or -1 when there is no session. An
 * snmpf_send_fn. */
int snmpf_agentx_notify(netsnmp_variable_list *vars, uint64_t seq);

/* ---- snmp_notify.c: the notification queue ----
 * Started after the agent is initialised. send: subagent mode's way out (snmp_face.c hands it
 * snmpf_agentx_notify); master mode sends through snmp_sinks.c. */
int snmpf_notify_init(const struct cfg *cfg, bool master, snmpf_send_fn send);
void snmpf_notify_fini(void);
/* Master mode: points the trap and inform sinks and the trap community at cfg's; at start,
 * after init_snmp, and on every configuration change. -1: no memory, nothing changed. */
int snmpf_notify_sinks(const struct cfg *cfg);
/* The AgentX session to the master came up or went away (subagent mode). */
void snmpf_notify_connected(bool up);
/* An snmpf_answer_fn. */
void snmpf_notify_answered(uint64_t seq, enum snmpf_answer answer);

struct snmpf_notify_stats {
    uint64_t sent, suppressed, dropped;
    unsigned queued, rate_limit;
};
void snmpf_notify_get_stats(struct snmpf_notify_stats *out);

/* ---- snmp_notify_pdu.c: a notification's varbinds ----
 * sysUpTime.0, snmpTrapOID.0, the NOTIFICATION-TYPE's objects from ev, the event's time and
 * seq as smsaNotificationSequence; the caller owns the list. */
struct smsa_event;
netsnmp_variable_list *snmpf_notify_varbinds(enum snmpf_notification kind, uint64_t seq,
                                             const struct smsa_event *ev);

/* ---- snmp_sinks.c: master mode's trap and inform sinks ----
 * The queue they send from, as functions handed over at start, so that the sinks name
 * nothing of the queue: */
struct snmpf_sinks_queue {
    /* The varbinds (the caller's) of the oldest queued notification after acked, and its
     * number in seq; NULL when there is none. */
    netsnmp_variable_list *(*next_after)(uint64_t acked, uint64_t *seq);
    /* An inform sink acknowledged one: release what every sink has now. */
    void (*acknowledged)(void);
};
void snmpf_sinks_init(const struct snmpf_sinks_queue *queue);
void snmpf_sinks_fini(void);
/* Applies cfg's sinks and trap community; a new inform sink starts at next_seq (0 at the
 * first call: everything queued). 1 when they changed, 0 when not, -1: no memory, nothing
 * changed. */
int snmpf_sinks_apply(const struct cfg *cfg, uint64_t next_seq);
/* Each inform sink sends its next notification, unless one is in flight. */
void snmpf_sinks_send(void);
/* The highest sequence number every inform sink acknowledged (UINT64_MAX without any). */
uint64_t snmpf_sinks_acked(void);
size_t snmpf_sinks_informs(void);
/* The address literal net-snmp opens for a sink configured as address
 * ([udp:|tcp:|udp6:|tcp6:]host[:port]) whose host resolved to addrs[n], so that net-snmp never
 * resolves a name itself (blocking): "udp:192.0.2.10:162", "udp6:[2001:db8::1]:1162". 1 with
 * out set, 0 when no address fits the transport. */
struct sockaddr_storage;
int snmpf_sink_target(const char *address, const struct sockaddr_storage *addrs, size_t n,
                      char *out, size_t len);

#endif
