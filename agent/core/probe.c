#include "probe.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include "dnsmsg.h"
#include "icmp_err.h"
#include "loop.h"
#include "sntp.h"

/* A greeting longer than this is not a greeting (RFC 5321 §4.5.3.1.5 allows 512 per line;
 * a few continuation lines fit). */
#define GREETING_MAX 4096
/* RFC 4253 §4.2: the identification line is at most 255 characters with its CR LF. */
#define SSH_IDENT_MAX 255

/* Every system call of a probe and its place on the loop, in one table: the daemon uses
 * sys_io; tests/core/test_probe.c includes this file and puts a script in its place, while
 * the timers stay the loop's (on its virtual clock there). */
struct probe_io {
    int (*open)(int family, int type); /* a non-blocking socket, options set */
    int (*connect)(int fd, const struct sockaddr *addr, socklen_t len);
    int (*sock_error)(int fd); /* SO_ERROR: how a non-blocking connect ended */
    ssize_t (*send)(int fd, const void *buf, size_t len, int flags);
    ssize_t (*recv)(int fd, void *buf, size_t len, int flags);
    icmp_err_recvmsg_fn recvmsg; /* the error queue (icmp_err_read) */
    int (*close)(int fd);
    int (*watch)(int fd, unsigned events, loop_fd_cb cb, void *arg);
    int (*rewatch)(int fd, unsigned events);
    void (*unwatch)(int fd);
};

static int sys_open(int family, int type)
{
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (type == SOCK_STREAM) {
        /* close with RST: the closing side would otherwise keep every probe's port in
         * TIME_WAIT for 60 s, and a thousand probes a second would exhaust the ephemeral
         * range */
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
    /* without it the ICMP error is lost or reduced to an errno: UDP would time out */
    icmp_err_enable(fd, family);
    return fd;
}

static int sys_sock_error(int fd)
{
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    return err;
}

static const struct probe_io sys_io = {
    .open = sys_open,
    .connect = connect,
    .sock_error = sys_sock_error,
    .send = send,
    .recv = recv,
    .recvmsg = recvmsg,
    .close = close,
    .watch = loop_fd_add,
    .rewatch = loop_fd_modify,
    .unwatch = loop_fd_remove,
};
static const struct probe_io *io = &sys_io;

struct probe {
    enum smsa_probe_kind kind;
    int fd;
    struct loop_timer timer;
    probe_cb cb;
    void *arg;
    int64_t start_us;
    unsigned timeout_ms;
    bool done;
    struct sockaddr_storage dest; /* what the probe talks to, for the ICMP error's words */
    struct probe_addr_result result;
    /* DNS and NTP: what the reply must match */
    uint16_t dns_id;
    const char *dns_name;
    sntp_ts ntp_xmt;
    int64_t ntp_t1_us;
    /* SMTP, FTP, SSH, HTTP: the answer read so far */
    char *buf;
    size_t len;
    /* TLS: the session; TLS, SMTP and HTTP: the peer's host name (SNI and the name the
     * certificate is verified against, Host header, CONNECT target) and port */
    struct tlsp *tls;
    char *host;
    uint16_t port;
    char *via;           /* the HTTP proxy tunnelling the check ("host:port"), or NULL */
    bool starttls_sent;  /* SMTP: the EHLO reply offered STARTTLS and it was asked for */
    const char *waiting; /* what the check waits for after the greeting, for a timeout */
    loop_fd_cb on_ready; /* what the socket's readiness means now (ready() calls it) */
    bool in_loop_cb;     /* inside ready() or timed_out(): the result is delivered on return */
};

enum smsa_cause probe_cause_from_errno(int err)
{
    switch (err) {
    case ECONNREFUSED:
        return CAUSE_REFUSED;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case EHOSTDOWN:
    case EADDRNOTAVAIL:
        return CAUSE_UNREACHABLE;
    case ETIMEDOUT:
        return CAUSE_TIMEOUT;
    case EACCES: /* a prohibit route, or ICMPv6 admin-prohibited */
    case EPERM:  /* this host's own firewall dropped the packet on its way out */
        return CAUSE_PROHIBITED;
    default:
        return CAUSE_ERROR;
    }
}

static void release(struct probe *pr)
{
    loop_timer_stop(&pr->timer);
    if (pr->fd >= 0) {
        io->unwatch(pr->fd);
        io->close(pr->fd);
    }
    tlsp_free(pr->tls);
    free(pr->buf);
    free(pr->host);
    free(pr->via);
    free(pr);
}

static void deliver(void *arg)
{
    struct probe *pr = arg;
    probe_cb cb = pr->cb;
    void *cb_arg = pr->arg;
    struct probe_addr_result r = pr->result;
    release(pr);
    cb(&r, cb_arg);
}

/* Every check through a proxy says so, whatever it ends with: the address it reached was the
 * proxy's. What came first is cut to leave room. */
static void say_via_proxy(struct probe *pr)
{
    char *d = pr->result.detail;
    char tail[SMSA_DETAIL_TEXT];
    int n = snprintf(tail, sizeof(tail), "%svia proxy %s", d[0] ? " " : "", pr->via);
    size_t room = n > 0 && (size_t)n < SMSA_DETAIL_TEXT ? SMSA_DETAIL_TEXT - 1 - (size_t)n : 0;
    if (strlen(d) > room)
        d[room] = '\0';
    size_t used = strlen(d);
    snprintf(d + used, SMSA_DETAIL_TEXT - used, "%s", tail);
}

/* Ends the probe. The callback never re-enters the caller: from the loop's own callbacks
 * (ready, timed_out) it runs as they return; otherwise (inside probe_start) from a zero
 * timer. Most probes end in the loop's callbacks, and a zero timer per probe would cost
 * two walks of the timer heap of every peer. */
static void finish(struct probe *pr, bool ok, enum smsa_cause cause)
{
    if (pr->done)
        return;
    pr->done = true;
    if (pr->via)
        say_via_proxy(pr);
    pr->result.ok = ok;
    pr->result.cause = ok ? CAUSE_NONE : cause;
    if (ok && pr->result.rtt_us < 0)
        pr->result.rtt_us = loop_now_us() - pr->start_us;
    tlsp_free(pr->tls);
    pr->tls = NULL;
    if (pr->fd >= 0) {
        io->unwatch(pr->fd);
        io->close(pr->fd);
        pr->fd = -1;
    }
    if (!pr->in_loop_cb)
        loop_timer_start(&pr->timer, 0, deliver, pr);
}

/* Every readiness of the probe's socket comes here first. */
static void ready(int fd, unsigned events, void *arg)
{
    struct probe *pr = arg;
    pr->in_loop_cb = true;
    pr->on_ready(fd, events, pr);
    pr->in_loop_cb = false;
    if (pr->done)
        deliver(pr);
}

static int watch(struct probe *pr, unsigned events, loop_fd_cb on_ready)
{
    pr->on_ready = on_ready;
    return io->watch(pr->fd, events, ready, pr);
}

/* A failure with its detail text, the few words an operator reads beside the cause. */
static void fail(struct probe *pr, enum smsa_cause cause, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct probe *pr, enum smsa_cause cause, const char *fmt, ...)
{
    if (pr->done)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pr->result.detail, sizeof(pr->result.detail), fmt, ap);
    va_end(ap);
    finish(pr, false, cause);
}

