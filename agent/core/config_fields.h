/* Private to the configuration: the table of the file's keys (config_fields.c). */
#ifndef SMSA_CONFIG_FIELDS_H
#define SMSA_CONFIG_FIELDS_H

#include "config_table.h"

/* The table of the file (config_fields.c). */
extern const struct ftable cfgi_file;

#endif
