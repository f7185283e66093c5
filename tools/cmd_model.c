/* cmd_model: `swish model info MODEL [--json]`: what a model file holds;
 * `swish model convert IN OUT`: the same model in the format OUT names. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "core/alloc.h"
#include "core/json.h"
#include "core/num.h"
#include "gbdt/forest.h"
#include "io/model.h"

static const cli_opt info_opts[] = {
    {"--json", NULL, "machine-readable output", 0},
};

/* Categorical splits in the whole forest. */
static long cat_splits(const sw_forest *f)
{
    long n = 0;
    for (int t = 0; t < sw_forest_n_trees(f) && sw_forest_kind(f) == SW_TREES_BINARY; t++) {
        sw_binary_tree_view v;
        sw_forest_binary_tree(f, t, &v);
        for (int i = 0; i < v.n_nodes; i++) {
            const uint32_t *w;
            uint32_t nb;
            n += v.left[i] >= 0 && sw_forest_node_categories(f, t, i, &w, &nb);
        }
    }
    return n;
}

static void print_text(const char *path, const sw_forest *f, const int *hist, long nodes)
{
    int nt = sw_forest_n_trees(f);
    int nf = sw_forest_n_features(f);
    char num[SW_NUM_BUF];
    printf("file          %s\n", path);
    printf("format        %s", sw_forest_source_format(f));
    if (*sw_forest_source_version(f)) printf(" (saved by %s)", sw_forest_source_version(f));
    printf("\nobjective     %s\n", sw_objective_name(sw_forest_objective(f)));
    printf("trees         %d", nt);
    int best = sw_forest_best_iteration(f);
    if (best >= 0)
        printf(" (best iteration %d: %d trees used by default)", best, sw_forest_tree_limit(f, SW_TREES_BEST));
    printf("\n");
    if (sw_forest_kind(f) == SW_TREES_BINARY) printf("nodes         %ld\n", nodes);
    if (sw_forest_n_groups(f) > 1)
        printf("%s %d (outputs per row)\n", sw_objective_is_multiclass(sw_forest_objective(f)) ? "classes      " : "targets      ",
               sw_forest_n_groups(f));
    if (sw_forest_has_categorical(f)) printf("categorical   %ld splits\n", cat_splits(f));
    printf("depths       ");
    for (int d = 0; d <= SW_MAX_BINARY_DEPTH; d++)
        if (hist[d]) printf(" %d:%d", d, hist[d]);
    printf("\n");
    if (sw_forest_kind(f) == SW_TREES_BINARY) {
        /* one per output group where they differ (XGBoost 3.1's multi-target models) */
        int nb = sw_forest_has_group_base_scores(f) ? sw_forest_n_groups(f) : 1;
        printf("base score    ");
        for (int g = 0; g < nb; g++) {
            sw_format_f32_short(num, sw_forest_group_base_score(f, g));
            printf("%s%s", g ? ", " : "", num);
        }
        printf(" (margin%s ", nb > 1 ? "s" : "");
        for (int g = 0; g < nb; g++) {
            sw_format_f32_short(num, sw_forest_group_base_margin(f, g));
            printf("%s%s", g ? ", " : "", num);
        }
        printf(")\n");
    } else {
        sw_format_f64_short(num, sw_forest_scale(f));
        printf("scale         %s\n", num);
        sw_format_f64_short(num, sw_forest_bias(f));
        printf("bias          %s\n", num);
    }
    printf("features      %d%s\n", nf, sw_forest_unnamed(f) ? " (not named in the file: XGBoost's f0, f1, ...)" : "");
    for (int i = 0; i < nf; i++) {
        printf("  %3d  %s", i, sw_forest_feature_name(f, i) ? sw_forest_feature_name(f, i) : "");
        if (sw_forest_kind(f) == SW_TREES_OBLIVIOUS && sw_forest_nan_mode(f, i) != SW_NAN_ASIS)
            printf("  (NaN as %s)", sw_forest_nan_mode(f, i) == SW_NAN_ASTRUE ? "+inf" : "-inf");
        printf("\n");
    }
}

