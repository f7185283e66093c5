/* models: the versions that may serve a date, turned into systems (see models.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/date.h"
#include "models.h"
#include "registry.h"

static void add_line(char (*lines)[384], int *n, const char *fmt, va_list ap)
{
    if (*n >= 8) return;
    vsnprintf(lines[(*n)++], 384, fmt, ap);
}

static void warn(sw_models *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(sw_models *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_line(m->warnings, &m->n_warnings, fmt, ap);
    va_end(ap);
}

static void note(sw_models *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(sw_models *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_line(m->notes, &m->n_notes, fmt, ap);
    va_end(ap);
}

/* A manifest's last seen day; -1 when it cannot be read (never qualifies). */
static int last_day(const sw_manifest *m, char out[11], int *bounded)
{
    *bounded = sw_manifest_trained_to(m, out);
    int d;
    return sw_date_parse(out, strlen(out), &d) == 0 ? d : -1;
}

int sw_models_pick(const char *models_dir, const char *system, int date, char version[64], char trained_to[11],
                   int *is_champion, char *why, size_t why_cap, sw_error *err)
{
    version[0] = trained_to[0] = 0;
    *is_champion = 0;
    if (why_cap) why[0] = 0;
    sw_manifest *ms = NULL;
    int n = 0, n_bad = 0;
    sw_error e;
    sw_error_clear(&e);
    int rc = sw_registry_versions(models_dir, system, &ms, &n, &n_bad, &e);
    if (rc) {
        if (err) *err = e;
        return rc;
    }
    char champ[64] = "";
    sw_reg_state st;
    sw_error ce;
    if (sw_registry_state(models_dir, system, &st, &ce) == SW_OK) {
        snprintf(champ, sizeof champ, "%s", st.champion);
        /* a version rolled back or archived is not served, not even for a past date */
        int keep = 0;
        for (int i = 0; i < n; i++) {
            sw_stage sg = sw_reg_stage_of(&st, ms[i].version, NULL);
            if (sg != SW_STAGE_ROLLED_BACK && sg != SW_STAGE_ARCHIVED) ms[keep++] = ms[i];
        }
        n = keep;
        sw_registry_state_free(&st);
    }
    char ds[11];
    sw_date_format(date, ds);
    int best = -1, best_day = -1, newest = -1, newest_day = -1;
    for (int i = 0; i < n; i++) {
        char t[11];
        int bounded, d = last_day(&ms[i], t, &bounded);
        if (d > newest_day || newest < 0) newest = i, newest_day = d;
        if (d < 0 || d >= date) continue;
        int is_c = !strcmp(ms[i].version, champ);
        /* the champion wins; otherwise the latest window, then the latest registration (list order) */
        if (best < 0 || is_c || (strcmp(ms[best].version, champ) != 0 && d >= best_day)) best = i, best_day = d;
    }
    if (best >= 0) {
        snprintf(version, 64, "%s", ms[best].version);
        int bounded;
        last_day(&ms[best], trained_to, &bounded);
        *is_champion = !strcmp(ms[best].version, champ);
        if (!*is_champion && why_cap) {
            char ct[11] = "?";
            for (int i = 0; i < n; i++)
                if (!strcmp(ms[i].version, champ)) last_day(&ms[i], ct, &bounded);
            snprintf(why, why_cap,
                     "%s: the champion %s was trained on games through %s, not before %s; serving %s (trained "
                     "through %s) for this date",
                     system, champ[0] ? champ : "(none)", ct, ds, version, trained_to);
        }
        rc = SW_OK;
    } else if (n == 0 && n_bad) {
        /* registered, but no manifest could be read: a refusal, not an absence */
        char msg[300];
        sw_error_format(&e, msg, sizeof msg);
        if (why_cap)
            snprintf(why, why_cap, "%s refused: %d version%s in %s cannot be read (%s)", system, n_bad,
                     n_bad > 1 ? "s" : "", models_dir, msg);
        rc = sw_fail(err, SW_NOT_FOUND, "%s", why_cap ? why : "no version that can be read");
    } else if (n == 0) {
        rc = sw_fail(err, SW_NOT_FOUND, "no version of %s in %s", system, models_dir);
    } else {
        char t[11];
        int bounded;
        last_day(&ms[newest], t, &bounded);
        if (why_cap)
            snprintf(why, why_cap,
                     "%s refused for %s: every registered version was trained on games of that date or later "
                     "(newest: %s, through %s%s); scoring it would use results the model has seen "
                     "(train one with 'swish retrain --until %s')",
                     system, ds, ms[newest].version, t, bounded ? ", the day it was registered: window unknown" : "",
                     ds);
        rc = sw_fail(err, SW_NOT_FOUND, "%s", why_cap ? why : "no version trained before the date");
    }
    sw_free(ms);
    return rc;
}

