/* What the network answered to a probe: the ICMP error in a socket's error queue
 * (IP_RECVERR / IPV6_RECVERR), read for TCP and UDP alike, turned into a cause and a detail
 * that names the host that answered. */
#ifndef SMSA_ICMP_ERR_H
#define SMSA_ICMP_ERR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "model.h"

/* Asks the kernel to queue every ICMP error for fd (family AF_INET or AF_INET6). Without it
 * a connected UDP socket learns only of "hard" errors, and nobody learns who sent them. */
int icmp_err_enable(int fd, int family);

/* How the error queue is read: recvmsg(2) in the daemon, a script in the probe's unit tests. */
typedef ssize_t (*icmp_err_recvmsg_fn)(int fd, struct msghdr *msg, int flags);

/* Reads fd's error queue through rcv (NULL: recvmsg). True when it held an ICMP error, with
 * its cause (unreachable, prohibited, refused, ...) and a detail such as "administratively
 * prohibited, from 10.1.2.3"; false when it held none (the caller falls back to the errno). */
bool icmp_err_read(int fd, icmp_err_recvmsg_fn rcv, const struct sockaddr_storage *dest,
                   enum smsa_cause *cause, char *detail, size_t len);

/* The ICMP type and code of one family as a cause and the words for it; "offender" is the
 * address that sent it ("" when the kernel did not say), dest the probed address. Pure:
 * the unit tests call it directly. */
enum smsa_cause icmp_err_classify(int family, unsigned type, unsigned code, const char *offender,
                                  const char *dest, char *detail, size_t len);

#endif
