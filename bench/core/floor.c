/* The floor of a TCP probe: what a bare epoll loop pays to connect to each peer and close,
 * once per interval, spread over it as the agent spreads its rounds. No state, no events, no
 * timers beyond the schedule: bench/core/bench.py runs it against the same peers as the
 * agent, in the same run, and prints the agent's CPU per probe over this one.
 *
 *   probe_floor [--interval-ms 1000] [--warmup 2] [--seconds 30] ADDR:PORT...
 *
 * Prints "probes <n> cpu_s <s> window_s <s> failed <n>" for the window after the warm-up.
 * IPv4 only (the benchmark's peers are on 127.0.0.0/8). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static unsigned long probes, failed;

/* Ends one probe: a connect that succeeded counts, anything else is a failure. */
static void done(int ep, int fd, int err)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    if (err)
        failed++;
    else
        probes++;
}

static void start(int ep, const struct sockaddr_in *sa)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        failed++;
        return;
    }
    /* close with RST, as the agent does: no TIME_WAIT per probe */
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0) {
        close(fd);
        probes++;
        return;
    }
    if (errno != EINPROGRESS) {
        close(fd);
        failed++;
        return;
    }
    struct epoll_event ev = {.events = EPOLLOUT, .data.fd = fd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        close(fd);
        failed++;
    }
}

int main(int argc, char **argv)
{
    long interval_ms = 1000;
    double warmup = 2, seconds = 30;
    int i = 1;
    for (; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
        if (!strcmp(argv[i], "--interval-ms"))
            interval_ms = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--warmup"))
            warmup = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else
            break;
    }
    size_t n = (size_t)(argc - i);
    if (n == 0 || interval_ms <= 0) {
        fprintf(stderr, "usage: probe_floor [--interval-ms N] [--warmup S] [--seconds S] "
                        "ADDR:PORT...\n");
        return 2;
    }
    struct sockaddr_in *peers = calloc(n, sizeof(*peers));
    if (!peers)
        return 1;
    for (size_t k = 0; k < n; k++) {
        char host[64];
        unsigned port;
        if (sscanf(argv[i + (int)k], "%63[^:]:%u", host, &port) != 2 || port > 65535 ||
            inet_pton(AF_INET, host, &peers[k].sin_addr) != 1) {
            fprintf(stderr, "probe_floor: not ADDR:PORT: %s\n", argv[i + (int)k]);
            return 2;
        }
        peers[k].sin_family = AF_INET;
        peers[k].sin_port = htons((uint16_t)port);
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return 1;

    /* peer k is probed at t0 + k * interval / n, and every interval after */
    int64_t interval_us = interval_ms * 1000, t0 = now_us();
    int64_t measure_at = t0 + (int64_t)(warmup * 1e6);
    int64_t end_at = measure_at + (int64_t)(seconds * 1e6);
    uint64_t next = 0; /* the next probe to start, counted from t0 */
    unsigned long p0 = 0, f0 = 0;
    double c0 = 0;
    int64_t w0 = 0;
    for (;;) {
        int64_t now = now_us();
        if (!w0 && now >= measure_at) {
            p0 = probes, f0 = failed, c0 = cpu_s(), w0 = now;
        }
        if (now >= end_at)
            break;
        for (;;) {
            int64_t due = t0 + (int64_t)(next / n) * interval_us +
                          (int64_t)(next % n) * interval_us / (int64_t)n;
            if (due > now) {
                int64_t wait = due - now;
                int ms = (int)((wait + 999) / 1000);
                struct epoll_event evs[64];
                int got = epoll_wait(ep, evs, 64, ms);
                for (int e = 0; e < got; e++) {
                    int fd = evs[e].data.fd, err = 0;
                    socklen_t len = sizeof(err);
                    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                        err = errno;
                    done(ep, fd, err);
                }
                break;
            }
            start(ep, &peers[next % n]);
            next++;
        }
    }
    printf("probes %lu cpu_s %.3f window_s %.3f failed %lu\n", probes - p0, cpu_s() - c0,
           (double)(now_us() - w0) / 1e6, failed - f0);
    return 0;
}