void probe_errno_detail(int err, char *buf, size_t len)
{
    /* strerror's "Permission denied" would not tell the operator it is a firewall's no */
    if (err == EACCES) {
        snprintf(buf, len, "administratively prohibited, by a route of this host");
        return;
    }
    if (err == EPERM) {
        snprintf(buf, len, "administratively prohibited, by this host's firewall");
        return;
    }
    snprintf(buf, len, "%s", strerror(err)); /* "Connection refused" -> "connection refused" */
    buf[0] = (char)tolower((unsigned char)buf[0]);
}

/* A socket error: the ICMP message behind it when the kernel queued one (it names who
 * answered, and tells a firewall's no from a missing route), else the errno. */
static void fail_errno(struct probe *pr, int err)
{
    enum smsa_cause cause;
    char why[SMSA_DETAIL_TEXT];
    if (pr->fd >= 0 && icmp_err_read(pr->fd, io->recvmsg, &pr->dest, &cause, why, sizeof(why))) {
        fail(pr, cause, "%s", why);
        return;
    }
    probe_errno_detail(err, why, sizeof(why));
    fail(pr, probe_cause_from_errno(err), "%s", why);
}

/* recv() failed with err. Nothing to read yet goes on waiting, unless LOOP_ERROR says the
 * error queue holds what the network answered (an ICMP error that left no socket error). */
static void recv_failed(struct probe *pr, unsigned events, int err)
{
    enum smsa_cause cause;
    char why[SMSA_DETAIL_TEXT];
    if (err != EAGAIN && err != EINTR)
        fail_errno(pr, err);
    else if ((events & LOOP_ERROR) &&
             icmp_err_read(pr->fd, io->recvmsg, &pr->dest, &cause, why, sizeof(why)))
        fail(pr, cause, "%s", why);
}

