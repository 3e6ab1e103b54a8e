/* The log's event lines: one line per core event, as a subscriber (core_subscribe). */
#ifndef SMSA_EVENT_LOG_H
#define SMSA_EVENT_LOG_H

/* Subscribes the event lines; call before core_init to log the first apply's events too.
 * -1: no memory. */
int evlog_start(void);
void evlog_stop(void);

#endif
