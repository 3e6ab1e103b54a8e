/* One probe on the loop's virtual clock, its system calls scripted (probe.c is included and
 * its I/O table replaced, the chrony way): what the operator reads for each way a check
 * ends — the state, the cause and the detail — and the rtt measured on the test clock. A
 * timeout, a refusal, no route, a firewall's no (an errno, or an ICMP error in the error
 * queue naming who sent it), a bad or hostile greeting, banner, status line, DNS reply or
 * NTP Kiss-o'-Death. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

/* before cmocka.h, whose fail() macro would take the name of probe.c's own */
#include "../../agent/core/probe.c"

#include <cmocka.h>
#include <linux/errqueue.h>

#define MS 1000LL
#define T0 (100 * 1000000LL)
#define W0 1700000000000000LL
#define FD 700 /* never a real descriptor of this process: every call on it is scripted */

/* ---- the script ---- */

struct chunk {
    char data[8192];
    size_t len;
    int err; /* recv fails with this errno instead (EAGAIN: nothing yet) */
};

struct icmp_script {
    bool queued;
    int family; /* AF_INET or AF_INET6 */
    unsigned type, code;
    const char *offender;
};

static struct {
    int connect_errno; /* TCP: 0 connects at once; EINPROGRESS later; else fails (UDP: 0) */
    bool udp;
    int so_error; /* how the non-blocking connect ended */
    struct chunk rx[8];
    size_t n_rx, next_rx;
    struct icmp_script icmp;
    char sent[8192];
    size_t n_sent;
    int watched_fd; /* -1: none */
    unsigned watched_events;
    loop_fd_cb cb;
    void *cb_arg;
    int opened, closed;
} io_s;

static int s_open(int family, int type)
{
    (void)family;
    io_s.udp = type == SOCK_DGRAM;
    io_s.opened++;
    return FD;
}

static int s_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    (void)addr;
    (void)len;
    assert_int_equal(fd, FD);
    if (!io_s.connect_errno || io_s.udp)
        return 0;
    errno = io_s.connect_errno;
    return -1;
}

static int s_sock_error(int fd)
{
    assert_int_equal(fd, FD);
    return io_s.so_error;
}

static ssize_t s_send(int fd, const void *buf, size_t len, int flags)
{
    (void)flags;
    assert_int_equal(fd, FD);
    assert_true(io_s.n_sent + len <= sizeof(io_s.sent));
    memcpy(io_s.sent + io_s.n_sent, buf, len);
    io_s.n_sent += len;
    return (ssize_t)len;
}

static ssize_t s_recv(int fd, void *buf, size_t len, int flags)
{
    assert_int_equal(fd, FD);
    if (io_s.next_rx >= io_s.n_rx) {
        errno = EAGAIN;
        return -1;
    }
    struct chunk *c = &io_s.rx[io_s.next_rx++];
    if (c->err) {
        errno = c->err;
        return -1;
    }
    size_t n = c->len < len ? c->len : len;
    memcpy(buf, c->data, n);
    return (ssize_t)((flags & MSG_TRUNC) ? c->len : n); /* a datagram's real length */
}

/* The kernel's error queue: one sock_extended_err naming the ICMP message and its sender. */
static ssize_t s_recvmsg(int fd, struct msghdr *msg, int flags)
{
    assert_int_equal(fd, FD);
    assert_true(flags & MSG_ERRQUEUE);
    if (!io_s.icmp.queued) {
        errno = EAGAIN;
        return -1;
    }
    io_s.icmp.queued = false;
    bool v6 = io_s.icmp.family == AF_INET6;
    size_t addr_len = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    size_t need = CMSG_SPACE(sizeof(struct sock_extended_err) + addr_len);
    assert_true(msg->msg_controllen >= need);
    memset(msg->msg_control, 0, need);
    msg->msg_controllen = need;
    struct cmsghdr *c = CMSG_FIRSTHDR(msg);
    c->cmsg_level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
    c->cmsg_type = v6 ? IPV6_RECVERR : IP_RECVERR;
    c->cmsg_len = CMSG_LEN(sizeof(struct sock_extended_err) + addr_len);
    struct sock_extended_err *ee = (void *)CMSG_DATA(c);
    ee->ee_errno = EHOSTUNREACH;
    ee->ee_origin = v6 ? SO_EE_ORIGIN_ICMP6 : SO_EE_ORIGIN_ICMP;
    ee->ee_type = (uint8_t)io_s.icmp.type;
    ee->ee_code = (uint8_t)io_s.icmp.code;
    struct sockaddr *off = SO_EE_OFFENDER(ee);
    if (v6) {
        struct sockaddr_in6 *a = (void *)off;
        a->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, io_s.icmp.offender, &a->sin6_addr), 1);
    } else {
        struct sockaddr_in *a = (void *)off;
        a->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, io_s.icmp.offender, &a->sin_addr), 1);
    }
    return 0;
}

