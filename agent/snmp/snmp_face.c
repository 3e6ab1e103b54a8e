/* The SNMP face: net-snmp set up as an AgentX subagent (or an embedded master agent) on the
 * daemon's loop (snmp_loop.c), with master mode's access and identity. It starts and stops
 * the face's other modules and wires them together: the queue sends through the AgentX
 * session and hears its answers, without either naming the other. Logs go through our log
 * module. */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "core.h"
#include "log.h"
#include "loop.h"
#include "snmp_face.h"
#include "snmp_internal.h"

#include <net-snmp/agent/sysORTable.h>

#define APP_NAME "smsa-agentd"

/* From libnetsnmpmibs: VACM (rocommunity/rouser access control) and the system group; their
 * headers are not installed. */
extern void init_vacm_vars(void);
extern void init_vacm_config_tokens(void);
extern void init_system_mib(void);
extern void init_sysORTable(void);
/* From libnetsnmp, without installed headers either: the maps from a community to a
 * security name. */
extern void netsnmp_udp_com2SecList_free(void);
extern void netsnmp_udp6_com2Sec6List_free(void);

static struct {
    bool running;
    bool master;
    char persist_dir[64];
    bool started;        /* set up: what net-snmp logs now is caused by traffic */
    char log_line[1024]; /* net-snmp may log a line in pieces */
    size_t log_len;
    int log_level;
    char *access; /* master mode: the community and USM user applied (access_shown) */
} sf;

/* ---- logging ---- */

static int on_snmp_log(int major, int minor, void *serverarg, void *clientarg)
{
    const struct snmp_log_message *m = serverarg;
    if (!m || !m->msg)
        return 0;
    size_t n = strlen(m->msg);
    if (n > sizeof(sf.log_line) - 1 - sf.log_len)
        n = sizeof(sf.log_line) - 1 - sf.log_len;
    memcpy(sf.log_line + sf.log_len, m->msg, n);
    sf.log_len += n;
    sf.log_line[sf.log_len] = '\0';
    if (m->priority < sf.log_level || sf.log_level == 0)
        sf.log_level = m->priority < LOG_EMERG ? LOG_EMERG : m->priority;
    if (sf.log_len == 0 ||
        (sf.log_line[sf.log_len - 1] != '\n' && sf.log_len < sizeof(sf.log_line) - 1))
        return 0;
    while (sf.log_len &&
           (sf.log_line[sf.log_len - 1] == '\n' || sf.log_line[sf.log_len - 1] == ' '))
        sf.log_line[--sf.log_len] = '\0';
    enum log_level lvl = m->priority <= LOG_ERR       ? LOG_LVL_ERR
                         : m->priority == LOG_WARNING ? LOG_LVL_WARN
                         : m->priority <= LOG_INFO    ? LOG_LVL_INFO
                                                      : LOG_LVL_DEBUG;
    /* With its ping interval at 0, net-snmp's disconnect handler says it will not reconnect;
     * snmp_agentx.c does, and says so itself. */
    if (strstr(sf.log_line, "disconnected us, not reconnecting"))
        lvl = LOG_LVL_DEBUG;
    /* The master agent's "Connection from UDP: [...]" comes once per request: debug only. */
    if (!strncmp(sf.log_line, "Connection from ", 16))
        lvl = LOG_LVL_DEBUG;
    /* Once running, what net-snmp says is mostly about what peers sent (bad packets, at
     * error level: "Bad PDU type received"): a few lines a minute, with a count of the rest. */
    static struct log_limit traffic_log;
    if (sf.log_len && sf.started && lvl != LOG_LVL_DEBUG)
        log_limited(&traffic_log, lvl, "snmp: %s", sf.log_line);
    else if (sf.log_len)
        log_msg(lvl, "snmp: %s", sf.log_line);
    sf.log_len = 0;
    sf.log_level = 0;
    return 0;
}

/* ---- AgentX session state ---- */

static int on_index_start(int major, int minor, void *serverarg, void *clientarg)
{
    log_info("snmp: AgentX session to the master agent is open");
    snmpf_sessions_changed();
    snmpf_notify_connected(true);
    return 0;
}

static int on_index_stop(int major, int minor, void *serverarg, void *clientarg)
{
    log_warn("snmp: AgentX session to the master agent lost; notifications are queued");
    snmpf_sessions_changed();
    snmpf_notify_connected(false);
    return 0;
}

/* ---- set-up ---- */

