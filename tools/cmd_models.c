/* cmd_models: `swish models ...`, the model store: versions, stages and rollout,
 * history, gates, copies between stores. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "core/alloc.h"
#include "core/date.h"
#include "core/fileio.h"
#include "features/features.h"
#include "io/model.h"
#include "pipeline/registry.h"
#include "pipeline/rollout.h"
#include "pipeline/stack.h"
#include "pipeline/store.h"
#include "runcfg.h"

static const cli_opt opts[] = {
    RUNCFG_OPT_CONFIG,
    RUNCFG_OPT_MODELS,
    {"--system", "NAME", "add: the system (gbdt, catboost_v8 or stack)", 0},
    {"--version", "V", "add: the version name (default: date, time and checksum)", 0},
    {"--promote", NULL, "add: make it the champion", 0},
    {"--train-from", "DATE", "add: the first game date the model was trained on", 0},
    {"--train-to", "DATE", "add: the last game date the model was trained on (without it, the model is taken to\n"
                           "                             have seen every game before it was added, and serves no earlier date)", 0},
    {"--to", "STAGE", "rollout: shadow, a canary share in percent (10, 50) or 100 (champion)", 0},
    {"--force", NULL, "rollout: advance although the gate has not passed (recorded in the history)", 0},
    {"--db", "DB", "rollout, status, gate: the database of graded predictions (overrides paths.db)", 0},
    {"--json", NULL, "list, status, history, gate: JSON", 0},
};

static const char *usage_text =
    "swish models list|add FILE|promote SYSTEM VERSION|rollout SYSTEM VERSION|rollback SYSTEM|status [SYSTEM]|"
    "history SYSTEM|gate|archive SYSTEM VERSION|sync FROM TO";

static const char *const all_systems[] = {"gbdt", "catboost_v8", "stack"};

static int list(const sw_config *cfg, int json)
{
    sw_manifest *ms = NULL;
    int n = 0;
    sw_error err;
    sw_error_clear(&err);
    if (sw_registry_list(cfg->models, &ms, &n, &err)) return cli_fail(&err);
    sw_jw *w = NULL;
    if (json) {
        if (!(w = sw_jw_create(SW_JW_JSON))) {
            sw_free(ms);
            return cli_failf(SW_NOMEM, "out of memory");
        }
        sw_jw_shortest(w, 1);
        sw_jw_arr_begin(w);
    } else {
        printf("%-12s %-26s %-12s %-20s %-23s %8s  %s\n", "SYSTEM", "VERSION", "STAGE", "CREATED", "TRAINED ON", "ROWS",
               "METRICS");
    }
    for (int i = 0; i < n; i++) {
        const sw_manifest *m = &ms[i];
        sw_reg_state st;
        sw_error e;
        if (sw_registry_state(cfg->models, m->system, &st, &e)) memset(&st, 0, sizeof st);
        int share, is_champ = !strcmp(st.champion, m->version);
        sw_stage stage = sw_reg_stage_of(&st, m->version, &share);
        sw_registry_state_free(&st);
        char stext[24];
        if (stage == SW_STAGE_CANARY) snprintf(stext, sizeof stext, "canary %d%%", share);
        else snprintf(stext, sizeof stext, "%s", sw_stage_name(stage));
        if (json) {
            sw_jw_obj_begin(w);
            sw_jw_kstr(w, "system", m->system);
            sw_jw_kstr(w, "version", m->version);
            sw_jw_kbool(w, "champion", is_champ);
            sw_jw_kstr(w, "stage", sw_stage_name(stage));
            sw_jw_kint(w, "share", share);
            sw_jw_kstr(w, "created", m->created);
            sw_jw_kstr(w, "from", m->train_from);
            sw_jw_kstr(w, "to", m->train_to);
            sw_jw_kint(w, "rows", m->train_rows);
            sw_jw_kstr(w, "feature_set", m->feature_set);
            sw_jw_kstr(w, "parent", m->parent);
            sw_jw_key(w, "metrics");
            sw_jw_obj_begin(w);
            for (int k = 0; k < m->n_metrics; k++) sw_jw_kf64(w, m->metric_name[k], m->metric[k]);
            sw_jw_obj_end(w);
            sw_jw_key(w, "files");
            sw_jw_arr_begin(w);
            for (int k = 0; k < m->n_files; k++) {
                sw_jw_obj_begin(w);
                sw_jw_kstr(w, "role", m->files[k].role);
                sw_jw_kstr(w, "name", m->files[k].name);
                sw_jw_kint(w, "bytes", m->files[k].bytes);
                sw_jw_kstr(w, "sha256", m->files[k].sha256);
                sw_jw_obj_end(w);
            }
            sw_jw_arr_end(w);
            sw_jw_obj_end(w);
        } else {
            char window[32] = "-";
            if (m->train_from[0]) snprintf(window, sizeof window, "%s..%s", m->train_from, m->train_to);
            printf("%-12s %-26s %-12s %-20s %-23s %8ld ", m->system, m->version, stext, m->created, window,
                   m->train_rows);
            for (int k = 0; k < m->n_metrics && k < 3; k++) printf(" %s=%.4g", m->metric_name[k], m->metric[k]);
            printf("\n");
        }
    }
    sw_free(ms);
    if (json) {
        sw_jw_arr_end(w);
        return cli_print_json(w);
    }
    if (!n) printf("(no models in %s)\n", cfg->models);
    return 0;
}

static int add(const cli_args *a, const sw_config *cfg)
{
    const char *system = cli_need(a, "--system");
    if (!system) return 2;
    if (a->n_pos != 2) return cli_failf(SW_ARG, "models add: give one model FILE");
    const char *path = a->pos[1];
    int is_stack = !strcmp(system, "stack");
    if (!is_stack && !sw_system_is_model((sw_system_id)sw_system_find(system)))
        return cli_failf(SW_ARG, "models add: --system must be gbdt, catboost_v8 or stack, not '%s'", system);
    sw_error err;
    sw_error_clear(&err);
    unsigned char *data = NULL;
    size_t len = 0;
    if (sw_read_file(path, 0, &data, &len, &err)) return cli_fail(&err);
    sw_manifest m;
    sw_manifest_init(&m, system);
    const char *v = cli_get(a, "--version");
    if (v) snprintf(m.version, sizeof m.version, "%s", v);
    const char *wf = cli_get(a, "--train-from"), *wt = cli_get(a, "--train-to");
    int df = -1, dt = -1;
    if ((wf && sw_date_parse(wf, strlen(wf), &df)) || (wt && sw_date_parse(wt, strlen(wt), &dt))) {
        sw_free(data);
        return cli_failf(SW_ARG, "models add: --train-from and --train-to take dates (YYYY-MM-DD)");
    }
    if (wf && !wt) {
        sw_free(data);
        return cli_failf(SW_ARG, "models add: --train-from needs --train-to");
    }
    if (wf && df > dt) {
        sw_free(data);
        return cli_failf(SW_ARG, "models add: --train-from %s is after --train-to %s", wf, wt);
    }
    if (wf) sw_date_format(df, m.train_from);
    if (wt) sw_date_format(dt, m.train_to);
    snprintf(m.source, sizeof m.source, "%s", path);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char name[64];
    int rc = SW_OK;
    if (is_stack) {
        sw_stack st;
        rc = sw_stack_from_json(path, (const char *)data, len, &st, &err);
        snprintf(m.feature_set, sizeof m.feature_set, "systems");
        m.n_features = st.k;
        for (int j = 0; j < st.k; j++) snprintf(m.features[j], sizeof m.features[j], "%s", sw_system_name(st.sys[j]));
        snprintf(name, sizeof name, "stack.json");
    } else {
        /* the model must load and ask only for features swish computes */
        sw_forest *f = NULL;
        rc = sw_model_read(path, data, len, &f, &err);
        if (rc == SW_OK) {
            char missing[512] = "";
            int nm = 0;
            for (int i = 0; i < sw_forest_n_features(f); i++) {
                const char *fn = sw_forest_feature_name(f, i);
                if (!fn || sw_feature_find(fn) < 0) {
                    size_t l = strlen(missing);
                    if (l < sizeof missing - 48) snprintf(missing + l, sizeof missing - l, "%s%s", nm ? ", " : "", fn ? fn : "(unnamed)");
                    nm++;
                } else if (i < SW_MANIFEST_MAX_FEATURES) {
                    snprintf(m.features[m.n_features++], sizeof m.features[0], "%s", fn);
                }
            }
            if (nm)
                rc = sw_error_set(&err, SW_MISMATCH, path, 0, 0, -1,
                                  "the model asks for %d feature%s swish does not compute (%s): %s", nm, nm > 1 ? "s" : "",
                                  SW_FEATURE_SET, missing);
            else if (sw_forest_n_outputs(f, 0) != 1) /* a system predicts one number of points a row */
                rc = sw_error_set(&err, SW_MISMATCH, path, 0, 0, -1,
                                  "the model gives %d values a row (%d %s): a system needs one, the points",
                                  sw_forest_n_outputs(f, 0), sw_forest_n_groups(f),
                                  sw_objective_is_multiclass(sw_forest_objective(f)) ? "classes" : "targets");
            snprintf(m.feature_set, sizeof m.feature_set, "%s", SW_FEATURE_SET);
            snprintf(m.params, sizeof m.params, "%s model, %d trees, objective %s", sw_model_format_name(sw_model_detect(path, data, len)),
                     sw_forest_n_trees(f), sw_objective_name(sw_forest_objective(f)));
            sw_forest_free(f);
        }
        const char *dot = strrchr(base, '.');
        snprintf(name, sizeof name, "mean%s", dot ? dot : ".model");
    }
    if (rc == SW_OK) {
        sw_reg_blob b = {is_stack ? "stack" : "mean", name, data, len};
        rc = sw_registry_add(cfg->models, &m, &b, 1, cli_has(a, "--promote"), &err);
    }
    sw_free(data);
    if (rc) return cli_fail(&err);
    char champ[64] = "";
    sw_registry_champion(cfg->models, system, champ, &err);
    printf("added %s %s%s\n", system, m.version, !strcmp(champ, m.version) ? " (champion)" : "");
    return 0;
}