static int print_json(const char *path, const sw_forest *f, const int *hist, long nodes)
{
    sw_jw *w = sw_jw_create(SW_JW_JSON_PRETTY);
    if (!w) return cli_failf(SW_NOMEM, "out of memory");
    sw_jw_shortest(w, 1);
    sw_jw_obj_begin(w);
    sw_jw_kstr(w, "file", path);
    sw_jw_kstr(w, "format", sw_forest_source_format(f));
    sw_jw_kstr(w, "saved_by", sw_forest_source_version(f));
    sw_jw_kstr(w, "tree_kind", sw_forest_kind(f) == SW_TREES_BINARY ? "binary" : "oblivious");
    sw_jw_kstr(w, "objective", sw_objective_name(sw_forest_objective(f)));
    sw_jw_kint(w, "trees", sw_forest_n_trees(f));
    sw_jw_kint(w, "trees_per_iteration", sw_forest_trees_per_iteration(f));
    if (sw_forest_best_iteration(f) >= 0) {
        sw_jw_kint(w, "best_iteration", sw_forest_best_iteration(f));
    } else {
        sw_jw_knull(w, "best_iteration");
    }
    sw_jw_kint(w, "default_trees", sw_forest_tree_limit(f, SW_TREES_BEST));
    if (sw_forest_kind(f) == SW_TREES_BINARY) {
        sw_jw_kint(w, "nodes", nodes);
    }
    int multi = sw_objective_is_multiclass(sw_forest_objective(f));
    sw_jw_kint(w, "classes", multi ? sw_forest_n_groups(f) : 1);
    sw_jw_kint(w, "targets", multi ? 1 : sw_forest_n_groups(f));
    sw_jw_kint(w, "categorical_splits", cat_splits(f));
    sw_jw_key(w, "depth_histogram");
    sw_jw_obj_begin(w);
    for (int d = 0; d <= SW_MAX_BINARY_DEPTH; d++) {
        if (!hist[d]) continue;
        char k[16];
        snprintf(k, sizeof k, "%d", d);
        sw_jw_key(w, k);
        sw_jw_int(w, hist[d]);
    }
    sw_jw_obj_end(w);
    if (sw_forest_kind(f) == SW_TREES_BINARY) {
        /* base_score and base_margin: null when the output groups have their own */
        int per = sw_forest_has_group_base_scores(f);
        for (int m = 0; m < 2; m++) {
            if (per) {
                sw_jw_knull(w, m ? "base_margin" : "base_score");
            } else {
                sw_jw_key(w, m ? "base_margin" : "base_score");
                sw_jw_f32(w, m ? sw_forest_base_margin(f) : sw_forest_base_score(f));
            }
        }
        for (int m = 0; m < 2; m++) {
            sw_jw_key(w, m ? "base_margins" : "base_scores");
            sw_jw_arr_begin(w);
            for (int g = 0; g < sw_forest_n_groups(f); g++)
                sw_jw_f32(w, m ? sw_forest_group_base_margin(f, g) : sw_forest_group_base_score(f, g));
            sw_jw_arr_end(w);
        }
    } else {
        sw_jw_kf64(w, "scale", sw_forest_scale(f));
        sw_jw_kf64(w, "bias", sw_forest_bias(f));
    }
    sw_jw_key(w, "features_named");
    sw_jw_bool(w, !sw_forest_unnamed(f));
    sw_jw_key(w, "features");
    sw_jw_arr_begin(w);
    for (int i = 0; i < sw_forest_n_features(f); i++) {
        const char *n = sw_forest_feature_name(f, i);
        if (n) {
            sw_jw_str(w, n);
        } else {
            sw_jw_null(w);
        }
    }
    sw_jw_arr_end(w);
    sw_jw_obj_end(w);
    const char *data;
    size_t len;
    int rc = sw_jw_finish(w, &data, &len);
    if (rc == SW_OK) printf("%s\n", data);
    sw_jw_free(w);
    return rc ? cli_failf(rc, "out of memory") : 0;
}