/* The version of a system in rollout, when it may score the date. */
static void load_candidate(const char *dir, int date, int k, const char *served, sw_models *m)
{
    const char *name = k >= 0 ? sw_system_name(k) : "stack";
    sw_reg_state st;
    sw_error e;
    sw_error_clear(&e);
    if (sw_registry_state(dir, name, &st, &e) != SW_OK) return;
    char v[64], ds[11], t[11];
    snprintf(v, sizeof v, "%s", st.rollout);
    int share = st.rollout_stage == SW_STAGE_CANARY ? st.share : 0;
    sw_registry_state_free(&st);
    if (!v[0] || !strcmp(v, served)) return;
    sw_date_format(date, ds);
    sw_manifest man;
    int rc = sw_registry_manifest(dir, name, v, &man, &e), bounded;
    if (rc == SW_OK && last_day(&man, t, &bounded) >= date) {
        note(m, "%s %s (in rollout) was trained on games through %s: not scored for %s", name, v, t, ds);
        return;
    }
    if (rc == SW_OK && k >= 0) {
        sw_model_bundle b;
        rc = sw_registry_load_bundle(dir, name, v, &b, NULL, &e);
        if (rc == SW_OK) {
            if (!b.train_to[0]) snprintf(b.train_to, sizeof b.train_to, "%s", t);
            rc = sw_system_create_model((sw_system_id)k, &b, &m->cand[k], &e);
        }
        if (rc == SW_OK) {
            snprintf(m->cand_version[k], sizeof m->cand_version[k], "%s", v);
            snprintf(m->cand_trained_to[k], sizeof m->cand_trained_to[k], "%s", t);
            m->cand_share[k] = share;
        }
    } else if (rc == SW_OK) {
        unsigned char *data = NULL;
        size_t len = 0;
        rc = sw_registry_read(dir, &man, "stack", &data, &len, &e);
        if (rc == SW_OK) rc = sw_stack_from_json("stack.json", (const char *)data, len, &m->cand_stack, &e);
        sw_free(data);
        if (rc == SW_OK) {
            m->has_cand_stack = 1;
            m->cand_stack_share = share;
            snprintf(m->cand_stack_version, sizeof m->cand_stack_version, "%s", v);
            snprintf(m->cand_stack_trained_to, sizeof m->cand_stack_trained_to, "%s", t);
        }
    }
    if (rc) {
        char msg[300];
        sw_error_format(&e, msg, sizeof msg);
        warn(m, "%s %s (in rollout) refused, the champion serves alone: %s", name, v, msg);
        m->degraded = 1;
    }
}