static int s_close(int fd)
{
    assert_int_equal(fd, FD);
    io_s.closed++;
    return 0;
}

static int s_watch(int fd, unsigned events, loop_fd_cb cb, void *arg)
{
    assert_int_equal(fd, FD);
    assert_int_equal(io_s.watched_fd, -1); /* the loop takes one watch per fd */
    io_s.watched_fd = fd;
    io_s.watched_events = events;
    io_s.cb = cb;
    io_s.cb_arg = arg;
    return 0;
}

static int s_rewatch(int fd, unsigned events)
{
    assert_int_equal(fd, io_s.watched_fd);
    io_s.watched_events = events;
    return 0;
}

static void s_unwatch(int fd)
{
    if (fd == io_s.watched_fd)
        io_s.watched_fd = -1;
}

static const struct probe_io script_io = {
    .open = s_open,
    .connect = s_connect,
    .sock_error = s_sock_error,
    .send = s_send,
    .recv = s_recv,
    .recvmsg = s_recvmsg,
    .close = s_close,
    .watch = s_watch,
    .rewatch = s_rewatch,
    .unwatch = s_unwatch,
};

/* What the peer sends next (a chunk of a stream, or one datagram). */
static void peer_sends(const void *data, size_t len)
{
    assert_true(io_s.n_rx < sizeof(io_s.rx) / sizeof(io_s.rx[0]));
    assert_true(len <= sizeof(io_s.rx[0].data));
    struct chunk *c = &io_s.rx[io_s.n_rx++];
    memcpy(c->data, data, len);
    c->len = len;
    c->err = 0;
}

static void peer_says(const char *text)
{
    peer_sends(text, strlen(text));
}

static void peer_closes(void)
{
    peer_sends("", 0);
}

static void recv_fails(int err)
{
    peer_sends("", 0);
    io_s.rx[io_s.n_rx - 1].err = err;
}

/* The loop reports the watched fd ready, as epoll would, with what it waits for. */
static void becomes_ready(unsigned extra)
{
    assert_int_equal(io_s.watched_fd, FD);
    io_s.cb(FD, (io_s.watched_events & (LOOP_READ | LOOP_WRITE)) | extra, io_s.cb_arg);
}

/* ---- the probe under test ---- */

static struct probe_addr_result got;
static int n_got;

static void on_result(const struct probe_addr_result *r, void *arg)
{
    (void)arg;
    got = *r;
    n_got++;
}

static struct sockaddr_storage dest;

static struct probe *start(enum smsa_probe_kind kind, const char *ip, uint16_t port,
                           unsigned timeout_ms, const char *host)
{
    memset(&dest, 0, sizeof(dest));
    if (strchr(ip, ':')) {
        struct sockaddr_in6 *a = (void *)&dest;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        assert_int_equal(inet_pton(AF_INET6, ip, &a->sin6_addr), 1);
    } else {
        struct sockaddr_in *a = (void *)&dest;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        assert_int_equal(inet_pton(AF_INET, ip, &a->sin_addr), 1);
    }
    struct probe_params p = {
        .kind = kind,
        .addr = &dest,
        .addrlen =
            dest.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
        .timeout_ms = timeout_ms,
        .dns_query_name = "example.org",
        .host = host,
    };
    struct probe *pr = probe_start(&p, on_result, NULL);
    assert_non_null(pr);
    assert_int_equal(n_got, 0); /* never inside probe_start */
    return pr;
}

