/* test_evaluate: grading, metrics, the walk-forward backtest, the report and
 * `predict --explain`.
 *
 * Oracles: hand-computed Wilson intervals, hit rates, ROI and Brier scores;
 * outcomes recomputed from the box-score CSV itself; the backtest run twice
 * (1 and 2 threads) must agree to the byte; a planted copy of the league
 * (every result from a date on changed, post-tip-off line snapshots with
 * absurd lines on every game) must leave every prediction up to and including
 * that date unchanged; the report rendered by headless Chromium with no
 * console message and every chart drawn.  The league is simulated and the
 * backtests run once, through the CLI, before the tests fork. */
#include <dirent.h>
#include <locale.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/csv.h"
#include "core/date.h"
#include "core/json.h"
#include "core/strmap.h"
#include "pipeline/grade.h"
#include "pipeline/metrics.h"
#include "pipeline/report.h"
#include "testutil.h"




/* ---- fixture: a league, three backtests ---- */

static char g_root[256], g_why[4096];
static char g_da[600], g_da1[600], g_db[600]; /* the backtests' stores (tu_db): a, a at 1 thread, b planted */
static char g_from[11], g_to[11], g_mid[11];
static int g_ready;

static int run_step(const char *what, const char *cmd)
{
    char full[8192];
    snprintf(full, sizeof full, "%s 2> %s/%s.log", cmd, g_root, what);
    if (system(full) != 0) {
        snprintf(g_why, sizeof g_why, "setup step '%s' failed: %s (see %s/%s.log)", what, cmd, g_root, what);
        return -1;
    }
    return 0;
}

static void setup(void)
{
    snprintf(g_root, sizeof g_root, "/tmp/swish-eval-XXXXXX");
    if (!mkdtemp(g_root)) return;
    const char *bin = tu_swish_bin();
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s simulate --seed 13 --seasons 1 --out %s/data --json > %s/simulate.json", bin, g_root,
             g_root);
    if (run_step("simulate", cmd)) return;
    /* the last three weeks of the season, retrained weekly; the planted date in the middle */
    char path[600];
    snprintf(path, sizeof path, "%s/simulate.json", g_root);
    char *log = tu_slurp(path, NULL);
    const char *lp = log ? strstr(log, "\"last_played\":\"") : NULL;
    if (!lp) {
        snprintf(g_why, sizeof g_why, "no last_played in %s", path);
        free(log);
        return;
    }
    int last;
    sw_date_parse(lp + 15, 10, &last);
    free(log);
    sw_date_format(last - 20, g_from);
    sw_date_format(last, g_to);
    sw_date_format(last - 10, g_mid);
    const char *bt = "backtest --from %s --to %s --retrain-every 7 --quiet --json";
    char args[512];
    snprintf(args, sizeof args, bt, g_from, g_to);
    tu_db(g_da, sizeof g_da, g_root, "a");
    tu_db(g_da1, sizeof g_da1, g_root, "a1");
    tu_db(g_db, sizeof g_db, g_root, "b");
    snprintf(cmd, sizeof cmd, "%s %s --data %s/data --models %s/none --db %s --threads 2 > %s/a.json", bin, args,
             g_root, g_root, g_da, g_root);
    if (run_step("backtest_a", cmd)) return;
    snprintf(cmd, sizeof cmd, "%s %s --data %s/data --models %s/none --db %s --threads 1 > %s/a1.json", bin, args,
             g_root, g_root, g_da1, g_root);
    if (run_step("backtest_a1", cmd)) return;
    /* the planted league: every result from g_mid on changed (+4 points from free throws,
     * identities kept) and, on every game of the window, a snapshot after tip-off with a
     * line 7 points higher */
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s/planted && cp %s/data/*.csv %s/planted/ && "
             "awk -F, -v OFS=, -v d=%s 'NR==1{for(i=1;i<=NF;i++)h[$i]=i;print;next} "
             "$h[\"GAME_DATE\"]>=d && $h[\"MIN\"]>0 {$h[\"PTS\"]+=4;$h[\"FTM\"]+=4;$h[\"FTA\"]+=4} {print}' "
             "%s/data/player_game_logs.csv > %s/planted/player_game_logs.csv && "
             "awk -F, -v OFS=, -v d=%s 'NR==1{for(i=1;i<=NF;i++)h[$i]=i;next} $h[\"GAME_DATE\"]>=d "
             "{c=$h[\"COMMENCE_TIME_UTC\"]; $h[\"SNAPSHOT_TIME\"]=substr(c,1,14) \"59:59Z\"; "
             "$h[\"LINE\"]=$h[\"LINE\"]+7; print}' %s/data/prop_lines.csv >> %s/planted/prop_lines.csv",
             g_root, g_root, g_root, g_mid, g_root, g_root, g_from, g_root, g_root);
    if (run_step("plant", cmd)) return;
    snprintf(cmd, sizeof cmd, "%s %s --data %s/planted --models %s/none --db %s --threads 2 > %s/b.json", bin, args,
             g_root, g_root, g_db, g_root);
    if (run_step("backtest_b", cmd)) return;
    g_ready = 1;
}

static void teardown(void)
{
    if (g_root[0]) tu_remove_tree(g_root);
}

static void need(void) { ck_assert_msg(g_ready, "%s", g_why); }

/* ---- metrics by hand ---- */

