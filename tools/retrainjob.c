/* retrainjob: the scheduled retrain (retrainjob.h). */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/date.h"
#include "pipeline/models.h"
#include "pipeline/registry.h"
#include "retrainjob.h"

/* "HH:MM" to seconds after midnight; -1 when malformed, 0 for "". */
static int time_of_day(const char *s)
{
    if (!s[0]) return 0;
    int h, m;
    char tail;
    if (sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || h > 23 || m < 0 || m > 59) return -1;
    return 3600 * h + 60 * m;
}

int retrainjob_due(const sw_config *cfg, int64_t now, retrainjob *j, sw_error *err)
{
    memset(j, 0, sizeof *j);
    int at = time_of_day(cfg->retrain_at);
    if (at < 0) return sw_error_set(err, SW_ARG, NULL, 0, 0, -1, "retrain.at: '%s' is not HH:MM (UTC)", cfg->retrain_at);
    if (cfg->every_days <= 0) {
        snprintf(j->why, sizeof j->why, "scheduled retraining is off (retrain.every_days = 0)");
        return SW_OK;
    }
    sw_manifest *v = NULL;
    int n = 0, bad = 0;
    int rc = sw_registry_versions(cfg->models, "gbdt", &v, &n, &bad, err);
    if (rc == SW_NOT_FOUND || (rc == SW_OK && n == 0)) {
        sw_free(v);
        sw_error_clear(err);
        j->due = 1;
        snprintf(j->why, sizeof j->why, "no gbdt version is registered yet");
        return SW_OK;
    }
    if (rc) return rc;
    const sw_manifest *last = &v[n - 1];
    int64_t created;
    if (sw_datetime_parse(last->created, strlen(last->created), &created)) {
        rc = sw_error_set(err, SW_CORRUPT, NULL, 0, 0, -1, "gbdt %s: created '%s' is not a UTC time", last->version,
                          last->created);
        sw_free(v);
        return rc;
    }
    /* due on the day every_days after the newest version's, from retrain.at */
    int64_t day = created / 86400 + cfg->every_days;
    j->next_due = day * 86400 + at;
    j->due = now >= j->next_due;
    char c[21], nd[21];
    sw_datetime_format(created, c);
    sw_datetime_format(j->next_due, nd);
    snprintf(j->why, sizeof j->why, "the newest gbdt version %s was created %s; retrain.every_days = %d: %s %s",
             last->version, c, cfg->every_days, j->due ? "due since" : "next due", nd);
    sw_free(v);
    return SW_OK;
}

static int place(const sw_config *cfg, const char *mode, retrainjob *j, sw_error *err)
{
    const char *sys[2] = {"gbdt", "stack"};
    const char *ver[2] = {j->rep.gbdt_version, j->rep.stack_version};
    char champ[64] = "";
    sw_error e2;
    if (sw_registry_champion(cfg->models, "gbdt", champ, &e2) == SW_OK && !strcmp(champ, ver[0])) {
        snprintf(j->placed, sizeof j->placed, "champion"); /* the first version of its store */
        return SW_OK;
    }
    snprintf(j->placed, sizeof j->placed, "registered");
    if (!strcmp(mode, "none")) return SW_OK;
    if (!strcmp(mode, "champion")) {
        for (int i = 0; i < 2; i++) {
            if (!ver[i][0]) continue;
            int rc = sw_registry_promote(cfg->models, sys[i], ver[i], err);
            if (rc) return rc;
        }
        snprintf(j->placed, sizeof j->placed, "champion");
        return SW_OK;
    }
    /* shadow: a rollout in progress is never replaced by a schedule */
    for (int i = 0; i < 2; i++) {
        sw_reg_state st;
        memset(&st, 0, sizeof st);
        int rc = sw_registry_state(cfg->models, sys[i], &st, err);
        if (rc) return rc;
        int busy = st.rollout[0] != 0, first = !st.champion[0] || !strcmp(st.champion, ver[i]);
        if (busy) {
            snprintf(j->refused, sizeof j->refused,
                     "shadow refused: %s %s is in rollout (%s); %s %s and %s %s stay registered", sys[i], st.rollout,
                     st.rollout_stage == SW_STAGE_CANARY ? "canary" : "shadow", sys[0], ver[0], sys[1], ver[1]);
            sw_registry_state_free(&st);
            return SW_OK;
        }
        sw_registry_state_free(&st);
        if (first) return SW_OK; /* the first version of a store is its champion already */
    }
    for (int i = 0; i < 2; i++) {
        if (!ver[i][0]) continue;
        int rc = sw_registry_rollout(cfg->models, sys[i], ver[i], SW_STAGE_SHADOW, 0, "scheduled retrain", err);
        if (rc) return rc;
    }
    snprintf(j->placed, sizeof j->placed, "shadow");
    return SW_OK;
}

int retrainjob_run(const sw_config *cfg, const sw_league *lg, int until, const char *mode, FILE *log, retrainjob *j,
                   sw_error *err)
{
    if (!mode) mode = cfg->new_versions[0] ? cfg->new_versions : "shadow";
    if (strcmp(mode, "shadow") && strcmp(mode, "champion") && strcmp(mode, "none"))
        return sw_error_set(err, SW_ARG, NULL, 0, 0, -1, "retrain.new_versions: '%s' is not shadow, champion or none",
                            mode);
    /* catboost_v8, when registered, is one of the stack's inputs; it must be trained before the cut-off too */
    sw_config only_cb = *cfg;
    for (int k = 0; k < SW_SYS_COUNT; k++) only_cb.systems[k] = k == SW_SYS_CATBOOST_V8 && cfg->systems[k];
    sw_models cb;
    memset(&cb, 0, sizeof cb);
    int have = sw_registry_exists(cfg->models, err); /* a directory or a bucket; SW_NET stops here */
    if (have != SW_OK && have != SW_NOT_FOUND) return have;
    if (have == SW_OK && sw_models_load(&only_cb, cfg->models, until, &cb, err)) return err->code ? err->code : SW_IO;
    sw_error_clear(err);
    if (log) {
        if (cb.degraded)
            for (int i = 0; i < cb.n_warnings; i++) fprintf(log, "swish: warning: %s\n", cb.warnings[i]);
        for (int i = 0; i < cb.n_notes; i++) fprintf(log, "swish: note: %s\n", cb.notes[i]);
    }
    sw_retrain_opts o = {.until = until, .cfg = cfg, .models_dir = cfg->models, .promote = 0,
                         .catboost = cb.sys[SW_SYS_CATBOOST_V8], .log = log};
    int rc = sw_retrain(lg, &o, &j->rep, err);
    sw_models_free(&cb);
    if (rc) return rc;
    j->ran = 1;
    return place(cfg, mode, j, err);
}