static void stage_text(sw_stage s, int share, char out[24])
{
    if (s == SW_STAGE_CANARY) snprintf(out, 24, "canary %d%%", share);
    else snprintf(out, 24, "%s", sw_stage_name(s));
}

static void gate_line(const sw_gate *g, char *out, size_t cap)
{
    char st[24];
    stage_text(g->stage, g->share, st);
    if (g->n == 0) {
        snprintf(out, cap, "%s %s (%s since %.10s) vs %s: no graded player-games scored by both yet: UNDECIDED",
                 g->system, g->candidate, st, g->since, g->champion);
        return;
    }
    snprintf(out, cap,
             "%s %s (%s since %.10s) vs %s: %ld player-games; MAE %.3f vs %.3f, difference %+.3f [%+.3f, %+.3f]; "
             "hit rate %.1f%% [%.1f, %.1f] of %ld vs %.1f%% of %ld: %s",
             g->system, g->candidate, st, g->since, g->champion, g->n, g->mae_cand, g->mae_champ, g->mae_diff,
             g->mae_diff_lo, g->mae_diff_hi, 100 * g->hit_cand, 100 * g->hit_cand_lo, 100 * g->hit_cand_hi,
             g->calls_cand, 100 * g->hit_champ, g->calls_champ,
             g->verdict == SW_GATE_PASS ? "PASS" : g->verdict == SW_GATE_LOSS ? "CLEAR LOSS" : "UNDECIDED");
}