static bool greeting_proved(struct probe *pr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void time_is_up(struct probe *pr)
{
    if (greeting_proved(pr, "no EHLO reply in %u ms", pr->timeout_ms))
        return;
    const char *what = pr->waiting                                      ? pr->waiting
                       : pr->kind == PROBE_DNS || pr->kind == PROBE_NTP ? "no reply"
                       : pr->result.rtt_us < 0                          ? "no answer"
                       : pr->kind == PROBE_SSH                          ? "no identification"
                       : pr->kind == PROBE_TLS                          ? "no TLS handshake"
                       : pr->kind == PROBE_HTTP                         ? "no HTTP answer"
                                                                        : "no greeting";
    fail(pr, CAUSE_TIMEOUT, "%s in %u ms", what, pr->timeout_ms);
}

static void timed_out(void *arg)
{
    struct probe *pr = arg;
    pr->in_loop_cb = true;
    time_is_up(pr);
    pr->in_loop_cb = false;
    if (pr->done)
        deliver(pr);
}

/* The reply code of the first line that is not "220", e.g. "greeting 554". */
static void fail_greeting(struct probe *pr)
{
    size_t pos = 0;
    while (pos < pr->len) {
        const char *line = pr->buf + pos;
        size_t left = pr->len - pos;
        if (left >= 3 && memcmp(line, "220", 3) != 0) {
            char code[4];
            size_t n = 0;
            while (n < 3 && isprint((unsigned char)line[n]))
                code[n] = line[n], n++;
            code[n] = '\0';
            fail(pr, CAUSE_PROTOCOL_ERROR, "greeting %s", n ? code : "not text");
            return;
        }
        const char *nl = memchr(line, '\n', left);
        if (!nl)
            break;
        pos += (size_t)(nl - line) + 1;
    }
    fail(pr, CAUSE_PROTOCOL_ERROR, "greeting malformed");
}

/* "220 ..." possibly preceded by "220-..." continuation lines (RFC 5321 §4.2, RFC 959 §4.2).
 * Returns 1 complete and good, 0 need more, -1 bad. */
static int greeting_state(const char *buf, size_t len)
{
    size_t pos = 0;
    for (;;) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - (buf + pos)) : len - pos;
        const char *line = buf + pos;
        if (line_len >= 3 && memcmp(line, "220", 3) != 0)
            return -1;
        if (!nl)
            return 0; /* a partial line that may still become a good one */
        if (line_len > 0 && line[line_len - 1] == '\r')
            line_len--;
        if (line_len < 3)
            return -1;
        if (line_len == 3 || line[3] == ' ')
            return 1;
        if (line[3] != '-')
            return -1;
        pos += (size_t)(nl - line) + 1;
    }
}

static void start_tls(struct probe *pr);
static void quoted(const char *what, const char *buf, size_t len, char *why, size_t why_len);

int probe_parse_smtp_reply(const char *buf, size_t len, unsigned *code, bool *starttls, char *why,
                           size_t why_len)
{
    size_t pos = 0;
    unsigned first = 0;
    *starttls = false;
    while (pos < len) {
        const char *line = buf + pos;
        const char *nl = memchr(line, '\n', len - pos);
        if (!nl)
            return len - pos > 512 ? (quoted("reply", line, len - pos, why, why_len), -1) : 0;
        size_t n = (size_t)(nl - line);
        if (n && line[n - 1] == '\r')
            n--;
        /* RFC 5321 §4.2: a code's first digit is 2 to 5 */
        if (n < 3 || line[0] < '2' || line[0] > '5' || !isdigit((unsigned char)line[1]) ||
            !isdigit((unsigned char)line[2]) || (n > 3 && line[3] != ' ' && line[3] != '-')) {
            quoted("reply", line, n, why, why_len);
            return -1;
        }
        unsigned c = (unsigned)(line[0] - '0') * 100 + (unsigned)(line[1] - '0') * 10 +
                     (unsigned)(line[2] - '0');
        if (first && c != first) { /* RFC 5321 §4.2.1: every line of a reply has its code */
            quoted("reply", line, n, why, why_len);
            return -1;
        }
        first = c;
        /* RFC 3207 §4: the EHLO keyword, case-insensitive, maybe with parameters */
        if (n >= 12 && !strncasecmp(line + 4, "STARTTLS", 8) && (n == 12 || line[12] == ' '))
            *starttls = true;
        pos += (size_t)(nl - line) + 1;
        if (n == 3 || line[3] == ' ') {
            *code = c;
            return 1;
        }
    }
    return 0;
}

/* The name this host gives in EHLO (RFC 5321 §4.1.1.1: its own name). */
static const char *ehlo_name(void)
{
    static char name[256];
    if (!name[0] && (gethostname(name, sizeof(name) - 1) < 0 || !name[0]))
        snprintf(name, sizeof(name), "localhost");
    return name;
}

/* Sends a command whole on a fresh connection (a few dozen bytes fit any socket buffer). */
static bool send_line(struct probe *pr, const char *line)
{
    size_t n = strlen(line);
    ssize_t w = io->send(pr->fd, line, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) {
        fail_errno(pr, errno);
        return false;
    }
    if ((size_t)w != n) {
        fail(pr, CAUSE_ERROR, "command not sent whole");
        return false;
    }
    return true;
}

