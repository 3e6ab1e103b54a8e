/* What the subagent asks of an open AgentX session besides keeping it: the Register and
 * Unregister PDUs of net-snmp's registry, sent asynchronously in place of net-snmp's
 * synchronous agentx_registration_callback, and the notifications as Notify PDUs whose
 * Response acknowledges them. The session itself is snmp_agentx.c's. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "snmp_agentx.h"

static snmpf_answer_fn answered; /* hears the answers to Notify PDUs */

/* ---- registrations, in place of net-snmp's (synchronous) agentx_registration_callback ---- */

static int on_register_response(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu,
                                void *magic)
{
    if (!snmpf_agentx_current(s, magic))
        return 1;
    if (op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE) {
        char why[160];
        snprintf(why, sizeof(why), "the AgentX master (%s) did not answer a registration",
                 snmpf_agentx_master());
        snmpf_agentx_failed(why);
    } else if (pdu->errstat != SNMP_ERR_NOERROR) {
        /* A refusal is not a dead master: reconnecting would be refused again. */
        log_err("snmp: the AgentX master refused a registration: %s (%ld)",
                snmpf_agentx_error_name(pdu->errstat), pdu->errstat);
    }
    return 1;
}

static int on_register(int major, int minor, void *serverarg, void *clientarg)
{
    const struct register_parameters *rp = serverarg;
    void *tag;
    netsnmp_session *sess = snmpf_agentx_session(&tag);
    if (!sess || !rp)
        return 0;
    bool reg = minor == SNMPD_CALLBACK_REGISTER_OID;
    netsnmp_pdu *pdu = snmp_pdu_create(reg ? AX_MSG_REGISTER : AX_MSG_UNREGISTER);
    if (!pdu)
        return 0;
    /* The fields agentx_register / agentx_unregister (client.c) fill in. */
    pdu->time = reg ? rp->timeout : 0;
    pdu->priority = rp->priority;
    pdu->sessid = sess->sessid;
    pdu->range_subid = rp->range_subid;
    if (rp->contextName) {
        pdu->flags |= AX_FLAG_NON_DEFAULT_CONTEXT;
        pdu->community = (u_char *)strdup(rp->contextName);
        pdu->community_len = strlen(rp->contextName);
    }
    if (reg && (rp->flags & FULLY_QUALIFIED_INSTANCE))
        pdu->flags |= AX_FLAG_INSTANCE_REGISTER;
    if (rp->range_subid) {
        snmp_pdu_add_variable(pdu, rp->name, rp->namelen, ASN_OBJECT_ID, rp->name,
                              rp->namelen * sizeof(oid));
        pdu->variables->val.objid[rp->range_subid - 1] = rp->range_ubound;
    } else {
        snmp_add_null_var(pdu, rp->name, rp->namelen);
    }
    if (!snmp_async_send(sess, pdu, reg ? on_register_response : NULL, tag))
        snmp_free_pdu(pdu);
    return 0;
}

/* ---- notifications: Notify PDUs whose Response acknowledges them ---- */

static int on_notify_response(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
{
    uint64_t seq = (uintptr_t)magic;
    if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && pdu->errstat == SNMP_ERR_NOERROR) {
        answered(seq, SNMPF_ANSWER_ACK);
        return 1;
    }
    if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && pdu->errstat != AX_ERR_NOT_OPEN) {
        answered(seq, SNMPF_ANSWER_REFUSED);
        return 1;
    }
    /* No answer in time, or notOpen: the master is hung or forgot us. Reconnect; the
     * notification goes again on the new session. Answers of a session already dropped
     * (net-snmp times out its pending requests when it closes) change nothing. */
    if (s && s == snmpf_agentx_session(NULL)) {
        char why[160];
        snprintf(why, sizeof(why),
                 op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE
                     ? "the AgentX master (%s) answered a notification with notOpen; reconnecting"
                     : "the AgentX master (%s) did not answer a notification; reconnecting",
                 snmpf_agentx_master());
        snmpf_agentx_failed(why);
    }
    answered(seq, SNMPF_ANSWER_NONE);
    return 1;
}

int snmpf_agentx_notify(netsnmp_variable_list *vars, uint64_t seq)
{
    netsnmp_pdu *pdu = NULL;
    netsnmp_session *sess = snmpf_agentx_session(NULL);
    if (!sess || !(pdu = snmp_pdu_create(AX_MSG_NOTIFY))) {
        snmp_free_varbind(vars);
        return -1;
    }
    /* As net-snmp's send_trap_to_sess for an AgentX session, but with our own callback. */
    pdu->time = 0;
    pdu->sessid = sess->sessid;
    pdu->variables = vars;
    if (!snmp_async_send(sess, pdu, on_notify_response, (void *)(uintptr_t)seq)) {
        snmp_free_pdu(pdu);
        return -1;
    }
    return 0;
}

void snmpf_agentx_requests_start(snmpf_answer_fn on_answer)
{
    answered = on_answer;
    snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_REGISTER_OID, on_register,
                           NULL);
    snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_UNREGISTER_OID, on_register,
                           NULL);
}

void snmpf_agentx_requests_stop(void)
{
    snmp_unregister_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_REGISTER_OID, on_register,
                             NULL, 1);
    snmp_unregister_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_UNREGISTER_OID, on_register,
                             NULL, 1);
}
