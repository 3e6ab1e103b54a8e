/* The core's lifecycle and its change API: the configuration running, what waits for a
 * restart, and the swap of one model for the next. */
#include "core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliances.h"
#include "core_internal.h"
#include "log.h"

struct smsa_model core_m;
static const struct core_prober *prober;
struct cfg *core_running;
static char *config_path;

/* The configuration as written in the file when it holds restart keys (http.listen, ...)
 * that differ from the running ones; NULL when nothing waits for a restart. */
static struct cfg *wanted;
#define MAX_PENDING 32
static const char *pending[MAX_PENDING];
static size_t n_pending;

const struct smsa_model *core_model(void)
{
    return &core_m;
}

const struct cfg *core_config(void)
{
    return core_running;
}

const char *core_config_path(void)
{
    return config_path;
}

/* Swaps in a configuration: the model is rebuilt, state carried over, probing restarted. */
static int apply(struct cfg *next)
{
    struct smsa_model fresh;
    memset(&fresh, 0, sizeof(fresh));
    /* the catalogue answers for next's extra flows from here on, unless it is refused */
    struct cat_extra_rows was = cat_extra_use(cfg_extra_rows(next));
    if (core_model_build(&fresh, next) < 0) {
        core_model_free(&fresh);
        cat_extra_use(was);
        return -1;
    }
    if (prober)
        prober->stop(&core_m);
    if (core_running) {
        core_model_carry_over(&fresh, &core_m);
        appl_carry_over(&fresh, &core_m);
    }
    core_model_free(&core_m);
    core_m.flows = fresh.flows;
    core_m.n_flows = fresh.n_flows;
    core_m.links = fresh.links;
    core_m.n_links = fresh.n_links;
    core_m.updates = fresh.updates;
    core_m.n_updates = fresh.n_updates;
    core_m.appliances = fresh.appliances;
    core_m.n_appliances = fresh.n_appliances;
    cfg_free(core_running);
    core_running = next;
    core_m.cfg = core_running;
    core_m.config_generation++;
    core_model_literal_addresses(&core_m);
    core_state_settle();
    core_model_save_indexes();
    if (prober)
        prober->start(&core_m, core_running);
    return 0;
}

/* ---- lifecycle and the change API ---- */

int core_init(struct cfg *cfg, const char *path, const struct core_prober *p)
{
    prober = p;
    memset(&core_m, 0, sizeof(core_m));
    core_m.started = core_stamp_now();
    if (path) {
        config_path = strdup(path);
        if (!config_path) {
            cfg_free(cfg);
            return -1;
        }
    }
    if (core_model_init(cfg) < 0) {
        cfg_free(cfg);
        return -1;
    }
    if (apply(cfg) < 0) {
        cfg_free(cfg);
        return -1;
    }
    return 0;
}

void core_fini(void)
{
    if (prober)
        prober->stop(&core_m);
    prober = NULL;
    core_model_free(&core_m);
    cat_extra_use((struct cat_extra_rows){0}); /* they were running's */
    cfg_free(core_running);
    core_running = NULL;
    core_m.cfg = NULL;
    free(config_path);
    config_path = NULL;
    cfg_free(wanted);
    wanted = NULL;
    n_pending = 0;
    core_model_fini();
    core_events_fini();
}

size_t core_pending_restart(const char *const **keys)
{
    *keys = pending;
    return n_pending;
}

/* Turns next (the file's configuration) into what runs: keys that need a restart keep their
 * running values, and are named in the log and in pending_restart until then. */
static int settle(struct cfg *next)
{
    if (!core_running)
        return 0;
    const char *keys[MAX_PENDING];
    size_t n = cfg_restart_keys(core_running, next, keys, MAX_PENDING);
    struct cfg *file = NULL;
    if (n > 0 && (!(file = cfg_clone(next)) || cfg_keep_restart_values(next, core_running) < 0)) {
        cfg_free(file);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        log_warn("configuration: %s changed; it takes effect at the next restart (running "
                 "on the old value)",
                 keys[i]);
    cfg_free(wanted);
    wanted = file;
    memcpy(pending, keys, n * sizeof(*keys));
    n_pending = n;
    return 0;
}

static void applied(const char *why)
{
    struct smsa_event ev = {.kind = EV_CONFIG};
    snprintf(ev.name, sizeof(ev.name), "%s", why);
    core_emit(&ev);
}

int core_change(struct cfg *next, struct cfg_error *err)
{
    return core_change_by(next, NULL, err);
}

int core_change_by(struct cfg *next, const char *who, struct cfg_error *err)
{
    if (cfg_complete(next) < 0) {
        err->kind = CFG_ERR_IO;
        err->path[0] = '\0';
        err->line = err->column = 0;
        snprintf(err->message, sizeof(err->message), "out of memory preparing the change");
        cfg_free(next);
        return -1;
    }
    if (cfg_validate(next, err) < 0) {
        cfg_free(next);
        return -1;
    }
    if (!config_path) {
        err->kind = CFG_ERR_IO;
        err->path[0] = '\0';
        err->line = err->column = 0;
        snprintf(err->message, sizeof(err->message),
                 "the daemon runs without a configuration file; changes cannot be persisted");
        cfg_free(next);
        return -1;
    }
    /* the file keeps what waits for a restart: a REST write is based on the running values */
    if (wanted && cfg_keep_restart_values(next, wanted) < 0) {
        err->kind = CFG_ERR_IO;
        snprintf(err->message, sizeof(err->message), "out of memory preparing the change");
        cfg_free(next);
        return -1;
    }
    /* persist first: a change that could not be written is not applied; and one that could
     * not be applied is taken back from the file, so the next reload finds what runs */
    struct cfg_saved saved;
    if (cfg_save_begin(next, config_path, &saved, err) < 0) {
        cfg_free(next);
        return -1;
    }
    /* what changed, for the log: taken before apply() frees the running configuration */
    char changed[512];
    cfg_diff(core_running, next, changed, sizeof(changed));
    if (settle(next) < 0 || apply(next) < 0) {
        err->kind = CFG_ERR_IO;
        snprintf(err->message, sizeof(err->message), "out of memory applying the configuration");
        if (cfg_save_undo(&saved) < 0)
            log_err("cannot put the previous %s back (%s): it holds a change not applied",
                    config_path, strerror(errno));
        cfg_free(next);
        return -1;
    }
    cfg_save_commit(&saved);
    log_info("configuration changed by %s and saved to %s: %s", who ? who : "the daemon",
             config_path, changed[0] ? changed : "no value changed");
    applied("change");
    return 0;
}

int core_reload(struct cfg_error *err)
{
    if (!config_path) {
        err->kind = CFG_ERR_IO;
        snprintf(err->message, sizeof(err->message), "no configuration file to reload");
        return -1;
    }
    struct cfg *next = cfg_load(config_path, err);
    if (!next)
        return -1;
    if (settle(next) < 0 || apply(next) < 0) {
        cfg_free(next);
        err->kind = CFG_ERR_IO;
        snprintf(err->message, sizeof(err->message), "out of memory applying the configuration");
        return -1;
    }
    log_info("configuration reloaded from %s", config_path);
    applied("reload");
    return 0;
}
