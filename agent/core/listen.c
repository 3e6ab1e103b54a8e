#include "listen.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* TCP_LISTEN in the kernel's state numbering (include/net/tcp_states.h); "0A" in /proc. */
#define KERNEL_TCP_LISTEN 10

int listen_scan_proc_text(const char *text, uint16_t port)
{
    const char *line = strchr(text, '\n'); /* skip the header */
    while (line && *++line) {
        unsigned lport = 0, state = 0;
        /* "  0: 0100007F:A03A 00000000:0000 0A ..." */
        const char *colon = strchr(line, ':');
        if (colon) {
            const char *local = colon + 1;
            while (*local == ' ')
                local++;
            const char *pc = strchr(local, ':');
            const char *nl = strchr(line, '\n');
            if (pc && (!nl || pc < nl) && sscanf(pc + 1, "%x %*s %x", &lport, &state) == 2 &&
                lport == port && state == KERNEL_TCP_LISTEN)
                return 1;
        }
        line = strchr(line, '\n');
    }
    return 0;
}

static int scan_proc(const char *path, uint16_t port)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    int found = 0;
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
        if (len == cap) {
            /* keep the tail's partial line, scan what is complete */
            buf[len] = '\0';
            char *last = strrchr(buf, '\n');
            if (!last)
                break;
            *last = '\0';
            if (listen_scan_proc_text(buf, port) == 1) {
                found = 1;
                break;
            }
            size_t keep = len - (size_t)(last + 1 - buf);
            memmove(buf + 1, last + 1, keep); /* buf[0] stands in for the header line */
            buf[0] = '\n';
            len = keep + 1;
        }
    }
    if (buf && !found) {
        buf[len] = '\0';
        found = listen_scan_proc_text(buf, port);
    }
    free(buf);
    fclose(f);
    return buf ? found : -1;
}

/* One NETLINK_SOCK_DIAG dump of LISTEN sockets for a family; the kernel filters by state,
 * so this costs the same with ten thousand established connections as with none. */
static int diag_family(int family, uint16_t port)
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
    msg.req.sdiag_protocol = IPPROTO_TCP;
    msg.req.idiag_states = 1u << KERNEL_TCP_LISTEN;
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
                if (result < 0)
                    result = 0;
                goto out;
            }
            if (h->nlmsg_type == NLMSG_ERROR)
                goto out;
            const struct inet_diag_msg *d = NLMSG_DATA(h);
            if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(*d)) && ntohs(d->id.idiag_sport) == port &&
                d->idiag_state == KERNEL_TCP_LISTEN)
                result = 1;
        }
    }
out:
    close(fd);
    return result;
}

int listen_check(uint16_t port)
{
    int v4 = diag_family(AF_INET, port);
    if (v4 == 1)
        return 1;
    int v6 = diag_family(AF_INET6, port);
    if (v6 == 1)
        return 1;
    if (v4 == 0 && v6 == 0)
        return 0;
    /* no sock_diag (old kernel, seccomp): the slower text interface */
    if (scan_proc("/proc/net/tcp", port) == 1 || scan_proc("/proc/net/tcp6", port) == 1)
        return 1;
    return scan_proc("/proc/net/tcp", port) < 0 ? -1 : 0;
}
