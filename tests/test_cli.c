/* test_cli: the swish binary end to end: model info, predict (column matching,
 * tree choice, round-trip output) and one clear error line for bad input. */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/csv.h"
#include "core/json.h"
#include "core/num.h"
#include "core/threads.h"
#include "core/version.h"
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
    ck_assert_ptr_nonnull(strstr(out, "\"features_named\": true"));
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
    /* an infinite feature is refused, not scored: one pass, and through the
     * table that --keep needs */
    ck_assert_int_eq(run(&out, "sed '4s/^\\([^,]*\\),[^,]*,/\\1,-Infinity,/' %s/inputs.csv > %s/inf.csv", dir, tmp), 0);
    free(out);
    for (int keep = 0; keep < 2; keep++) {
        ck_assert_int_eq(run(&out, "%s predict --model %s --input %s/inf.csv%s", tu_swish_bin(), model, tmp,
                             keep ? " --keep points_avg_last_5" : ""),
                         sw_status_exit_code(SW_INVALID_DATA));
        ck_assert_msg(strstr(out, "inf.csv:4:2: column points_avg_last_10: not finite: '-Infinity'"), "%s", out);
        free(out);
    }
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

/* ---------------------------------------------------------------- issue 13 */

/* The train/valid CSVs of cli_train, smaller. */
static void small_train_csv(char *path, size_t ps, char *vpath, size_t vs)
{
    const char *tmp = tu_tmpdir();
    snprintf(path, ps, "%s/st.csv", tmp);
    snprintf(vpath, vs, "%s/sv.csv", tmp);
    FILE *fp = fopen(path, "w"), *fv = fopen(vpath, "w");
    fprintf(fp, "id,a,b,pts\n");
    fprintf(fv, "id,a,b,pts\n");
    for (int i = 0; i < 2000; i++) {
        double a = (i * 37 % 101) / 10.0, b = (i * 53 % 97) / 10.0, y = 2 * a + (b > 5 ? 3 : 0) + (i % 7) * 0.1;
        fprintf(i % 4 ? fp : fv, "P%d,%g,%g,%g\n", i, a, b, y);
    }
    fclose(fp);
    fclose(fv);
}

static sw_json *parse_json(const char *text)
{
    sw_json *doc = NULL;
    sw_error err;
    ck_assert_msg(sw_json_parse("out", text, strlen(text), &doc, &err) == SW_OK, "%s: %s", err.msg, text);
    return doc;
}