static void gate_json(sw_jw *w, const sw_gate *g)
{
    sw_jw_obj_begin(w);
    sw_jw_kstr(w, "system", g->system);
    sw_jw_kstr(w, "candidate", g->candidate);
    sw_jw_kstr(w, "champion", g->champion);
    sw_jw_kstr(w, "stage", sw_stage_name(g->stage));
    sw_jw_kint(w, "share", g->share);
    sw_jw_kstr(w, "since", g->since);
    sw_jw_kint(w, "n", g->n);
    sw_jw_kf64(w, "mae_candidate", g->mae_cand);
    sw_jw_kf64(w, "mae_champion", g->mae_champ);
    sw_jw_kf64(w, "mae_diff", g->mae_diff);
    sw_jw_kf64(w, "mae_diff_lo", g->mae_diff_lo);
    sw_jw_kf64(w, "mae_diff_hi", g->mae_diff_hi);
    sw_jw_kint(w, "calls_candidate", g->calls_cand);
    sw_jw_kint(w, "hits_candidate", g->hits_cand);
    sw_jw_kf64(w, "hit_rate_candidate", g->hit_cand);
    sw_jw_kf64(w, "hit_rate_candidate_lo", g->hit_cand_lo);
    sw_jw_kf64(w, "hit_rate_candidate_hi", g->hit_cand_hi);
    sw_jw_kint(w, "calls_champion", g->calls_champ);
    sw_jw_kint(w, "hits_champion", g->hits_champ);
    sw_jw_kf64(w, "hit_rate_champion", g->hit_champ);
    sw_jw_kf64(w, "hit_rate_champion_lo", g->hit_champ_lo);
    sw_jw_kf64(w, "hit_rate_champion_hi", g->hit_champ_hi);
    sw_jw_kstr(w, "verdict", g->verdict == SW_GATE_PASS ? "pass" : g->verdict == SW_GATE_LOSS ? "loss" : "undecided");
    sw_jw_kstr(w, "why", g->why);
    sw_jw_kstr(w, "action", g->action);
    sw_jw_obj_end(w);
}