static void remember(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void remember(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    netsnmp_config_remember(line); /* takes a copy; applied by init_snmp's read_configs */
}

/* Who may read, as one text: equal texts, equal access. */
static char *access_shown(const struct cfg *cfg)
{
    char *t = NULL;
    if (asprintf(&t, "%s\n%s", cfg->snmp.community ? cfg->snmp.community : "",
                 cfg->snmp.usm_user ? cfg->snmp.usm_user : "") < 0)
        return NULL;
    return t;
}

/* Who may read, as snmpd.conf lines, each handed to use(): at start remembered (read by
 * init_snmp), on a reload parsed at once. The configuration's checks made the community and
 * the user one word each. */
static void access_lines(const struct cfg *cfg, void (*use)(char *line))
{
    char line[512];
    if (cfg->snmp.community) {
        /* one line per address family: rocommunity maps IPv4 sources only */
        snprintf(line, sizeof(line), "rocommunity %s default", cfg->snmp.community);
        use(line);
        snprintf(line, sizeof(line), "rocommunity6 %s default", cfg->snmp.community);
        use(line);
    }
    if (cfg->snmp.usm_user) {
        snprintf(line, sizeof(line), "rouser %s priv", cfg->snmp.usm_user);
        use(line);
    }
}

static void parse_now(char *line)
{
    netsnmp_config(line);
}

/* Master mode: access from our configuration; the sinks are snmp_notify.c's
 * (snmpf_notify_sinks). */
static int master_config(const struct cfg *cfg)
{
    if (!(sf.access = access_shown(cfg))) {
        log_err("snmp: no memory");
        return -1;
    }
    /* The user's keys are derived once, so the user is a restart key. Passphrases may hold
     * spaces: net-snmp's config reader (copy_nword) takes a quoted string as one word. */
    if (cfg->snmp.usm_user)
        remember("createUser %s SHA \"%s\" AES \"%s\"", cfg->snmp.usm_user, cfg->snmp.usm_auth_key,
                 cfg->snmp.usm_priv_key);
    access_lines(cfg, netsnmp_config_remember); /* it takes a copy */
    return 0;
}

/* Master mode: a change of snmp.community applies at once (a USM user needs a restart, its
 * keys are net-snmp's): the access tables are emptied and filled again with the handlers
 * that read rocommunity and rouser lines at start. */
static void on_config(const struct smsa_event *ev, void *arg)
{
    const struct cfg *cfg = core_config();
    if (ev->kind != EV_CONFIG || !sf.master || !sf.started || !cfg)
        return;
    char *shown = access_shown(cfg);
    if (!shown) {
        log_warn("snmp: no memory to apply snmp.community; the previous access stays");
        return;
    }
    if (sf.access && !strcmp(shown, sf.access)) {
        free(shown);
        return;
    }
    struct cfg_error err;
    if (cfg_check_master_exposure(cfg, &err) < 0) {
        /* the configuration's checks refuse it before a change is taken; --master on a
         * subagent configuration is the one way here */
        log_err("snmp: snmp.community not applied, the previous access stays: %s", err.message);
        free(shown);
        return;
    }
    netsnmp_udp_com2SecList_free();
    netsnmp_udp6_com2Sec6List_free();
    /* the views stay: rocommunity and rouser without an OID use net-snmp's standard _all_ */
    vacm_destroyAllAccessEntries();
    vacm_destroyAllGroupEntries();
    access_lines(cfg, parse_now);
    free(sf.access);
    sf.access = shown;
    log_info("snmp: master agent access applied: %s%s%s",
             cfg->snmp.community ? "the configured community" : "no community",
             cfg->snmp.usm_user ? ", USM user " : "", cfg->snmp.usm_user ? cfg->snmp.usm_user : "");
}

/* Master mode: the system group names the product (sysDescr, sysObjectID), and sysORTable
 * lists SMSA-AGENT-MIB, so that an NMS discovers what it is talking to. */
static void master_identity(void)
{
    static oid mib[] = {SMSA_MIB_OID}; /* the macro below takes no const */
    static const oid product[] = {SMSA_PRODUCT_OID};
    char id[128];
    size_t n = 0;
    for (size_t i = 0; i < OID_LENGTH(product); i++)
        n += (size_t)snprintf(id + n, sizeof(id) - n, ".%lu", (unsigned long)product[i]);
    remember("sysobjectid %s", id);
    remember("sysdescr smsa-agentd %s, network flow health of a Symantec Mail Security Appliance",
             SMSA_VERSION);
    init_sysORTable();
    REGISTER_SYSOR_ENTRY(mib, SMSA_MIB_DESCR)
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

int snmpf_init(const struct cfg *cfg, bool force_master)
{
    memset(&sf, 0, sizeof(sf));
    if (cfg->snmp.mode == SNMP_MODE_OFF && !force_master)
        return 0;
    sf.master = force_master || cfg->snmp.mode == SNMP_MODE_MASTER;

    netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK, LOG_DEBUG);
    snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, on_snmp_log, NULL);

    /* Alarms run from our loop (snmp_select_info2 reports them), never from SIGALRM. */
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
    /* Read no snmpd.conf/snmp.conf of the system and keep no state: everything comes from
     * our configuration. net-snmp still wants a persistent folder (engine ID, certificate
     * indexes), so give it a private one that goes away with us. */
    const char *tmp = getenv("TMPDIR");
    snprintf(sf.persist_dir, sizeof(sf.persist_dir), "%s/smsa-snmp-XXXXXX",
             tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(sf.persist_dir)) {
        log_err("snmp: cannot create a private folder: %s", strerror(errno));
        return -1;
    }
    netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_CONFIGURATION_DIR, sf.persist_dir);
    netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_PERSISTENT_DIR, sf.persist_dir);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    /* The agent needs no MIB files; do not go looking for the default list. */
    remember("[snmp] mibs :");
    /* Defaults for sessions net-snmp opens itself (master mode's trap sinks); the AgentX
     * session sets its own (snmp_agentx.c). */
    netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_TIMEOUT, 1);
    netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_RETRIES, 1);

    if (sf.master) {
        struct cfg_error err;
        if (cfg_check_master_exposure(cfg, &err) < 0) {
            log_err("snmp: %s", err.message);
            goto fail;
        }
        netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 0); /* master */
        /* init_master_agent also opens an SMUX listener on 0.0.0.0:199 when it may (as
         * root): the agent listens only where its configuration says. */
        char no_smux[] = "-smux";
        add_to_init_list(no_smux);
        /* "Connection from UDP: ..." for every request, as tcpwrappers would log it. */
        netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID,
                               NETSNMP_DS_AGENT_DONT_LOG_TCPWRAPPERS_CONNECTS, 1);
        netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_PORTS,
                              cfg->snmp.master_listen);
        if (master_config(cfg) != 0)
            goto fail;
    } else {
        netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1); /* subagent */
        snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_START,
                               on_index_start, NULL);
        snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_STOP, on_index_stop,
                               NULL);
    }

    if (init_agent(APP_NAME) != 0) {
        log_err("snmp: net-snmp agent initialisation failed");
        goto fail;
    }
    if (!sf.master) {
        /* After init_agent, which resets the AgentX defaults (ping interval 15 s). */
        if (cfg->snmp.agentx_socket)
            netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET,
                                  cfg->snmp.agentx_socket);
        /* Our own keepalive and reconnect replace net-snmp's synchronous ones, and our
         * asynchronous registrations its synchronous ones; the queue hears the answers to its
         * Notify PDUs. */
        snmpf_agentx_prepare();
        snmpf_agentx_requests_start(snmpf_notify_answered);
    }
    if (sf.master) {
        init_vacm_config_tokens();
        init_vacm_vars();
        init_system_mib();
        master_identity();
    }
    if (snmpf_tables_register() != 0) {
        log_err("snmp: cannot register SMSA-AGENT-MIB");
        goto fail;
    }
    /* Subscribe before init_snmp: the first AgentX connection happens inside it. */
    if (snmpf_notify_init(cfg, sf.master, sf.master ? NULL : snmpf_agentx_notify) != 0)
        goto fail;
    sf.running = true;
    snmpf_loop_start();
    init_snmp(APP_NAME);
    if (!sf.master && snmpf_agentx_start(cfg) != 0) {
        log_err("snmp: cannot start the AgentX session");
        snmpf_fini();
        return -1;
    }
    if (sf.master && init_master_agent() != 0) {
        log_err("snmp: cannot listen on %s", cfg->snmp.master_listen);
        snmpf_fini();
        return -1;
    }
    if (sf.master && (snmpf_notify_sinks(cfg) != 0 || core_subscribe(on_config, NULL) != 0)) {
        log_err("snmp: no memory for the trap sinks");
        snmpf_fini();
        return -1;
    }
    snmpf_loop_attach();
    sf.started = true;
    if (sf.master)
        log_info("snmp: master agent listening on %s", cfg->snmp.master_listen);
    else
        log_info("snmp: AgentX subagent of %s", cfg->snmp.agentx_socket);
    return 0;

fail:
    snmpf_fini();
    return -1;
}

void snmpf_fini(void)
{
    if (!sf.persist_dir[0])
        return;
    if (sf.running) {
        if (sf.master)
            core_unsubscribe(on_config, NULL);
        snmpf_notify_fini();
        snmpf_tables_unregister();
        if (!sf.master) {
            snmpf_agentx_stop();
            snmpf_agentx_requests_stop();
        }
        snmpf_loop_stop();
        sf.running = false;
        snmp_shutdown(APP_NAME);
        snmpf_loop_fini();
    }
    free(sf.access);
    nftw(sf.persist_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    memset(&sf, 0, sizeof(sf));
}