START_TEST(cli_version_and_help)
{
    char *out, *out2, want[128];
    snprintf(want, sizeof want, "swish %s\n", sw_version());
    ck_assert_int_eq(run(&out, "%s --version", tu_swish_bin()), 0);
    ck_assert_str_eq(out, want);
    free(out);
    ck_assert_int_eq(run(&out, "%s version", tu_swish_bin()), 0);
    ck_assert_str_eq(out, want);
    free(out);
    /* help CMD [SUB] is CMD [SUB] --help */
    static const char *const cmds[] = {"predict", "train", "slate", "models", "features build", "model", "version"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        ck_assert_int_eq(run(&out, "%s help %s", tu_swish_bin(), cmds[i]), 0);
        ck_assert_int_eq(run(&out2, "%s %s --help", tu_swish_bin(), cmds[i]), 0);
        ck_assert_str_eq(out, out2);
        ck_assert_ptr_nonnull(strstr(out, "usage: swish "));
        free(out);
        free(out2);
    }
    ck_assert_int_eq(run(&out, "%s help model", tu_swish_bin()), 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: swish model info MODEL [--json]"));
    free(out);
    ck_assert_int_eq(run(&out, "%s help nope", tu_swish_bin()), 2);
    ck_assert_ptr_nonnull(strstr(out, "unknown command 'nope'"));
    free(out);
}
END_TEST

/* Is `name` in the usage text as an option, and bracketed (optional)? -1: absent. */
static int usage_has(const char *usage, const char *name, int *bracketed)
{
    size_t n = strlen(name);
    for (const char *p = strstr(usage, name); p; p = strstr(p + 1, name)) {
        char before = p > usage ? p[-1] : ' ', after = p[n];
        if ((before == ' ' || before == '[') && (after == ' ' || after == ']' || after == '\n' || !after)) {
            *bracketed = before == '[';
            return 1;
        }
    }
    return 0;
}

START_TEST(cli_usage_matches_options)
{
    static const char *const cmds[] = {"model info", "predict", "train", "features build", "features explain",
                                       "simulate", "slate", "retrain", "models", "config", "grade", "metrics",
                                       "backtest", "report", "demo", "serve", "nightly", "monitor", "alert test",
                                       "version"};
    for (size_t c = 0; c < sizeof cmds / sizeof cmds[0]; c++) {
        char *out;
        ck_assert_int_eq(run(&out, "%s %s --help", tu_swish_bin(), cmds[c]), 0);
        /* every help ends with the exit codes */
        ck_assert_msg(strstr(out, "\nexit codes:\n  0    success\n"), "%s: no exit codes", cmds[c]);
        ck_assert_ptr_nonnull(strstr(out, "\n  13   not found\n  14   remote store unreachable"));
        ck_assert_ptr_nonnull(strstr(out, "\n  16   done from the local cache: the model store was unreachable\n"
                                          "  17   not authenticated: credentials missing, malformed or invalid\n"
                                          "  18   authenticated, but not allowed\n"
                                          "  70   internal error\n"));
        char *end = strstr(out, "\n\n");
        ck_assert_ptr_nonnull(end);
        *end = 0;
        const char *usage = out;
        ck_assert_msg(!strncmp(usage, "usage: swish ", 13), "%s", usage);
        char *opts = strstr(end + 1, "\noptions:\n");
        int n_opts = 0;
        for (char *l = opts ? opts + 10 : NULL; l && l[0] == ' '; l = strchr(l, '\n') + 1) {
            char name[64];
            ck_assert_int_eq(sscanf(l, " %63s", name), 1);
            char *eol = strchr(l, '\n');
            *eol = 0;
            if (strncmp(l, "  --", 4) == 0 && strcmp(name, "--help") != 0) { /* not a continuation line */
                int br = 0;
                ck_assert_msg(usage_has(usage, name, &br), "%s: %s missing from '%s'", cmds[c], name, usage);
                int req = strstr(l, "(required)") != NULL;
                ck_assert_msg(br == !req, "%s: %s is %s but %s in the usage", cmds[c], name,
                              req ? "required" : "optional", br ? "bracketed" : "bare");
                if (!strcmp(name, "--threads")) ck_assert_msg(strstr(l, SW_THREADS_RULE), "%s: %s", cmds[c], l);
                n_opts++;
            }
            *eol = '\n';
        }
        /* and the usage names nothing else */
        int in_usage = 0;
        for (const char *p = strstr(usage, "--"); p; p = strstr(p + 2, "--")) in_usage++;
        ck_assert_msg(in_usage == n_opts, "%s: %d options in the usage, %d documented", cmds[c], in_usage, n_opts);
        if (!strcmp(cmds[c], "predict")) ck_assert_ptr_nonnull(strstr(usage, "[--explain]"));
        if (!strcmp(cmds[c], "simulate")) {
            ck_assert_ptr_nonnull(strstr(usage, "[--seed S]"));
            ck_assert_ptr_nonnull(strstr(usage, "[--seasons N]"));
            ck_assert_ptr_nonnull(strstr(usage, " --out DIR"));
        }
        if (!strcmp(cmds[c], "grade")) {
            ck_assert_ptr_null(strstr(usage, "--models"));
            ck_assert_ptr_null(strstr(usage, "--threads"));
        }
        if (!strcmp(cmds[c], "models")) {
            ck_assert_ptr_null(strstr(usage, "--threads"));
            ck_assert_ptr_null(strstr(usage, "--data"));
        }
        free(out);
    }
    /* a missing required option names it; an unknown one lists the valid ones, on one line */
    char *out;
    ck_assert_int_eq(run(&out, "%s simulate --seed 1", tu_swish_bin()), 2);
    ck_assert_str_eq(out, "swish: missing required option --out (see --help)\n");
    free(out);
    ck_assert_int_eq(run(&out, "%s report --bogus", tu_swish_bin()), 2);
    ck_assert_ptr_nonnull(strstr(out, "unknown option --bogus; valid: --db --out --title --config --help\n"));
    ck_assert_int_eq(strchr(out, '\n') - out + 1, (long)strlen(out));
    free(out);
}
END_TEST

START_TEST(cli_exit_codes)
{
    /* README's table is the one every --help prints */
    char *out;
    ck_assert_int_eq(run(&out, "%s --help", tu_swish_bin()), 0);
    const char *table = strstr(out, "exit codes:\n");
    ck_assert_ptr_nonnull(table);
    table += strlen("exit codes:\n");
    char *readme = tu_slurp("README.md", NULL);
    ck_assert_msg(readme != NULL, "README.md not found from %s", getenv("PWD") ? getenv("PWD") : ".");
    ck_assert_msg(strstr(readme, table), "README.md lacks the exit-code table:\n%s", table);
    free(readme);
    free(out);
    /* "not found" (a model version) and "no games" are different codes */
    const char *tmp = tu_tmpdir();
    ck_assert_int_eq(run(&out, "mkdir -p %s/store && %s models promote gbdt nope --models %s/store", tmp,
                         tu_swish_bin(), tmp),
                     sw_status_exit_code(SW_NOT_FOUND));
    ck_assert_ptr_nonnull(strstr(out, "no version 'nope'"));
    free(out);
    ck_assert_int_eq(run(&out, "%s simulate --seed 3 --seasons 1 --future-days 0 --out %s/lg --json 2>/dev/null",
                         tu_swish_bin(), tmp),
                     0);
    sw_json *doc = parse_json(out);
    ck_assert_int_eq(sw_json_type_of(doc, sw_json_get(doc, sw_json_root(doc), "first_future")), SW_JSON_NULL);
    ck_assert_int_eq(sw_json_type_of(doc, sw_json_get(doc, sw_json_root(doc), "seconds")), SW_JSON_NUMBER);
    sw_json_free(doc);
    free(out);
    ck_assert_int_eq(run(&out, "%s slate --date next --data %s/lg --models %s/store --no-store", tu_swish_bin(), tmp, tmp),
                     sw_status_exit_code(SW_NO_GAMES));
    ck_assert_ptr_nonnull(strstr(out, "no scheduled games"));
    free(out);
    /* features explain prints each value as the shortest text that reads back */
    char path[600];
    snprintf(path, sizeof path, "%s/lg/player_game_logs.csv", tmp);
    sw_table *t;
    sw_error err;
    ck_assert_int_eq(sw_table_read_csv(path, NULL, &t, &err), SW_OK);
    long r = sw_table_rows(t) / 2;
    char pid[32], date[16];
    snprintf(pid, sizeof pid, "%s", sw_table_str(t, r, sw_table_find(t, "PLAYER_ID"), NULL));
    snprintf(date, sizeof date, "%s", sw_table_str(t, r, sw_table_find(t, "GAME_DATE"), NULL));
    sw_table_free(t);
    ck_assert_int_eq(run(&out, "%s features explain --data %s/lg --player %s --date %s", tu_swish_bin(), tmp, pid, date), 0);
    char *l = strstr(out, "\nfeature ");
    ck_assert_ptr_nonnull(l);
    int values = 0;
    for (l = strchr(l + 1, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
        char name[64], val[64], buf[SW_NUM_BUF];
        if (sscanf(l + 1, "%63s %63s", name, val) != 2 || !strcmp(val, "NaN")) continue;
        sw_format_f32_short(buf, strtof(val, NULL));
        ck_assert_msg(!strcmp(buf, val), "%s = %s, shortest %s", name, val, buf);
        values++;
    }
    ck_assert_int_gt(values, 30);
    free(out);
}
END_TEST

START_TEST(cli_config_env)
{
    char *out;
    ck_assert_int_eq(run(&out, "%s config", tu_swish_bin()), 0);
    ck_assert_ptr_nonnull(strstr(out, "\nmin_ev = 0.02\n"));
    ck_assert_ptr_nonnull(strstr(out, "\nkelly = 0.25\n"));
    ck_assert_ptr_nonnull(strstr(out, "\neta = 0.05\n"));
    ck_assert_ptr_nonnull(strstr(out, "\nthreads = 0\n"));
    free(out);
    ck_assert_int_eq(run(&out, "SWISH_CALL_MIN_EDGE=2.5 %s config --threads 3", tu_swish_bin()), 0);
    ck_assert_ptr_nonnull(strstr(out, "\nmin_edge = 2.5\n"));
    ck_assert_ptr_nonnull(strstr(out, "\nthreads = 3\n"));
    free(out);
    /* a misspelt variable is an error, as a misspelt key in the file is */
    ck_assert_int_eq(run(&out, "SWISH_CALL_MIN_EGDE=2.5 %s config", tu_swish_bin()), 2);
    ck_assert_ptr_nonnull(strstr(out, "unknown environment variable SWISH_CALL_MIN_EGDE"));
    ck_assert_int_eq(strchr(out, '\n') - out + 1, (long)strlen(out));
    free(out);
    ck_assert_int_eq(run(&out, "SWISH_THREADS=2 %s slate --date next --data /nonexistent", tu_swish_bin()), 2);
    ck_assert_ptr_nonnull(strstr(out, "SWISH_THREADS"));
    free(out);
    ck_assert_int_eq(run(&out, "SWISH_SLATE_THREADS=1 SWISH_FAULT_KILL_AFTER=-1 %s config", tu_swish_bin()), 0);
    ck_assert_ptr_nonnull(strstr(out, "\nthreads = 1\n"));
    free(out);
    ck_assert_int_eq(run(&out, "%s config --threads 2000", tu_swish_bin()), 2);
    ck_assert_ptr_nonnull(strstr(out, "0..1024"));
    free(out);
}
END_TEST

START_TEST(cli_predict_io)
{
    char model[512], dir[512], rel[256], *out, *plain;
    snprintf(rel, sizeof rel, "models/%s.json", XGB);
    tu_shared_path(model, sizeof model, rel);
    snprintf(rel, sizeof rel, "crosscheck/xgboost/%s", XGB);
    tu_shared_path(dir, sizeof dir, rel);
    const char *tmp = tu_tmpdir();
    ck_assert_int_eq(run(&out, "cp %s/inputs.csv %s/in.csv && ln -sf %s/in.csv %s/link.csv", dir, tmp, tmp, tmp), 0);
    free(out);
    char in[600];
    snprintf(in, sizeof in, "%s/in.csv", tmp);
    size_t n0;
    char *before = tu_slurp(in, &n0);
    /* the output is never the input, whatever the path */
    const char *same[] = {"%s/in.csv", "%s/./in.csv", "%s/link.csv"};
    for (int i = 0; i < 3; i++) {
        char o[600];
        snprintf(o, sizeof o, same[i], tmp);
        ck_assert_int_eq(run(&out, "%s predict --model %s --input %s/in.csv --output %s", tu_swish_bin(), model, tmp, o), 2);
        ck_assert_ptr_nonnull(strstr(out, "is the input file"));
        free(out);
        ck_assert_int_eq(run(&out, "%s predict --model %s --input %s --output %s/in.csv", tu_swish_bin(), model, o, tmp), 2);
        free(out);
    }
    size_t n1;
    char *after = tu_slurp(in, &n1);
    ck_assert_uint_eq(n0, n1);
    ck_assert_int_eq(memcmp(before, after, n0), 0);
    free(before);
    free(after);
    /* more trees than the model has: an error, not all of them */
    ck_assert_int_eq(run(&out, "%s predict --model %s --input %s --trees 100000", tu_swish_bin(), model, in), 2);
    ck_assert_ptr_nonnull(strstr(out, "--trees 100000: the model has 524 trees"));
    free(out);
    ck_assert_int_eq(run(&out, "%s predict --model %s --input %s --trees 524 --threads 0 --output %s/all.csv",
                         tu_swish_bin(), model, in, tmp), 0);
    free(out);
    /* standard input */
    ck_assert_int_eq(run(&plain, "%s predict --model %s --input %s 2>/dev/null", tu_swish_bin(), model, in), 0);
    ck_assert_int_eq(run(&out, "%s predict --model %s --input - < %s 2>/dev/null", tu_swish_bin(), model, in), 0);
    ck_assert_str_eq(out, plain);
    free(out);
    /* --keep: id columns copied in front of the prediction, quoted when needed */
    char *text = tu_slurp(in, NULL);
    char kpath[600];
    snprintf(kpath, sizeof kpath, "%s/ids.csv", tmp);
    FILE *fp = fopen(kpath, "w");
    int row = -1;
    for (char *l = text; *l; row++) {
        char *nl = strchr(l, '\n');
        if (row < 0) fprintf(fp, "PLAYER_ID,NAME,%.*s\n", (int)(nl - l), l);
        else fprintf(fp, "id%d,\"Doe, J%d\",%.*s\n", row, row, (int)(nl - l), l);
        l = nl + 1;
    }
    fclose(fp);
    free(text);
    ck_assert_int_eq(run(&out, "%s predict --model %s --input %s --keep PLAYER_ID,NAME 2>/dev/null", tu_swish_bin(),
                         model, kpath), 0);
    const char *p = plain + strlen("prediction\n"), *q = out;
    ck_assert_int_eq(strncmp(q, "PLAYER_ID,NAME,prediction\n", 26), 0);
    q += 26;
    for (int i = 0; i < row; i++) {
        char head[64];
        int hl = snprintf(head, sizeof head, "id%d,\"Doe, J%d\",", i, i);
        ck_assert_msg(!strncmp(q, head, (size_t)hl), "row %d: %.40s", i, q);
        q += hl;
        size_t pl = strcspn(p, "\n");
        ck_assert_int_eq(strncmp(q, p, pl + 1), 0);
        q += pl + 1;
        p += pl + 1;
    }
    ck_assert_str_eq(q, "");
    free(out);
    free(plain);
    ck_assert_int_eq(run(&out, "%s predict --model %s --input %s --keep NAME --explain --trees 10 | head -1",
                         tu_swish_bin(), model, kpath), 0);
    ck_assert_int_eq(strncmp(out, "NAME,prediction,expected_value,shap_", 36), 0);
    free(out);
    ck_assert_int_ne(run(&out, "%s predict --model %s --input %s --keep PLAYER_ID,NOPE", tu_swish_bin(), model, kpath), 0);
    ck_assert_ptr_nonnull(strstr(out, "NOPE"));
    free(out);
    /* --trees best asked of a model without a best iteration (CatBoost's): all trees, and a note says so */
    char cbm[512], cin[512];
    snprintf(rel, sizeof rel, "models/%s.cbm", CB);
    tu_shared_path(cbm, sizeof cbm, rel);
    snprintf(rel, sizeof rel, "crosscheck/catboost/%s/inputs.csv", CB);
    tu_shared_path(cin, sizeof cin, rel);
    ck_assert_int_eq(run(&out, "%s predict --model %s --input %s --trees best 2>&1 >/dev/null", tu_swish_bin(), cbm, cin), 0);
    ck_assert_msg(strstr(out, "has no best iteration") && strstr(out, "all 1000 trees"), "%s", out);
    free(out);
    ck_assert_int_eq(run(&out, "%s predict --model %s --input %s 2>&1 >/dev/null", tu_swish_bin(), cbm, cin), 0);
    ck_assert_str_eq(out, "");
    free(out);
}
END_TEST

/* predict --explain: a feature name holding a comma or a quote gives a
 * quoted shap_ column, so the header has as many fields as each row. */
START_TEST(cli_explain_quoted_names)
{
    const char *tmp = tu_tmpdir();
    char path[512], model[600];
    snprintf(path, sizeof path, "%s/q.csv", tmp);
    snprintf(model, sizeof model, "%s/q.json", tmp);
    FILE *fp = fopen(path, "w");
    fprintf(fp, "\"a,b\",\"quo\"\"te\",plain,pts\n");
    for (int i = 0; i < 400; i++) {
        double a = (i * 37 % 101) / 10.0, b = (i * 53 % 97) / 10.0, c = (i * 29 % 89) / 10.0;
        fprintf(fp, "%g,%g,%g,%g\n", a, b, c, 2 * a + (b > 5 ? 3 : 0) + c * 0.5);
    }
    fclose(fp);
    char *out;
    ck_assert_int_eq(run(&out, "%s train --train %s --target pts --out %s --rounds 5", tu_swish_bin(), path, model), 0);
    free(out);
    ck_assert_int_eq(run(&out, "%s predict --model %s --input %s --explain 2>/dev/null", tu_swish_bin(), model, path), 0);
    sw_table *t;
    sw_error err;
    ck_assert_msg(sw_table_parse("explain.csv", out, strlen(out), NULL, &t, &err) == SW_OK, "%s", err.msg);
    ck_assert_int_eq(sw_table_rows(t), 400);
    static const char *want[] = {"prediction", "expected_value", "shap_a,b", "shap_quo\"te", "shap_plain"};
    ck_assert_int_eq(sw_table_cols(t), 5);
    for (int k = 0; k < 5; k++) ck_assert_int_eq(sw_table_find(t, want[k]), k);
    sw_table_free(t);
    free(out);
}
END_TEST

/* Threads a command starts, counted by strace (clone calls): a baseline for
 * what the runtime starts on its own (a sanitizer's thread), then the command. */
static int clones(const char *args)
{
    char *out;
    const char *tmp = tu_tmpdir();
    int rc = run(&out, "strace -f -qq -e trace=clone,clone3 -o %s/clones.txt %s %s > /dev/null 2>&1; "
                       "grep -c 'clone' %s/clones.txt",
                 tmp, tu_swish_bin(), args, tmp);
    int n = rc == 0 || rc == 1 ? atoi(out) : -1;
    free(out);
    return n;
}

/* --threads (and --param nthread) hold for all of a command's work: reading a
 * CSV of several MiB (parsed on all CPUs by default) included. */
START_TEST(cli_threads_all_work)
{
    const char *tmp = tu_tmpdir();
    char csv[512], *out;
    snprintf(csv, sizeof csv, "%s/threads.csv", tmp);
    FILE *fp = fopen(csv, "w");
    ck_assert_ptr_nonnull(fp);
    fprintf(fp, "a,b,c,d,pts\n");
    unsigned long long s = 7;
    for (int r = 0; r < 120000; r++) { /* about 4 MiB: many stretches */
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        fprintf(fp, "%.4f,%d,%.3f,%d,%d\n", (double)(s >> 40) / 1e4, (int)(s >> 58), (double)(s >> 44) / 1e3,
                (int)(s >> 60), (int)((s >> 33) % 40));
    }
    ck_assert_int_eq(fclose(fp), 0);
    int base = clones("--version");
    ck_assert_msg(base >= 0, "strace runs");
    char args[2048];
    snprintf(args, sizeof args, "train --train %s --target pts --out %s/t.json --rounds 1 --every 0 --threads 1", csv, tmp);
    ck_assert_int_eq(clones(args), base);
    snprintf(args, sizeof args, "train --train %s --target pts --out %s/t.json --rounds 1 --every 0 --param nthread=1",
             csv, tmp);
    ck_assert_int_eq(clones(args), base);
    snprintf(args, sizeof args, "train --train %s --target pts --out %s/t.json --rounds 1 --every 0 --threads 2", csv, tmp);
    ck_assert_int_gt(clones(args), base); /* the count can tell */
    /* predict reads its rows with the count given too */
    ck_assert_int_eq(run(&out, "%s train --train %s --target pts --out %s/t.json --rounds 2 --every 0", tu_swish_bin(),
                         csv, tmp),
                     0);
    free(out);
    snprintf(args, sizeof args, "predict --model %s/t.json --input %s --output %s/p.csv --threads 1", tmp, csv, tmp);
    ck_assert_int_eq(clones(args), base);
}
END_TEST

START_TEST(cli_train_checks)
{
    char path[512], vpath[512], *out;
    small_train_csv(path, sizeof path, vpath, sizeof vpath);
    const char *tmp = tu_tmpdir();
    const char *bin = tu_swish_bin();
    /* the output name is checked before anything is read or trained */
    ck_assert_int_eq(run(&out, "%s train --train %s/none.csv --target pts --out %s/m.txt", bin, tmp, tmp), 2);
    ck_assert_ptr_nonnull(strstr(out, "unknown model extension"));
    free(out);
    ck_assert_int_eq(run(&out, "%s train --train %s/none.csv --target pts --out %s/no/such/dir/m.json", bin, tmp, tmp),
                     sw_status_exit_code(SW_IO));
    ck_assert_ptr_nonnull(strstr(out, "cannot write in"));
    free(out);
    ck_assert_int_eq(run(&out, "%s train --train %s --target pts --drop id --out %s/m.json --param grow_policy=oblivious",
                         bin, path, tmp),
                     sw_status_exit_code(SW_UNSUPPORTED));
    ck_assert_ptr_null(strstr(out, "rmse"));
    free(out);
    /* one setting, two values: an error, whichever names are used */
    static const char *const conflicts[] = {"--rounds 10 --param n_estimators=5", "--param eta=0.1 --param learning_rate=0.2",
                                            "--threads 2 --param nthread=1", "--seed 1 --param random_state=2",
                                            "--param num_round=3 --param num_boost_round=3"};
    for (size_t i = 0; i < sizeof conflicts / sizeof conflicts[0]; i++) {
        ck_assert_int_eq(run(&out, "%s train --train %s --target pts --drop id --out %s/m.json %s", bin, path, tmp,
                             conflicts[i]),
                         2);
        ck_assert_msg(strstr(out, "conflicts with"), "%s: %s", conflicts[i], out);
        free(out);
    }
    /* XGBoost's CLI name; JSON through the writer: names escaped, best_iteration null when absent */
    char model[600];
    snprintf(model, sizeof model, "%s/q\"uote.json", tmp);
    ck_assert_int_eq(run(&out, "OMP_NUM_THREADS=1 %s train --train %s --target pts --drop id --out '%s' --param num_round=7 "
                               "--json 2>/dev/null",
                         bin, path, model),
                     0);
    sw_json *doc = parse_json(out);
    sw_jnode root = sw_json_root(doc);
    char *m = sw_json_strdup(doc, sw_json_get(doc, root, "model"));
    ck_assert_str_eq(m, model);
    sw_free(m);
    long long v;
    ck_assert_int_eq(sw_json_i64(doc, sw_json_get(doc, root, "trees"), 0, &v, NULL), SW_OK);
    ck_assert_int_eq(v, 7);
    ck_assert_int_eq(sw_json_type_of(doc, sw_json_get(doc, root, "best_iteration")), SW_JSON_NULL);
    ck_assert_int_eq(sw_json_i64(doc, sw_json_get(doc, root, "threads"), 0, &v, NULL), SW_OK);
    ck_assert_int_eq(v, 1); /* OMP_NUM_THREADS */
    ck_assert_int_eq(sw_json_type_of(doc, sw_json_get(doc, sw_json_get(doc, root, "metrics"), "train-rmse")),
                     SW_JSON_NUMBER);
    sw_json_free(doc);
    free(out);
    ck_assert_int_eq(run(&out, "%s model info '%s' --json", bin, model), 0);
    doc = parse_json(out);
    ck_assert_int_eq(sw_json_type_of(doc, sw_json_get(doc, sw_json_root(doc), "best_iteration")), SW_JSON_NULL);
    sw_json_free(doc);
    free(out);
    /* with early stopping: a number; the threads rule: affinity, 0, explicit */
    ck_assert_int_eq(run(&out, "env -u OMP_NUM_THREADS taskset -c 0 %s train --train %s --valid %s --target pts "
                               "--drop id --out %s/es.swm --rounds 200 --early-stopping 3 --threads 0 --json 2>/dev/null",
                         bin, path, vpath, tmp),
                     0);
    doc = parse_json(out);
    root = sw_json_root(doc);
    ck_assert_int_eq(sw_json_type_of(doc, sw_json_get(doc, root, "best_iteration")), SW_JSON_NUMBER);
    ck_assert_int_eq(sw_json_i64(doc, sw_json_get(doc, root, "threads"), 0, &v, NULL), SW_OK);
    ck_assert_int_eq(v, 1); /* one CPU in the affinity mask */
    sw_json_free(doc);
    free(out);
    ck_assert_int_eq(run(&out, "%s train --train %s --target pts --drop id --out %s/t3.swm --rounds 3 --param nthread=3 "
                               "--json 2>/dev/null",
                         bin, path, tmp),
                     0);
    ck_assert_ptr_nonnull(strstr(out, "\"threads\": 3,"));
    free(out);
    /* a missing or infinite target or weight is refused at its file:line:column
     * (after a blank line), in the training and in a validation file */
    const char *bad = tu_write("bad_target.csv", "a,y,w\n1,2,1\n\n2,3,1\n3,,1\n4,5,1\n", strlen("a,y,w\n1,2,1\n\n2,3,1\n3,,1\n4,5,1\n"));
    ck_assert_int_eq(run(&out, "%s train --train %s --target y --weight w --out %s/bt.json", bin, bad, tmp),
                     sw_status_exit_code(SW_INVALID_DATA));
    ck_assert_msg(strstr(out, ":5:2: column y: missing or not finite: ''"), "%s", out);
    free(out);
    const char *badw = tu_write("bad_weight.csv", "a,y,w\n1,2,1\n2,3,-inf\n", strlen("a,y,w\n1,2,1\n2,3,-inf\n"));
    const char *good = tu_write("good_target.csv", "a,y,w\n1,2,1\n2,3,1\n3,4,1\n4,5,1\n", strlen("a,y,w\n1,2,1\n2,3,1\n3,4,1\n4,5,1\n"));
    ck_assert_int_eq(run(&out, "%s train --train %s --valid %s --target y --weight w --out %s/bt.json", bin, good, badw,
                         tmp),
                     sw_status_exit_code(SW_INVALID_DATA));
    ck_assert_msg(strstr(out, "bad_weight.csv:3:3: column w: missing or not finite: '-inf'"), "%s", out);
    free(out);
    /* a feature may be missing but not infinite (XGBoost refuses it too): the
     * cell at its file:line:column, a number beyond the float range included */
    const char *inf_feat = tu_write("inf_feature.csv", "a,y\n1,2\n,3\n1e39,4\n4,5\n", strlen("a,y\n1,2\n,3\n1e39,4\n4,5\n"));
    ck_assert_int_eq(run(&out, "%s train --train %s --target y --out %s/bt.json", bin, inf_feat, tmp),
                     sw_status_exit_code(SW_INVALID_DATA));
    ck_assert_msg(strstr(out, "inf_feature.csv:4:1: column a: not finite: '1e39' (a feature may be missing"), "%s", out);
    free(out);
}
END_TEST

/* tools/deploy: copy the systemd units with ExecStart pointed at the binary
 * under test into `dir`; `broken` misspells one key. */
static void deploy_units_copy(const char *dir, int broken)
{
    char bin[PATH_MAX];
    ck_assert_msg(realpath(tu_swish_bin(), bin) != NULL, "%s: not found (SWISH_BIN)", tu_swish_bin());
    ck_assert_msg(mkdir(dir, 0755) == 0 || errno == EEXIST, "%s: %s", dir, strerror(errno));
    glob_t g;
    ck_assert_int_eq(glob("tools/deploy/*.service", 0, NULL, &g), 0);
    ck_assert_int_eq(glob("tools/deploy/*.timer", GLOB_APPEND, NULL, &g), 0);
    const char *need[] = {"swish-serve.service", "swish-nightly.service", "swish-nightly.timer", "swish-grade.service",
                          "swish-retrain.service"};
    for (size_t k = 0; k < sizeof need / sizeof need[0]; k++) {
        int found = 0;
        for (size_t i = 0; i < g.gl_pathc; i++) found |= !strcmp(strrchr(g.gl_pathv[i], '/') + 1, need[k]);
        ck_assert_msg(found, "tools/deploy/%s is missing", need[k]);
    }
    /* the nightly run replaced the slate and retrain timers: one timer, one command */
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *name = strrchr(g.gl_pathv[i], '/') + 1;
        ck_assert_msg(strcmp(name, "swish-slate.service") && strcmp(name, "swish-slate.timer") &&
                          strcmp(name, "swish-retrain.timer"),
                      "tools/deploy/%s: replaced by swish-nightly", name);
    }
    const char *from = "/usr/local/bin/swish";
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char *text = tu_slurp(g.gl_pathv[i], NULL), path[PATH_MAX];
        ck_assert_ptr_nonnull(text);
        snprintf(path, sizeof path, "%s/%s", dir, strrchr(g.gl_pathv[i], '/') + 1);
        FILE *fp = fopen(path, "w");
        ck_assert_ptr_nonnull(fp);
        int n = 0;
        for (const char *p = text, *q;; p = q + strlen(from), n++) {
            if (!(q = strstr(p, from))) {
                fputs(p, fp);
                break;
            }
            fwrite(p, 1, (size_t)(q - p), fp);
            fputs(bin, fp);
        }
        ck_assert_int_eq(fclose(fp), 0);
        if (strstr(path, ".service")) {
            ck_assert_msg(strstr(text, "\nExecStart=/usr/local/bin/swish ") || strstr(text, "exec /usr/local/bin/swish "),
                          "%s: ExecStart does not run /usr/local/bin/swish", g.gl_pathv[i]);
            ck_assert_msg(strstr(text, "\nUser=swish\n"), "%s: not User=swish", g.gl_pathv[i]);
        }
        if (strstr(path, "/swish-nightly.service")) /* the one line of the night */
            ck_assert_msg(strstr(text, "\nExecStart=/usr/local/bin/swish nightly --config /etc/swish/swish.conf\n"),
                          "%s: ExecStart is not swish nightly --config /etc/swish/swish.conf", g.gl_pathv[i]);
        if (strstr(path, "/swish-nightly.timer"))
            ck_assert_msg(strstr(text, "\nOnCalendar=") && strstr(text, "\nWantedBy=timers.target\n"),
                          "%s: no OnCalendar= or not wanted by timers.target", g.gl_pathv[i]);
        free(text);
    }
    globfree(&g);
    if (broken)
        ck_assert_int_eq(tu_sh(NULL, "sed -i 's/^TimeoutStartSec=/TimeoutStartSek=/' %s/swish-nightly.service && "
                                     "grep -q '^TimeoutStartSek=' %s/swish-nightly.service", dir, dir), 0);
}