START_TEST(wilson_and_metrics_by_hand)
{
    double lo, hi;
    sw_wilson(52, 100, &lo, &hi); /* Wilson 95%: [0.4231, 0.6153] */
    ck_assert_double_eq_tol(lo, 0.42314, 1e-4);
    ck_assert_double_eq_tol(hi, 0.61530, 1e-4);
    sw_wilson(0, 10, &lo, &hi);
    ck_assert_double_eq_tol(lo, 0, 1e-12);
    ck_assert_double_eq_tol(hi, 0.27754, 1e-4);
    /* five graded rows: over hit at -120, under miss, a push, a void, no line */
    sw_graded g[5] = {
        {1, 24, 27, 22.5, 0.70f, 60, 100, -120, +100, 20, 21, SW_TIER_GOLD, SW_CALL_OVER, NAN},
        {1, 10, 14, 12.5, 0.30f, 58, 90, -110, -110, 11, 12, SW_TIER_SILVER, SW_CALL_UNDER, NAN},
        {1, 20, 18, 18.0, 0.60f, 51, 100, -110, -110, 17, 19, SW_TIER_GOLD, SW_CALL_OVER, NAN},
        {1, 15, NAN, 14.5, 0.55f, 57, 100, -110, -110, 15, 15, SW_TIER_GOLD, SW_CALL_OVER, NAN},
        {1, 8, 6, NAN, NAN, 0, 60, NAN, NAN, 7, 7, SW_TIER_POOR, SW_CALL_NO_LINE, NAN},
    };
    sw_metrics m;
    sw_metrics_compute(g, 5, &m);
    ck_assert_int_eq(m.n, 4); /* the void is left out */
    ck_assert_double_eq_tol(m.mae, (3 + 4 + 2 + 2) / 4.0, 1e-12);
    ck_assert_double_eq_tol(m.bias, (-3 - 4 + 2 + 2) / 4.0, 1e-12);
    ck_assert_double_eq_tol(m.rmse, sqrt((9 + 16 + 4 + 4) / 4.0), 1e-12);
    ck_assert_double_eq_tol(m.within3, 3 / 4.0, 1e-12);
    ck_assert_int_eq(m.calls.n, 2); /* the push counts in neither */
    ck_assert_int_eq(m.calls.hits, 1);
    ck_assert_double_eq_tol(m.calls.units, 100.0 / 120 - 1, 1e-12);
    ck_assert_double_eq_tol(m.calls.units_110, 100.0 / 110 - 1, 1e-12);
    ck_assert_double_eq_tol(m.roi_calls, (100.0 / 120 - 1) / 2, 1e-12);
    /* side bets: row 1 over (hit), row 2 under (miss), row 3 push: out */
    ck_assert_int_eq(m.side.n, 2);
    ck_assert_int_eq(m.side.hits, 1);
    ck_assert_int_eq(m.edge[1].n, 2); /* |24 - 22.5| = 1.5 and |10 - 12.5| = 2.5 */
    ck_assert_int_eq(m.edge[1].hits, 1);
    ck_assert_int_eq(m.edge[0].n + m.edge[2].n + m.edge[3].n, 0);
    /* calibration: rows 1 and 2 (push and void out): (0.7 - 1)^2 and (0.3 - 1)^2 (14 > 12.5: over) */
    ck_assert_int_eq(m.n_cal, 2);
    ck_assert_double_eq_tol(m.brier, (0.09 + 0.49) / 2, 1e-6);
    /* the market's P(over) on the same rows, de-vigged: row 1 at -120/+100: implied 120/220 and 1/2,
     * scaled to 12/23; row 2 at -110/-110: 1/2; both went over */
    ck_assert_int_eq(m.n_market, 2);
    ck_assert_double_eq_tol(m.brier_market, ((11.0 / 23) * (11.0 / 23) + 0.25) / 2, 1e-12);
    ck_assert_double_eq_tol(m.brier_same, (0.09 + 0.49) / 2, 1e-6);
    /* deciles of P(over) over those two rows: the fifth holds 0.3 (rows k/10 .. (k+1)/10 of 2), the tenth 0.7 */
    ck_assert_int_eq(m.rel_n[4], 1);
    ck_assert_int_eq(m.rel_n[9], 1);
    ck_assert_int_eq(m.rel_n[0] + m.rel_n[1] + m.rel_n[2] + m.rel_n[3] + m.rel_n[5] + m.rel_n[6] + m.rel_n[7] + m.rel_n[8],
                     0);
    ck_assert_double_eq_tol(m.rel_p[4], 0.3, 1e-6);
    ck_assert(m.rel_freq[4] == 1);
    ck_assert_double_eq_tol(m.rel_p[9], 0.7, 1e-6);
    ck_assert(isnan(m.rel_p[0]));
    /* calls by expected value at their price: row 1 over at -120, 0.7 x (1 + 100/120) - 1 = 0.2833 (a hit);
     * row 2 under at -110, 0.7 x (1 + 100/110) - 1 = 0.3364 (a miss); both >= 10% */
    ck_assert_int_eq(m.ev[4].n, 2);
    ck_assert_int_eq(m.ev[4].hits, 1);
    ck_assert_int_eq(m.ev[0].n + m.ev[1].n + m.ev[2].n + m.ev[3].n, 0);
    /* the market's probability stored with a row wins over its prices: row 1 at 0.6 */
    g[0].p_market = 0.6f;
    g[1].over_price = 150; /* de-vigged from -110 and this one for the second row */
    g[1].p_over = 0.55f;   /* under at -110: 0.45 x 1.909 - 1 < 0 */
    sw_metrics_compute(g, 5, &m);
    double qo = 100.0 / 250, qu = 110.0 / 210, pm2 = qo / (qo + qu);
    ck_assert_double_eq_tol(m.brier_market, ((0.6 - 1) * (0.6 - 1) + (pm2 - 1) * (pm2 - 1)) / 2, 1e-7);
    ck_assert_int_eq(m.ev[0].n, 1);
    ck_assert_int_eq(m.ev[4].n, 1);
    /* baselines on rows with a line, a prediction and both averages (1, 2, 3) */
    ck_assert_int_eq(m.n_base, 3);
    ck_assert_double_eq_tol(m.mae_line, (4.5 + 1.5 + 0) / 3, 1e-6);
    ck_assert_double_eq_tol(m.mae_season, (7 + 3 + 1) / 3.0, 1e-6);
    ck_assert_double_eq_tol(m.mae_last10, (6 + 2 + 1) / 3.0, 1e-6);
    ck_assert_double_eq_tol(sw_units_won(-110), 100.0 / 110, 1e-12);
    ck_assert_double_eq_tol(sw_units_won(+150), 1.5, 1e-12);
    ck_assert_double_eq_tol(sw_units_won(NAN), 100.0 / 110, 1e-12);
}
END_TEST