/* Lets the loop run what is due now (the result is delivered from a zero timer). */
static void settle(void)
{
    loop_clock_advance(0);
}

/* The probe has ended once, as the user sees it, and left nothing behind. */
static void assert_result(bool ok, enum smsa_cause cause, const char *detail)
{
    settle();
    assert_int_equal(n_got, 1);
    assert_int_equal(got.ok, ok);
    assert_string_equal(smsa_cause_name(got.cause), smsa_cause_name(cause));
    assert_string_equal(got.detail, detail);
    assert_int_equal(io_s.watched_fd, -1);
    assert_int_equal(io_s.closed, io_s.opened);
}

/* A TCP connect in progress, then connected ms later. */
static void connected_after(int64_t ms)
{
    assert_int_equal(io_s.watched_fd, FD);
    assert_true(io_s.watched_events & LOOP_WRITE);
    loop_clock_advance(ms * MS);
    io_s.so_error = 0;
    becomes_ready(0);
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(loop_init(), 0);
    loop_clock_set(T0, W0);
    memset(&io_s, 0, sizeof(io_s));
    io_s.watched_fd = -1;
    io_s.connect_errno = EINPROGRESS;
    io = &script_io;
    memset(&got, 0, sizeof(got));
    n_got = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    loop_fini();
    io = &sys_io;
    return 0;
}

/* ---- TCP: how a connect ends ---- */

static void test_connect_rtt_on_the_test_clock(void **state)
{
    (void)state;
    start(PROBE_TCP, "192.0.2.10", 41002, 3000, NULL);
    connected_after(7);
    assert_result(true, CAUSE_NONE, "");
    assert_int_equal(got.rtt_us, 7 * MS);
}

static void test_connect_timeout(void **state)
{
    (void)state;
    start(PROBE_TCP, "192.0.2.10", 41002, 3000, NULL);
    loop_clock_advance(2999 * MS);
    assert_int_equal(n_got, 0); /* not a microsecond early */
    loop_clock_advance(1 * MS);
    assert_result(false, CAUSE_TIMEOUT, "no answer in 3000 ms");
    assert_true(got.rtt_us < 0);
}

static void test_connect_refused(void **state)
{
    (void)state;
    start(PROBE_TCP, "192.0.2.10", 41002, 3000, NULL);
    io_s.so_error = ECONNREFUSED;
    becomes_ready(LOOP_ERROR);
    assert_result(false, CAUSE_REFUSED, "connection refused");
}

static void test_no_route_is_unreachable(void **state)
{
    (void)state;
    start(PROBE_TCP, "192.0.2.10", 41002, 3000, NULL);
    io_s.so_error = EHOSTUNREACH;
    becomes_ready(LOOP_ERROR);
    assert_result(false, CAUSE_UNREACHABLE, "no route to host");
}

static void test_network_unreachable_at_connect(void **state)
{
    (void)state;
    io_s.connect_errno = ENETUNREACH; /* no route at all: connect says so at once */
    start(PROBE_TCP, "192.0.2.10", 41002, 3000, NULL);
    assert_result(false, CAUSE_UNREACHABLE, "network is unreachable");
}

static void test_prohibit_route_and_own_firewall(void **state)
{
    (void)state;
    io_s.connect_errno = EACCES; /* ip route add prohibit ... */
    start(PROBE_TCP, "192.0.2.10", 41002, 3000, NULL);
    assert_result(false, CAUSE_PROHIBITED, "administratively prohibited, by a route of this host");

    teardown(state);
    setup(state);
    io_s.connect_errno = EPERM; /* this host's output chain drops it */
    start(PROBE_TCP, "192.0.2.10", 41002, 3000, NULL);
    assert_result(false, CAUSE_PROHIBITED, "administratively prohibited, by this host's firewall");
}

/* A router's "reject with icmp admin-prohibited": the socket says only EHOSTUNREACH; the error
 * queue says it was a firewall's no, and whose. */
