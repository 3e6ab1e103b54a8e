#include "listen.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"

/* TCP_LISTEN in the kernel's state numbering (include/net/tcp_states.h); "0A" in /proc. A
 * UDP socket bound and not connected (a server's) is in TCP_CLOSE, "07". */
#define KERNEL_TCP_LISTEN 10
#define KERNEL_TCP_CLOSE 7
#define MAX_ADDRS 16

/* The distinct local addresses found listening on the port. */
struct found {
    struct in6_addr a[MAX_ADDRS]; /* IPv4 as ::ffff:a.b.c.d */
    size_t n;
};

static void found_add(struct found *f, const struct in6_addr *a)
{
    for (size_t i = 0; i < f->n; i++)
        if (!memcmp(&f->a[i], a, sizeof(*a)))
            return;
    if (f->n < MAX_ADDRS)
        f->a[f->n++] = *a;
}

static void add_v4(struct found *f, uint32_t be_addr)
{
    struct in6_addr a;
    memset(&a, 0, sizeof(a));
    a.s6_addr[10] = a.s6_addr[11] = 0xff;
    memcpy(&a.s6_addr[12], &be_addr, 4);
    found_add(f, &a);
}

/* "  0: 0100007F:A03A 00000000:0000 0A ..." (tcp) or a 32-hex-digit address (tcp6). */
static void scan_proc_line(const char *line, uint16_t port, bool v6, unsigned want, struct found *f)
{
    char local[64];
    unsigned lport = 0, state = 0;
    if (sscanf(line, " %*[^:]: %63[0-9A-Fa-f]:%x %*s %x", local, &lport, &state) != 3 ||
        lport != port || state != want)
        return;
    if (!v6) {
        unsigned long v = strtoul(local, NULL, 16); /* the kernel prints the u32 as is */
        add_v4(f, (uint32_t)v);
        return;
    }
    if (strlen(local) != 32)
        return;
    struct in6_addr a;
    for (int w = 0; w < 4; w++) {
        char word[9];
        memcpy(word, local + 8 * w, 8);
        word[8] = '\0';
        uint32_t v = (uint32_t)strtoul(word, NULL, 16);
        memcpy(&a.s6_addr[4 * w], &v, 4);
    }
    found_add(f, &a);
}

static int scan_proc(const char *path, uint16_t port, bool v6, unsigned want, struct found *f)
{
    FILE *fp = fopen(path, "re");
    if (!fp)
        return -1;
    char line[512];
    if (!fgets(line, sizeof(line), fp)) { /* the header */
        fclose(fp);
        return 0;
    }
    while (fgets(line, sizeof(line), fp))
        scan_proc_line(line, port, v6, want, f);
    fclose(fp);
    return 0;
}

/* One NETLINK_SOCK_DIAG dump of LISTEN sockets for a family; the kernel filters by state,
 * so this costs the same with ten thousand established connections as with none. */
static int diag_family(int family, bool udp, uint16_t port, struct found *f)
{
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0)
        return -1;
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 req;
    } msg;
    memset(&msg, 0, sizeof(msg));
    msg.nlh.nlmsg_len = sizeof(msg);
    msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    msg.req.sdiag_family = (uint8_t)family;
    unsigned want = udp ? KERNEL_TCP_CLOSE : KERNEL_TCP_LISTEN;
    msg.req.sdiag_protocol = udp ? IPPROTO_UDP : IPPROTO_TCP;
    msg.req.idiag_states = 1u << want;
    /* and by local port (the kernel's dump skips the others before it describes them): a host
     * with thousands of listeners answers with the few on this port; they are still checked
     * below, where a kernel that ignored it would send them all */
    msg.req.id.idiag_sport = htons(port);
    struct sockaddr_nl nl = {.nl_family = AF_NETLINK};
    if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0) {
        close(fd);
        return -1;
    }
    int result = -1;
    char buf[16384];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0)
            break;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
             h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == NLMSG_DONE) {
                result = 0;
                goto out;
            }
            if (h->nlmsg_type == NLMSG_ERROR)
                goto out;
            const struct inet_diag_msg *d = NLMSG_DATA(h);
            if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*d)) || ntohs(d->id.idiag_sport) != port ||
                d->idiag_state != want)
                continue;
            if (family == AF_INET) {
                add_v4(f, d->id.idiag_src[0]);
            } else {
                struct in6_addr a;
                memcpy(&a, d->id.idiag_src, sizeof(a));
                found_add(f, &a);
            }
        }
    }
out:
    close(fd);
    return result;
}

static int cmp_in6(const void *x, const void *y)
{
    return memcmp(x, y, sizeof(struct in6_addr));
}

static void format(struct found *f, char *out, size_t len)
{
    size_t off = 0;
    out[0] = '\0';
    qsort(f->a, f->n, sizeof(f->a[0]), cmp_in6);
    for (size_t i = 0; i < f->n; i++) {
        char text[INET6_ADDRSTRLEN];
        if (IN6_IS_ADDR_V4MAPPED(&f->a[i]))
            inet_ntop(AF_INET, &f->a[i].s6_addr[12], text, sizeof(text));
        else
            inet_ntop(AF_INET6, &f->a[i], text, sizeof(text));
        int w = snprintf(out + off, len - off, "%s%s", off ? " " : "", text);
        if (w < 0 || (size_t)w >= len - off)
            break; /* a full list ends at the last whole address */
        off += (size_t)w;
    }
}

enum listen_status listen_check(uint16_t port, char *addrs, size_t len)
{
    return listen_check_proto(port, false, addrs, len);
}

enum listen_status listen_check_proto(uint16_t port, bool udp, char *addrs, size_t len)
{
    struct found f = {.n = 0};
    unsigned want = udp ? KERNEL_TCP_CLOSE : KERNEL_TCP_LISTEN;
    if (diag_family(AF_INET, udp, port, &f) < 0 || diag_family(AF_INET6, udp, port, &f) < 0) {
        /* no sock_diag (old kernel, seccomp): the slower text interface */
        f.n = 0;
        int v4 = scan_proc(udp ? "/proc/net/udp" : "/proc/net/tcp", port, false, want, &f);
        int v6 = scan_proc(udp ? "/proc/net/udp6" : "/proc/net/tcp6", port, true, want, &f);
        if (v4 < 0 && v6 < 0) {
            addrs[0] = '\0';
            return LISTEN_UNKNOWN;
        }
    }
    format(&f, addrs, len);
    if (f.n == 0)
        return LISTEN_NONE;
    for (size_t i = 0; i < f.n; i++)
        if (!addr_in6_is_loopback(&f.a[i]))
            return LISTEN_REACHABLE;
    return LISTEN_LOOPBACK_ONLY;
}

const char *listen_brief(char *out, size_t len, const char *addrs)
{
    size_t total = 0, n = strlen(addrs);
    if (!len)
        return out;
    for (const char *p = addrs; *p; p += strcspn(p, " "), p += strspn(p, " "))
        total++;
    /* the most addresses (k of total) whose text and note still fit */
    for (size_t k = total;; k--) {
        size_t end = 0, seen = 0;
        for (const char *p = addrs; *p && seen < k; seen++) {
            p += strcspn(p, " ");
            end = (size_t)(p - addrs);
            p += strspn(p, " ");
        }
        char note[32] = "";
        if (k < total)
            snprintf(note, sizeof(note), k ? " (+%zu more)" : "%zu addresses", total - k);
        if (end + strlen(note) < len || k == 0) {
            snprintf(out, len, "%.*s%s", (int)(end < n ? end : n), addrs, note);
            return out;
        }
    }
}