START_TEST(psi_by_hand)
{
    float ref[1000], same[1000], shifted[1000];
    for (int i = 0; i < 1000; i++) {
        ref[i] = (float)i;
        same[i] = (float)((i * 7) % 1000);
        shifted[i] = (float)(i / 2); /* all in the lower half */
    }
    ck_assert_double_eq_tol(sw_psi(ref, 1000, same, 1000), 0, 1e-9);
    /* the reference's bins (cuts at 100, 200, ..., 900) hold 101, 100 x 8 and 99 values;
     * the shifted sample (each of 0..499 twice) 202, 200, 200, 200, 198 and nothing above;
     * an empty bin counts as 1e-4 */
    double a[10] = {.101, .1, .1, .1, .1, .1, .1, .1, .1, .099}, b[10] = {.202, .2, .2, .2, .198, 1e-4, 1e-4, 1e-4, 1e-4, 1e-4};
    double want = 0;
    for (int k = 0; k < 10; k++) want += (b[k] - a[k]) * log(b[k] / a[k]);
    ck_assert_double_eq_tol(sw_psi(ref, 1000, shifted, 1000), want, 1e-9);
}
END_TEST

/* ---- grading against the box scores ---- */

START_TEST(grades_match_box_scores)
{
    need();
    char db[600], csv[400];
    snprintf(db, sizeof db, "%s", g_da);
    snprintf(csv, sizeof csv, "%s/data/player_game_logs.csv", g_root);
    sw_table *t;
    sw_error err;
    ck_assert_int_eq(sw_table_read_csv(csv, NULL, &t, &err), SW_OK);
    int cg = sw_table_find(t, "GAME_ID"), cp = sw_table_find(t, "PLAYER_ID"), cpts = sw_table_find(t, "PTS"),
        cmin = sw_table_find(t, "MIN");
    sw_strmap *idx = sw_strmap_create((size_t)sw_table_rows(t));
    for (long r = 0; r < sw_table_rows(t); r++) {
        size_t l1, l2;
        const char *g = sw_table_str(t, r, cg, &l1), *p = sw_table_str(t, r, cp, &l2);
        char key[64];
        int kl = snprintf(key, sizeof key, "%.*s|%.*s", (int)l1, g, (int)l2, p);
        ck_assert_int_eq(sw_strmap_put(idx, key, (size_t)kl, (int)r), SW_OK);
    }
    char *rows = tu_sql_dump(db, "SELECT p.game_id, p.player_id, p.system, p.line, p.recommendation, p.over_price,"
                          " p.under_price, g.outcome, g.actual, g.units, g.units_110 FROM predictions p JOIN grades g"
                          " USING (game_date, game_id, player_id, system, model_version) WHERE p.system IN"
                          " ('final', 'gbdt', 'moving_average')");
    long checked = 0, voids = 0, bets = 0, pushes = 0;
    for (char *line = strtok(rows, "\n"); line; line = strtok(NULL, "\n")) {
        char gid[32], pid[32], sys[32], ls[32], rec[16], op[32], up[32], out[16], act[32], un[32], u110[32];
        ck_assert_int_eq(sscanf(line, "%31[^|]|%31[^|]|%31[^|]|%31[^|]|%15[^|]|%31[^|]|%31[^|]|%15[^|]|%31[^|]|%31[^|]|%31s",
                                gid, pid, sys, ls, rec, op, up, out, act, un, u110),
                         11);
        /* the box score, looked up in the CSV */
        double pts = NAN, min = 0;
        char key[64];
        int kl = snprintf(key, sizeof key, "%s|%s", gid, pid);
        int r = sw_strmap_get(idx, key, (size_t)kl);
        if (r >= 0) {
            sw_table_f64(t, r, cpts, &pts, &err);
            sw_table_f64(t, r, cmin, &min, &err);
        }
        int played = isfinite(pts) && min > 0;
        if (!played) {
            ck_assert_str_eq(out, "VOID");
            voids++;
            continue;
        }
        ck_assert_double_eq_tol(atof(act), pts, 1e-9);
        int bet = strcmp(ls, "NULL") && (!strcmp(rec, "OVER") || !strcmp(rec, "UNDER"));
        if (!bet) {
            ck_assert_str_eq(out, "NO_BET");
            continue;
        }
        double line_v = atof(ls);
        bets++;
        if (pts == line_v) {
            ck_assert_str_eq(out, "PUSH");
            pushes++;
            ck_assert_double_eq_tol(atof(un), 0, 1e-12);
            continue;
        }
        int over = !strcmp(rec, "OVER"), hit = over ? pts > line_v : pts < line_v;
        ck_assert_str_eq(out, hit ? "HIT" : "MISS");
        double price = strcmp(over ? op : up, "NULL") ? atof(over ? op : up) : -110;
        double want = hit ? (price > 0 ? price / 100 : 100 / -price) : -1;
        ck_assert_double_eq_tol(atof(un), want, 1e-9);
        ck_assert_double_eq_tol(atof(u110), hit ? 100.0 / 110 : -1, 1e-9);
        checked++;
    }
    free(rows);
    sw_strmap_free(idx);
    sw_table_free(t);
    ck_assert_int_gt(checked, 200);
    ck_assert_int_gt(voids, 0); /* DNPs and injured players on the slate */
    (void)pushes;
    (void)bets;
}
END_TEST

