/* Private to the configuration: the field types of single values (config_value.c). */
#ifndef SMSA_CONFIG_VALUE_H
#define SMSA_CONFIG_VALUE_H

#include "config_table.h"

/* The field types of single values and lists of values (config_value.c); lists at most
 * f->max items (0: CFG_MAX_LIST). */
extern const struct ftype cfgi_t_bool, cfgi_t_uint, cfgi_t_port, cfgi_t_enum, cfgi_t_str,
    cfgi_t_peer, cfgi_t_peers, cfgi_t_strv;
void cfgi_list_free(struct cfg_list *l);

#endif