static void test_icmp_admin_prohibited_names_the_sender(void **state)
{
    (void)state;
    start(PROBE_TCP, "192.0.2.10", 41002, 3000, NULL);
    io_s.so_error = EHOSTUNREACH;
    io_s.icmp = (struct icmp_script){true, AF_INET, 3, 13, "198.51.100.1"};
    becomes_ready(LOOP_ERROR);
    assert_result(false, CAUSE_PROHIBITED, "administratively prohibited, from 198.51.100.1");
}

static void test_icmp6_admin_prohibited_names_the_sender(void **state)
{
    (void)state;
    start(PROBE_TCP, "2001:db8::10", 41002, 3000, NULL);
    io_s.so_error = EACCES;
    io_s.icmp = (struct icmp_script){true, AF_INET6, 1, 1, "2001:db8::1"};
    becomes_ready(LOOP_ERROR);
    assert_result(false, CAUSE_PROHIBITED, "administratively prohibited, from 2001:db8::1");
}

/* ---- SMTP and FTP greetings ---- */

static void test_smtp_greeting_554(void **state)
{
    (void)state;
    start(PROBE_SMTP, "192.0.2.25", 25, 3000, "mx.example.org");
    connected_after(2);
    peer_says("554 5.7.1 mx.example.org: no service for you\r\n");
    becomes_ready(0);
    assert_result(false, CAUSE_PROTOCOL_ERROR, "greeting 554");
}

static void test_smtp_greeting_then_ehlo(void **state)
{
    (void)state;
    start(PROBE_SMTP, "192.0.2.25", 25, 3000, "mx.example.org");
    connected_after(3);
    peer_says("220-mx.example.org ESMTP\r\n");
    becomes_ready(0);
    assert_int_equal(n_got, 0); /* a continuation line: more to come */
    peer_says("220 ready\r\n");
    becomes_ready(0);
    assert_memory_equal(io_s.sent, "EHLO ", 5);
    peer_says("250-mx.example.org\r\n250 SIZE 1000000\r\n");
    becomes_ready(0);
    assert_result(true, CAUSE_NONE, ""); /* no STARTTLS offered: the greeting proved it */
    assert_int_equal(got.rtt_us, 3 * MS);
    assert_non_null(strstr(io_s.sent, "QUIT\r\n"));
}

static void test_greeting_never_comes(void **state)
{
    (void)state;
    start(PROBE_SMTP, "192.0.2.25", 25, 2000, "mx.example.org");
    connected_after(1);
    becomes_ready(0);              /* woken with nothing to read */
    loop_clock_advance(1998 * MS); /* the timeout counts from the start, connect included */
    assert_int_equal(n_got, 0);
    loop_clock_advance(1 * MS);
    assert_result(false, CAUSE_TIMEOUT, "no greeting in 2000 ms");
    assert_int_equal(got.rtt_us, 1 * MS); /* the connect's, kept */
}

static void test_greeting_binary(void **state)
{
    (void)state;
    start(PROBE_FTP, "192.0.2.21", 21, 3000, NULL);
    connected_after(1);
    static const char junk[] = {'\x00', '\xff', '\x1b', '[', '2', 'J', '\r', '\n'};
    peer_sends(junk, sizeof(junk));
    becomes_ready(0);
    assert_result(false, CAUSE_PROTOCOL_ERROR, "greeting not text");
}

static void test_greeting_overlong_without_crlf(void **state)
{
    (void)state;
    start(PROBE_FTP, "192.0.2.21", 21, 3000, NULL);
    connected_after(1);
    static char flood[GREETING_MAX];
    memcpy(flood, "220 ", 4);
    memset(flood + 4, 'A', sizeof(flood) - 4); /* a greeting that never ends its line */
    peer_sends(flood, 3000);
    becomes_ready(0);
    assert_int_equal(n_got, 0);
    peer_sends(flood + 3000, sizeof(flood) - 3000);
    becomes_ready(0);
    assert_result(false, CAUSE_PROTOCOL_ERROR, "greeting too long");
}