static int model_info(int argc, char **argv)
{
    cli_args a = {.usage = "swish model info MODEL",
                  .summary = "Print what a model file holds: format, objective, trees, depth histogram,\n"
                             "feature names, base score or scale/bias (one per output where XGBoost 3.1\n"
                             "wrote one per target), best iteration (null in JSON when the model records\n"
                             "none), classes and targets (output groups) and categorical splits.  Numbers\n"
                             "are the shortest text that reads back exactly.",
                  .opts = info_opts,
                  .n_opts = sizeof info_opts / sizeof info_opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    if (a.n_pos != 1) return cli_failf(SW_ARG, "model info takes one MODEL file (see --help)");
    sw_error err;
    sw_error_clear(&err);
    sw_forest *f;
    if (sw_model_load(a.pos[0], &f, &err) != SW_OK) return cli_fail(&err);
    int hist[SW_MAX_BINARY_DEPTH + 1] = {0};
    long nodes = 0;
    for (int t = 0; t < sw_forest_n_trees(f); t++) {
        hist[sw_forest_tree_depth(f, t)]++;
        nodes += sw_forest_tree_nodes(f, t);
    }
    if (cli_has(&a, "--json")) {
        rc = print_json(a.pos[0], f, hist, nodes);
    } else {
        print_text(a.pos[0], f, hist, nodes);
        rc = 0;
    }
    sw_forest_free(f);
    return rc;
}

static int model_convert(int argc, char **argv)
{
    cli_args a = {.usage = "swish model convert IN OUT",
                  .summary = "Write the model IN in the format OUT's extension names: .json or .ubj (XGBoost),\n"
                             ".cbm (CatBoost, oblivious trees) or .swm; OUT is replaced atomically.  The\n"
                             "trees, thresholds and leaves are the same floats, so every prediction stays\n"
                             "the same to the bit.  E.g. an XGBoost 1.x legacy binary model (.model) as .json,\n"
                             "which XGBoost 3 reads.  A model the format cannot hold is refused (exit 6).",
                  .opts = NULL,
                  .n_opts = 0};
    int rc = cli_parse(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    if (a.n_pos != 2) return cli_failf(SW_ARG, "model convert takes IN and OUT (see --help)");
    sw_error err;
    sw_error_clear(&err);
    sw_forest *f;
    if (sw_model_load(a.pos[0], &f, &err) != SW_OK) return cli_fail(&err);
    rc = sw_model_save(f, a.pos[1], &err);
    if (rc == SW_OK)
        printf("%s (%s, %d trees) -> %s\n", a.pos[0], sw_forest_source_format(f), sw_forest_n_trees(f), a.pos[1]);
    sw_forest_free(f);
    if (rc && !err.file[0]) snprintf(err.file, sizeof err.file, "%s", a.pos[1]); /* the file not written */
    return rc ? cli_fail(&err) : 0;
}

static const char *model_usage = "swish model info MODEL [--json] | swish model convert IN OUT";

int cmd_model(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "info") == 0) return model_info(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "convert") == 0) return model_convert(argc - 1, argv + 1);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: %s\n\n"
               "  info MODEL      what a model file holds (--json: machine-readable)\n"
               "  convert IN OUT  the same model in the format OUT's extension names\n\n"
               "'swish model info --help' and 'swish model convert --help' describe each.\n",
               model_usage);
        return 0;
    }
    if (argc < 2) return cli_failf(SW_ARG, "usage: %s (see swish model --help)", model_usage);
    return cli_failf(SW_ARG, "unknown model command '%s'; usage: %s", argv[1], model_usage);
}
