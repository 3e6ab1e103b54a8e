#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

struct fd_entry {
    loop_fd_cb cb;
    void *arg;
    unsigned events;
    bool used;
};

struct prepare_entry {
    loop_prepare_cb cb;
    void *arg;
};

static int epfd = -1;
static struct fd_entry *fds;
static size_t n_fds;
static struct loop_timer **heap; /* 1-based binary min-heap on due_us */
/* heap[i]->due_us, kept beside the heap: sifting compares due times along a path of a heap of
 * thousands of timers (one per peer, one per probe in flight), and reading them from one array
 * spares a cache miss on every timer it passes. */
static int64_t *heap_due;
static size_t heap_len, heap_cap;
static struct prepare_entry *prepares;
static size_t n_prepares;
static bool stopping;
static struct loop_stats stats;
static int64_t cpu_at_wake; /* the thread's CPU time when the last wait returned */

/* The virtual clock of unit tests (time is an input): off in the daemon. */
static bool virtual_on;
static int64_t virtual_mono_us, virtual_wall_us;

int64_t loop_now_us(void)
{
    if (virtual_on)
        return virtual_mono_us;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t loop_wall_us(void)
{
    if (virtual_on)
        return virtual_wall_us;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The loop thread's CPU time, read once a turn (a system call, unlike the monotonic clock). */
static int64_t thread_cpu_us(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int loop_init(void)
{
    epfd = epoll_create1(EPOLL_CLOEXEC);
    stopping = false;
    memset(&stats, 0, sizeof(stats));
    cpu_at_wake = 0;
    return epfd < 0 ? -1 : 0;
}

void loop_fini(void)
{
    virtual_on = false;
    if (epfd >= 0)
        close(epfd);
    epfd = -1;
    free(fds);
    fds = NULL;
    n_fds = 0;
    for (size_t i = 1; i <= heap_len; i++)
        heap[i]->heap_pos = 0;
    free(heap);
    heap = NULL;
    free(heap_due);
    heap_due = NULL;
    heap_len = heap_cap = 0;
    free(prepares);
    prepares = NULL;
    n_prepares = 0;
}

static uint32_t to_epoll(unsigned events)
{
    uint32_t e = 0;
    if (events & LOOP_READ)
        e |= EPOLLIN;
    if (events & LOOP_WRITE)
        e |= EPOLLOUT;
    return e;
}

int loop_fd_add(int fd, unsigned events, loop_fd_cb cb, void *arg)
{
    if (fd < 0)
        return -1;
    if ((size_t)fd >= n_fds) {
        size_t n = n_fds ? n_fds : 64;
        while (n <= (size_t)fd)
            n *= 2;
        struct fd_entry *p = realloc(fds, n * sizeof(*p));
        if (!p)
            return -1;
        memset(p + n_fds, 0, (n - n_fds) * sizeof(*p));
        fds = p;
        n_fds = n;
    }
    struct epoll_event ev = {.events = to_epoll(events), .data.fd = fd};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        return -1;
    fds[fd] = (struct fd_entry){.cb = cb, .arg = arg, .events = events, .used = true};
    return 0;
}

int loop_fd_modify(int fd, unsigned events)
{
    if (!loop_fd_watched(fd))
        return -1;
    if (fds[fd].events == events)
        return 0;
    struct epoll_event ev = {.events = to_epoll(events), .data.fd = fd};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
        return -1;
    fds[fd].events = events;
    return 0;
}

void loop_fd_remove(int fd)
{
    if (!loop_fd_watched(fd))
        return;
    epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
    fds[fd].used = false;
}

bool loop_fd_watched(int fd)
{
    return fd >= 0 && (size_t)fd < n_fds && fds[fd].used;
}

static void heap_place(size_t i, struct loop_timer *t, int64_t due)
{
    heap[i] = t;
    heap_due[i] = due;
    t->heap_pos = i;
}

/* The sifts move the others along the path and place the timer once, where swapping it step
 * by step would end: the same comparisons, the same heap. */
static void heap_up(size_t i)
{
    struct loop_timer *t = heap[i];
    int64_t due = heap_due[i];
    while (i > 1 && heap_due[i / 2] > due) {
        heap_place(i, heap[i / 2], heap_due[i / 2]);
        i /= 2;
    }
    heap_place(i, t, due);
}

static void heap_down(size_t i)
{
    struct loop_timer *t = heap[i];
    int64_t due = heap_due[i];
    for (;;) {
        size_t l = 2 * i, r = l + 1, m = i;
        int64_t m_due = due;
        if (l <= heap_len && heap_due[l] < m_due) {
            m = l;
            m_due = heap_due[l];
        }
        if (r <= heap_len && heap_due[r] < m_due)
            m = r;
        if (m == i)
            break;
        heap_place(i, heap[m], heap_due[m]);
        i = m;
    }
    heap_place(i, t, due);
}

void loop_timer_stop(struct loop_timer *t)
{
    size_t i = t->heap_pos;
    if (i == 0)
        return;
    t->heap_pos = 0;
    if (i != heap_len) {
        heap_place(i, heap[heap_len], heap_due[heap_len]);
        heap_len--;
        heap_up(i);
        heap_down(i);
    } else {
        heap_len--;
    }
}

void loop_timer_start(struct loop_timer *t, int64_t delay_us, loop_timer_cb cb, void *arg)
{
    loop_timer_stop(t);
    if (heap_len + 1 >= heap_cap) {
        size_t n = heap_cap ? heap_cap * 2 : 256;
        struct loop_timer **p = realloc(heap, n * sizeof(*p));
        if (!p)
            abort(); /* a timer we cannot arm would silently stop the daemon */
        heap = p;
        int64_t *d = realloc(heap_due, n * sizeof(*d));
        if (!d)
            abort();
        heap_due = d;
        heap_cap = n;
    }
    t->due_us = loop_now_us() + (delay_us > 0 ? delay_us : 0);
    t->cb = cb;
    t->arg = arg;
    heap_place(++heap_len, t, t->due_us);
    heap_up(heap_len);
}

bool loop_timer_armed(const struct loop_timer *t)
{
    return t->heap_pos != 0;
}

int loop_prepare_add(loop_prepare_cb cb, void *arg)
{
    struct prepare_entry *p = realloc(prepares, (n_prepares + 1) * sizeof(*p));
    if (!p)
        return -1;
    prepares = p;
    prepares[n_prepares++] = (struct prepare_entry){cb, arg};
    return 0;
}

void loop_prepare_remove(loop_prepare_cb cb, void *arg)
{
    for (size_t i = 0; i < n_prepares; i++) {
        if (prepares[i].cb == cb && prepares[i].arg == arg) {
            memmove(prepares + i, prepares + i + 1, (n_prepares - i - 1) * sizeof(*prepares));
            n_prepares--;
            return;
        }
    }
}

/* A turn runs its due timers until it has lasted this long (at least one runs); the others,
 * still due, run in the next turn, after the fds that became ready meanwhile. After a stall
 * (the host busy, the process stopped) hundreds of probe rounds fall due at once: run in one
 * turn, they would make it tens of milliseconds long and time late every probe completing
 * meanwhile. */
#define TIMERS_UNTIL_US 2000

static void run_timers(int64_t turn_start)
{
    int64_t now = loop_now_us();
    bool first = true;
    /* Only timers due now; a callback re-arming itself with delay 0 waits for the next turn. */
    while (heap_len > 0 && heap[1]->due_us <= now) {
        if (!first && loop_now_us() - turn_start >= TIMERS_UNTIL_US)
            return;
        first = false;
        struct loop_timer *t = heap[1];
        loop_timer_stop(t);
        t->cb(t->arg);
        if (stopping)
            return;
    }
}

int loop_run_once(int timeout_ms)
{
    for (size_t i = 0; i < n_prepares; i++)
        prepares[i].cb(prepares[i].arg);
    if (virtual_on) {
        /* Virtual time moves only through loop_clock_advance(): never sleep waiting for it. */
        if (timeout_ms < 0)
            timeout_ms = 0;
    } else if (heap_len > 0) {
        int64_t wait = heap[1]->due_us - loop_now_us();
        int wait_ms = wait <= 0 ? 0 : (int)((wait + 999) / 1000);
        if (timeout_ms < 0 || wait_ms < timeout_ms)
            timeout_ms = wait_ms;
    }
    struct epoll_event evs[64];
    int n = epoll_wait(epfd, evs, 64, timeout_ms);
    if (n < 0 && errno != EINTR)
        return -1;
    int64_t start = loop_now_us();
    /* One read a turn: the CPU from one wake-up to the next is this turn's callbacks plus the
     * prepare hooks before the next wait, all of it the agent's own work. */
    int64_t cpu = thread_cpu_us();
    if (cpu_at_wake && cpu - cpu_at_wake > stats.max_turn_cpu_us)
        stats.max_turn_cpu_us = cpu - cpu_at_wake;
    cpu_at_wake = cpu;
    for (int i = 0; i < n && !stopping; i++) {
        int fd = evs[i].data.fd;
        /* An earlier callback of this turn may have removed (or replaced) this fd. */
        if (!loop_fd_watched(fd))
            continue;
        unsigned e = 0;
        if (evs[i].events & EPOLLIN)
            e |= LOOP_READ;
        if (evs[i].events & EPOLLOUT)
            e |= LOOP_WRITE;
        if (evs[i].events & (EPOLLERR | EPOLLHUP))
            e |= LOOP_ERROR | (fds[fd].events & (LOOP_READ | LOOP_WRITE));
        fds[fd].cb(fd, e, fds[fd].arg);
    }
    if (!stopping)
        run_timers(start);
    int64_t spent = loop_now_us() - start;
    stats.turns++;
    stats.last_turn_us = spent;
    if (spent > stats.max_turn_us)
        stats.max_turn_us = spent;
    return 0;
}

int loop_run(void)
{
    stopping = false;
    while (!stopping) {
        if (loop_run_once(-1) < 0)
            return -1;
    }
    return 0;
}

void loop_stop(void)
{
    stopping = true;
}

void loop_clock_set(int64_t mono_us, int64_t wall_us)
{
    virtual_on = true;
    virtual_mono_us = mono_us;
    virtual_wall_us = wall_us;
}

void loop_clock_advance(int64_t us)
{
    int64_t target = virtual_mono_us + (us > 0 ? us : 0);
    /* Each timer runs at its own due time, in order, as the real loop would run it. */
    while (!stopping && heap_len > 0 && heap[1]->due_us <= target) {
        int64_t due = heap[1]->due_us;
        if (due > virtual_mono_us) {
            virtual_wall_us += due - virtual_mono_us;
            virtual_mono_us = due;
        }
        run_timers(virtual_mono_us);
    }
    virtual_wall_us += target - virtual_mono_us;
    virtual_mono_us = target;
}

void loop_get_stats(struct loop_stats *out)
{
    *out = stats;
}

void loop_reset_max_turn(void)
{
    stats.max_turn_us = 0;
    stats.max_turn_cpu_us = 0;
}