static void test_closed_before_greeting(void **state)
{
    (void)state;
    start(PROBE_SMTP, "192.0.2.25", 25, 3000, "mx.example.org");
    connected_after(1);
    peer_closes();
    becomes_ready(0);
    assert_result(false, CAUSE_PROTOCOL_ERROR, "closed before the greeting");
}

/* ---- SSH identification, HTTP status line ---- */

static void test_ssh_identification(void **state)
{
    (void)state;
    start(PROBE_SSH, "192.0.2.22", 22, 3000, NULL);
    connected_after(4);
    peer_says("SSH-2.0-Open");
    becomes_ready(0);
    assert_int_equal(n_got, 0); /* half a line: wait for the rest */
    peer_says("SSH_9.2p1 Debian-2\r\n");
    becomes_ready(0);
    assert_result(true, CAUSE_NONE, "");
    assert_int_equal(got.rtt_us, 4 * MS);
}

static void test_ssh_not_ssh(void **state)
{
    (void)state;
    start(PROBE_SSH, "192.0.2.22", 22, 3000, NULL);
    connected_after(1);
    peer_says("220 \"mail\" \\ ESMTP\r\n");
    becomes_ready(0);
    /* the quote and backslash become '?': the detail is quoted in log lines */
    assert_result(false, CAUSE_PROTOCOL_ERROR, "banner \"220 ?mail? ? ESMTP\"");
}

/* Binary, no CR LF, longer than any identification: the detail stays short, printable and
 * quoted, whatever the peer sent. */
static void test_ssh_hostile_banner(void **state)
{
    (void)state;
    start(PROBE_SSH, "192.0.2.22", 22, 3000, NULL);
    connected_after(1);
    char flood[600];
    for (size_t i = 0; i < sizeof(flood); i++)
        flood[i] = (char)(i % 3 ? 'X' : 0x80 + (int)(i % 100));
    peer_sends(flood, sizeof(flood));
    becomes_ready(0);
    settle();
    assert_int_equal(n_got, 1);
    assert_int_equal(got.cause, CAUSE_PROTOCOL_ERROR);
    size_t n = strlen(got.detail);
    assert_true(n < SMSA_DETAIL_TEXT);
    assert_memory_equal(got.detail, "banner \"?XX?XX", 14);
    assert_memory_equal(got.detail + n - 4, "...\"", 4); /* cut, and says so */
    for (size_t i = 0; i < n; i++)
        assert_true(got.detail[i] >= 0x20 && got.detail[i] < 0x7f);
}

static void test_ssh_banner_never_comes(void **state)
{
    (void)state;
    start(PROBE_SSH, "192.0.2.22", 22, 1500, NULL);
    connected_after(1);
    loop_clock_advance(1500 * MS);
    assert_result(false, CAUSE_TIMEOUT, "no identification in 1500 ms");
}

static void test_http_status_line(void **state)
{
    (void)state;
    start(PROBE_HTTP, "192.0.2.80", 8080, 3000, "updates.example.org");
    connected_after(5);
    assert_non_null(strstr(io_s.sent, "HEAD / HTTP/1.0\r\nHost: updates.example.org:8080\r\n"));
    peer_says("HTTP/1.1 403 Forbidden\r\nServer: x\r\n\r\n");
    becomes_ready(0);
    /* any status line proves an HTTP service: it is what the operator reads */
    assert_result(true, CAUSE_NONE, "HTTP/1.1 403 Forbidden");
    assert_int_equal(got.rtt_us, 5 * MS);
}

static void test_http_not_http(void **state)
{
    (void)state;
    start(PROBE_HTTP, "192.0.2.80", 80, 3000, "updates.example.org");
    connected_after(1);
    assert_non_null(strstr(io_s.sent, "Host: updates.example.org\r\n")); /* :80 left out */
    peer_says("SSH-2.0-OpenSSH_9.2\r\n");
    becomes_ready(0);
    assert_result(false, CAUSE_PROTOCOL_ERROR, "answer \"SSH-2.0-OpenSSH_9.2\"");
}

/* ---- DNS ---- */

