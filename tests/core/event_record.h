/* A test's record of the core's events: subscribe collect (core_subscribe(collect, NULL)),
 * then read events[0 .. n_events) or ask count() and last(). One copy for every program that
 * watches the bus; each program has its own record. */
#ifndef SMSA_TEST_EVENT_RECORD_H
#define SMSA_TEST_EVENT_RECORD_H

#include <stddef.h>

#include "core.h"

#define MAX_EVENTS 256 /* more than any test raises: a full record would hide news */

static struct smsa_event events[MAX_EVENTS];
static size_t n_events;

static inline void collect(const struct smsa_event *ev, void *arg)
{
    (void)arg;
    if (n_events < MAX_EVENTS)
        events[n_events++] = *ev;
}

/* Events of kind recorded so far. */
static inline size_t count(enum smsa_event_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < n_events; i++)
        n += events[i].kind == kind;
    return n;
}

/* The last event of kind, NULL when none. */
static inline const struct smsa_event *last(enum smsa_event_kind kind)
{
    for (size_t i = n_events; i > 0; i--)
        if (events[i - 1].kind == kind)
            return &events[i - 1];
    return NULL;
}

#endif
