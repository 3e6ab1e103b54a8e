#include "resolver.h"

#include <ares.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "loop.h"

struct resolver_req {
    resolver_cb cb;
    void *arg;
    unsigned short port;
    bool cancelled;
    bool starting; /* inside ares_getaddrinfo(): the answer must wait for the loop */
    /* an answer that arrived while starting, delivered from a zero timer */
    struct loop_timer later;
    int status;
    struct sockaddr_storage *addrs;
    socklen_t *lens;
    size_t n;
    struct resolver_req *next_later;
    struct resolver_req *next_same; /* the other requests answered by the same lookup */
};

/* One lookup per name in flight. Beside a fleet every check of an appliance names it (seven
 * on a scanner), and a preflight starts them all at once: asked separately, the resolver got
 * the same question hundreds of times in a burst, and one that limits its rate answered the
 * first ones and dropped the rest, turning "Domain name not found" into timeouts. */
struct resolver_query {
    char *host;
    struct resolver_req *reqs;
    struct resolver_query *next;
};
static struct resolver_query *in_flight;

static ares_channel channel;
static bool library_ready;
static struct loop_timer timer;
static struct resolver_req *waiting; /* answers stashed for later delivery */
static int *fds;                     /* the sockets c-ares asked us to watch */
static size_t n_fds;

static void req_free(struct resolver_req *req);

static void on_timeout(void *arg)
{
    ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

/* c-ares keeps its own timeouts; after every turn we re-arm ours to its next deadline.
 * ares_timeout() truncates what is left to whole milliseconds while a query only times out
 * once its deadline has passed to the microsecond: in the last millisecond it says 0 and
 * ares_process_fd() does nothing, so the loop turned without sleeping until the deadline
 * (hundreds of wake-ups per unanswered query, thousands a second with a resolver that drops
 * queries). One millisecond more is past every deadline it rounded down. */
static void prepare(void *arg)
{
    if (!channel)
        return;
    struct timeval tv, *tvp = ares_timeout(channel, NULL, &tv);
    if (!tvp) {
        loop_timer_stop(&timer);
        return;
    }
    loop_timer_start(&timer, (int64_t)tvp->tv_sec * 1000000 + tvp->tv_usec + 1000, on_timeout,
                     NULL);
}

static void on_fd(int fd, unsigned events, void *arg)
{
    ares_process_fd(channel, (events & (LOOP_READ | LOOP_ERROR)) ? fd : ARES_SOCKET_BAD,
                    (events & LOOP_WRITE) ? fd : ARES_SOCKET_BAD);
}

static void forget_fd(int fd)
{
    for (size_t i = 0; i < n_fds; i++) {
        if (fds[i] == fd) {
            fds[i] = fds[--n_fds];
            return;
        }
    }
}

static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    unsigned ev = (readable ? LOOP_READ : 0) | (writable ? LOOP_WRITE : 0);
    if (!ev) {
        loop_fd_remove(fd);
        forget_fd(fd);
        return;
    }
    if (loop_fd_watched(fd)) {
        loop_fd_modify(fd, ev);
        return;
    }
    int *p = realloc(fds, (n_fds + 1) * sizeof(*p));
    if (!p || loop_fd_add(fd, ev, on_fd, NULL) < 0) {
        if (p)
            fds = p;
        log_err("resolver: cannot watch socket %d", fd);
        return;
    }
    fds = p;
    fds[n_fds++] = fd;
}

static int make_channel(const char *servers, unsigned timeout_ms)
{
    struct ares_options opts;
    memset(&opts, 0, sizeof(opts));
    opts.sock_state_cb = sock_state;
    opts.timeout = (int)timeout_ms;
    opts.tries = 2;
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
    int rc = ares_init_options(&channel, &opts, mask);
    if (rc != ARES_SUCCESS) {
        log_err("resolver: %s", ares_strerror(rc));
        channel = NULL;
        return -1;
    }
    if (servers && (rc = ares_set_servers_ports_csv(channel, servers)) != ARES_SUCCESS) {
        log_err("resolver: servers \"%s\": %s", servers, ares_strerror(rc));
        ares_destroy(channel);
        channel = NULL;
        return -1;
    }
    return 0;
}

static void drop_channel(void)
{
    if (!channel)
        return;
    ares_destroy(channel); /* pending callbacks run with ARES_EDESTRUCTION */
    channel = NULL;
    for (size_t i = 0; i < n_fds; i++)
        loop_fd_remove(fds[i]);
    n_fds = 0;
    loop_timer_stop(&timer);
}

int resolver_init(const char *servers, unsigned timeout_ms)
{
    if (!library_ready) {
        if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
            return -1;
        library_ready = true;
    }
    if (loop_prepare_add(prepare, NULL) < 0)
        return -1;
    return make_channel(servers, timeout_ms);
}

