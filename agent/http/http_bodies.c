/* The REST write bodies (see http_bodies.h). */
#include "http_bodies.h"

struct cfg *httpb_ntp(const struct cfg *base, const char *body, size_t len, struct cfg_error *err)
{
    static const char *const required[] = {"enabled", NULL};
    return cfg_with_section(base, "ntp", required, body, len, err);
}

struct cfg *httpb_updates(const struct cfg *base, const char *body, size_t len,
                          struct cfg_error *err)
{
    return cfg_with_value(base, "updates", "items", body, len, err);
}

struct cfg *httpb_scanner_add(const struct cfg *base, const char *body, size_t len,
                              struct cfg_error *err)
{
    return cfg_with_scanner(base, body, len, err);
}

struct cfg *httpb_scanner_remove(const struct cfg *base, const char *name, struct cfg_error *err)
{
    return cfg_without_scanner(base, name, err);
}
