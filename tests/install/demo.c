/* demo: a user's program against the installed library (built with
 * `pkg-config --cflags --libs swish`): score a CSV with a model, as
 * `swish predict --margin` does, one prediction per line.
 *
 *   demo MODEL ROWS.csv [TREES]     (TREES: all trees when absent) */
#include <stdio.h>
#include <stdlib.h>

#include <swish.h>

static int fail(const sw_error *err)
{
    char buf[1200];
    sw_error_format(err, buf, sizeof buf);
    fprintf(stderr, "demo: %s\n", buf);
    return sw_status_exit_code(err->code);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: demo MODEL ROWS.csv [TREES]\n");
        return 2;
    }
    sw_error err;
    sw_error_clear(&err);
    sw_forest *f = NULL;
    if (sw_model_load(argv[1], &f, &err) != SW_OK) return fail(&err);
    int nf = sw_forest_n_features(f);
    const char **names = calloc((size_t)nf, sizeof *names);
    for (int i = 0; i < nf; i++) names[i] = sw_forest_feature_name(f, i);
    sw_csv_opts opts = {.columns = names, .n_columns = nf};
    sw_table *t = NULL;
    sw_matrix *X = NULL;
    sw_scorer *sc = NULL;
    if (sw_table_read_csv(argv[2], &opts, &t, &err) != SW_OK ||
        sw_matrix_from_table(t, names, nf, &X, &err) != SW_OK ||
        sw_scorer_create(f, sw_forest_tree_limit(f, argc > 3 ? atoi(argv[3]) : SW_TREES_ALL), SW_ISA_AUTO, &sc,
                         &err) != SW_OK)
        return fail(&err);
    int no = sw_scorer_n_outputs(sc, 1);
    double *out = malloc((size_t)(X->rows ? X->rows : 1) * (size_t)no * sizeof *out);
    sw_scorer_predict(sc, X->data, X->rows, X->cols, 1, 0, out);
    for (long r = 0; r < X->rows; r++)
        for (int o = 0; o < no; o++) printf("%.17g%c", out[r * no + o], o + 1 < no ? ',' : '\n');
    printf("# %s %s trees=%d\n", sw_version(), sw_isa_name(sw_scorer_isa(sc)), sw_scorer_n_trees(sc));
    free(out);
    sw_scorer_free(sc);
    sw_matrix_free(X);
    sw_table_free(t);
    free(names);
    sw_forest_free(f);
    return 0;
}