void resolver_fini(void)
{
    loop_prepare_remove(prepare, NULL);
    drop_channel();
    while (waiting) {
        struct resolver_req *req = waiting;
        waiting = req->next_later;
        req_free(req);
    }
    free(fds);
    fds = NULL;
    if (library_ready)
        ares_library_cleanup();
    library_ready = false;
}

int resolver_configure(const char *servers, unsigned timeout_ms)
{
    drop_channel();
    return make_channel(servers, timeout_ms);
}

static void unlink_waiting(struct resolver_req *req)
{
    for (struct resolver_req **pp = &waiting; *pp; pp = &(*pp)->next_later) {
        if (*pp == req) {
            *pp = req->next_later;
            return;
        }
    }
}

static void req_free(struct resolver_req *req)
{
    loop_timer_stop(&req->later);
    free(req->addrs);
    free(req->lens);
    free(req);
}

static void deliver_later(void *arg)
{
    struct resolver_req *req = arg;
    unlink_waiting(req);
    if (!req->cancelled)
        req->cb(req->status, req->addrs, req->lens, req->n, req->arg);
    req_free(req);
}

/* One request's share of the answer: the addresses, with its own port. */
static void fill(struct resolver_req *req, int status, const struct ares_addrinfo *res)
{
    size_t n = 0;
    for (struct ares_addrinfo_node *a = res ? res->nodes : NULL; a; a = a->ai_next)
        n++;
    req->addrs = calloc(n ? n : 1, sizeof(*req->addrs));
    req->lens = calloc(n ? n : 1, sizeof(*req->lens));
    req->status = status != ARES_SUCCESS ? status : req->addrs && req->lens ? 0 : ARES_ENOMEM;
    if (req->status == 0) {
        for (struct ares_addrinfo_node *a = res->nodes; a; a = a->ai_next) {
            struct sockaddr_storage *ss = &req->addrs[req->n];
            if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) ||
                a->ai_addrlen > sizeof(*ss))
                continue;
            memcpy(ss, a->ai_addr, a->ai_addrlen);
            req->lens[req->n] = a->ai_addrlen;
            if (a->ai_family == AF_INET)
                ((struct sockaddr_in *)ss)->sin_port = htons(req->port);
            else
                ((struct sockaddr_in6 *)ss)->sin6_port = htons(req->port);
            req->n++;
        }
    }
}

static void deliver(struct resolver_req *req)
{
    if (req->starting) {
        req->next_later = waiting;
        waiting = req;
        loop_timer_start(&req->later, 0, deliver_later, req);
        return;
    }
    if (!req->cancelled)
        req->cb(req->status, req->addrs, req->lens, req->n, req->arg);
    req_free(req);
}

static void on_result(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    struct resolver_query *q = arg;
    for (struct resolver_query **pp = &in_flight; *pp; pp = &(*pp)->next) {
        if (*pp == q) {
            *pp = q->next;
            break;
        }
    }
    /* no new request joins q from here on: a callback starting a lookup of the same name
     * gets a lookup of its own */
    for (struct resolver_req *req = q->reqs; req; req = req->next_same)
        fill(req, status, res);
    ares_freeaddrinfo(res);
    struct resolver_req *req = q->reqs;
    free(q->host);
    free(q);
    while (req) {
        struct resolver_req *next = req->next_same;
        deliver(req);
        req = next;
    }
}

struct resolver_req *resolver_lookup(const char *host, unsigned short port, resolver_cb cb,
                                     void *arg)
{
    if (!channel)
        return NULL;
    struct resolver_req *req = calloc(1, sizeof(*req));
    if (!req)
        return NULL;
    req->cb = cb;
    req->arg = arg;
    req->port = port;
    /* a lookup of this name is out: its answer is this request's too (names are
     * case-insensitive) */
    for (struct resolver_query *q = in_flight; q; q = q->next) {
        if (!strcasecmp(q->host, host)) {
            req->next_same = q->reqs;
            q->reqs = req;
            return req;
        }
    }
    struct resolver_query *q = calloc(1, sizeof(*q));
    if (!q || !(q->host = strdup(host))) {
        free(q);
        free(req);
        return NULL;
    }
    q->reqs = req;
    q->next = in_flight;
    in_flight = q;
    /* c-ares may answer (from /etc/hosts, or an error) inside ares_getaddrinfo(); the caller
     * must not see its callback before this function has returned. */
    struct ares_addrinfo_hints hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM; /* one entry per address, not one per socket type */
    req->starting = true;
    ares_getaddrinfo(channel, host, NULL, &hints, on_result, q);
    req->starting = false;
    return req;
}

void resolver_cancel(struct resolver_req *req)
{
    if (req)
        req->cancelled = true;
}

const char *resolver_status_text(int status)
{
    /* the name exists without an A or AAAA record: what the check found, in its words */
    if (status == ARES_ENODATA)
        return "no address";
    /* c-ares' own text, as its users know it: re-casing it made "dNS server returned ..." */
    return ares_strerror(status);
}