START_TEST(regrade_is_idempotent)
{
    need();
    char db[600], *out = NULL;
    tu_db_copy(g_da, db, sizeof db, NULL, "regrade");
    const char *q = "SELECT game_date, game_id, player_id, system, model_version, actual, outcome, units, units_110"
                    " FROM grades ORDER BY 1, 2, 3, 4, 5";
    char *before = tu_sql_dump(db, q);
    for (int i = 0; i < 2; i++) {
        int rc = tu_sh(&out, "%s grade --from %s --to %s --data %s/data --db %s --json", tu_swish_bin(), g_from, g_to,
                    g_root, db);
        ck_assert_msg(rc == 0, "%s", out);
        ck_assert_ptr_nonnull(strstr(out, "\"system\":\"final\""));
        free(out);
    }
    char *after = tu_sql_dump(db, q);
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
}
END_TEST

/* ---- the backtest ---- */

static char *json_without_seconds(const char *path)
{
    char *s = tu_slurp(path, NULL);
    ck_assert_ptr_nonnull(s);
    char *p = strstr(s, "\"seconds\":");
    ck_assert_ptr_nonnull(p);
    char *e = strchr(p, ',');
    memmove(p, e + 1, strlen(e + 1) + 1);
    return s;
}

START_TEST(backtest_deterministic_across_threads)
{
    need();
    char a[600], b[600];
    snprintf(a, sizeof a, "%s/a.json", g_root);
    snprintf(b, sizeof b, "%s/a1.json", g_root);
    char *x = json_without_seconds(a), *y = json_without_seconds(b);
    ck_assert_str_eq(x, y);
    ck_assert_ptr_nonnull(strstr(x, "\"retrains\":3"));
    free(x);
    free(y);
    snprintf(a, sizeof a, "%s", g_da);
    snprintf(b, sizeof b, "%s", g_da1);
    const char *q = "SELECT game_date, game_id, player_id, system, model_version, line, prediction, p_over,"
                    " recommendation, confidence FROM predictions ORDER BY 1, 2, 3, 4, 5";
    char *da = tu_sql_dump(a, q), *db = tu_sql_dump(b, q);
    ck_assert_str_eq(da, db);
    ck_assert_int_gt((long)strlen(da), 10000);
    free(da);
    free(db);
}
END_TEST

