/* The one event loop: every fd and every timer of the daemon is registered here.
 * Single-threaded; callbacks run to completion. */
#ifndef SMSA_LOOP_H
#define SMSA_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOOP_READ 0x1u
#define LOOP_WRITE 0x2u
#define LOOP_ERROR 0x4u /* reported only: hang-up or error on the fd */

typedef void (*loop_fd_cb)(int fd, unsigned events, void *arg);
typedef void (*loop_timer_cb)(void *arg);
/* Called before every wait; may add or remove fds and timers (net-snmp needs this). */
typedef void (*loop_prepare_cb)(void *arg);

/* Intrusive timer: the caller owns the storage; zero-initialise before first use. */
struct loop_timer {
    int64_t due_us;
    size_t heap_pos; /* 0 = not armed */
    loop_timer_cb cb;
    void *arg;
};

struct loop_stats {
    uint64_t turns;
    int64_t max_turn_us; /* longest time spent handling one wake-up */
    int64_t last_turn_us;
    /* The longest CPU time of the loop's thread from one wake-up to the next (the callbacks,
     * then the prepare hooks of the next wait): the agent's own work, without the time another
     * process held the CPU meanwhile, which max_turn_us counts too. */
    int64_t max_turn_cpu_us;
};

int loop_init(void);
void loop_fini(void);

/* Monotonic and wall clocks in microseconds. */
int64_t loop_now_us(void);
int64_t loop_wall_us(void);

int loop_fd_add(int fd, unsigned events, loop_fd_cb cb, void *arg);
int loop_fd_modify(int fd, unsigned events);
void loop_fd_remove(int fd);
bool loop_fd_watched(int fd);

void loop_timer_start(struct loop_timer *t, int64_t delay_us, loop_timer_cb cb, void *arg);
void loop_timer_stop(struct loop_timer *t);
bool loop_timer_armed(const struct loop_timer *t);

int loop_prepare_add(loop_prepare_cb cb, void *arg);
void loop_prepare_remove(loop_prepare_cb cb, void *arg);

/* Runs until loop_stop(); returns 0, or -1 on an epoll error. */
int loop_run(void);
void loop_stop(void);
/* One wait of at most timeout_ms (tests use it to drive the loop step by step). */
int loop_run_once(int timeout_ms);

/* Test seam: from loop_clock_set() until loop_fini(), loop_now_us() and loop_wall_us() read a
 * virtual clock that only loop_clock_advance() moves, and loop_run_once() never sleeps for a
 * timer. loop_clock_advance() runs every timer that falls due on the way, each at its own due
 * time and in order, so a test drives hours of schedule in microseconds. */
void loop_clock_set(int64_t mono_us, int64_t wall_us);
void loop_clock_advance(int64_t us);

void loop_get_stats(struct loop_stats *out);
void loop_reset_max_turn(void);

#endif