/* Until STARTTLS is asked for, the 220 greeting has proved the service (as it does for a
 * server that offers no STARTTLS): EHLO is only asked to learn whether it offers it. What goes
 * wrong after EHLO leaves the check up, with what went wrong as the detail. True when that
 * decided the probe. */
static bool greeting_proved(struct probe *pr, const char *fmt, ...)
{
    if (pr->kind != PROBE_SMTP || pr->starttls_sent || pr->tls || !pr->waiting)
        return false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pr->result.detail, sizeof(pr->result.detail), fmt, ap);
    va_end(ap);
    finish(pr, true, CAUSE_NONE);
    return true;
}

/* After EHLO and after STARTTLS: a server that does not offer STARTTLS, or declines it, still
 * takes mail; one that accepts it is then proven by the handshake. */
static void on_smtp_reply(int fd, unsigned events, void *arg)
{
    struct probe *pr = arg;
    ssize_t n = io->recv(fd, pr->buf + pr->len, GREETING_MAX - pr->len, 0);
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR && greeting_proved(pr, "EHLO: %s", strerror(errno)))
            return;
        recv_failed(pr, events, errno);
        return;
    }
    if (n == 0) {
        if (!greeting_proved(pr, "closed after EHLO"))
            fail(pr, CAUSE_PROTOCOL_ERROR, "closed after STARTTLS");
        return;
    }
    pr->len += (size_t)n;
    unsigned code = 0;
    bool offers = false;
    char why[SMSA_DETAIL_TEXT];
    int st = probe_parse_smtp_reply(pr->buf, pr->len, &code, &offers, why, sizeof(why));
    if (st < 0) {
        if (!greeting_proved(pr, "EHLO %s", why))
            fail(pr, CAUSE_PROTOCOL_ERROR, "%s", why);
        return;
    }
    if (st == 0) {
        if (pr->len >= GREETING_MAX && !greeting_proved(pr, "EHLO reply too long"))
            fail(pr, CAUSE_PROTOCOL_ERROR, "reply too long");
        return;
    }
    if (!pr->starttls_sent && code == 250 && offers) {
        pr->starttls_sent = true;
        pr->len = 0;
        pr->waiting = "no STARTTLS reply";
        send_line(pr, "STARTTLS\r\n");
        return;
    }
    if (pr->starttls_sent && code == 220) {
        start_tls(pr);
        return;
    }
    /* be polite; a failed QUIT changes nothing */
    (void)!io->send(fd, "QUIT\r\n", 6, MSG_NOSIGNAL | MSG_DONTWAIT);
    finish(pr, true, CAUSE_NONE);
}

static void send_ehlo(struct probe *pr)
{
    char line[300];
    snprintf(line, sizeof(line), "EHLO %s\r\n", ehlo_name());
    pr->len = 0;
    pr->waiting = "no EHLO reply";
    io->unwatch(pr->fd);
    if (!send_line(pr, line))
        return;
    if (watch(pr, LOOP_READ, on_smtp_reply) < 0)
        fail(pr, CAUSE_ERROR, "cannot watch the socket");
}

/* What the peer sent next, after what pr->buf holds: the count, 0 when it closed, or -1 when
 * nothing came yet or the probe is over (then it has failed with its cause). */
static ssize_t read_more(struct probe *pr, int fd, unsigned events)
{
    if (!pr->buf && !(pr->buf = malloc(GREETING_MAX))) {
        fail(pr, CAUSE_ERROR, "out of memory");
        return -1;
    }
    ssize_t n = io->recv(fd, pr->buf + pr->len, GREETING_MAX - pr->len, 0);
    if (n < 0)
        recv_failed(pr, events, errno);
    return n;
}

static void on_greeting(int fd, unsigned events, void *arg)
{
    struct probe *pr = arg;
    ssize_t n = read_more(pr, fd, events);
    if (n < 0)
        return;
    if (n == 0) {
        fail(pr, CAUSE_PROTOCOL_ERROR, "closed before the greeting");
        return;
    }
    pr->len += (size_t)n;
    int st = greeting_state(pr->buf, pr->len);
    if (st > 0 && pr->kind == PROBE_SMTP) {
        send_ehlo(pr);
    } else if (st > 0) {
        /* be polite; a failed QUIT changes nothing */
        (void)!io->send(fd, "QUIT\r\n", 6, MSG_NOSIGNAL | MSG_DONTWAIT);
        finish(pr, true, CAUSE_NONE);
    } else if (st < 0) {
        fail_greeting(pr);
    } else if (pr->len >= GREETING_MAX) {
        fail(pr, CAUSE_PROTOCOL_ERROR, "greeting too long");
    }
}