/* One model system (or the stack when k < 0): pick, load, refuse. */
static int load_one(const sw_config *cfg, const char *dir, int date, int k, sw_models *m)
{
    const char *name = k >= 0 ? sw_system_name(k) : "stack";
    char v[64], t[11], why[384];
    int champ;
    sw_error e;
    sw_error_clear(&e);
    int rc = sw_models_pick(dir, name, date, v, t, &champ, why, sizeof why, &e);
    if (rc == SW_NOT_FOUND && !why[0]) {
        if (k < 0)
            warn(m, "no stacked meta-model in %s: the final prediction is the confidence-weighted mean of the systems",
                 dir);
        else
            warn(m, "%s: no model registered in %s; the system is disabled for this run%s", name, dir,
                 k == SW_SYS_GBDT ? " (run 'swish retrain')" : " ('swish models add --system catboost_v8 FILE')");
        return SW_OK;
    }
    if (rc == SW_NOT_FOUND) {
        warn(m, "%s", why);
        m->degraded = 1;
        return SW_OK;
    }
    if (rc == SW_OK && why[0]) note(m, "%s", why);
    if (k >= 0) {
        sw_model_bundle b;
        if (rc == SW_OK) rc = sw_registry_load_bundle(dir, name, v, &b, NULL, &e);
        if (rc == SW_OK) {
            if (!b.train_to[0]) snprintf(b.train_to, sizeof b.train_to, "%s", t); /* the registration bound */
            rc = sw_system_create_model((sw_system_id)k, &b, &m->sys[k], &e);
        }
        if (rc == SW_OK) snprintf(m->trained_to[k], sizeof m->trained_to[k], "%s", t);
    } else {
        sw_manifest man;
        unsigned char *data = NULL;
        size_t len = 0;
        if (rc == SW_OK) rc = sw_registry_manifest(dir, "stack", v, &man, &e);
        if (rc == SW_OK) rc = sw_registry_read(dir, &man, "stack", &data, &len, &e);
        if (rc == SW_OK) rc = sw_stack_from_json("stack.json", (const char *)data, len, &m->stack, &e);
        sw_free(data);
        if (rc == SW_OK) {
            m->has_stack = 1;
            snprintf(m->stack_version, sizeof m->stack_version, "%s", v);
            snprintf(m->stack_trained_to, sizeof m->stack_trained_to, "%s", t);
        }
    }
    if (rc == SW_NOMEM) return SW_NOMEM;
    if (rc == SW_OK) load_candidate(dir, date, k, v, m);
    if (rc) {
        char msg[300];
        sw_error_format(&e, msg, sizeof msg);
        if (k < 0) warn(m, "stack refused (final prediction falls back to the mean of the systems): %s", msg);
        else warn(m, "%s refused: %s", name, msg);
        m->degraded = 1;
    }
    (void)cfg;
    return SW_OK;
}

int sw_models_load(const sw_config *cfg, const char *models_dir, int date, sw_models *m, sw_error *err)
{
    memset(m, 0, sizeof *m);
    int rc0 = sw_registry_exists(models_dir, err);
    if (rc0) return rc0;
    for (int k = 0; k < SW_SYS_COUNT; k++) {
        if (!cfg->systems[k]) continue;
        int rc;
        if (!sw_system_is_model((sw_system_id)k)) {
            sw_error e;
            sw_error_clear(&e);
            rc = sw_system_create_rule((sw_system_id)k, &m->sys[k], &e);
            if (rc && rc != SW_NOMEM) {
                char msg[300];
                sw_error_format(&e, msg, sizeof msg);
                warn(m, "%s refused: %s", sw_system_name(k), msg);
                m->degraded = 1;
                rc = SW_OK;
            }
        } else {
            rc = load_one(cfg, models_dir, date, k, m);
        }
        if (rc == SW_NOMEM) {
            sw_models_free(m);
            return sw_fail(err, SW_NOMEM, "out of memory");
        }
    }
    if (load_one(cfg, models_dir, date, -1, m) == SW_NOMEM) {
        sw_models_free(m);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    m->offline = sw_registry_offline(m->offline_why, sizeof m->offline_why);
    if (m->offline)
        warn(m, "the model store could not be reached; scored with the cached, verified copies (%.300s)",
             m->offline_why);
    return SW_OK;
}

void sw_models_free(sw_models *m)
{
    for (int k = 0; k < SW_SYS_COUNT; k++) {
        sw_system_free(m->sys[k]);
        sw_system_free(m->cand[k]);
    }
    memset(m, 0, sizeof *m);
}