/* The gate of a system's rollout from the database (SW_NOT_FOUND: no database). */
static int gate_of(const sw_config *cfg, const char *system, sw_gate *g, sw_error *err)
{
    sw_store *st = NULL;
    int rc = sw_store_open(cfg->db, cfg->busy_timeout_ms, 0, &st, err);
    if (rc) return rc;
    rc = sw_rollout_gate(st, cfg, cfg->models, system, g, err);
    sw_store_close(st);
    return rc;
}

static int rollout_cmd(const cli_args *a, const sw_config *cfg)
{
    if (a->n_pos != 3) return cli_failf(SW_ARG, "usage: swish models rollout SYSTEM VERSION --to shadow|10|50|100");
    const char *system = a->pos[1], *version = a->pos[2], *to = cli_need(a, "--to");
    if (!to) return 2;
    sw_stage stage;
    int share = 0;
    if (!strcmp(to, "shadow")) stage = SW_STAGE_SHADOW;
    else {
        char *end;
        long v = strtol(to, &end, 10);
        if (*end == '%') end++;
        if (end == to || *end || v < 1 || v > 100)
            return cli_failf(SW_ARG, "models rollout: --to takes shadow, a share 1-99 or 100 (champion), not '%s'", to);
        stage = v == 100 ? SW_STAGE_CHAMPION : SW_STAGE_CANARY;
        share = (int)v;
    }
    sw_error err;
    sw_error_clear(&err);
    sw_reg_state st;
    if (sw_registry_state(cfg->models, system, &st, &err)) return cli_fail(&err);
    int cur_share;
    sw_stage cur = sw_reg_stage_of(&st, version, &cur_share);
    sw_registry_state_free(&st);
    char note[512] = "";
    if (stage != SW_STAGE_SHADOW) {
        /* past a stage: the gate of the stage it is in must have passed */
        sw_gate g;
        char line[400] = "";
        int grc = SW_NOT_FOUND;
        if (cur == SW_STAGE_SHADOW || cur == SW_STAGE_CANARY) {
            grc = gate_of(cfg, system, &g, &err);
            if (grc == SW_OK) gate_line(&g, line, sizeof line);
            else sw_error_format(&err, line, sizeof line);
        } else {
            snprintf(line, sizeof line, "%s %s is %s: it has not been through shadow", system, version,
                     sw_stage_name(cur));
        }
        int passed = grc == SW_OK && g.verdict == SW_GATE_PASS;
        if (!passed && !cli_has(a, "--force"))
            return cli_failf(SW_ARG, "models rollout: the gate has not passed, %s stays where it is: %s "
                             "(--force overrides, and is recorded)", version, line);
        snprintf(note, sizeof note, "%s%s", passed ? "gate passed: " : "forced by hand; gate: ", line);
    } else {
        snprintf(note, sizeof note, "into shadow by hand");
    }
    if (sw_registry_rollout(cfg->models, system, version, stage, share, note, &err)) return cli_fail(&err);
    char t[24];
    stage_text(stage, share, t);
    printf("%s %s: %s\n", system, version, t);
    return 0;
}

