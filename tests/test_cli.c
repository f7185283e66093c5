/* test_cli: the swish binary end to end: model info, predict (column matching,
 * tree choice, round-trip output) and one clear error line for bad input. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "testutil.h"

static const char *XGB = "xgboost_v7_31features_20260108_204724";
static const char *CB = "catboost_v8_33features_20260108_211817";

static int run(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int run(char **out, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return tu_run(cmd, out);
}

/* Compare a one-column prediction CSV with a column of expected.csv. */
static void same_column(const char *pred_path, const char *exp_path, const char *col, int f32)
{
    sw_table *p, *e;
    sw_error err;
    ck_assert_msg(sw_table_read_csv(pred_path, NULL, &p, &err) == SW_OK, "%s", err.msg);
    ck_assert_int_eq(sw_table_read_csv(exp_path, NULL, &e, &err), SW_OK);
    ck_assert_int_eq(sw_table_rows(p), sw_table_rows(e));
    int c = sw_table_find(e, col);
    for (long r = 0; r < sw_table_rows(p); r++) {
        double a, b;
        ck_assert_int_eq(sw_table_f64(p, r, 0, &a, &err), SW_OK);
        ck_assert_int_eq(sw_table_f64(e, r, c, &b, &err), SW_OK);
        if (f32) a = (double)(float)a;
        ck_assert_msg(a == b, "row %ld: %.17g vs %.17g", r, a, b);
    }
    sw_table_free(p);
    sw_table_free(e);
}

START_TEST(cli_model_info)
{
    char model[512], rel[256], *out;
    snprintf(rel, sizeof rel, "models/%s.json", XGB);
    tu_shared_path(model, sizeof model, rel);
    ck_assert_int_eq(run(&out, "%s model info %s --json", tu_swish_bin(), model), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"best_iteration\": 473"));
    ck_assert_ptr_nonnull(strstr(out, "\"trees\": 524"));
    ck_assert_ptr_nonnull(strstr(out, "\"6\": 524"));
    ck_assert_ptr_nonnull(strstr(out, "\"points_avg_last_5\""));
    free(out);
    snprintf(rel, sizeof rel, "models/%s.cbm", CB);
    tu_shared_path(model, sizeof model, rel);
    ck_assert_int_eq(run(&out, "%s model info %s", tu_swish_bin(), model), 0);
    ck_assert_ptr_nonnull(strstr(out, "catboost-cbm"));
    ck_assert_ptr_nonnull(strstr(out, "bias          10.793658256530762"));
    free(out);
    ck_assert_int_eq(run(&out, "%s model info --help", tu_swish_bin()), 0);
    free(out);
}
END_TEST

