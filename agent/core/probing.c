#include "probing.h"

#include "core.h"
#include "engine.h"

static const struct engine_sink to_core = {
    .addresses = core_set_addresses,
    .round_failed = core_round_failed,
    .listening = core_set_listening,
    .round_done = core_round_done,
};

static const struct core_prober engine = {
    .start = engine_start,
    .stop = engine_stop,
};

int probing_init(struct cfg *cfg, const char *path)
{
    if (engine_init(cfg, &to_core) < 0) {
        cfg_free(cfg);
        return -1;
    }
    if (core_init(cfg, path, &engine) < 0) {
        engine_fini();
        return -1;
    }
    return 0;
}

void probing_fini(void)
{
    core_fini();
    engine_fini();
}