static int status_cmd(const cli_args *a, const sw_config *cfg)
{
    int json = cli_has(a, "--json");
    const char *only = a->n_pos >= 2 ? a->pos[1] : NULL;
    sw_jw *w = NULL;
    if (json) {
        if (!(w = sw_jw_create(SW_JW_JSON))) return cli_failf(SW_NOMEM, "out of memory");
        sw_jw_shortest(w, 1);
        sw_jw_arr_begin(w);
    }
    int shown = 0;
    for (size_t i = 0; i < sizeof all_systems / sizeof all_systems[0]; i++) {
        if (only && strcmp(only, all_systems[i])) continue;
        sw_reg_state st;
        sw_error err;
        sw_error_clear(&err);
        if (sw_registry_state(cfg->models, all_systems[i], &st, &err)) {
            sw_jw_free(w);
            return cli_fail(&err);
        }
        if (!st.champion[0] && !st.rollout[0] && only == NULL) {
            sw_registry_state_free(&st);
            continue;
        }
        shown++;
        sw_gate g;
        int has_gate = st.rollout[0] && gate_of(cfg, all_systems[i], &g, &err) == SW_OK;
        char gl[600] = "";
        if (st.rollout[0] && !has_gate) sw_error_format(&err, gl, sizeof gl);
        if (json) {
            sw_jw_obj_begin(w);
            sw_jw_kstr(w, "system", all_systems[i]);
            sw_jw_kstr(w, "champion", st.champion);
            sw_jw_kstr(w, "rollout", st.rollout);
            sw_jw_kstr(w, "stage", st.rollout[0] ? sw_stage_name(st.rollout_stage) : "");
            sw_jw_kint(w, "share", st.rollout[0] && st.rollout_stage == SW_STAGE_CANARY ? st.share : 0);
            sw_jw_kstr(w, "since", st.rollout[0] ? st.since : "");
            sw_jw_key(w, "gate");
            if (has_gate) gate_json(w, &g);
            else sw_jw_null(w);
            sw_jw_obj_end(w);
        } else {
            printf("%s: champion %s", all_systems[i], st.champion[0] ? st.champion : "(none)");
            if (st.rollout[0]) {
                char t[24];
                stage_text(st.rollout_stage, st.share, t);
                printf("; %s in %s since %s\n", st.rollout, t, st.since);
                if (has_gate) gate_line(&g, gl, sizeof gl);
                printf("  gate: %s\n", gl);
            } else {
                printf("; no rollout\n");
            }
        }
        sw_registry_state_free(&st);
    }
    if (json) {
        sw_jw_arr_end(w);
        return cli_print_json(w);
    }
    if (!shown) printf("(no models in %s)\n", cfg->models);
    return 0;
}