static int deploy_verify(const char *dir, char **out)
{
    return tu_sh(out, "cd %s && SYSTEMD_LOG_LEVEL=info systemd-analyze verify --man=no --recursive-errors=no "
                      "*.service *.timer", dir);
}

/* The units pass systemd-analyze verify (exit 0, not a line about them) with
 * ExecStart pointed at the binary under test, keep their hardening, and the
 * same check fails on a misspelt key and on a missing binary. */
START_TEST(cli_deploy_units)
{
    char *out, dir[512];
    int rc = tu_sh(&out, "command -v systemd-analyze");
    ck_assert_msg(rc == 0, "systemd-analyze not found: run make deps (Debian package systemd)");
    free(out);
    snprintf(dir, sizeof dir, "%s/units", tu_tmpdir());
    deploy_units_copy(dir, 0);
    rc = deploy_verify(dir, &out);
    ck_assert_msg(rc == 0 && !strstr(out, "swish"), "systemd-analyze verify: exit %d:\n%s", rc, out);
    free(out);
    /* systemd's exposure score of every service at most 2.0 of 10 (1.6 when written) */
    rc = tu_sh(&out, "cd %s && systemd-analyze security --offline=true --threshold=20 *.service", dir);
    ck_assert_msg(rc == 0, "systemd-analyze security: exit %d:\n%s", rc, out);
    free(out);
    /* a misspelt key: systemd warns (exit 0), the warning names it */
    snprintf(dir, sizeof dir, "%s/units_bad", tu_tmpdir());
    deploy_units_copy(dir, 1);
    rc = deploy_verify(dir, &out);
    ck_assert_msg(strstr(out, "swish-nightly.service") && strstr(out, "Unknown key 'TimeoutStartSek'"),
                  "a misspelt key went unreported (exit %d):\n%s", rc, out);
    free(out);
    /* a missing binary: an error */
    ck_assert_int_eq(tu_sh(NULL, "sed -i 's#^ExecStart=[^ ]*#ExecStart=/nonexistent/swish#' %s/swish-retrain.service",
                           dir), 0);
    rc = deploy_verify(dir, &out);
    ck_assert_msg(rc != 0 && strstr(out, "/nonexistent/swish"), "a missing binary went unreported (exit %d):\n%s",
                  rc, out);
    free(out);
}
END_TEST