/* The server's answer to the query the probe sent: the query echoed with QR set, rcode and
 * id as given. */
static void dns_answers(unsigned rcode, int id_delta)
{
    assert_true(io_s.n_sent >= 12);
    uint8_t r[DNSMSG_MAX_UDP];
    memcpy(r, io_s.sent, io_s.n_sent);
    uint16_t id = (uint16_t)((r[0] << 8 | r[1]) + id_delta);
    r[0] = (uint8_t)(id >> 8);
    r[1] = (uint8_t)id;
    r[2] |= 0x80;                   /* QR */
    r[3] = (uint8_t)(0x80 | rcode); /* RA, rcode */
    peer_sends(r, io_s.n_sent);
    becomes_ready(0);
}

static void test_dns_rcode(void **state)
{
    (void)state;
    start(PROBE_DNS, "192.0.2.53", 53, 3000, NULL);
    assert_true(io_s.watched_events & LOOP_READ);
    dns_answers(5, 0);
    assert_result(false, CAUSE_PROTOCOL_ERROR, "rcode REFUSED");

    teardown(state);
    setup(state);
    start(PROBE_DNS, "192.0.2.53", 53, 3000, NULL);
    dns_answers(2, 0);
    assert_result(false, CAUSE_PROTOCOL_ERROR, "rcode SERVFAIL");
}

static void test_dns_answer_and_rtt(void **state)
{
    (void)state;
    start(PROBE_DNS, "192.0.2.53", 53, 3000, NULL);
    loop_clock_advance(12 * MS);
    dns_answers(3, 0); /* NXDOMAIN: the server serves us; the name is not the question */
    assert_result(true, CAUSE_NONE, "");
    assert_int_equal(got.rtt_us, 12 * MS);
}

static void test_dns_id_mismatch(void **state)
{
    (void)state;
    start(PROBE_DNS, "192.0.2.53", 53, 3000, NULL);
    dns_answers(0, 1); /* spoofed or stale */
    assert_result(false, CAUSE_PROTOCOL_ERROR, "reply bad-id");
}

static void test_dns_oversized(void **state)
{
    (void)state;
    start(PROBE_DNS, "192.0.2.53", 53, 3000, NULL);
    static uint8_t big[DNSMSG_MAX_UDP + 100];
    peer_sends(big, sizeof(big));
    becomes_ready(0);
    assert_result(false, CAUSE_PROTOCOL_ERROR, "reply of 612 bytes");
}

static void test_dns_no_reply(void **state)
{
    (void)state;
    start(PROBE_DNS, "192.0.2.53", 53, 1000, NULL);
    loop_clock_advance(1000 * MS);
    assert_result(false, CAUSE_TIMEOUT, "no reply in 1000 ms");
}

/* UDP: an ICMP error leaves no socket error; the loop's error flag sends the probe to the
 * error queue. */
static void test_dns_icmp_prohibited(void **state)
{
    (void)state;
    start(PROBE_DNS, "192.0.2.53", 53, 3000, NULL);
    io_s.icmp = (struct icmp_script){true, AF_INET, 3, 10, "203.0.113.9"};
    recv_fails(EAGAIN);
    becomes_ready(LOOP_ERROR);
    assert_result(false, CAUSE_PROHIBITED, "administratively prohibited, from 203.0.113.9");
}

static void test_dns_port_unreachable_from_the_server(void **state)
{
    (void)state;
    start(PROBE_DNS, "192.0.2.53", 53, 3000, NULL);
    io_s.icmp = (struct icmp_script){true, AF_INET, 3, 3, "192.0.2.53"};
    recv_fails(ECONNREFUSED);
    becomes_ready(LOOP_ERROR);
    assert_result(false, CAUSE_REFUSED, "connection refused");
}

/* ---- NTP ---- */

/* A server's reply to the request the probe sent: mode 4, the probe's transmit timestamp as
 * origin. */
