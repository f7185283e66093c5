/* models: champions of the model store turned into systems (see models.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "models.h"
#include "registry.h"

static void warn(sw_models *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(sw_models *m, const char *fmt, ...)
{
    if (m->n_warnings >= 8) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->warnings[m->n_warnings++], sizeof m->warnings[0], fmt, ap);
    va_end(ap);
}

int sw_models_load(const sw_config *cfg, const char *models_dir, sw_models *m, sw_error *err)
{
    memset(m, 0, sizeof *m);
    for (int k = 0; k < SW_SYS_COUNT; k++) {
        if (!cfg->systems[k]) continue;
        sw_error e;
        sw_error_clear(&e);
        int rc;
        if (!sw_system_is_model((sw_system_id)k)) {
            rc = sw_system_create_rule((sw_system_id)k, &m->sys[k], &e);
        } else {
            char v[64];
            rc = sw_registry_champion(models_dir, sw_system_name(k), v, &e);
            if (rc == SW_NOT_FOUND) {
                warn(m, "%s: no model registered in %s; the system is disabled for this run%s", sw_system_name(k),
                     models_dir,
                     k == SW_SYS_GBDT ? " (run 'swish retrain')" : " ('swish models add --system catboost_v8 FILE')");
                continue;
            }
            sw_model_bundle b;
            if (rc == SW_OK) rc = sw_registry_load_bundle(models_dir, sw_system_name(k), v, &b, NULL, &e);
            if (rc == SW_OK) rc = sw_system_create_model((sw_system_id)k, &b, &m->sys[k], &e);
        }
        if (rc == SW_NOMEM) return sw_fail(err, SW_NOMEM, "out of memory");
        if (rc) {
            char msg[300];
            sw_error_format(&e, msg, sizeof msg);
            warn(m, "%s refused: %s", sw_system_name(k), msg);
            m->degraded = 1;
        }
    }
    /* the stacked meta-model */
    char v[64];
    sw_error e;
    sw_error_clear(&e);
    int rc = sw_registry_champion(models_dir, "stack", v, &e);
    if (rc == SW_NOT_FOUND) {
        warn(m, "no stacked meta-model in %s: the final prediction is the confidence-weighted mean of the systems",
             models_dir);
        return SW_OK;
    }
    sw_manifest man;
    unsigned char *data = NULL;
    size_t len = 0;
    if (rc == SW_OK) rc = sw_registry_manifest(models_dir, "stack", v, &man, &e);
    if (rc == SW_OK) rc = sw_registry_read(models_dir, &man, "stack", &data, &len, &e);
    if (rc == SW_OK) rc = sw_stack_from_json("stack.json", (const char *)data, len, &m->stack, &e);
    sw_free(data);
    if (rc == SW_NOMEM) return sw_fail(err, SW_NOMEM, "out of memory");
    if (rc) {
        char msg[300];
        sw_error_format(&e, msg, sizeof msg);
        warn(m, "stack refused (final prediction falls back to the mean of the systems): %s", msg);
        m->degraded = 1;
        return SW_OK;
    }
    m->has_stack = 1;
    snprintf(m->stack_version, sizeof m->stack_version, "%s", v);
    return SW_OK;
}

void sw_models_free(sw_models *m)
{
    for (int k = 0; k < SW_SYS_COUNT; k++) sw_system_free(m->sys[k]);
    memset(m, 0, sizeof *m);
}