void probe_printable(const char *in, size_t len, char *out, size_t out_len)
{
    if (!out_len)
        return;
    size_t n = 0;
    bool cut = false;
    for (size_t i = 0; i < len && in[i] != '\r' && in[i] != '\n'; i++) {
        if (n + 1 >= out_len) {
            cut = true;
            break;
        }
        unsigned char c = (unsigned char)in[i];
        /* quotes and backslashes too: the text is quoted in log lines */
        out[n++] = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? (char)c : '?';
    }
    out[n] = '\0';
    if (cut && out_len >= 4)
        memcpy(out + out_len - 4, "...", 4);
}

/* The first line of buf, complete (1), still coming (0), or as much as a line may be (-1). */
static int first_line(const char *buf, size_t len, size_t max)
{
    if (memchr(buf, '\n', len))
        return 1;
    return len >= max ? -1 : 0;
}

static void quoted(const char *what, const char *buf, size_t len, char *why, size_t why_len)
{
    char text[SMSA_DETAIL_TEXT];
    size_t room = why_len > strlen(what) + 4 ? why_len - strlen(what) - 3 : 1;
    probe_printable(buf, len, text, room < sizeof(text) ? room : sizeof(text));
    snprintf(why, why_len, "%s \"%s\"", what, text);
}

int probe_parse_ssh_ident(const char *buf, size_t len, char *why, size_t why_len)
{
    int st = first_line(buf, len, SSH_IDENT_MAX);
    if (st == 0)
        return 0;
    if (st > 0 && len >= 4 && !memcmp(buf, "SSH-", 4))
        return 1;
    quoted("banner", buf, len, why, why_len);
    return -1;
}

int probe_parse_http_status(const char *buf, size_t len, unsigned *code, char *line,
                            size_t line_len, char *why, size_t why_len)
{
    int st = first_line(buf, len, GREETING_MAX);
    if (st == 0)
        return 0;
    /* HTTP-version SP 3DIGIT [SP reason]: "HTTP/1.1 200 OK" */
    if (st > 0 && len >= 12 && !memcmp(buf, "HTTP/1.", 7) && isdigit((unsigned char)buf[7]) &&
        buf[8] == ' ' && isdigit((unsigned char)buf[9]) && isdigit((unsigned char)buf[10]) &&
        isdigit((unsigned char)buf[11]) && (buf[12] == ' ' || buf[12] == '\r' || buf[12] == '\n')) {
        *code = (unsigned)(buf[9] - '0') * 100 + (unsigned)(buf[10] - '0') * 10 +
                (unsigned)(buf[11] - '0');
        probe_printable(buf, len, line, line_len);
        return 1;
    }
    quoted("answer", buf, len, why, why_len);
    return -1;
}

/* What a peer said after the connect, for the kinds that read a line: the SSH
 * identification, the HTTP status line. */
static void on_answer(int fd, unsigned events, void *arg)
{
    struct probe *pr = arg;
    ssize_t n = read_more(pr, fd, events);
    if (n < 0)
        return;
    char why[SMSA_DETAIL_TEXT], line[SMSA_DETAIL_TEXT];
    unsigned code;
    if (n == 0) {
        /* what came before the close is all there will be */
        if (pr->len == 0)
            fail(pr, CAUSE_PROTOCOL_ERROR, "closed before %s",
                 pr->kind == PROBE_SSH ? "the identification" : "the status line");
        else {
            quoted(pr->kind == PROBE_SSH ? "banner" : "answer", pr->buf, pr->len, why, sizeof(why));
            fail(pr, CAUSE_PROTOCOL_ERROR, "%s", why);
        }
        return;
    }
    pr->len += (size_t)n;
    int st = pr->kind == PROBE_SSH ? probe_parse_ssh_ident(pr->buf, pr->len, why, sizeof(why))
                                   : probe_parse_http_status(pr->buf, pr->len, &code, line,
                                                             sizeof(line), why, sizeof(why));
    if (st > 0) {
        if (pr->kind == PROBE_HTTP) /* any status line proves the service: it is the detail */
            snprintf(pr->result.detail, sizeof(pr->result.detail), "%s", line);
        finish(pr, true, CAUSE_NONE);
    } else if (st < 0) {
        fail(pr, CAUSE_PROTOCOL_ERROR, "%s", why);
    }
}