static void ntp_answers(unsigned stratum, const char *refid)
{
    assert_int_equal(io_s.n_sent, SNTP_PACKET_LEN);
    uint8_t r[SNTP_PACKET_LEN] = {0};
    r[0] = (0 << 6) | (4 << 3) | 4;
    r[1] = (uint8_t)stratum;
    memcpy(r + 12, refid, 4);
    memcpy(r + 24, io_s.sent + 40, 8); /* origin = our transmit */
    memcpy(r + 32, io_s.sent + 40, 8); /* receive, transmit: not zero */
    memcpy(r + 40, io_s.sent + 40, 8);
    peer_sends(r, sizeof(r));
    becomes_ready(0);
}

static void test_ntp_kiss_of_death(void **state)
{
    static const char *const codes[] = {"DENY", "RSTR", "RATE"};
    for (size_t i = 0; i < 3; i++) {
        if (i) {
            teardown(state);
            setup(state);
        }
        start(PROBE_NTP, "192.0.2.123", 123, 3000, NULL);
        ntp_answers(0, codes[i]);
        char want[16];
        snprintf(want, sizeof(want), "KoD %s", codes[i]);
        assert_result(false, CAUSE_KISS_OF_DEATH, want);
        assert_string_equal(got.ntp.refid, codes[i]); /* the core's back-off reads it */
    }
}

static void test_ntp_other_kiss_code(void **state)
{
    (void)state;
    start(PROBE_NTP, "192.0.2.123", 123, 3000, NULL);
    ntp_answers(0, "INIT");
    assert_result(false, CAUSE_PROTOCOL_ERROR, "KoD INIT");
}

static void test_ntp_reply_and_rtt(void **state)
{
    (void)state;
    start(PROBE_NTP, "192.0.2.123", 123, 3000, NULL);
    loop_clock_advance(9 * MS);
    ntp_answers(2, "\xc0\x00\x02\x01");
    assert_result(true, CAUSE_NONE, "");
    assert_int_equal(got.rtt_us, 9 * MS);
    assert_true(got.ntp.valid);
    assert_int_equal(got.ntp.stratum, 2);
    assert_string_equal(got.ntp.refid, "192.0.2.1");
}

static void test_ntp_stratum_16(void **state)
{
    (void)state;
    start(PROBE_NTP, "192.0.2.123", 123, 3000, NULL);
    ntp_answers(16, "XFAC");
    assert_result(false, CAUSE_PROTOCOL_ERROR, "stratum 16");
}

/* ---- the probe's own life ---- */

static void test_cancel_calls_nothing(void **state)
{
    (void)state;
    struct probe *pr = start(PROBE_TCP, "192.0.2.10", 41002, 3000, NULL);
    probe_cancel(pr);
    loop_clock_advance(10000 * MS);
    assert_int_equal(n_got, 0);
    assert_int_equal(io_s.watched_fd, -1);
    assert_int_equal(io_s.closed, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_connect_rtt_on_the_test_clock),
        T(test_connect_timeout),
        T(test_connect_refused),
        T(test_no_route_is_unreachable),
        T(test_network_unreachable_at_connect),
        T(test_prohibit_route_and_own_firewall),
        T(test_icmp_admin_prohibited_names_the_sender),
        T(test_icmp6_admin_prohibited_names_the_sender),
        T(test_smtp_greeting_554),
        T(test_smtp_greeting_then_ehlo),
        T(test_greeting_never_comes),
        T(test_greeting_binary),
        T(test_greeting_overlong_without_crlf),
        T(test_closed_before_greeting),
        T(test_ssh_identification),
        T(test_ssh_not_ssh),
        T(test_ssh_hostile_banner),
        T(test_ssh_banner_never_comes),
        T(test_http_status_line),
        T(test_http_not_http),
        T(test_dns_rcode),
        T(test_dns_answer_and_rtt),
        T(test_dns_id_mismatch),
        T(test_dns_oversized),
        T(test_dns_no_reply),
        T(test_dns_icmp_prohibited),
        T(test_dns_port_unreachable_from_the_server),
        T(test_ntp_kiss_of_death),
        T(test_ntp_other_kiss_code),
        T(test_ntp_reply_and_rtt),
        T(test_ntp_stratum_16),
        T(test_cancel_calls_nothing),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
