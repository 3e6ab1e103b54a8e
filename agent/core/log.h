/* Logging: stderr in the foreground, syslog otherwise. */
#ifndef SMSA_LOG_H
#define SMSA_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_init(const char *ident, bool foreground, enum log_level level);
void log_fini(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Lines caused by peers or clients go through a limit of their own, one per kind of line
 * (a static struct at the call site): at most LOG_LIMIT_BURST lines per LOG_LIMIT_PERIOD_S;
 * the first line after a quiet spell says how many were suppressed. Remote input can then
 * never write more than a few lines a minute whatever it sends. */
#define LOG_LIMIT_BURST 5
#define LOG_LIMIT_PERIOD_S 60
struct log_limit {
    long long window_start_s; /* CLOCK_MONOTONIC seconds */
    unsigned in_window;
    unsigned long long suppressed;
};
void log_limited(struct log_limit *rl, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A value for a quoted log field (name="..."): '"' and '\\' get a backslash, control bytes
 * become \n, \r, \t or \xHH, so that text from a peer can neither end the field early nor
 * start a line of its own. Cut at a whole character when out is short; returns out. */
#define LOG_QUOTED_SIZE(n) (4 * (n) + 1)
const char *log_quote(char *out, size_t size, const char *in);

#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
