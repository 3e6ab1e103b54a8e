/* The open connections of the REST face, to find the idle ones when the face is near
 * http.max_connections (MHD_OPTION_NOTIFY_CONNECTION). */
#include <stdlib.h>

#include "http_internal.h"
#include "log.h"

/* Under pressure (connections past PRESSURE_PERCENT of http.max_connections) a connection with
 * no request in progress is closed after IDLE_UNDER_PRESSURE_S of silence instead of
 * http.timeout_s: idle keep-alives and half-sent headers give way to clients that talk. */
#define PRESSURE_PERCENT 75
#define IDLE_UNDER_PRESSURE_S 2
static unsigned limit;     /* http.max_connections, as given to MHD */
static unsigned timeout_s; /* http.timeout_s */

/* Every open connection, to find the idle ones under pressure (MHD_OPTION_NOTIFY_CONNECTION). */
struct conn_track {
    struct MHD_Connection *conn;
    struct conn_track *prev, *next;
    bool busy;      /* a request is in progress (or an event stream is open) */
    bool shortened; /* its timeout is IDLE_UNDER_PRESSURE_S */
};
static struct conn_track *tracked;

void httpf_conns_init(unsigned max_connections, unsigned timeout)
{
    limit = max_connections;
    timeout_s = timeout;
}

unsigned httpf_conns_open(struct MHD_Daemon *d)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return i ? i->num_connections : 0;
}

void httpf_conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                        enum MHD_ConnectionNotificationCode code)
{
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn_track *t = calloc(1, sizeof(*t));
        if (!t)
            return; /* untracked: never shortened, still closed by http.timeout_s */
        t->conn = conn;
        t->next = tracked;
        if (tracked)
            tracked->prev = t;
        tracked = t;
        *socket_context = t;
    } else if (*socket_context) {
        struct conn_track *t = *socket_context;
        if (t->prev)
            t->prev->next = t->next;
        else
            tracked = t->next;
        if (t->next)
            t->next->prev = t->prev;
        free(t);
        *socket_context = NULL;
    }
}

static struct conn_track *track_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

void httpf_conn_busy(struct MHD_Connection *conn, bool busy)
{
    struct conn_track *t = track_of(conn);
    if (!t)
        return;
    t->busy = busy;
    if (busy && t->shortened) {
        t->shortened = false;
        MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, timeout_s);
    }
}

/* Run outside MHD_run (from on_prepare): near the connection limit, every connection without
 * a request in progress gets the short idle timeout, so that the quiet ones close first and
 * a client with a request finds a slot. libmicrohttpd keeps the time of last activity, so a
 * connection that was silent for longer closes on its next timeout check. */
void httpf_conns_relieve(struct MHD_Daemon *d)
{
    if (httpf_conns_open(d) * 100 < limit * PRESSURE_PERCENT)
        return;
    unsigned n = 0;
    for (struct conn_track *t = tracked; t; t = t->next) {
        if (t->busy || t->shortened || IDLE_UNDER_PRESSURE_S >= timeout_s)
            continue;
        t->shortened = true;
        MHD_set_connection_option(t->conn, MHD_CONNECTION_OPTION_TIMEOUT, IDLE_UNDER_PRESSURE_S);
        n++;
    }
    if (n) {
        static struct log_limit pressure_log;
        log_limited(&pressure_log, LOG_LVL_WARN,
                    "http: %u of %u connections open: %u idle ones now close after %d s",
                    httpf_conns_open(d), limit, n, IDLE_UNDER_PRESSURE_S);
    }
}