/* The Dockerfile's instructions of one kind ("RUN", "ENV"), continuation lines
 * joined and comment lines dropped, one a line (malloc'd). */
static char *dockerfile_instructions(const char *df, const char *kind)
{
    char *res = malloc(strlen(df) + 2), *o = res;
    size_t kl = strlen(kind);
    int in = 0;
    for (const char *l = df; *l;) {
        size_t n = strcspn(l, "\n");
        const char *s = l;
        while (*s == ' ' || *s == '\t') s++;
        if (*s != '#') {
            if (!in && !strncmp(s, kind, kl) && s[kl] == ' ') in = 1, s += kl + 1;
            if (in) {
                size_t k = n - (size_t)(s - l);
                int cont = k && s[k - 1] == '\\';
                memcpy(o, s, k - (size_t)cont);
                o += k - (size_t)cont;
                *o++ = cont ? ' ' : '\n';
                in = cont;
            }
        }
        l += n + (l[n] == '\n');
    }
    *o = 0;
    return res;
}

/* The runtime image installs the Debian package of every library the binary
 * links directly (ldd, dpkg -S), libc6 aside (the base image has it): a new
 * dependency cannot be forgotten there. */
START_TEST(cli_deploy_docker_libraries)
{
    char *df = tu_slurp("tools/deploy/Dockerfile", NULL), *out = NULL;
    ck_assert_ptr_nonnull(df);
    const char *runtime = strstr(df, "\nFROM debian");
    ck_assert_ptr_nonnull(runtime);
    runtime = strstr(runtime + 1, "\nFROM debian") ? strstr(runtime + 1, "\nFROM debian") : runtime;
    int rc = tu_sh(&out,
                   "for l in $(objdump -p %s | awk '/NEEDED/{print $2}'); do p=$(ldd %s | awk -v l=$l '$1==l{print $3}');"
                   " (dpkg -S \"$p\" 2>/dev/null || dpkg -S \"$(readlink -f $p)\") | head -1 | cut -d: -f1; done",
                   tu_swish_bin(), tu_swish_bin());
    ck_assert_msg(rc == 0 && *out, "%s", out);
    int n = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strcmp(line, "libc6")) continue;
        char want[80];
        snprintf(want, sizeof want, " %s ", line);
        ck_assert_msg(strstr(runtime, want), "the runtime image does not install %s (tools/deploy/Dockerfile)", line);
        n++;
    }
    ck_assert_int_ge(n, 7); /* sqlite, libpq, OpenBLAS, curl, microhttpd, OpenSSL, OpenMP */
    free(out);
    free(df);
}
END_TEST

