/* GET /api/v1/events: every core event as a Server-Sent Event (WHATWG HTML §9.2),
 *   event: <kind>\nid: <seq>\ndata: <json>\n\n
 * Each client has a bounded buffer; one that reads too slowly to keep it from overflowing is
 * dropped (and counted) rather than letting memory grow. A client with nothing to read is
 * suspended in MHD, so an idle stream costs the loop nothing until the next event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_internal.h"
#include "log.h"
#include "loop.h"

#define CLIENT_BUFFER (64 * 1024)
#define MAX_CLIENTS 64
#define HEARTBEAT_US (15 * 1000000ll)

struct client {
    struct client *prev, *next;
    struct MHD_Connection *conn;
    char *buf;
    size_t off, len; /* unread bytes are buf[off..len) */
    bool suspended;
    bool dropped; /* overflowed: end the stream with an error */
    bool closing; /* the face is stopping: end the stream cleanly */
};

static struct client *clients;
static unsigned n_clients;
static uint64_t sent, dropped;
static struct loop_timer heartbeat;
static bool subscribed;
static bool resumed; /* a client was resumed since the face last asked */

void httpf_events_get_stats(struct httpf_events_stats *out)
{
    out->clients = n_clients;
    out->sent = sent;
    out->dropped_clients = dropped;
}

bool httpf_events_resumed(void)
{
    bool r = resumed;
    resumed = false;
    return r;
}

static void wake(struct client *c)
{
    if (c->suspended) {
        c->suspended = false;
        MHD_resume_connection(c->conn);
        resumed = true;
    }
}

static void append(struct client *c, const char *s, size_t n)
{
    if (c->dropped || c->closing)
        return;
    if (c->len - c->off + n > CLIENT_BUFFER) {
        c->dropped = true;
        dropped++;
        static struct log_limit drop_log; /* a client's pace: a few lines a minute */
        log_limited(&drop_log, LOG_LVL_WARN, "http: event stream client dropped: %zu bytes unread",
                    c->len - c->off);
        wake(c);
        return;
    }
    if (c->len + n > CLIENT_BUFFER) {
        memmove(c->buf, c->buf + c->off, c->len - c->off);
        c->len -= c->off;
        c->off = 0;
    }
    memcpy(c->buf + c->len, s, n);
    c->len += n;
    wake(c);
}

static void on_event(const struct smsa_event *ev, void *arg)
{
    if (!clients)
        return;
    json_t *o = httpf_event_json(ev);
    char *data = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!data)
        return;
    /* JSON_COMPACT output has no newline, so one data: line carries it. */
    size_t n = strlen(data) + 128;
    char *msg = malloc(n);
    if (msg) {
        int k = snprintf(msg, n, "event: %s\nid: %llu\ndata: %s\n\n",
                         smsa_event_kind_name(ev->kind), (unsigned long long)ev->seq, data);
        for (struct client *c = clients; c; c = c->next)
            append(c, msg, (size_t)k);
        sent++;
        free(msg);
    }
    free(data);
}

static void on_heartbeat(void *arg)
{
    /* A comment line: keeps proxies from timing the stream out, and finds clients that left
     * while suspended (their next write fails). */
    static const char beat[] = ": keep-alive\n\n";
    for (struct client *c = clients; c; c = c->next)
        append(c, beat, sizeof(beat) - 1);
    loop_timer_start(&heartbeat, HEARTBEAT_US, on_heartbeat, NULL);
}

static ssize_t reader(void *cls, uint64_t pos, char *out, size_t max)
{
    struct client *c = cls;
    if (c->off < c->len) {
        size_t n = c->len - c->off;
        if (n > max)
            n = max;
        memcpy(out, c->buf + c->off, n);
        c->off += n;
        if (c->off == c->len)
            c->off = c->len = 0;
        return (ssize_t)n;
    }
    if (c->dropped)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (c->closing)
        return MHD_CONTENT_READER_END_OF_STREAM;
    /* Nothing to send: returning 0 alone would make MHD ask again on every turn (a busy
     * loop in external mode). Suspended, the connection waits for wake(). */
    c->suspended = true;
    MHD_suspend_connection(c->conn);
    return 0;
}

static void free_client(void *cls)
{
    struct client *c = cls;
    if (c->prev)
        c->prev->next = c->next;
    else
        clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    n_clients--;
    free(c->buf);
    free(c);
}

struct MHD_Response *httpf_events_response(struct MHD_Connection *conn)
{
    if (n_clients >= MAX_CLIENTS)
        return NULL;
    struct client *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->buf = malloc(CLIENT_BUFFER);
    if (!c->buf) {
        free(c);
        return NULL;
    }
    static const char hello[] = "retry: 5000\n: smsa-agent events\n\n";
    memcpy(c->buf, hello, sizeof(hello) - 1);
    c->len = sizeof(hello) - 1;
    c->conn = conn;
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, c, free_client);
    if (!r) {
        free(c->buf);
        free(c);
        return NULL;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    /* The idle timeout would cut a quiet stream; the heartbeat finds dead peers instead. */
    MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
    c->next = clients;
    if (clients)
        clients->prev = c;
    clients = c;
    n_clients++;
    return r;
}

int httpf_events_init(void)
{
    if (core_subscribe(on_event, NULL) < 0)
        return -1;
    subscribed = true;
    loop_timer_start(&heartbeat, HEARTBEAT_US, on_heartbeat, NULL);
    return 0;
}

void httpf_events_fini(void)
{
    if (subscribed)
        core_unsubscribe(on_event, NULL);
    subscribed = false;
    loop_timer_stop(&heartbeat);
    for (struct client *c = clients; c; c = c->next) {
        c->closing = true;
        wake(c);
    }
    sent = dropped = 0;
}