START_TEST(backtest_cannot_see_the_future)
{
    need();
    char a[600], b[600], q[512];
    snprintf(a, sizeof a, "%s", g_da);
    snprintf(b, sizeof b, "%s", g_db);
    /* every prediction up to and including the planted date is unchanged... */
    snprintf(q, sizeof q,
             "SELECT game_date, game_id, player_id, system, model_version, line, book, prediction, lo, hi, p_over,"
             " recommendation, confidence, feature_hash FROM predictions WHERE game_date <= '%s' ORDER BY 1, 2, 3, 4, 5",
             g_mid);
    char *da = tu_sql_dump(a, q), *db = tu_sql_dump(b, q);
    ck_assert_int_gt((long)strlen(da), 10000);
    ck_assert_str_eq(da, db);
    free(da);
    free(db);
    /* ...while the planted results did reach the grades of those dates, and the later
     * predictions (which may see them) */
    snprintf(q, sizeof q, "SELECT count(*) FROM grades WHERE game_date = '%s' AND outcome <> 'VOID'", g_mid);
    char *ga = tu_sql_dump(a, q);
    ck_assert_int_gt(atol(ga), 50);
    free(ga);
    snprintf(q, sizeof q, "SELECT sum(actual) FROM grades WHERE game_date >= '%s' AND system = 'final'", g_mid);
    char *sa = tu_sql_dump(a, q), *sb = tu_sql_dump(b, q);
    ck_assert_str_ne(sa, sb);
    free(sa);
    free(sb);
    snprintf(q, sizeof q, "SELECT prediction FROM predictions WHERE game_date > '%s' AND system = 'moving_average'"
                          " ORDER BY game_date, game_id, player_id", g_mid);
    char *pa = tu_sql_dump(a, q), *pb = tu_sql_dump(b, q);
    ck_assert_str_ne(pa, pb);
    free(pa);
    free(pb);
    /* no stored line is a planted one (+7 after tip-off): the lines of both runs agree everywhere */
    const char *ql = "SELECT game_date, game_id, player_id, line, book FROM predictions WHERE system = 'final'"
                     " ORDER BY 1, 2, 3";
    char *la = tu_sql_dump(a, ql), *lb = tu_sql_dump(b, ql);
    ck_assert_str_eq(la, lb);
    free(la);
    free(lb);
}
END_TEST