static int history_cmd(const cli_args *a, const sw_config *cfg)
{
    if (a->n_pos != 2) return cli_failf(SW_ARG, "usage: swish models history SYSTEM");
    sw_reg_state st;
    sw_error err;
    sw_error_clear(&err);
    if (sw_registry_state(cfg->models, a->pos[1], &st, &err)) return cli_fail(&err);
    if (cli_has(a, "--json")) {
        sw_jw *w = sw_jw_create(SW_JW_JSON);
        if (!w) {
            sw_registry_state_free(&st);
            return cli_failf(SW_NOMEM, "out of memory");
        }
        sw_jw_arr_begin(w);
        for (int i = 0; i < st.n_events; i++) sw_reg_event_json(w, &st.events[i]);
        sw_jw_arr_end(w);
        sw_registry_state_free(&st);
        return cli_print_json(w);
    }
    for (int i = 0; i < st.n_events; i++) {
        const sw_reg_event *e = &st.events[i];
        printf("%s  %-8s %-26s %s -> %s  by %s (%s)%s%s\n", e->at, e->action, e->version, e->from, e->to, e->actor,
               e->command, e->note[0] ? "\n    " : "", e->note);
    }
    if (!st.n_events) printf("(no history for %s in %s)\n", a->pos[1], cfg->models);
    sw_registry_state_free(&st);
    return 0;
}

static int gate_cmd(const cli_args *a, const sw_config *cfg)
{
    sw_error err;
    sw_error_clear(&err);
    sw_store *st = NULL;
    if (sw_store_open(cfg->db, cfg->busy_timeout_ms, 0, &st, &err)) return cli_fail(&err);
    sw_gate g[SW_SYS_COUNT + 1];
    int n = 0, json = cli_has(a, "--json");
    int rc = sw_rollout_gate_all(st, cfg, cfg->models, g, &n, NULL, &err);
    sw_store_close(st);
    if (rc) return cli_fail(&err);
    if (json) {
        sw_jw *w = sw_jw_create(SW_JW_JSON);
        if (!w) return cli_failf(SW_NOMEM, "out of memory");
        sw_jw_shortest(w, 1);
        sw_jw_arr_begin(w);
        for (int i = 0; i < n; i++) gate_json(w, &g[i]);
        sw_jw_arr_end(w);
        return cli_print_json(w);
    }
    for (int i = 0; i < n; i++) {
        char line[600];
        gate_line(&g[i], line, sizeof line);
        printf("%s%s%s\n", line, g[i].action[0] ? "; " : "", g[i].action);
    }
    if (!n) printf("(no rollout in progress in %s)\n", cfg->models);
    return 0;
}

static int sync_cmd(const cli_args *a)
{
    if (a->n_pos != 3) return cli_failf(SW_ARG, "usage: swish models sync FROM TO");
    sw_error err;
    sw_error_clear(&err);
    sw_sync_stats ss;
    if (sw_registry_sync(a->pos[1], a->pos[2], stderr, &ss, &err)) return cli_fail(&err);
    printf("%s -> %s: %d versions copied (%d files, %lld bytes, each verified), %d already there, %d pointers "
           "copied\n",
           a->pos[1], a->pos[2], ss.versions_copied, ss.files_copied, ss.bytes, ss.versions_skipped,
           ss.pointers_copied);
    return 0;
}

/* A read that came from the cached copies says so, and exits 16. */
static int offline_status(int rc)
{
    char why[512];
    if (!sw_registry_offline(why, sizeof why)) return rc;
    fprintf(stderr, "swish: warning: the model store could not be reached; this is what the cache held (%s)\n", why);
    return rc ? rc : sw_status_exit_code(SW_OFFLINE);
}