START_TEST(cli_predict_matches_reference)
{
    char model[512], dir[512], rel[256], *out;
    snprintf(rel, sizeof rel, "models/%s.json", XGB);
    tu_shared_path(model, sizeof model, rel);
    snprintf(rel, sizeof rel, "crosscheck/xgboost/%s", XGB);
    tu_shared_path(dir, sizeof dir, rel);
    const char *tmp = tu_tmpdir();
    /* default: best iteration; --trees all; --threads 2 */
    ck_assert_int_eq(run(&out, "%s predict --model %s --input %s/inputs.csv --output %s/best.csv", tu_swish_bin(),
                         model, dir, tmp), 0);
    free(out);
    char p[600], e[600];
    snprintf(p, sizeof p, "%s/best.csv", tmp);
    snprintf(e, sizeof e, "%s/expected.csv", dir);
    same_column(p, e, "pred_best_iteration", 1);
    ck_assert_int_eq(run(&out, "%s predict --model %s --input %s/inputs.csv --trees all --threads 2 > %s/all.csv",
                         tu_swish_bin(), model, dir, tmp), 0);
    free(out);
    snprintf(p, sizeof p, "%s/all.csv", tmp);
    same_column(p, e, "prediction", 1);
    ck_assert_int_eq(run(&out, "%s predict --model %s --input %s/inputs.csv --trees 100 --margin --output %s/k.csv",
                         tu_swish_bin(), model, dir, tmp), 0);
    free(out);
    snprintf(p, sizeof p, "%s/k.csv", tmp);
    same_column(p, e, "pred_first_k_trees", 1);
    /* columns in another order plus an extra one: same predictions */
    ck_assert_int_eq(run(&out,
                         "/usr/bin/python3 -c \"import csv,sys; r=list(csv.reader(open('%s/inputs.csv'))); "
                         "w=csv.writer(open('%s/shuf.csv','w')); [w.writerow(['x']+row[::-1]) for row in r]\"",
                         dir, tmp), 0);
    free(out);
    ck_assert_int_eq(run(&out, "%s predict --model %s --input %s/shuf.csv --trees all --output %s/shuf_pred.csv",
                         tu_swish_bin(), model, tmp, tmp), 0);
    free(out);
    snprintf(p, sizeof p, "%s/shuf_pred.csv", tmp);
    same_column(p, e, "prediction", 1);
    /* CatBoost: raw values, printed with 17 digits */
    snprintf(rel, sizeof rel, "models/%s.cbm", CB);
    tu_shared_path(model, sizeof model, rel);
    snprintf(rel, sizeof rel, "crosscheck/catboost/%s", CB);
    tu_shared_path(dir, sizeof dir, rel);
    ck_assert_int_eq(run(&out, "%s predict --model %s --input %s/inputs.csv --output %s/cb.csv", tu_swish_bin(),
                         model, dir, tmp), 0);
    free(out);
    snprintf(p, sizeof p, "%s/cb.csv", tmp);
    snprintf(e, sizeof e, "%s/expected.csv", dir);
    same_column(p, e, "raw_formula_val", 0);
}
END_TEST

START_TEST(cli_bad_input)
{
    char model[512], rel[256], *out;
    snprintf(rel, sizeof rel, "models/%s.json", XGB);
    tu_shared_path(model, sizeof model, rel);
    const char *tmp = tu_tmpdir();
    /* a missing feature column is named */
    const char *csv = "points_avg_last_5,points_avg_last_10\n1,2\n";
    const char *in = tu_write("few.csv", csv, strlen(csv));
    ck_assert_int_ne(run(&out, "%s predict --model %s --input %s", tu_swish_bin(), model, in), 0);
    ck_assert_ptr_nonnull(strstr(out, "missing columns: points_avg_season"));
    ck_assert_ptr_nonnull(strstr(out, "few.csv"));
    free(out);
    /* a bad cell: file, line and column */
    char dir[512];
    snprintf(rel, sizeof rel, "crosscheck/xgboost/%s", XGB);
    tu_shared_path(dir, sizeof dir, rel);
    ck_assert_int_eq(run(&out, "sed '3s/^[^,]*,/oops,/' %s/inputs.csv > %s/bad.csv", dir, tmp), 0);
    free(out);
    ck_assert_int_ne(run(&out, "%s predict --model %s --input %s/bad.csv", tu_swish_bin(), model, tmp), 0);
    ck_assert_ptr_nonnull(strstr(out, "bad.csv:3:"));
    ck_assert_ptr_nonnull(strstr(out, "not a number: 'oops'"));
    ck_assert_int_eq(strchr(out, '\n') - out + 1, (long)strlen(out)); /* one line */
    free(out);
    /* a truncated model names the byte offset; a missing file its name */
    ck_assert_int_eq(run(&out, "head -c 5000 %s > %s/trunc.json", model, tmp), 0);
    free(out);
    ck_assert_int_ne(run(&out, "%s predict --model %s/trunc.json --input %s/inputs.csv", tu_swish_bin(), tmp, dir), 0);
    ck_assert_ptr_nonnull(strstr(out, "trunc.json: byte"));
    free(out);
    ck_assert_int_ne(run(&out, "%s model info %s/nope.json", tu_swish_bin(), tmp), 0);
    ck_assert_ptr_nonnull(strstr(out, "nope.json: cannot open"));
    free(out);
    ck_assert_int_ne(run(&out, "%s predict --model %s --input %s/inputs.csv --trees 0", tu_swish_bin(), model, dir), 0);
    ck_assert_ptr_nonnull(strstr(out, "--trees"));
    free(out);
    ck_assert_int_ne(run(&out, "%s predict --model %s --bogus", tu_swish_bin(), model), 0);
    ck_assert_ptr_nonnull(strstr(out, "unknown option --bogus"));
    free(out);
}
END_TEST