START_TEST(backtest_metrics_match_database)
{
    need();
    char path[400], *out = NULL;
    snprintf(path, sizeof path, "%s/a.json", g_root);
    char *js = tu_slurp(path, NULL);
    int rc = tu_sh(&out, "%s metrics --db %s --json", tu_swish_bin(), g_da);
    ck_assert_msg(rc == 0, "%s", out);
    /* the final system's figures, in memory and from the stored grades */
    const char *keys[] = {"\"mae\":", "\"side\":{\"n\":", "\"calls\":{\"n\":", "\"brier\":"};
    const char *fa = strstr(js, "{\"system\":\"final\""), *fb = strstr(out, "{\"system\":\"final\"");
    ck_assert_ptr_nonnull(fa);
    ck_assert_ptr_nonnull(fb);
    for (int k = 0; k < 4; k++) {
        const char *x = strstr(fa, keys[k]), *y = strstr(fb, keys[k]);
        ck_assert_ptr_nonnull(x);
        ck_assert_ptr_nonnull(y);
        double vx = atof(x + strlen(keys[k])), vy = atof(y + strlen(keys[k]));
        ck_assert_msg(fabs(vx - vy) < 1e-4 * (1 + fabs(vx)), "%s %g vs %g", keys[k], vx, vy);
    }
    free(js);
    free(out);
}
END_TEST

/* The JSON outputs go through the writer: they parse, numbers read back, NaN is null. */

/* A metrics object: a hit bucket without bets has a null rate, never nan or -1.
 * Returns the number of such buckets. */
static int check_metrics_object(const sw_json *doc, sw_jnode m)
{
    ck_assert_int_eq(sw_json_type_of(doc, sw_json_get(doc, m, "system")), SW_JSON_STRING);
    ck_assert_int_ge(tu_jint(doc, m, "excluded_lookahead"), 0);
    int buckets = 0, empty = 0;
    for (sw_jnode c = sw_json_first(doc, m); c != SW_JNONE; c = sw_json_next(doc, c)) {
        if (sw_json_type_of(doc, c) != SW_JSON_OBJECT || sw_json_get(doc, c, "hits") == SW_JNONE) continue;
        buckets++;
        sw_json_type t = sw_json_type_of(doc, sw_json_get(doc, c, "rate"));
        if (tu_jint(doc, c, "n") == 0) {
            empty++;
            ck_assert_int_eq(t, SW_JSON_NULL);
            ck_assert_int_eq(sw_json_type_of(doc, sw_json_get(doc, c, "lo")), SW_JSON_NULL);
        } else {
            ck_assert_int_eq(t, SW_JSON_NUMBER);
        }
    }
    ck_assert_int_eq(buckets, 3 + 4 + 4 + 5 + 5); /* side, side_edge3, calls; edge, confidence, tier, expected value */
    sw_jnode cal = sw_json_get(doc, m, "calibration");
    ck_assert_int_eq(sw_json_len(doc, cal), 10);
    ck_assert_int_eq(sw_json_len(doc, sw_json_get(doc, m, "reliability")), 10);
    ck_assert_int_eq(sw_json_type_of(doc, sw_json_get(doc, sw_json_get(doc, m, "baselines"), "side_last10_avg")),
                     SW_JSON_OBJECT);
    return empty;
}