int cmd_models(int argc, char **argv)
{
    cli_args a = {.usage = usage_text,
                  .summary = "The model store: every version with its manifest (training window, features, metrics,\n"
                             "sha256 of each file) and one champion per system, which the slate loads.\n"
                             "The store is a directory, file://DIR, s3://BUCKET/PREFIX or gs://BUCKET/PREFIX (credentials:\n"
                             "AWS_* or GS_* variables, or [storage] in the config; remote files are cached and verified).\n"
                             "  list                      every version with its stage\n"
                             "  add --system S FILE       register a model file (XGBoost JSON/UBJSON/legacy, CatBoost .cbm,\n"
                             "                            swish .swm; a stack.json for 'stack'); it must load\n"
                             "  promote SYSTEM VERSION    make a version the champion at once (no rollout)\n"
                             "  rollout SYSTEM VERSION --to shadow|10|50|100\n"
                             "                            staged rollout: shadow is scored and stored, never served; a\n"
                             "                            canary serves its share of the final calls; 100 is champion.\n"
                             "                            Past shadow the gate must have passed (--force overrides)\n"
                             "  rollback SYSTEM           end the rollout in progress, else back to the previous champion\n"
                             "  status [SYSTEM]           champion, rollout stage, share, since when, gate figures\n"
                             "  history SYSTEM            every change: when, who, the command, from, to, gate figures\n"
                             "  gate                      evaluate every rollout's gate; a clear loss is rolled back\n"
                             "                            (rollout.auto_rollback), a pass advances only with\n"
                             "                            rollout.auto_promote ('swish grade' runs it too)\n"
                             "  archive SYSTEM VERSION    retire a version that does not serve\n"
                             "  sync FROM TO              copy a store (local, s3://, gs://), every file verified",
                  .opts = opts,
                  .n_opts = sizeof opts / sizeof opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    sw_config cfg;
    if ((rc = runcfg_load(&a, &cfg))) return rc;
    if (a.n_pos < 1) return cli_failf(SW_ARG, "usage: %s", usage_text);
    const char *sub = a.pos[0];
    sw_error err;
    sw_error_clear(&err);
    if (!strcmp(sub, "list")) return offline_status(list(&cfg, cli_has(&a, "--json")));
    if (!strcmp(sub, "add")) return add(&a, &cfg);
    if (!strcmp(sub, "promote")) {
        if (a.n_pos != 3) return cli_failf(SW_ARG, "usage: swish models promote SYSTEM VERSION");
        if (sw_registry_promote(cfg.models, a.pos[1], a.pos[2], &err)) return cli_fail(&err);
        printf("%s champion: %s\n", a.pos[1], a.pos[2]);
        return 0;
    }
    if (!strcmp(sub, "rollback")) {
        if (a.n_pos != 2) return cli_failf(SW_ARG, "usage: swish models rollback SYSTEM");
        char v[64], ended[64];
        if (sw_registry_rollback_note(cfg.models, a.pos[1], "rolled back by hand", v, ended, &err))
            return cli_fail(&err);
        printf("%s: %s rolled back; champion %s\n", a.pos[1], ended, v);
        return 0;
    }
    if (!strcmp(sub, "rollout")) return rollout_cmd(&a, &cfg);
    if (!strcmp(sub, "status")) return offline_status(status_cmd(&a, &cfg));
    if (!strcmp(sub, "history")) return offline_status(history_cmd(&a, &cfg));
    if (!strcmp(sub, "gate")) return gate_cmd(&a, &cfg);
    if (!strcmp(sub, "sync")) return sync_cmd(&a);
    if (!strcmp(sub, "archive")) {
        if (a.n_pos != 3) return cli_failf(SW_ARG, "usage: swish models archive SYSTEM VERSION");
        if (sw_registry_archive(cfg.models, a.pos[1], a.pos[2], &err)) return cli_fail(&err);
        printf("%s %s: archived\n", a.pos[1], a.pos[2]);
        return 0;
    }
    return cli_failf(SW_ARG, "unknown models command '%s'; usage: %s", sub, usage_text);
}