START_TEST(cli_train)
{
    const char *tmp = tu_tmpdir();
    char *out;
    /* a small CSV with an id column, a target and a leaky copy of it */
    char path[512], vpath[512];
    snprintf(path, sizeof path, "%s/t.csv", tmp);
    snprintf(vpath, sizeof vpath, "%s/v.csv", tmp);
    FILE *fp = fopen(path, "w"), *fv = fopen(vpath, "w");
    fprintf(fp, "id,a,b,pts,leak\n");
    fprintf(fv, "id,a,b,pts,leak\n");
    for (int i = 0; i < 3000; i++) {
        double a = (i * 37 % 101) / 10.0, b = (i * 53 % 97) / 10.0, y = 2 * a + (b > 5 ? 3 : 0) + (i % 7) * 0.1;
        fprintf(i % 4 ? fp : fv, "P%d,%g,%g,%g,%g\n", i, a, b, y, y);
    }
    fclose(fp);
    fclose(fv);
    ck_assert_int_ne(run(&out, "%s train --train %s --target pts --out %s/m.json --drop id", tu_swish_bin(), path, tmp), 0);
    ck_assert_ptr_nonnull(strstr(out, "leak equals the target"));
    free(out);
    ck_assert_int_ne(run(&out, "%s train --train %s --target pts --out %s/m.json --drop leak", tu_swish_bin(), path, tmp), 0);
    ck_assert_ptr_nonnull(strstr(out, "--drop"));
    ck_assert_ptr_nonnull(strstr(out, "not a number: 'P"));
    free(out);
    ck_assert_int_ne(run(&out, "%s train --train %s --target pts --out %s/m.json --drop id,leak --param etaa=1", tu_swish_bin(),
                         path, tmp), 0);
    ck_assert_ptr_nonnull(strstr(out, "unknown parameter 'etaa'; valid:"));
    free(out);
    ck_assert_int_eq(run(&out,
                         "%s train --train %s --valid %s --target pts --out %s/m.json --drop id,leak --rounds 300 "
                         "--early-stopping 5 --param learning_rate=0.3 --threads 2 --every 50",
                         tu_swish_bin(), path, vpath, tmp), 0);
    ck_assert_ptr_nonnull(strstr(out, "best       iteration"));
    ck_assert_ptr_nonnull(strstr(out, "histograms"));
    ck_assert_ptr_nonnull(strstr(out, "valid-rmse"));
    free(out);
    ck_assert_int_eq(run(&out, "%s predict --model %s/m.json --input %s --output %s/p.csv", tu_swish_bin(), tmp, vpath, tmp), 0);
    free(out);
    ck_assert_int_eq(run(&out, "%s train --train %s --target pts --out %s/m.cbm --drop id,leak --rounds 20 --param grow_policy=oblivious --json",
                         tu_swish_bin(), path, tmp), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"trees\": 20"));
    free(out);
    ck_assert_int_eq(run(&out, "%s model info %s/m.cbm", tu_swish_bin(), tmp), 0);
    ck_assert_ptr_nonnull(strstr(out, "catboost-cbm"));
    free(out);
}
END_TEST

Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, cli_model_info);
    tcase_add_test(tc, cli_predict_matches_reference);
    tcase_add_test(tc, cli_bad_input);
    tcase_add_test(tc, cli_train);
    suite_add_tcase(s, tc);
    return s;
}
