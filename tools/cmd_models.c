/* cmd_models: `swish models list|add|promote|rollback`, the model store. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "core/alloc.h"
#include "core/date.h"
#include "core/fileio.h"
#include "features/features.h"
#include "io/model.h"
#include "pipeline/registry.h"
#include "pipeline/stack.h"
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
    {"--json", NULL, "list: JSON", 0},
};

static const char *usage_text = "swish models list|add FILE|promote SYSTEM VERSION|rollback SYSTEM";

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
        printf("%-12s %-26s %-5s %-20s %-23s %8s  %s\n", "SYSTEM", "VERSION", "CHAMP", "CREATED", "TRAINED ON", "ROWS",
               "METRICS");
    }
    for (int i = 0; i < n; i++) {
        const sw_manifest *m = &ms[i];
        char champ[64] = "";
        sw_error e;
        sw_registry_champion(cfg->models, m->system, champ, &e);
        int is_champ = !strcmp(champ, m->version);
        if (json) {
            sw_jw_obj_begin(w);
            sw_jw_kstr(w, "system", m->system);
            sw_jw_kstr(w, "version", m->version);
            sw_jw_kbool(w, "champion", is_champ);
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
            printf("%-12s %-26s %-5s %-20s %-23s %8ld ", m->system, m->version, is_champ ? "*" : "", m->created,
                   window, m->train_rows);
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

int cmd_models(int argc, char **argv)
{
    cli_args a = {.usage = usage_text,
                  .summary = "The model store: every version with its manifest (training window, features, metrics,\n"
                             "sha256 of each file) and one champion per system, which the slate loads.\n"
                             "  list                      every version; * marks champions\n"
                             "  add --system S FILE       register a model file (XGBoost JSON/UBJSON, CatBoost .cbm,\n"
                             "                            swish .swm; a stack.json for 'stack'); it must load\n"
                             "  promote SYSTEM VERSION    make a version the champion\n"
                             "  rollback SYSTEM           back to the previous champion",
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
    if (!strcmp(sub, "list")) return list(&cfg, cli_has(&a, "--json"));
    if (!strcmp(sub, "add")) return add(&a, &cfg);
    if (!strcmp(sub, "promote")) {
        if (a.n_pos != 3) return cli_failf(SW_ARG, "usage: swish models promote SYSTEM VERSION");
        if (sw_registry_promote(cfg.models, a.pos[1], a.pos[2], &err)) return cli_fail(&err);
        printf("%s champion: %s\n", a.pos[1], a.pos[2]);
        return 0;
    }
    if (!strcmp(sub, "rollback")) {
        if (a.n_pos != 2) return cli_failf(SW_ARG, "usage: swish models rollback SYSTEM");
        char v[64];
        if (sw_registry_rollback(cfg.models, a.pos[1], v, &err)) return cli_fail(&err);
        printf("%s champion: %s (rolled back)\n", a.pos[1], v);
        return 0;
    }
    return cli_failf(SW_ARG, "unknown models command '%s'; usage: %s", sub, usage_text);
}