/* The Dockerfile runs the README's targets (make deps, make, make install) and
 * only targets the Makefile has; a non-root user, swish as the entry point. */
START_TEST(cli_deploy_docker)
{
    char *mk = tu_slurp("Makefile", NULL), *df = tu_slurp("tools/deploy/Dockerfile", NULL);
    ck_assert_ptr_nonnull(mk);
    ck_assert_ptr_nonnull(df);
    /* the Makefile's explicit targets: the names before ':' of rule heads (not ':=',
     * no variables or patterns) */
    char targets[4096] = " ";
    for (const char *l = mk; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] == '\n')) {
        size_t n = strcspn(l, "\n");
        char line[512];
        if (*l == '\t' || *l == '#' || n >= sizeof line) continue;
        memcpy(line, l, n);
        line[n] = 0;
        char *c = strchr(line, ':'), *bad = strpbrk(line, "$%=");
        if (!c || c[1] == '=' || (bad && bad < c)) continue;
        *c = 0;
        for (char *w = strtok(line, " "); w; w = strtok(NULL, " ")) {
            ck_assert_uint_lt(strlen(targets) + strlen(w) + 2, sizeof targets);
            strcat(strcat(targets, w), " ");
        }
    }
    ck_assert_msg(strstr(targets, " deps ") && strstr(targets, " install ") && strstr(targets, " install-systemd "),
                  "Makefile targets:%s", targets);
    char *runs = dockerfile_instructions(df, "RUN");
    int makes = 0, saw_deps = 0, saw_default = 0, saw_install = 0;
    for (char *l = runs; *l; l += strcspn(l, "\n") + 1) {
        char line[2048];
        size_t n = strcspn(l, "\n");
        ck_assert_uint_lt(n, sizeof line);
        memcpy(line, l, n);
        line[n] = 0;
        strcat(line, " ;"); /* ends the last command */
        int cmd_pos = 1, in_make = 0, goals = 0;
        for (char *w = strtok(line, " \t"); w; w = strtok(NULL, " \t")) {
            if (!strcmp(w, "&&") || !strcmp(w, "||") || !strcmp(w, ";") || !strcmp(w, "|")) {
                if (in_make && !goals) saw_default = 1;
                cmd_pos = 1;
                in_make = 0;
                continue;
            }
            if (cmd_pos && !strcmp(w, "make")) {
                makes++;
                in_make = 1;
                cmd_pos = goals = 0;
                continue;
            }
            if (cmd_pos && *w != '-' && strchr(w, '=')) continue; /* VAR=value before a command */
            cmd_pos = 0;
            if (!in_make) continue;
            ck_assert_msg(strcmp(w, "-C") && strcmp(w, "-f") && strncmp(w, "--file", 6) && strncmp(w, "--directory", 11),
                          "Dockerfile: make %s: only the repository's own Makefile is checked", w);
            if (*w == '-' || strchr(w, '=')) continue; /* options and variables */
            char key[256];
            snprintf(key, sizeof key, " %s ", w);
            ck_assert_msg(strstr(targets, key), "Dockerfile: 'make %s': the Makefile has no such target", w);
            goals++;
            saw_deps |= !strcmp(w, "deps");
            saw_install |= !strcmp(w, "install");
        }
    }
    ck_assert_msg(makes >= 3 && saw_deps && saw_default && saw_install,
                  "Dockerfile: make deps, make and make install expected in RUN lines:\n%s", runs);
    free(runs);
    ck_assert_ptr_nonnull(strstr(df, "\nFROM debian:bookworm-slim AS build\n"));
    ck_assert_ptr_nonnull(strstr(df, "\nENTRYPOINT [\"swish\"]\n"));
    ck_assert_ptr_nonnull(strstr(df, "\nCMD [\"serve\", \"--config\", \"/etc/swish/swish.conf\"]\n"));
    char *u = strstr(df, "\nUSER ");
    ck_assert_msg(u && strncmp(u + 6, "0", 1) && strncmp(u + 6, "root", 4), "Dockerfile: USER must not be root");
    free(mk);
    free(df);
}
END_TEST

