#include "icmp_err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

int icmp_err_enable(int fd, int family)
{
    int on = 1;
    if (family == AF_INET6)
        return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on));
    return setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on));
}

/* ICMP destination unreachable codes (RFC 792, RFC 1122 §3.2.2.1, RFC 1812 §5.2.7.1). */
static enum smsa_cause icmp4_unreach(unsigned code, const char **what)
{
    switch (code) {
    case 0:
    case 6:
    case 11:
        *what = "network unreachable";
        return CAUSE_UNREACHABLE;
    case 1:
    case 7:
    case 12:
        *what = "host unreachable";
        return CAUSE_UNREACHABLE;
    case 2:
        *what = "protocol unreachable";
        return CAUSE_REFUSED;
    case 3:
        *what = "port unreachable";
        return CAUSE_REFUSED;
    case 4:
        *what = "fragmentation needed";
        return CAUSE_ERROR;
    case 5:
        *what = "source route failed";
        return CAUSE_UNREACHABLE;
    case 8:
        *what = "source host isolated";
        return CAUSE_UNREACHABLE;
    case 9:  /* network administratively prohibited */
    case 10: /* host administratively prohibited */
    case 13: /* communication administratively prohibited (RFC 1812), what a firewall's
              * "reject with icmp admin-prohibited" sends */
        *what = "administratively prohibited";
        return CAUSE_PROHIBITED;
    default:
        *what = "destination unreachable";
        return CAUSE_UNREACHABLE;
    }
}

/* ICMPv6 destination unreachable codes (RFC 4443 §3.1). */
static enum smsa_cause icmp6_unreach(unsigned code, const char **what)
{
    switch (code) {
    case 0:
        *what = "no route to destination";
        return CAUSE_UNREACHABLE;
    case 1: /* what nft's "reject with icmpx admin-prohibited" sends over IPv6 */
        *what = "administratively prohibited";
        return CAUSE_PROHIBITED;
    case 2:
        *what = "beyond scope of source address";
        return CAUSE_UNREACHABLE;
    case 3:
        *what = "address unreachable";
        return CAUSE_UNREACHABLE;
    case 4:
        *what = "port unreachable";
        return CAUSE_REFUSED;
    case 5:
        *what = "source address failed policy";
        return CAUSE_PROHIBITED;
    case 6:
        *what = "reject route to destination";
        return CAUSE_PROHIBITED;
    default:
        *what = "destination unreachable";
        return CAUSE_UNREACHABLE;
    }
}

enum smsa_cause icmp_err_classify(int family, unsigned type, unsigned code, const char *offender,
                                  const char *dest, char *detail, size_t len)
{
    const char *what;
    enum smsa_cause cause;
    if (family == AF_INET6) {
        switch (type) {
        case 1:
            cause = icmp6_unreach(code, &what);
            break;
        case 2:
            what = "packet too big";
            cause = CAUSE_ERROR;
            break;
        case 3:
            what = "hop limit exceeded";
            cause = CAUSE_UNREACHABLE;
            break;
        default:
            what = "ICMPv6 error";
            cause = CAUSE_ERROR;
            break;
        }
    } else {
        switch (type) {
        case 3:
            cause = icmp4_unreach(code, &what);
            break;
        case 11:
            what = "time to live exceeded";
            cause = CAUSE_UNREACHABLE;
            break;
        default:
            what = "ICMP error";
            cause = CAUSE_ERROR;
            break;
        }
    }
    /* the peer itself saying "port unreachable" is an ordinary refusal, worded as TCP's */
    if (cause == CAUSE_REFUSED && (!offender[0] || !strcmp(offender, dest)))
        snprintf(detail, len, "connection refused");
    else if (offender[0])
        snprintf(detail, len, "%s, from %s", what, offender);
    else
        snprintf(detail, len, "%s", what);
    return cause;
}

static void addr_text(const struct sockaddr *sa, char *buf, size_t len)
{
    buf[0] = '\0';
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)len);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, (socklen_t)len);
}

bool icmp_err_read(int fd, icmp_err_recvmsg_fn rcv, const struct sockaddr_storage *dest,
                   enum smsa_cause *cause, char *detail, size_t len)
{
    if (!rcv)
        rcv = recvmsg;
    char dest_text[INET6_ADDRSTRLEN];
    addr_text((const struct sockaddr *)dest, dest_text, sizeof(dest_text));
    /* the queue may hold more than one error; the first ICMP one is what was answered */
    for (int tries = 0; tries < 4; tries++) {
        char data[64];
        union {
            char buf[CMSG_SPACE(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in6))];
            struct cmsghdr align;
        } control;
        struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control.buf,
                             .msg_controllen = sizeof(control.buf)};
        if (rcv(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
            return false; /* EAGAIN: the queue is empty */
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            bool v4 = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR;
            bool v6 = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR;
            if (!v4 && !v6)
                continue;
            const struct sock_extended_err *ee = (const void *)CMSG_DATA(c);
            if (ee->ee_origin != SO_EE_ORIGIN_ICMP && ee->ee_origin != SO_EE_ORIGIN_ICMP6)
                continue; /* a local error: the errno says it */
            char from[INET6_ADDRSTRLEN];
            addr_text(SO_EE_OFFENDER(ee), from, sizeof(from));
            *cause = icmp_err_classify(ee->ee_origin == SO_EE_ORIGIN_ICMP6 ? AF_INET6 : AF_INET,
                                       ee->ee_type, ee->ee_code, from, dest_text, detail, len);
            return true;
        }
    }
    return false;
}