/* HTTP/1.0 asks for one answer and a close; HEAD keeps the body away. */
static void send_http_request(struct probe *pr)
{
    char req[512]; /* a host name is at most 253 characters */
    const char *h = pr->host ? pr->host : "";
    bool v6 = strchr(h, ':') != NULL;
    char port[8] = "";
    if (pr->port != 80)
        snprintf(port, sizeof(port), ":%u", pr->port);
    int n = snprintf(req, sizeof(req),
                     "HEAD / HTTP/1.0\r\nHost: %s%s%s%s\r\nUser-Agent: smsa-agent\r\n\r\n",
                     v6 ? "[" : "", h, v6 ? "]" : "", port);
    if (n < 0 || (size_t)n >= sizeof(req)) {
        fail(pr, CAUSE_ERROR, "host name too long");
        return;
    }
    ssize_t w = io->send(pr->fd, req, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) {
        fail_errno(pr, errno);
        return;
    }
    if (w != n) /* a fresh socket's buffer takes a few hundred bytes whole */
        fail(pr, CAUSE_ERROR, "request not sent whole");
}

static void on_tls(int fd, unsigned events, void *arg)
{
    struct probe *pr = arg;
    bool want_write = false;
    char why[SMSA_DETAIL_TEXT];
    switch (tlsp_step(pr->tls, &want_write, why, sizeof(why))) {
    case 1:
        tlsp_result(pr->tls, &pr->result.tls);
        finish(pr, true, CAUSE_NONE);
        return;
    case 0:
        if (io->rewatch(fd, want_write ? LOOP_WRITE : LOOP_READ) < 0)
            fail(pr, CAUSE_ERROR, "cannot watch the socket");
        return;
    default:
        fail(pr, CAUSE_PROTOCOL_ERROR, "TLS: %s", why);
        return;
    }
}

static void start_tls(struct probe *pr)
{
    char why[SMSA_DETAIL_TEXT];
    io->unwatch(pr->fd);
    pr->waiting = "no TLS handshake";
    pr->tls = tlsp_new(pr->fd, pr->host, why, sizeof(why));
    if (!pr->tls) {
        fail(pr, CAUSE_ERROR, "TLS: %s", why);
        return;
    }
    if (watch(pr, LOOP_WRITE, on_tls) < 0)
        fail(pr, CAUSE_ERROR, "cannot watch the socket");
}

/* The service's own exchange, once connected (through the proxy's tunnel, if any). */
static void start_service(struct probe *pr)
{
    int fd = pr->fd;
    pr->len = 0;
    if (pr->kind == PROBE_SMTP || pr->kind == PROBE_FTP) {
        io->unwatch(fd);
        if (watch(pr, LOOP_READ, on_greeting) < 0)
            fail(pr, CAUSE_ERROR, "cannot watch the socket");
        return;
    }
    if (pr->kind == PROBE_SSH || pr->kind == PROBE_HTTP) {
        io->unwatch(fd);
        if (pr->kind == PROBE_HTTP)
            send_http_request(pr);
        if (!pr->done && watch(pr, LOOP_READ, on_answer) < 0)
            fail(pr, CAUSE_ERROR, "cannot watch the socket");
        return;
    }
    if (pr->kind == PROBE_TLS) {
        start_tls(pr);
        return;
    }
    finish(pr, true, CAUSE_NONE);
}

