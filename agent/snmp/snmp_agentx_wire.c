/* The AgentX wire: the master's address and a non-blocking stream transport to it, in place
 * of net-snmp's blocking one. connect() never waits (a full unix backlog is EAGAIN, a TCP
 * connect completes on our loop), and a send never waits either: a PDU that does not fit
 * into the socket buffer whole means the master stopped reading, and the connection is shut
 * down so that net-snmp's own disconnect path runs. */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "snmp_agentx_wire.h"

static const oid dom_local[] = {SNMP_DOMAIN_LOCAL};

static const oid dom_tcp4[] = {SNMP_DOMAIN_TCP_IPV4};

static const oid dom_tcp6[] = {SNMP_DOMAIN_TCP_IPV6};

static int tr_recv(netsnmp_transport *t, void *buf, int size, void **opaque, int *olen)
{
    *opaque = NULL;
    *olen = 0;
    ssize_t n;
    do
        n = recv(t->sock, buf, (size_t)size, 0);
    while (n < 0 && errno == EINTR);
    return (int)n;
}

static int tr_send(netsnmp_transport *t, const void *buf, int size, void **opaque, int *olen)
{
    ssize_t n;
    do
        n = send(t->sock, buf, (size_t)size, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n == size)
        return size;
    /* Half a PDU on a stream corrupts everything after it, and a full socket buffer means the
     * master stopped reading. Shut the connection: the loop then sees end-of-file, net-snmp
     * runs its disconnect path (handle_agentx_packet) and we reconnect. */
    log_warn("snmp: the AgentX master does not take our data (%s); dropping the session",
             n < 0 ? strerror(errno) : "partial write");
    shutdown(t->sock, SHUT_RDWR);
    errno = EPIPE;
    return -1;
}

static int tr_close(netsnmp_transport *t)
{
    if (t->sock >= 0)
        close(t->sock);
    t->sock = -1;
    return 0;
}

/* The master's address as configured, kept in the transport's data (freed with it). */
static char *tr_fmtaddr(netsnmp_transport *t, const void *data, int len)
{
    return strdup(t->data ? (const char *)t->data : "AgentX master");
}

/* Parses /path, unix:/path or tcp:host:port into a socket address (config.c checked the
 * form). A host name is resolved here, blocking; "localhost" comes from /etc/hosts. */
static int ax_address(const char *spec, struct sockaddr_storage *ss, socklen_t *len, char *err,
                      size_t errlen)
{
    memset(ss, 0, sizeof(*ss));
    if (spec[0] == '/' || !strncmp(spec, "unix:", 5)) {
        const char *path = spec[0] == '/' ? spec : spec + 5;
        struct sockaddr_un *sun = (struct sockaddr_un *)ss;
        if (strlen(path) >= sizeof(sun->sun_path)) {
            snprintf(err, errlen, "path too long");
            return -1;
        }
        sun->sun_family = AF_UNIX;
        strcpy(sun->sun_path, path);
        *len = sizeof(*sun);
        return 0;
    }
    if (strncmp(spec, "tcp:", 4) != 0) {
        snprintf(err, errlen, "not /path, unix:/path or tcp:host:port");
        return -1;
    }
    struct addr_hostport hp;
    char port[8];
    if (addr_parse_hostport(spec + 4, &hp, err, errlen) < 0)
        return -1;
    if (!hp.port) {
        snprintf(err, errlen, "no port");
        return -1;
    }
    snprintf(port, sizeof(port), "%u", (unsigned)hp.port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(hp.host, port, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "%s", gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

netsnmp_transport *snmpf_agentx_wire_open(const char *spec, bool *in_progress, char *err,
                                          size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    *in_progress = false;
    if (ax_address(spec, &ss, &len, err, errlen) != 0)
        return NULL;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        return NULL;
    }
    int rc;
    do
        rc = connect(fd, (struct sockaddr *)&ss, len);
    while (rc < 0 && errno == EINTR);
    if (rc < 0 && errno == EINPROGRESS && ss.ss_family != AF_UNIX) {
        *in_progress = true;
    } else if (rc < 0) {
        /* EAGAIN on a unix socket: its backlog is full, the master is not accepting. */
        snprintf(err, errlen, "%s",
                 errno == EAGAIN ? "master not accepting (backlog full)" : strerror(errno));
        close(fd);
        return NULL;
    }
    netsnmp_transport *t = SNMP_MALLOC_TYPEDEF(netsnmp_transport);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        close(fd);
        return NULL;
    }
    t->sock = fd;
    t->flags = NETSNMP_TRANSPORT_FLAG_STREAM;
    t->msgMaxSize = 0x7fffffff; /* as net-snmp's stream transports: AgentX frames itself */
    t->domain = ss.ss_family == AF_UNIX    ? dom_local
                : ss.ss_family == AF_INET6 ? dom_tcp6
                                           : dom_tcp4;
    t->domain_length = (int)OID_LENGTH(dom_local);
    t->f_recv = tr_recv;
    t->f_send = tr_send;
    t->f_close = tr_close;
    t->f_fmtaddr = tr_fmtaddr;
    t->data = strdup(spec); /* NULL: tr_fmtaddr says "AgentX master" */
    t->data_length = t->data ? (int)strlen(spec) + 1 : 0;
    return t;
}

const char *snmpf_agentx_error_name(long e)
{
    switch (e) {
    case 256:
        return "openFailed";
    case 257:
        return "notOpen";
    case 262:
        return "unsupportedContext";
    case 263:
        return "duplicateRegistration";
    case 264:
        return "unknownRegistration";
    case 266:
        return "parseError/requestDenied/processingError";
    default:
        return "error";
    }
}