START_TEST(backtest_and_metrics_json_parse)
{
    need();
    char path[400], *out = NULL;
    snprintf(path, sizeof path, "%s/a.json", g_root);
    char *js = tu_slurp(path, NULL);
    ck_assert_ptr_nonnull(js);
    sw_json *doc = tu_json_parse("backtest --json", js);
    sw_jnode root = sw_json_root(doc);
    ck_assert(sw_json_streq(doc, sw_json_get(doc, root, "from"), g_from));
    ck_assert(sw_json_streq(doc, sw_json_get(doc, root, "to"), g_to));
    ck_assert_int_eq(tu_jint(doc, root, "retrains"), 3);
    ck_assert(tu_jf64(doc, root, "seconds") > 0);
    sw_jnode systems = sw_json_get(doc, root, "systems");
    ck_assert_int_eq(sw_json_type_of(doc, systems), SW_JSON_ARRAY);
    int finals = 0, empty = 0;
    double final_mae = NAN;
    for (sw_jnode m = sw_json_first(doc, systems); m != SW_JNONE; m = sw_json_next(doc, m)) {
        empty += check_metrics_object(doc, m);
        if (sw_json_streq(doc, sw_json_get(doc, m, "system"), "final")) {
            finals++;
            ck_assert_int_gt(tu_jint(doc, m, "n"), 100);
            final_mae = tu_jf64(doc, m, "mae");
        }
    }
    ck_assert_int_eq(finals, 1);
    ck_assert_int_gt(empty, 0); /* e.g. no calls from critical rows: rates null */
    /* the daily series: one entry per date, the running sum of the units */
    sw_jnode daily = sw_json_get(doc, root, "daily");
    ck_assert_int_eq(sw_json_len(doc, daily), tu_jint(doc, root, "dates"));
    double cum = 0;
    for (sw_jnode d = sw_json_first(doc, daily); d != SW_JNONE; d = sw_json_next(doc, d)) {
        ck_assert_int_eq(sw_json_len(doc, sw_json_get(doc, d, "date")), 10);
        cum += tu_jf64(doc, d, "units");
        ck_assert_double_eq_tol(tu_jf64(doc, d, "cumulative_units"), cum, 1e-9);
        sw_json_type t = sw_json_type_of(doc, sw_json_get(doc, d, "mae")); /* null: nothing graded that day */
        ck_assert(t == SW_JSON_NULL || (t == SW_JSON_NUMBER && tu_jf64(doc, d, "mae") >= 0));
    }
    sw_json_free(doc);
    free(js);
    /* metrics --json: an array of the same objects, the stored grades giving the same figures */
    int rc = tu_sh(&out, "%s metrics --db %s --json 2>/dev/null", tu_swish_bin(), g_da);
    ck_assert_msg(rc == 0, "%s", out);
    doc = tu_json_parse("metrics --json", out);
    root = sw_json_root(doc);
    ck_assert_int_eq(sw_json_type_of(doc, root), SW_JSON_ARRAY);
    finals = 0;
    for (sw_jnode m = sw_json_first(doc, root); m != SW_JNONE; m = sw_json_next(doc, m)) {
        check_metrics_object(doc, m);
        if (!sw_json_streq(doc, sw_json_get(doc, m, "system"), "final")) continue;
        finals++;
        ck_assert_double_eq_tol(tu_jf64(doc, m, "mae"), final_mae, 1e-4 * (1 + final_mae));
    }
    ck_assert_int_eq(finals, 1);
    sw_json_free(doc);
    free(out);
}
END_TEST

/* ---- the report ---- */