/* tools/deploy/swish.conf.example loads as the units run it, and with the
 * image's SWISH_<SECTION>_<KEY> variables on top (each a real key). */
START_TEST(cli_deploy_config)
{
    char *out;
    int rc = tu_sh(&out, "%s config --config tools/deploy/swish.conf.example", tu_swish_bin());
    ck_assert_msg(rc == 0, "swish config: exit %d:\n%s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "\ndata = /var/lib/swish/data\n"));
    ck_assert_ptr_nonnull(strstr(out, "\ndb = /var/lib/swish/swish.db\n"));
    ck_assert_ptr_nonnull(strstr(out, "\ncache = /var/cache/swish\n"));
    ck_assert_ptr_nonnull(strstr(out, "\nlisten = 127.0.0.1:8080\n"));
    /* the schedule of swish-nightly's retrain, the monitor and the alerts are set there */
    ck_assert_ptr_nonnull(strstr(out, "\nevery_days = 7\n"));
    ck_assert_ptr_nonnull(strstr(out, "\nnew_versions = shadow\n"));
    ck_assert_ptr_nonnull(strstr(out, "\n[monitor]\n"));
    ck_assert_ptr_nonnull(strstr(out, "\n[alerts]\n"));
    free(out);
    /* the webhook URLs are secrets: swish.env, never the example (mode 0644) */
    char *ex = tu_slurp("tools/deploy/swish.conf.example", NULL);
    ck_assert_ptr_nonnull(ex);
    for (const char *l = ex; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] == '\n')) {
        l += strspn(l, " \t");
        ck_assert_msg(strncmp(l, "slack_url", 9) && strncmp(l, "webhook_url", 11),
                      "swish.conf.example sets an alert URL: a secret, for swish.env");
    }
    ck_assert_ptr_nonnull(strstr(ex, "SWISH_ALERTS_SLACK_URL"));
    free(ex);
    char *df = tu_slurp("tools/deploy/Dockerfile", NULL);
    ck_assert_ptr_nonnull(df);
    char *envs = dockerfile_instructions(df, "ENV"), env[1024] = "";
    for (char *w = strtok(envs, " \t\n"); w; w = strtok(NULL, " \t\n"))
        if (!strncmp(w, "SWISH_", 6) && strncmp(w, "SWISH_CONFIG=", 13)) {
            ck_assert_uint_lt(strlen(env) + strlen(w) + 2, sizeof env);
            strcat(strcat(env, " "), w);
        }
    ck_assert_msg(strstr(env, " SWISH_SERVE_LISTEN=0.0.0.0:8080"), "Dockerfile ENV:%s", env);
    rc = tu_sh(&out, "env%s %s config --config tools/deploy/swish.conf.example", env, tu_swish_bin());
    ck_assert_msg(rc == 0, "env%s swish config: exit %d:\n%s", env, rc, out);
    ck_assert_ptr_nonnull(strstr(out, "\nlisten = 0.0.0.0:8080\n"));
    free(out);
    free(envs);
    free(df);
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
    tcase_add_test(tc, cli_version_and_help);
    tcase_add_test(tc, cli_usage_matches_options);
    tcase_add_test(tc, cli_exit_codes);
    tcase_add_test(tc, cli_config_env);
    tcase_add_test(tc, cli_predict_io);
    tcase_add_test(tc, cli_explain_quoted_names);
    tcase_add_test(tc, cli_train_checks);
    tcase_add_test(tc, cli_threads_all_work);
    tcase_add_test(tc, cli_deploy_units);
    tcase_add_test(tc, cli_deploy_docker);
    tcase_add_test(tc, cli_deploy_config);
    suite_add_tcase(s, tc);
    /* the shared libraries of the binary the Makefile's default build makes
     * (make asan, ubsan and tsan link sanitizer runtimes: they exclude the tag) */
    TCase *tp = tcase_create("cli_product_build");
    tcase_set_tags(tp, "product-build");
    tcase_set_timeout(tp, 120);
    tcase_add_test(tp, cli_deploy_docker_libraries);
    suite_add_tcase(s, tp);
    return s;
}
