/* Private to the configuration: the syntax of single values (config_check.c). */
#ifndef SMSA_CONFIG_CHECK_H
#define SMSA_CONFIG_CHECK_H

#include "config.h"

/* Value checks (config_check.c): NULL when good, else why not. */
const char *cfgi_check_name(const char *s);
const char *cfgi_check_host(const char *s);
const char *cfgi_check_query_name(const char *s);
const char *cfgi_check_resolver(const char *s);
const char *cfgi_check_agentx(const char *s);
const char *cfgi_check_master_listen(const char *s);
const char *cfgi_check_trap_sink(const char *s);
const char *cfgi_check_listen(const char *s);
const char *cfgi_check_cidr(const char *s);
const char *cfgi_check_state_dir(const char *s);
const char *cfgi_check_nonempty(const char *s);
const char *cfgi_check_word(const char *s);
const char *cfgi_check_passphrase(const char *s);

#endif