START_TEST(report_renders_in_chromium)
{
    need();
    char html[400], *out = NULL;
    snprintf(html, sizeof html, "%s/report.html", tu_tmpdir());
    int rc = tu_sh(&out, "%s report --db %s --out %s", tu_swish_bin(), g_da, html);
    ck_assert_msg(rc == 0, "%s", out);
    free(out);
    char *page = tu_slurp(html, NULL);
    ck_assert_ptr_nonnull(page);
    /* self-contained: nothing fetched from anywhere */
    ck_assert_ptr_null(strstr(page, "src="));
    ck_assert_ptr_null(strstr(page, "href="));
    ck_assert_ptr_null(strstr(page, "url("));
    ck_assert_ptr_null(strstr(page, "@import"));
    static const char *const ids[] = {"id=\"units\"", "id=\"calibration\"", "id=\"mae_month\"", "id=\"edges\"",
                                      "id=\"importance\"", "id=\"drift\"", "largest contributions"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        ck_assert_msg(strstr(page, ids[i]) != NULL, "the report lacks %s", ids[i]);
    free(page);
    char log[400];
    snprintf(log, sizeof log, "%s/chromium.log", tu_tmpdir());
    rc = tu_sh(&out, "timeout 120 chromium --headless --no-sandbox --disable-gpu --enable-logging=stderr --v=0 "
                  "--dump-dom file://%s 2> %s",
            html, log);
    ck_assert_msg(rc == 0, "chromium failed (%d)", rc);
    ck_assert_msg(strstr(out, "data-charts-ok=\"yes\"") != NULL, "the page's check did not pass");
    free(out);
    char *l = tu_slurp(log, NULL);
    ck_assert_msg(strstr(l, ":CONSOLE") == NULL, "console output: %s", strstr(l, ":CONSOLE"));
    free(l);
}
END_TEST

/* The report's SVG and figures are printf text: a program that set a
 * decimal-comma LC_NUMERIC gets the same bytes as the C locale (the
 * generation line aside). */
START_TEST(report_same_in_a_comma_locale)
{
    need();
    char db[600], a[400], b[400];
    snprintf(db, sizeof db, "%s", g_da);
    snprintf(a, sizeof a, "%s/report_c.html", tu_tmpdir());
    snprintf(b, sizeof b, "%s/report_comma.html", tu_tmpdir());
    sw_store *st;
    sw_error err;
    ck_assert_msg(sw_store_open(db, 1000, 0, &st, &err) == SW_OK, "%s", err.msg);
    sw_report_opts o = {.title = "t", .db_name = "a.db"};
    ck_assert_msg(sw_report_write(st, &o, a, &err) == SW_OK, "%s", err.msg);
    const char *loc = tu_comma_locale();
    ck_assert_msg(loc != NULL, "no decimal-comma locale could be installed (Debian package locales)");
    ck_assert_str_eq(localeconv()->decimal_point, ",");
    int rc = sw_report_write(st, &o, b, &err);
    setlocale(LC_NUMERIC, "C");
    ck_assert_msg(rc == SW_OK, "%s", err.msg);
    sw_store_close(st);
    char *pa = tu_slurp(a, NULL), *pb = tu_slurp(b, NULL);
    ck_assert(pa && pb);
    /* the generation line names the time */
    for (char **p = (char *[]){pa, pb, NULL}; *p; p++) {
        char *g = strstr(*p, "generated");
        if (g)
            for (char *e = strchr(g, '<'); g < e; g++) *g = '.';
    }
    ck_assert_msg(strcmp(pa, pb) == 0, "the report differs under %s", loc);
    ck_assert(strstr(pa, "<polyline") || strstr(pa, "<circle")); /* with figures to differ in */
    free(pa);
    free(pb);
}
END_TEST

/* ---- predict --explain ---- */

START_TEST(predict_explain_sums_to_prediction)
{
    char model[512], in[512], *out = NULL;
    tu_shared_path(model, sizeof model, "models/catboost_v8_33features_20260108_211817.cbm");
    tu_shared_path(in, sizeof in, "crosscheck/catboost/catboost_v8_33features_20260108_211817/inputs.csv");
    char res[400];
    snprintf(res, sizeof res, "%s/explain.csv", tu_tmpdir());
    int rc = tu_sh(&out, "%s predict --model %s --input %s --explain --output %s", tu_swish_bin(), model, in, res);
    ck_assert_msg(rc == 0, "%s", out);
    free(out);
    sw_table *t;
    sw_error err;
    ck_assert_int_eq(sw_table_read_csv(res, NULL, &t, &err), SW_OK);
    ck_assert_int_eq(sw_table_cols(t), 2 + 33);
    ck_assert_int_ge(sw_table_find(t, "shap_points_avg_last_5"), 0);
    for (long r = 0; r < sw_table_rows(t); r++) {
        double pred, sum = 0, v;
        sw_table_f64(t, r, 0, &pred, &err);
        for (int c = 1; c < sw_table_cols(t); c++) {
            ck_assert_int_eq(sw_table_f64(t, r, c, &v, &err), SW_OK);
            sum += v;
        }
        ck_assert_msg(fabs(sum - pred) < 1e-6 * (1 + fabs(pred)), "row %ld: %.12g vs %.12g", r, sum, pred);
    }
    sw_table_free(t);
}
END_TEST

Suite *evaluate_suite(void)
{
    Suite *s = suite_create("evaluate");
    TCase *tu = tcase_create("units");
    tcase_set_timeout(tu, 120);
    tcase_add_test(tu, wilson_and_metrics_by_hand);
    tcase_add_test(tu, psi_by_hand);
    tcase_add_test(tu, predict_explain_sums_to_prediction);
    suite_add_tcase(s, tu);
    TCase *tb = tcase_create("backtest");
    tcase_set_timeout(tb, 300);
    tcase_add_unchecked_fixture(tb, setup, teardown);
    tcase_add_test(tb, grades_match_box_scores);
    tcase_add_test(tb, regrade_is_idempotent);
    tcase_add_test(tb, backtest_deterministic_across_threads);
    tcase_add_test(tb, backtest_cannot_see_the_future);
    tcase_add_test(tb, backtest_metrics_match_database);
    tcase_add_test(tb, backtest_and_metrics_json_parse);
    tcase_add_test(tb, report_renders_in_chromium);
    tcase_add_test(tb, report_same_in_a_comma_locale);
    suite_add_tcase(s, tb);
    return s;
}
