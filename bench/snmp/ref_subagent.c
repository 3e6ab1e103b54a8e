/* A minimal AgentX subagent for benchmarks: serves N constant integers at
 * enterprises.32473.99.1.<i> (i = 1..N) through a raw handler with O(1) GET/GETNEXT, on
 * net-snmp's own agent_check_and_process loop. It is the floor that any subagent pays for
 * the same number of varbinds through the same snmpd.
 *
 * usage: ref_subagent AGENTX_SOCKET N */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static const oid base[] = {1, 3, 6, 1, 4, 1, 32473, 99, 1};
#define BASE_LEN (sizeof(base) / sizeof(base[0]))
static unsigned long n_values;
static volatile sig_atomic_t running = 1;

static void stop(int sig)
{
    (void)sig;
    running = 0;
}

static int handler(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
                   netsnmp_agent_request_info *ri, netsnmp_request_info *req)
{
    (void)h;
    (void)reg;
    for (; req; req = req->next) {
        netsnmp_variable_list *vb = req->requestvb;
        unsigned long i = 0;
        int inside =
            vb->name_length > BASE_LEN && snmp_oid_compare(vb->name, BASE_LEN, base, BASE_LEN) == 0;
        if (ri->mode == MODE_GET) {
            if (!inside || vb->name_length != BASE_LEN + 1 || vb->name[BASE_LEN] < 1 ||
                vb->name[BASE_LEN] > n_values) {
                netsnmp_set_request_error(ri, req, SNMP_NOSUCHINSTANCE);
                continue;
            }
            i = vb->name[BASE_LEN];
        } else if (ri->mode == MODE_GETNEXT) {
            if (snmp_oid_compare(vb->name, vb->name_length, base, BASE_LEN) < 0)
                i = 1;
            else if (inside)
                i = vb->name[BASE_LEN] + 1;
            else
                continue;
            if (i > n_values)
                continue;
            oid out[BASE_LEN + 1];
            memcpy(out, base, sizeof(base));
            out[BASE_LEN] = i;
            snmp_set_var_objid(vb, out, BASE_LEN + 1);
        } else {
            netsnmp_set_request_error(ri, req, SNMP_ERR_NOTWRITABLE);
            continue;
        }
        snmp_set_var_typed_integer(vb, ASN_INTEGER, (long)i);
    }
    return SNMP_ERR_NOERROR;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s AGENTX_SOCKET N\n", argv[0]);
        return 2;
    }
    n_values = strtoul(argv[2], NULL, 10);
    snmp_enable_stderrlog();
    netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    init_agent("ref-subagent");
    netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, argv[1]);
    netsnmp_register_handler(
        netsnmp_create_handler_registration("ref", handler, base, BASE_LEN - 1, HANDLER_CAN_RONLY));
    init_snmp("ref-subagent");
    signal(SIGTERM, stop);
    signal(SIGINT, stop);
    while (running)
        agent_check_and_process(1);
    snmp_shutdown("ref-subagent");
    return 0;
}
