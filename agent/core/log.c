#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static bool to_stderr = true;
static enum log_level max_level = LOG_LVL_INFO;
static bool syslog_open;

void log_init(const char *ident, bool foreground, enum log_level level)
{
    to_stderr = foreground;
    max_level = level;
    if (!foreground) {
        openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
        syslog_open = true;
    }
}

void log_fini(void)
{
    if (syslog_open)
        closelog();
    syslog_open = false;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    static const char *const tag[] = {"error", "warning", "info", "debug"};
    if (level > max_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (to_stderr) {
        char msg[1024];
        vsnprintf(msg, sizeof(msg), fmt, ap);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s: %s\n", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                tag[level], msg);
    } else {
        vsyslog(prio[level], fmt, ap);
    }
    va_end(ap);
}

void log_limited(struct log_limit *rl, enum log_level level, const char *fmt, ...)
{
    if (level > max_level)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (rl->in_window == 0 || ts.tv_sec - rl->window_start_s >= LOG_LIMIT_PERIOD_S) {
        rl->window_start_s = ts.tv_sec;
        rl->in_window = 0;
    }
    if (rl->in_window >= LOG_LIMIT_BURST) {
        rl->suppressed++;
        return;
    }
    rl->in_window++;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (rl->suppressed) {
        log_msg(level, "%s (%llu more like it suppressed before this one)", msg, rl->suppressed);
        rl->suppressed = 0;
    } else {
        log_msg(level, "%s", msg);
    }
}

const char *log_quote(char *out, size_t size, const char *in)
{
    size_t o = 0;
    if (!size)
        return out;
    for (; in && *in; in++) {
        unsigned char c = (unsigned char)*in;
        char esc[5];
        if (c == '"' || c == '\\')
            snprintf(esc, sizeof(esc), "\\%c", c);
        else if (c == '\n')
            snprintf(esc, sizeof(esc), "\\n");
        else if (c == '\r')
            snprintf(esc, sizeof(esc), "\\r");
        else if (c == '\t')
            snprintf(esc, sizeof(esc), "\\t");
        else if (c < 0x20 || c == 0x7f)
            snprintf(esc, sizeof(esc), "\\x%02x", c);
        else {
            esc[0] = (char)c;
            esc[1] = '\0';
        }
        size_t n = strlen(esc);
        if (o + n >= size)
            break;
        memcpy(out + o, esc, n);
        o += n;
    }
    out[o] = '\0';
    return out;
}