size_t probe_http_header_end(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (i + 1 < len && buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* The proxy's answer to CONNECT (RFC 9110 §9.3.6): any 2xx opens the tunnel; anything else
 * is the proxy's no, shown as its status ("403 Forbidden"). */
static void on_proxy_answer(int fd, unsigned events, void *arg)
{
    struct probe *pr = arg;
    ssize_t n = read_more(pr, fd, events);
    if (n < 0)
        return;
    if (n == 0) {
        fail(pr, CAUSE_PROTOCOL_ERROR, "proxy closed before its answer");
        return;
    }
    pr->len += (size_t)n;
    size_t end = probe_http_header_end(pr->buf, pr->len);
    if (!end) {
        if (pr->len >= GREETING_MAX)
            fail(pr, CAUSE_PROTOCOL_ERROR, "proxy answer too long");
        return;
    }
    char why[SMSA_DETAIL_TEXT], line[SMSA_DETAIL_TEXT];
    unsigned code = 0;
    if (probe_parse_http_status(pr->buf, end, &code, line, sizeof(line), why, sizeof(why)) <= 0) {
        fail(pr, CAUSE_PROTOCOL_ERROR, "proxy %s", why);
        return;
    }
    if (code < 200 || code > 299) {
        fail(pr, CAUSE_PROTOCOL_ERROR, "%s", line + 9); /* past "HTTP/1.x " */
        return;
    }
    pr->waiting = NULL;
    start_service(pr);
}

static void send_connect(struct probe *pr)
{
    char target[300], req[700];
    const char *h = pr->host ? pr->host : "";
    bool v6 = strchr(h, ':') != NULL;
    snprintf(target, sizeof(target), "%s%s%s:%u", v6 ? "[" : "", h, v6 ? "]" : "", pr->port);
    snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: smsa-agent\r\n\r\n",
             target, target);
    pr->waiting = "no proxy answer";
    pr->len = 0;
    io->unwatch(pr->fd);
    if (!pr->buf && !(pr->buf = malloc(GREETING_MAX))) {
        fail(pr, CAUSE_ERROR, "out of memory");
        return;
    }
    if (!send_line(pr, req))
        return;
    if (watch(pr, LOOP_READ, on_proxy_answer) < 0)
        fail(pr, CAUSE_ERROR, "cannot watch the socket");
}

static void on_connect(int fd, unsigned events, void *arg)
{
    struct probe *pr = arg;
    int err = io->sock_error(fd);
    if (err != 0) {
        fail_errno(pr, err);
        return;
    }
    pr->result.rtt_us = loop_now_us() - pr->start_us;
    if (pr->via)
        send_connect(pr);
    else
        start_service(pr);
}

/* The root has NS records everywhere; any other name is asked for its address. */
static uint16_t dns_qtype(const char *name)
{
    return !name[0] || !strcmp(name, ".") ? DNSMSG_TYPE_NS : DNSMSG_TYPE_A;
}

/* RFC 1035 §4.1.1 and RFC 6895 §2.3: the names operators know from dig. */
static const char *rcode_name(unsigned rcode)
{
    static const char *const n[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                    "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                    "NXRRSET", "NOTAUTH", "NOTZONE"};
    static char other[16];
    if (rcode < sizeof(n) / sizeof(n[0]))
        return n[rcode];
    snprintf(other, sizeof(other), "%u", rcode);
    return other;
}

static void on_dns_reply(int fd, unsigned events, void *arg)
{
    struct probe *pr = arg;
    uint8_t buf[DNSMSG_MAX_UDP + 1];
    ssize_t n = io->recv(fd, buf, sizeof(buf), MSG_TRUNC);
    if (n < 0) {
        recv_failed(pr, events, errno);
        return;
    }
    /* MSG_TRUNC gives the real length: an oversized datagram is refused, not cut to fit */
    if ((size_t)n > DNSMSG_MAX_UDP) {
        fail(pr, CAUSE_PROTOCOL_ERROR, "reply of %zd bytes", n);
        return;
    }
    struct dnsmsg_reply r;
    memset(&r, 0, sizeof(r));
    enum dnsmsg_status st =
        dnsmsg_decode_reply(buf, (size_t)n, pr->dns_id, pr->dns_name, dns_qtype(pr->dns_name), &r);
    if (st == DNSMSG_OK)
        finish(pr, true, CAUSE_NONE);
    else if (st == DNSMSG_RCODE)
        fail(pr, CAUSE_PROTOCOL_ERROR, "rcode %s", rcode_name(r.rcode));
    else
        fail(pr, CAUSE_PROTOCOL_ERROR, "reply %s", dnsmsg_status_name(st));
}

static void on_ntp_reply(int fd, unsigned events, void *arg)
{
    struct probe *pr = arg;
    uint8_t buf[SNTP_MAX_PACKET_LEN + 1];
    ssize_t n = io->recv(fd, buf, sizeof(buf), MSG_TRUNC);
    int64_t t4 = loop_wall_us();
    if (n < 0) {
        recv_failed(pr, events, errno);
        return;
    }
    if ((size_t)n > SNTP_MAX_PACKET_LEN) {
        fail(pr, CAUSE_PROTOCOL_ERROR, "reply of %zd bytes", n);
        return;
    }
    struct sntp_reply r;
    memset(&r, 0, sizeof(r));
    enum sntp_status st = sntp_decode_reply(buf, (size_t)n, pr->ntp_xmt, &r);
    struct smsa_ntp_result *out = &pr->result.ntp;
    switch (st) {
    case SNTP_OK:
        out->valid = true;
        out->stratum = r.stratum;
        out->leap = r.leap;
        snprintf(out->refid, sizeof(out->refid), "%s", r.refid);
        sntp_offset_delay(pr->ntp_t1_us, &r, t4, &out->offset_us, &out->delay_us);
        finish(pr, true, CAUSE_NONE);
        return;
    case SNTP_KOD_DENY:
    case SNTP_KOD_RSTR:
    case SNTP_KOD_RATE:
        snprintf(out->refid, sizeof(out->refid), "%s",
                 st == SNTP_KOD_DENY   ? "DENY"
                 : st == SNTP_KOD_RSTR ? "RSTR"
                                       : "RATE");
        out->stratum = 0;
        fail(pr, CAUSE_KISS_OF_DEATH, "KoD %s", out->refid);
        return;
    case SNTP_BAD_STRATUM:
        fail(pr, CAUSE_PROTOCOL_ERROR, "stratum %u", r.stratum);
        return;
    case SNTP_KOD_OTHER:
        fail(pr, CAUSE_PROTOCOL_ERROR, "KoD %s", r.refid);
        return;
    default:
        fail(pr, CAUSE_PROTOCOL_ERROR, "reply %s", sntp_status_name(st));
        return;
    }
}

static void start_tcp(struct probe *pr, const struct probe_params *p)
{
    pr->fd = io->open(p->addr->ss_family, SOCK_STREAM);
    if (pr->fd < 0) {
        fail_errno(pr, errno);
        return;
    }
    if (io->connect(pr->fd, (const struct sockaddr *)p->addr, p->addrlen) == 0) {
        on_connect(pr->fd, LOOP_WRITE, pr);
        return;
    }
    if (errno != EINPROGRESS) {
        fail_errno(pr, errno);
        return;
    }
    if (watch(pr, LOOP_WRITE, on_connect) < 0)
        fail(pr, CAUSE_ERROR, "cannot watch the socket");
}

static void start_udp(struct probe *pr, const struct probe_params *p, const void *msg, size_t len,
                      loop_fd_cb on_reply)
{
    pr->fd = io->open(p->addr->ss_family, SOCK_DGRAM);
    if (pr->fd < 0) {
        fail_errno(pr, errno);
        return;
    }
    /* a connected UDP socket only accepts datagrams from the server's address and port;
     * the ICMP errors it is sent come through the error queue (sys_open) */
    if (io->connect(pr->fd, (const struct sockaddr *)p->addr, p->addrlen) < 0 ||
        io->send(pr->fd, msg, len, 0) != (ssize_t)len) {
        fail_errno(pr, errno);
        return;
    }
    if (watch(pr, LOOP_READ, on_reply) < 0)
        fail(pr, CAUSE_ERROR, "cannot watch the socket");
}

struct probe *probe_start(const struct probe_params *p, probe_cb cb, void *arg)
{
    struct probe *pr = calloc(1, sizeof(*pr));
    if (!pr)
        return NULL;
    pr->kind = p->kind;
    pr->fd = -1;
    pr->cb = cb;
    pr->arg = arg;
    pr->start_us = loop_now_us();
    pr->timeout_ms = p->timeout_ms;
    pr->result.rtt_us = -1;
    if (p->addrlen <= sizeof(pr->dest))
        memcpy(&pr->dest, p->addr, p->addrlen);
    if ((p->host && (p->kind == PROBE_TLS || p->kind == PROBE_HTTP || p->kind == PROBE_SMTP) &&
         !(pr->host = strdup(p->host))) ||
        (p->via_proxy && !(pr->via = strdup(p->via_proxy)))) {
        free(pr->host);
        free(pr);
        return NULL;
    }
    pr->port = p->port ? p->port
                       : ntohs(p->addr->ss_family == AF_INET6
                                   ? ((const struct sockaddr_in6 *)p->addr)->sin6_port
                                   : ((const struct sockaddr_in *)p->addr)->sin_port);
    loop_timer_start(&pr->timer, (int64_t)p->timeout_ms * 1000, timed_out, pr);

    switch (p->kind) {
    case PROBE_TCP:
    case PROBE_SMTP:
    case PROBE_FTP:
    case PROBE_SSH:
    case PROBE_TLS:
    case PROBE_HTTP:
        start_tcp(pr, p);
        break;
    case PROBE_DNS: {
        uint8_t q[DNSMSG_MAX_UDP];
        if (getrandom(&pr->dns_id, sizeof(pr->dns_id), GRND_NONBLOCK) != sizeof(pr->dns_id))
            pr->dns_id = (uint16_t)rand();
        pr->dns_name = p->dns_query_name;
        int len = dnsmsg_encode_query(q, sizeof(q), pr->dns_id, p->dns_query_name,
                                      dns_qtype(p->dns_query_name));
        if (len < 0) {
            fail(pr, CAUSE_ERROR, "cannot encode the query");
            break;
        }
        start_udp(pr, p, q, (size_t)len, on_dns_reply);
        break;
    }
    case PROBE_NTP: {
        uint8_t q[SNTP_PACKET_LEN];
        /* RFC 5905 §15 / RFC 9109: a random transmit timestamp is the nonce the reply must
         * echo; our real send time stays here */
        if (getrandom(&pr->ntp_xmt, sizeof(pr->ntp_xmt), GRND_NONBLOCK) != sizeof(pr->ntp_xmt))
            pr->ntp_xmt = ((uint64_t)rand() << 32) | (uint64_t)rand();
        pr->ntp_t1_us = loop_wall_us();
        sntp_encode_request(q, pr->ntp_xmt);
        start_udp(pr, p, q, sizeof(q), on_ntp_reply);
        break;
    }
    case PROBE_LISTEN:
        fail(pr, CAUSE_ERROR, "not a remote probe"); /* the engine checks listeners itself */
        break;
    }
    return pr;
}

void probe_cancel(struct probe *pr)
{
    if (pr)
        release(pr);
}
