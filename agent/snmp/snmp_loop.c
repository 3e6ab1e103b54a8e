/* net-snmp on the daemon's loop, the lldpd way: after every read, timeout and send, ask
 * snmp_select_info2() again and re-register the descriptors, because net-snmp opens and
 * closes its sockets on its own (reconnects) and a number can come back for a new socket
 * (keepalived #2726, FRR #16192). */
#define _GNU_SOURCE /* the fd_set field names net-snmp's large fd set macros use */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "snmp_internal.h"

struct watched {
    int fd;
};

static struct {
    bool running;
    bool synced;      /* the loop is up to date since the last wait */
    bool rewatch_all; /* net-snmp (re)opened sessions: numbers may now name new sockets */
    struct watched *fds;
    size_t n_fds, cap_fds;
    netsnmp_large_fd_set select_set, read_set;
    struct loop_timer timer;
} lp;

static void sync_fds(void);

static void after_snmp(void)
{
    run_alarms();
    netsnmp_check_outstanding_agent_requests();
    sync_fds();
}

static void on_fd(int fd, unsigned events, void *arg)
{
    NETSNMP_LARGE_FD_ZERO(&lp.read_set);
    NETSNMP_LARGE_FD_SET(fd, &lp.read_set);
    snmp_read2(&lp.read_set);
    after_snmp();
}

static void on_timer(void *arg)
{
    snmp_timeout();
    after_snmp();
}

static int watch(int fd)
{
    if (lp.n_fds == lp.cap_fds) {
        size_t cap = lp.cap_fds ? lp.cap_fds * 2 : 8;
        struct watched *p = realloc(lp.fds, cap * sizeof(*p));
        if (!p)
            return -1;
        lp.fds = p;
        lp.cap_fds = cap;
    }
    if (loop_fd_add(fd, LOOP_READ, on_fd, NULL) != 0) {
        log_err("snmp: cannot watch descriptor %d: %s", fd, strerror(errno));
        return -1;
    }
    lp.fds[lp.n_fds++] = (struct watched){.fd = fd};
    return 0;
}

/* Make the loop watch exactly net-snmp's descriptors and wake at its next timeout. Run right
 * after every call into net-snmp, before any other module can be handed a number that
 * net-snmp just closed. */
static void sync_fds(void)
{
    if (!lp.running)
        return;
    int numfds = 0, block = 1;
    struct timeval tv = {0, 0};
    NETSNMP_LARGE_FD_ZERO(&lp.select_set);
    snmp_select_info2(&numfds, &lp.select_set, &tv, &block);

    /* Same number, new socket: a session closed and reopened inside one net-snmp call (as
     * agentx_check_session does after a failed ping, with the callback pipes too) keeps its
     * number, but epoll dropped the old socket. Sessions only come and go around the
     * INDEX_START/INDEX_STOP callbacks and when master mode's sinks change
     * (snmpf_sessions_changed), so then every descriptor is watched afresh. */
    bool all = lp.rewatch_all;
    lp.rewatch_all = false;
    for (size_t i = 0; i < lp.n_fds;) {
        struct watched *w = &lp.fds[i];
        if (!all && w->fd < numfds && NETSNMP_LARGE_FD_ISSET(w->fd, &lp.select_set)) {
            i++;
            continue;
        }
        loop_fd_remove(w->fd);
        lp.fds[i] = lp.fds[--lp.n_fds];
    }
    for (int fd = 0; fd < numfds; fd++) {
        if (!NETSNMP_LARGE_FD_ISSET(fd, &lp.select_set))
            continue;
        bool known = false;
        for (size_t i = 0; i < lp.n_fds && !known; i++)
            known = lp.fds[i].fd == fd;
        if (!known)
            watch(fd);
    }

    if (block)
        loop_timer_stop(&lp.timer);
    else
        loop_timer_start(&lp.timer, (int64_t)tv.tv_sec * 1000000 + tv.tv_usec, on_timer, NULL);
    lp.synced = true;
}

/* Before every wait: a no-op when a net-snmp call of this turn already synced (a subagent
 * request takes three turns: AgentX read, internal callback pipe, response). */
static void on_prepare(void *arg)
{
    if (!lp.synced)
        sync_fds();
    lp.synced = false;
}

void snmpf_resync(void)
{
    sync_fds();
}

void snmpf_sessions_changed(void)
{
    lp.rewatch_all = true;
}

void snmpf_loop_start(void)
{
    memset(&lp, 0, sizeof(lp));
    netsnmp_large_fd_set_init(&lp.select_set, FD_SETSIZE);
    netsnmp_large_fd_set_init(&lp.read_set, FD_SETSIZE);
    lp.running = true;
}

void snmpf_loop_attach(void)
{
    loop_prepare_add(on_prepare, NULL);
    sync_fds();
}

void snmpf_loop_stop(void)
{
    if (!lp.running)
        return;
    loop_prepare_remove(on_prepare, NULL);
    for (size_t i = 0; i < lp.n_fds; i++)
        loop_fd_remove(lp.fds[i].fd);
    loop_timer_stop(&lp.timer);
    lp.running = false;
}

void snmpf_loop_fini(void)
{
    netsnmp_large_fd_set_cleanup(&lp.select_set);
    netsnmp_large_fd_set_cleanup(&lp.read_set);
    free(lp.fds);
    memset(&lp, 0, sizeof(lp));
}
