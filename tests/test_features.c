/* test_features: loading, the v2 features and their quality, on the real data of
 * ../shared/data/nba.
 *
 * Oracles: an independent Python implementation of the definitions
 * (tests/tools/features_oracle.py) on real player-games chosen for the hard
 * cases (first game of a season, return after a long absence, back-to-back,
 * traded player, DNPs in the window, no line, a line); arithmetic by hand for
 * one row; the leakage test (features for D from data truncated before D are
 * bit-identical to those from the full data, for every player on many dates;
 * editing the game's own box score changes nothing); the parity test (training
 * rows of a date equal the slate rows of that date); and loader errors naming
 * file, line and column. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "core/date.h"
#include "features/features.h"
#include "features/league.h"
#include "testutil.h"

static sw_league *load_real(void)
{
    char dir[512];
    tu_shared_path(dir, sizeof dir, "data/nba");
    sw_league *lg;
    sw_error err;
    ck_assert_msg(sw_league_load(dir, NULL, &lg, NULL, &err) == SW_OK, "%s", err.msg);
    return lg;
}

static int day_of(const char *s)
{
    int d;
    ck_assert_int_eq(sw_date_parse(s, strlen(s), &d), 0);
    return d;
}

static sw_frame *rows_of_date(const sw_league *lg, int day, int slate)
{
    sw_feature_request r;
    sw_feature_request_init(&r);
    if (slate) {
        r.slate_date = day;
    } else {
        r.from = r.to = day;
    }
    sw_frame *f;
    sw_error err;
    ck_assert_int_eq(sw_features_build(lg, &r, &f, &err), SW_OK);
    return f;
}

static const struct {
    const char *player, *date, *why;
} cases[] = {
    {"203076", "2024-10-22", "first game of a season"},
    {"203076", "2025-03-24", "return after 44 days out"},
    {"203076", "2023-11-15", "second night of a back-to-back"},
    {"203076", "2025-02-08", "first game after a trade (LAL to DAL)"},
    {"1626156", "2025-01-01", "first game after a trade (LAL to BKN)"},
    {"1629618", "2024-12-07", "DNPs in the last 10 box scores"},
    {"203932", "2024-12-01", "no line (2024-25 has no props) after 27 days out"},
    {"1642259", "2025-11-10", "a line from eight books"},
    {"203999", "2025-01-03", "a star mid-season, second of a back-to-back"},
    {"1630162", "2024-03-01", "2023-24 late season"},
    {"1628983", "2025-11-05", "a line, the night after a game"},
    {"203507", "2025-10-22", "opening night"},
};

START_TEST(matches_independent_oracle)
{
    sw_league *lg = load_real();
    char dir[512], cmd[4096];
    tu_shared_path(dir, sizeof dir, "data/nba");
    size_t off = (size_t)snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/tools/features_oracle.py %s", dir);
    int n = (int)(sizeof cases / sizeof cases[0]);
    for (int i = 0; i < n; i++) off += (size_t)snprintf(cmd + off, sizeof cmd - off, " %s %s", cases[i].player, cases[i].date);
    char *out;
    ck_assert_msg(tu_run(cmd, &out) == 0, "oracle failed: %s", out);
    int checked = 0;
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char pid[32], ds[16];
        ck_assert_int_eq(sscanf(line, "%31s %15s", pid, ds), 2);
        int p = sw_league_find_player(lg, pid);
        ck_assert_int_ge(p, 0);
        sw_frame *f = rows_of_date(lg, day_of(ds), 0);
        long r = -1;
        for (long k = 0; k < sw_frame_rows(f); k++)
            if (sw_frame_meta_of(f, k)->player == p) r = k;
        ck_assert_msg(r >= 0, "no row for %s on %s", pid, ds);
        const float *v = sw_frame_values(f, r);
        char *tok = strchr(strchr(line, ' ') + 1, ' ');
        for (char *kv = strtok(tok, " "); kv; kv = strtok(NULL, " ")) {
            char *eq = strchr(kv, '=');
            *eq = 0;
            double want = strtod(eq + 1, NULL);
            int c = sw_feature_find(kv);
            ck_assert_msg(c >= 0, "unknown feature %s", kv);
            double got = v[c];
            if (isnan(want)) {
                ck_assert_msg(isnan(got), "%s %s %s: %g, expected NaN", pid, ds, kv, got);
            } else {
                ck_assert_msg(fabs(got - want) <= 1e-5 * fmax(1.0, fabs(want)), "%s %s %s: swish %.9g, oracle %.9g", pid,
                              ds, kv, got, want);
            }
            checked++;
        }
        sw_frame_free(f);
    }
    ck_assert_int_ge(checked, 12 * 18);
    free(out);
    sw_league_free(lg);
}
END_TEST

START_TEST(by_hand)
{
    /* Alex Sarr (1642259), WAS at DET on 2025-11-10.  His last five played games:
     * 17 (11-08), 20 (11-07), 31 (11-05), 19 (11-03), 10 (11-01) -> 19.4; the five
     * before: 14, 31, 23, 14, 10 -> ten-game mean 18.9.  Trend: (17+20)/2 -
     * (31+19+10)/3 = -1.5 -> 0.  Three games in the 7 days before (11-03, 11-05,
     * 11-07? 11-08 too: 11-04..11-09 holds 11-05, 11-07, 11-08) -> 3.  Draftkings
     * quotes 16.5 at 17:00 UTC, tip-off 00:00 UTC. */
    sw_league *lg = load_real();
    int p = sw_league_find_player(lg, "1642259");
    sw_frame *f = rows_of_date(lg, day_of("2025-11-10"), 1);
    long r = -1;
    for (long k = 0; k < sw_frame_rows(f); k++)
        if (sw_frame_meta_of(f, k)->player == p) r = k;
    ck_assert_int_ge(r, 0);
    const float *v = sw_frame_values(f, r);
    const uint8_t *s = sw_frame_sources(f, r);
    ck_assert(v[sw_feature_find("points_avg_last_5")] == 19.4f);
    ck_assert(v[sw_feature_find("points_avg_last_10")] == 18.9f);
    ck_assert(v[sw_feature_find("recent_trend")] == 0.0f);
    ck_assert(v[sw_feature_find("games_in_last_7_days")] == 3.0f);
    ck_assert(v[sw_feature_find("vegas_points_line")] == 16.5f);
    ck_assert(v[sw_feature_find("home_away")] == 0.0f);
    ck_assert_int_eq(s[sw_feature_find("vegas_points_line")], SW_SRC_VEGAS);
    /* 2025-26 has no shot zones: the shares are missing, not zero */
    ck_assert(isnan(v[sw_feature_find("pct_paint")]));
    ck_assert_int_eq(s[sw_feature_find("pct_paint")], SW_SRC_MISSING);
    ck_assert_int_eq(v[sw_feature_find("has_shot_zone_data")], 0);
    sw_frame_free(f);
    /* the first game of a season has no this-season history: defaults, labelled */
    f = rows_of_date(lg, day_of("2024-10-22"), 0);
    p = sw_league_find_player(lg, "203076");
    for (long k = 0; k < sw_frame_rows(f); k++)
        if (sw_frame_meta_of(f, k)->player == p) r = k;
    s = sw_frame_sources(f, r);
    v = sw_frame_values(f, r);
    ck_assert_int_eq(s[sw_feature_find("points_avg_last_5")], SW_SRC_DEFAULT);
    ck_assert(v[sw_feature_find("points_avg_last_5")] == 10.0f);
    ck_assert_int_eq(v[sw_feature_find("early_season")], 1);
    ck_assert_int_eq(s[sw_feature_find("minutes_avg_last_10")], SW_SRC_OBSERVED); /* across seasons */
    ck_assert_float_le(sw_frame_meta_of(f, r)->quality, 49.0f);
    sw_frame_free(f);
    sw_league_free(lg);
}
END_TEST

/* Features of every row of frame a found in frame b (same player and game) must be
 * bit-identical, labels too; returns how many rows were compared. */
static long same_rows(const sw_frame *a, const sw_frame *b, const char *what, const char *date)
{
    long n = 0;
    for (long i = 0; i < sw_frame_rows(a); i++) {
        const sw_frame_meta *m = sw_frame_meta_of(a, i);
        long j = sw_frame_find(b, m->player, m->game);
        if (j < 0 || sw_frame_meta_of(b, j)->team != m->team) continue;
        const float *x = sw_frame_values(a, i), *y = sw_frame_values(b, j);
        const uint8_t *sx = sw_frame_sources(a, i), *sy = sw_frame_sources(b, j);
        for (int c = 0; c < sw_feature_count(); c++) {
            ck_assert_msg(memcmp(&x[c], &y[c], sizeof(float)) == 0 && sx[c] == sy[c],
                          "%s %s: player %d feature %s: %.9g (%s) vs %.9g (%s)", what, date, m->player, sw_feature_name(c),
                          (double)x[c], sw_source_name((sw_source)sx[c]), (double)y[c], sw_source_name((sw_source)sy[c]));
        }
        n++;
    }
    return n;
}

static const char *leak_dates[] = {"2023-11-20", "2024-01-15", "2024-03-30", "2024-10-25", "2024-12-25",
                                   "2025-02-10", "2025-04-05", "2025-10-24", "2025-11-10", "2025-12-15"};

START_TEST(no_leakage)
{
    const char *ds = leak_dates[_i];
    int day = day_of(ds);
    sw_league *full = load_real();
    char dir[512], out[512], cmd[2048], *log;
    tu_shared_path(dir, sizeof dir, "data/nba");
    snprintf(out, sizeof out, "%s/trunc_%s", tu_tmpdir(), ds);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/tools/truncate_data.py %s %s %s", dir, out, ds);
    ck_assert_msg(tu_run(cmd, &log) == 0, "%s", log);
    free(log);
    sw_league *cut;
    sw_error err;
    ck_assert_msg(sw_league_load(out, NULL, &cut, NULL, &err) == SW_OK, "%s", err.msg);
    sw_frame *a = rows_of_date(cut, day, 1);  /* only the past exists */
    sw_frame *b = rows_of_date(full, day, 1); /* the future exists too */
    sw_frame *c = rows_of_date(full, day, 0); /* training rows of that date */
    /* the same players get the same ids in both leagues only by id: compare via ids */
    long n = 0;
    for (long i = 0; i < sw_frame_rows(a); i++) {
        const sw_frame_meta *m = sw_frame_meta_of(a, i);
        int pf = sw_league_find_player(full, sw_league_player_id(cut, m->player));
        int gf = sw_league_find_game(full, sw_league_game_id(cut, m->game));
        for (int k = 0; k < 2; k++) {
            const sw_frame *o = k ? c : b;
            long j = sw_frame_find(o, pf, gf);
            if (j < 0) continue;
            const float *x = sw_frame_values(a, i), *y = sw_frame_values(o, j);
            for (int f = 0; f < sw_feature_count(); f++)
                ck_assert_msg(memcmp(&x[f], &y[f], sizeof(float)) == 0,
                              "%s player %s feature %s: truncated %.9g vs full %.9g (%s)", ds,
                              sw_league_player_id(cut, m->player), sw_feature_name(f), (double)x[f], (double)y[f],
                              k ? "training rows" : "slate");
            n++;
        }
    }
    ck_assert_msg(n >= 20, "%s: only %ld rows compared", ds, n);
    sw_frame_free(a);
    sw_frame_free(b);
    sw_frame_free(c);
    sw_league_free(cut);
    sw_league_free(full);
}
END_TEST

START_TEST(editing_the_game_changes_nothing)
{
    /* the target game's own box score (points, minutes, zones) is edited: its
     * features stay bit-identical; the player's next game sees the change */
    char dir[512], out[512], cmd[4096], *log;
    tu_shared_path(dir, sizeof dir, "data/nba");
    snprintf(out, sizeof out, "%s/edited", tu_tmpdir());
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s && cp %s/team_game_logs.csv %s/prop_lines.csv %s/player_shot_zones.csv %s/ && "
             "/usr/bin/python3 -c \"import csv,sys; r=list(csv.reader(open('%s/player_game_logs.csv')));"
             "h=r[0]; w=csv.writer(open('%s/player_game_logs.csv','w'),lineterminator='\\n'); w.writerow(h);"
             "[w.writerow(x if not (x[h.index('PLAYER_ID')]=='203076' and x[h.index('GAME_DATE')]=='2025-01-15') else "
             "x[:h.index('MIN')]+['48.0','20','20','10','10','10','10']+x[h.index('FTA')+1:h.index('PTS')]+['60']+x[h.index('PTS')+1:]) for x in r[1:]]\"",
             out, dir, dir, dir, out, dir, out);
    ck_assert_msg(tu_run(cmd, &log) == 0, "%s", log);
    free(log);
    sw_league *full = load_real(), *ed;
    sw_error err;
    ck_assert_msg(sw_league_load(out, NULL, &ed, NULL, &err) == SW_OK, "%s", err.msg);
    double pts, min;
    int p = sw_league_find_player(ed, "203076");
    int day = day_of("2025-01-15");
    sw_frame *a = rows_of_date(full, day, 0), *b = rows_of_date(ed, day, 0);
    long r = -1;
    for (long k = 0; k < sw_frame_rows(b); k++)
        if (sw_frame_meta_of(b, k)->player == p) r = k;
    ck_assert_int_ge(r, 0);
    ck_assert(sw_league_result(ed, p, sw_frame_meta_of(b, r)->game, &pts, &min) && pts == 60); /* the edit took */
    ck_assert_int_gt(same_rows(a, b, "edited", "2025-01-15"), 100);
    sw_frame_free(a);
    sw_frame_free(b);
    /* his next game does see the 60 points */
    long end = 0;
    int next = -1;
    for (int g = 0; g < sw_league_n_games(ed); g++) {
        int d = sw_league_game_date(ed, g);
        double x, y;
        if (d > day && (next < 0 || d < next) && sw_league_result(ed, p, g, &x, &y)) next = d;
    }
    ck_assert_int_gt(next, day);
    a = rows_of_date(full, next, 0);
    b = rows_of_date(ed, next, 0);
    for (long k = 0; k < sw_frame_rows(b); k++)
        if (sw_frame_meta_of(b, k)->player == p) end = k;
    long k2 = sw_frame_find(a, sw_league_find_player(full, "203076"), sw_frame_meta_of(b, end)->game);
    ck_assert(sw_frame_values(a, k2)[0] != sw_frame_values(b, end)[0]);
    sw_frame_free(a);
    sw_frame_free(b);
    sw_league_free(ed);
    sw_league_free(full);
}
END_TEST

START_TEST(training_rows_equal_slate_rows)
{
    sw_league *lg = load_real();
    long total = 0;
    for (size_t i = 0; i < sizeof leak_dates / sizeof leak_dates[0]; i++) {
        int day = day_of(leak_dates[i]);
        sw_frame *a = rows_of_date(lg, day, 0), *b = rows_of_date(lg, day, 1);
        total += same_rows(a, b, "parity", leak_dates[i]);
        sw_frame_free(a);
        sw_frame_free(b);
    }
    ck_assert_int_gt(total, 500);
    sw_league_free(lg);
}
END_TEST

START_TEST(quality_scores)
{
    int n = sw_feature_count();
    uint8_t s[128];
    for (int i = 0; i < n; i++) s[i] = SW_SRC_OBSERVED;
    ck_assert(sw_quality_score(s) == 100.0f); /* a fully sourced row scores 100 */
    /* optional features that are missing are left out */
    s[sw_feature_find("vegas_points_line")] = SW_SRC_MISSING;
    s[sw_feature_find("pct_paint")] = SW_SRC_MISSING;
    ck_assert(sw_quality_score(s) == 100.0f);
    /* one required default caps at 69, five at 49 */
    s[sw_feature_find("points_avg_last_5")] = SW_SRC_DEFAULT;
    ck_assert(sw_quality_score(s) == 69.0f);
    const char *req[] = {"points_avg_last_10", "points_avg_season", "points_std_last_10", "minutes_avg_last_10"};
    for (int i = 0; i < 4; i++) s[sw_feature_find(req[i])] = SW_SRC_DEFAULT;
    ck_assert(sw_quality_score(s) == 49.0f);
    /* partial windows weigh 87 */
    for (int i = 0; i < n; i++) s[i] = SW_SRC_OBSERVED;
    s[sw_feature_find("points_avg_last_10")] = SW_SRC_PARTIAL;
    float q = sw_quality_score(s);
    ck_assert(q < 100.0f && q > 99.0f);
    ck_assert_int_eq(sw_tier_of(95), SW_TIER_GOLD);
    ck_assert_int_eq(sw_tier_of(94.9), SW_TIER_SILVER);
    ck_assert_int_eq(sw_tier_of(69), SW_TIER_POOR);
    ck_assert_int_eq(sw_tier_of(49), SW_TIER_CRITICAL);
}
END_TEST

/* A one-game league directory with a player log given in full. */
static const char *tiny_dir(const char *name, const char *player_log)
{
    static char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", tu_tmpdir(), name);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    char path[700];
    snprintf(path, sizeof path, "%s/team_game_logs.csv", dir);
    FILE *fp = fopen(path, "w");
    fprintf(fp, "GAME_ID,GAME_DATE,TEAM_ABBREVIATION,OPP_TEAM_ABBREVIATION,HOME,PTS,OPP_PTS,FGA,FTA,OREB,TOV,MIN\n"
                "0022500001,2025-10-21,AAA,BBB,1,100,90,80,20,10,12,240\n"
                "0022500001,2025-10-21,BBB,AAA,0,90,100,85,15,9,14,240\n");
    fclose(fp);
    snprintf(path, sizeof path, "%s/player_game_logs.csv", dir);
    fp = fopen(path, "w");
    fputs(player_log, fp);
    fclose(fp);
    return dir;
}

START_TEST(loader_errors)
{
    const char *hdr = "GAME_ID,GAME_DATE,PLAYER_ID,PLAYER_NAME,TEAM_ABBREVIATION,OPP_TEAM_ABBREVIATION,HOME,MIN,PTS,FGM,"
                      "FGA,FG3M,FG3A,FTM,FTA,TOV\n";
    const char *good = "0022500001,2025-10-21,1,A,AAA,BBB,1,30,12,5,10,1,3,1,2,1\n";
    struct {
        const char *row, *msg;
        long line;
        long col;
    } bad[] = {
        {"0022500001,2025-10-21,2,B,AAA,BBB,1,30,13,5,10,1,3,1,2,1\n", "PTS 13 != 2*FGM + FG3M + FTM = 12", 3, 9},
        {"0022500001,2025-10-21,2,B,AAA,BBB,1,-3,12,5,10,1,3,1,2,1\n", "MIN", 3, 8},
        {"0022500001,2025-10-21,2,B,AAA,BBB,1,30,24,11,10,1,3,1,2,1\n", "makes exceed attempts", 3, 10},
        {"0022500001,2025-13-21,2,B,AAA,BBB,1,30,12,5,10,1,3,1,2,1\n", "not a date", 3, 2},
        {"0022500001,2025-10-21,2,B,AAA,BBB,1,30,x,5,10,1,3,1,2,1\n", "expected a count", 3, 9},
        {"0022500001,2025-10-21,2,B,CCC,BBB,1,30,12,5,10,1,3,1,2,1\n", "did not play", 3, 5},
        {"0022500009,2025-10-21,2,B,AAA,BBB,1,30,12,5,10,1,3,1,2,1\n", "not in team_game_logs", 3, 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char log[1024];
        snprintf(log, sizeof log, "%s%s%s", hdr, good, bad[i].row);
        char name[32];
        snprintf(name, sizeof name, "bad%zu", i);
        const char *dir = tiny_dir(name, log);
        sw_league *lg;
        sw_error err;
        ck_assert_int_eq(sw_league_load(dir, NULL, &lg, NULL, &err), SW_INVALID_DATA);
        ck_assert_msg(strstr(err.msg, bad[i].msg), "case %zu: %s", i, err.msg);
        ck_assert_msg(strstr(err.file, "player_game_logs.csv"), "case %zu: file %s", i, err.file);
        ck_assert_int_eq(err.line, bad[i].line);
        ck_assert_int_eq(err.col, bad[i].col);
        /* lenient: the row is skipped and counted, the rest loads */
        sw_load_opts lo = {.lenient = 1};
        sw_load_report rep;
        ck_assert_int_eq(sw_league_load(dir, &lo, &lg, &rep, &err), SW_OK);
        ck_assert_int_eq(rep.skipped[SW_FILE_PLAYERS], 1);
        ck_assert_int_eq(sw_league_n_players(lg), 1);
        sw_league_free(lg);
    }
    /* duplicated key and missing column */
    char log[1024];
    snprintf(log, sizeof log, "%s%s%s", hdr, good, good);
    sw_league *lg;
    sw_error err;
    ck_assert_int_eq(sw_league_load(tiny_dir("dup", log), NULL, &lg, NULL, &err), SW_INVALID_DATA);
    ck_assert_ptr_nonnull(strstr(err.msg, "duplicate row for game 0022500001, player 1 (first at line 2)"));
    ck_assert_ptr_nonnull(strstr(err.file, "player_game_logs.csv"));
    ck_assert_int_eq(err.line, 3);
    ck_assert_int_eq(sw_league_load(tiny_dir("nocol", "GAME_ID,GAME_DATE\n0022500001,2025-10-21\n"), NULL, &lg, NULL, &err),
                     SW_MISMATCH);
    ck_assert_ptr_nonnull(strstr(err.msg, "missing columns: PLAYER_ID"));
    ck_assert_int_eq(sw_league_load("/nonexistent", NULL, &lg, NULL, &err), SW_IO);
}
END_TEST

/* ---- issue 13: the configured books are the only books used ---- */

typedef struct {
    char game[16], player[16];
    float line, open;
    int over, under, n;
    char snap[24], osnap[24];
    double cur_d, open_d;
} fd_quote;

static double novig_dist(int over, int under)
{
    double po = over > 0 ? 100.0 / (over + 100.0) : -over / (-over + 100.0);
    double pu = under > 0 ? 100.0 / (under + 100.0) : -under / (-under + 100.0);
    return fabs(po / (po + pu) - 0.5);
}

/* A direct scan of prop_lines.csv: per (game, player) of one date, one book's main
 * line at its latest and earliest snapshot before tip-off. */
static int scan_book(const char *date, const char *book, fd_quote *out, int cap)
{
    char path[600];
    tu_shared_path(path, sizeof path, "data/nba/prop_lines.csv");
    sw_table *t;
    sw_error err;
    ck_assert_msg(sw_table_read_csv(path, NULL, &t, &err) == SW_OK, "%s", err.msg);
    int cd = sw_table_find(t, "GAME_DATE"), cg = sw_table_find(t, "GAME_ID"), cp = sw_table_find(t, "PLAYER_ID"),
        cb = sw_table_find(t, "BOOK"), cl = sw_table_find(t, "LINE"), co = sw_table_find(t, "OVER_PRICE"),
        cu = sw_table_find(t, "UNDER_PRICE"), cs = sw_table_find(t, "SNAPSHOT_TIME"), cc = sw_table_find(t, "COMMENCE_TIME_UTC");
    int n = 0;
    for (long r = 0; r < sw_table_rows(t); r++) {
        if (strcmp(sw_table_str(t, r, cd, NULL), date) || strcmp(sw_table_str(t, r, cb, NULL), book)) continue;
        const char *pid = sw_table_str(t, r, cp, NULL), *snap = sw_table_str(t, r, cs, NULL);
        if (!*pid || strcmp(snap, sw_table_str(t, r, cc, NULL)) >= 0) continue;
        double line, over, under;
        ck_assert_int_eq(sw_table_f64(t, r, cl, &line, &err), SW_OK);
        ck_assert_int_eq(sw_table_f64(t, r, co, &over, &err), SW_OK);
        ck_assert_int_eq(sw_table_f64(t, r, cu, &under, &err), SW_OK);
        int k = 0;
        while (k < n && (strcmp(out[k].game, sw_table_str(t, r, cg, NULL)) || strcmp(out[k].player, pid))) k++;
        double d = novig_dist((int)over, (int)under);
        if (k == n) {
            ck_assert_int_lt(n, cap);
            memset(&out[n], 0, sizeof out[n]);
            snprintf(out[k].game, sizeof out[k].game, "%s", sw_table_str(t, r, cg, NULL));
            snprintf(out[k].player, sizeof out[k].player, "%s", pid);
            n++;
        }
        fd_quote *q = &out[k];
        int later = !q->n || strcmp(snap, q->snap) > 0, same = q->n && !strcmp(snap, q->snap);
        if (later || (same && d < q->cur_d)) {
            q->line = (float)line;
            q->over = (int)over;
            q->under = (int)under;
            q->cur_d = d;
            snprintf(q->snap, sizeof q->snap, "%s", snap);
        }
        int earlier = !q->n || strcmp(snap, q->osnap) < 0, osame = q->n && !strcmp(snap, q->osnap);
        if (earlier || (osame && d < q->open_d)) {
            q->open = (float)line;
            q->open_d = d;
            snprintf(q->osnap, sizeof q->osnap, "%s", snap);
        }
        q->n++;
    }
    sw_table_free(t);
    return n;
}

static sw_frame *slate_with_books(const sw_league *lg, int day, const char *const *books, int n, int *rc, sw_error *err)
{
    sw_feature_request r;
    sw_feature_request_init(&r);
    r.slate_date = day;
    r.books = books;
    r.n_books = n;
    sw_frame *f = NULL;
    *rc = sw_features_build(lg, &r, &f, err);
    return f;
}

START_TEST(only_configured_books)
{
    sw_league *lg = load_real();
    int day = day_of("2025-11-10");
    static fd_quote fd[512];
    int nfd = scan_book("2025-11-10", "fanduel", fd, 512);
    ck_assert_int_gt(nfd, 100);
    const char *books[] = {"fanduel"};
    int rc, fdb = -1;
    sw_error err;
    for (int b = 0; b < sw_league_n_books(lg); b++)
        if (!strcmp(sw_league_book(lg, b), "fanduel")) fdb = b;
    ck_assert_int_ge(fdb, 0);
    sw_frame *f = slate_with_books(lg, day, books, 1, &rc, &err);
    ck_assert_msg(rc == SW_OK, "%s", err.msg);
    sw_frame *all = rows_of_date(lg, day, 1); /* every book */
    int c_line = sw_feature_find("vegas_points_line"), c_open = sw_feature_find("vegas_opening_line"),
        c_move = sw_feature_find("vegas_line_move"), c_cons = sw_feature_find("line_consensus"),
        c_nb = sw_feature_find("line_books"), c_spread = sw_feature_find("line_spread"),
        c_has = sw_feature_find("has_vegas_line");
    ck_assert(c_line >= 0 && c_open >= 0 && c_move >= 0 && c_cons >= 0 && c_nb >= 0 && c_spread >= 0 && c_has >= 0);
    long lined = 0, unlined_elsewhere = 0;
    for (long r = 0; r < sw_frame_rows(f); r++) {
        const sw_frame_meta *m = sw_frame_meta_of(f, r);
        const float *v = sw_frame_values(f, r);
        const char *pid = sw_league_player_id(lg, m->player), *gid = sw_league_game_id(lg, m->game);
        int k = 0;
        while (k < nfd && (strcmp(fd[k].game, gid) || strcmp(fd[k].player, pid))) k++;
        if (k < nfd) {
            lined++;
            ck_assert_msg(m->line_book == fdb, "player %s: book %s", pid, sw_league_book(lg, m->line_book));
            ck_assert_msg(m->line == fd[k].line, "player %s: line %g, fanduel %g", pid, (double)m->line, (double)fd[k].line);
            ck_assert(m->over_price == (float)fd[k].over && m->under_price == (float)fd[k].under);
            ck_assert(v[c_line] == fd[k].line && v[c_open] == fd[k].open && v[c_move] == fd[k].line - fd[k].open);
            ck_assert(v[c_cons] == fd[k].line && v[c_nb] == 1 && v[c_spread] == 0 && v[c_has] == 1);
        } else {
            long j = sw_frame_find(all, m->player, m->game);
            if (j >= 0 && isfinite(sw_frame_meta_of(all, j)->line)) unlined_elsewhere++;
            ck_assert_msg(isnan(m->line) && m->line_book == -1 && isnan(m->over_price), "player %s: line %g from %s", pid,
                          (double)m->line, sw_league_book(lg, m->line_book));
            ck_assert(isnan(v[c_line]) && isnan(v[c_open]) && isnan(v[c_cons]) && v[c_nb] == 0 && v[c_has] == 0);
        }
    }
    ck_assert_int_eq(lined, nfd);           /* every fanduel line reached its row */
    ck_assert_int_gt(unlined_elsewhere, 0); /* rows that other books quote stay without a line */
    sw_frame_free(f);

    /* two books: the first wins, consensus and count over those two only */
    const char *two[] = {"betmgm", "fanduel"};
    f = slate_with_books(lg, day, two, 2, &rc, &err);
    ck_assert_int_eq(rc, SW_OK);
    for (long r = 0; r < sw_frame_rows(f); r++) {
        const sw_frame_meta *m = sw_frame_meta_of(f, r);
        const float *v = sw_frame_values(f, r);
        ck_assert(v[c_nb] <= 2);
        if (m->line_book >= 0) {
            const char *bk = sw_league_book(lg, m->line_book);
            ck_assert_msg(!strcmp(bk, "betmgm") || !strcmp(bk, "fanduel"), "book %s", bk);
        }
    }
    sw_frame_free(f);

    /* an unknown name is an error naming it and the books the data has */
    const char *bad[] = {"fanduel", "nosuchbook"};
    f = slate_with_books(lg, day, bad, 2, &rc, &err);
    ck_assert_int_eq(rc, SW_ARG);
    ck_assert_ptr_null(f);
    ck_assert_msg(strstr(err.msg, "'nosuchbook'") && strstr(err.msg, "draftkings") && strstr(err.msg, "betonlineag") &&
                      strstr(err.msg, "prop_lines.csv"),
                  "%s", err.msg);
    sw_frame_free(all);
    sw_league_free(lg);
}
END_TEST

/* The market of a row against prop_lines.csv read here: the line most of the
 * books quote (ties: the first in the configured order), the best price of
 * each side among the books at it, the mean of their de-vigged P(over). */
START_TEST(market_line_and_best_prices)
{
    sw_league *lg = load_real();
    const char *date = "2025-11-10";
    int day = day_of(date);
    const char *books[] = {"fanduel", "draftkings", "betmgm", "bovada"};
    enum { NB = 4 };
    static fd_quote q[NB][512];
    int nq[NB];
    for (int b = 0; b < NB; b++) nq[b] = scan_book(date, books[b], q[b], 512);
    int rc;
    sw_error err;
    sw_frame *f = slate_with_books(lg, day, books, NB, &rc, &err);
    ck_assert_msg(rc == SW_OK, "%s", err.msg);
    long lined = 0, disagree = 0, shopped = 0;
    for (long r = 0; r < sw_frame_rows(f); r++) {
        const sw_frame_meta *m = sw_frame_meta_of(f, r);
        const char *pid = sw_league_player_id(lg, m->player), *gid = sw_league_game_id(lg, m->game);
        const fd_quote *at[NB] = {NULL};
        int n_at = 0;
        for (int b = 0; b < NB; b++)
            for (int k = 0; k < nq[b]; k++)
                if (!strcmp(q[b][k].game, gid) && !strcmp(q[b][k].player, pid)) at[b] = &q[b][k];
        for (int b = 0; b < NB; b++) n_at += at[b] != NULL;
        if (!n_at) {
            ck_assert(isnan(m->line) && m->line_books == 0 && isnan(m->p_market) && m->over_book == -1);
            continue;
        }
        lined++;
        /* the expected line: most books, ties to the earlier book */
        float want = NAN;
        int want_n = 0;
        for (int b = 0; b < NB; b++) {
            if (!at[b]) continue;
            int c = 0;
            for (int j = 0; j < NB; j++) c += at[j] && at[j]->line == at[b]->line;
            if (c > want_n) {
                want_n = c;
                want = at[b]->line;
            }
        }
        for (int b = 0; b < NB; b++) disagree += at[b] && at[b]->line != want && b == 0;
        ck_assert_msg(m->line == want && m->line_books == want_n, "%s %s: line %g from %d books, want %g from %d", gid,
                      pid, (double)m->line, m->line_books, (double)want, want_n);
        double bo = 0, bu = 0, pm = 0;
        int first = -1;
        for (int b = 0; b < NB; b++) {
            if (!at[b] || at[b]->line != want) continue;
            if (first < 0) first = b;
            bo = fmax(bo, sw_decimal_odds(at[b]->over));
            bu = fmax(bu, sw_decimal_odds(at[b]->under));
            double qo = at[b]->over > 0 ? 100.0 / (100 + at[b]->over) : -at[b]->over / (100.0 - at[b]->over);
            double qu = at[b]->under > 0 ? 100.0 / (100 + at[b]->under) : -at[b]->under / (100.0 - at[b]->under);
            pm += qo / (qo + qu);
        }
        pm /= want_n;
        ck_assert_str_eq(sw_league_book(lg, m->line_book), books[first]);
        ck_assert_double_eq_tol(sw_decimal_odds(m->over_price), bo, 1e-12);
        ck_assert_double_eq_tol(sw_decimal_odds(m->under_price), bu, 1e-12);
        ck_assert_double_eq_tol(m->p_market, pm, 1e-6);
        shopped += sw_decimal_odds(m->over_price) > sw_decimal_odds(at[first]->over) ||
                   sw_decimal_odds(m->under_price) > sw_decimal_odds(at[first]->under);
    }
    ck_assert_int_gt(lined, 100);
    ck_assert_int_gt(disagree, 0); /* the first book's line is not always the market's */
    ck_assert_int_gt(shopped, 0);  /* another book's price beat the first book's */
    /* the odds by hand */
    ck_assert_double_eq_tol(sw_decimal_odds(-110), 1 + 100.0 / 110, 1e-12);
    ck_assert_double_eq_tol(sw_decimal_odds(+150), 2.5, 1e-12);
    ck_assert_double_eq_tol(sw_decimal_odds(NAN), 1 + 100.0 / 110, 1e-12);
    ck_assert_double_eq_tol(sw_devig_over(-120, 100), (120.0 / 220) / (120.0 / 220 + 0.5), 1e-12);
    ck_assert(isnan(sw_devig_over(-110, NAN)));
    sw_frame_free(f);
    sw_league_free(lg);
}
END_TEST

/* ---- issue 13: --lenient skips every kind of malformed row; no box scores is an error ---- */

START_TEST(lenient_skips_malformed_rows)
{
    const char *hdr = "GAME_ID,GAME_DATE,PLAYER_ID,PLAYER_NAME,TEAM_ABBREVIATION,OPP_TEAM_ABBREVIATION,HOME,MIN,PTS,FGM,"
                      "FGA,FG3M,FG3A,FTM,FTA,TOV\n";
    const char *good = "0022500001,2025-10-21,1,A,AAA,BBB,1,30,12,5,10,1,3,1,2,1\n";
    static const struct {
        const char *row, *msg;
        long col;
    } bad[] = {
        {"0022500001,2025-10-21,2,B,AAA,BBB,1,30,12,5,10,1,3,1,2,1,99\n", "expected 16 fields, found 17", 0},
        {"0022500001,2025-10-21,2,B,AAA,BBB,1,30,12,5,10,1,3,1\n", "expected 16 fields, found 14", 0},
        {"0022500001,2025-10-21,2,B,AAA,BBB,1,30,12,5,10,1,3,1,2,1.5\n", "expected a count", 16},
        {"0022500001,2025-10-21,2,B,AAA,BBB,1,30,14,5,10,1,3,1,2,1\n", "PTS 14 != 2*FGM + FG3M + FTM = 12", 9},
        {"0022500001,2025-10-21,1,A,AAA,BBB,1,30,12,5,10,1,3,1,2,1\n", "duplicate row for game 0022500001, player 1", 3},
        {"0022500001,2025-10-21,2,B\"x,AAA,BBB,1,30,12,5,10,1,3,1,2,1\n", "quote inside an unquoted field", 4},
    };
    int nb = (int)(sizeof bad / sizeof bad[0]);
    /* strict: each bad row alone fails, naming file, line and column */
    for (int i = 0; i < nb; i++) {
        char log[1024], name[32];
        snprintf(log, sizeof log, "%s%s%s", hdr, good, bad[i].row);
        snprintf(name, sizeof name, "strict%d", i);
        sw_league *lg;
        sw_error err;
        int rc = sw_league_load(tiny_dir(name, log), NULL, &lg, NULL, &err);
        ck_assert_msg(rc == SW_INVALID_DATA || rc == SW_PARSE, "case %d: %s", i, sw_status_name(rc));
        ck_assert_msg(strstr(err.msg, bad[i].msg), "case %d: %s", i, err.msg);
        ck_assert_msg(strstr(err.file, "player_game_logs.csv"), "case %d: file %s", i, err.file);
        ck_assert_int_eq(err.line, 3);
        ck_assert_int_eq(err.col, bad[i].col);
    }
    /* lenient: all of them in one file are skipped, counted and listed by line; the rest loads */
    char log[4096];
    size_t off = (size_t)snprintf(log, sizeof log, "%s%s", hdr, good);
    for (int i = 0; i < nb; i++) off += (size_t)snprintf(log + off, sizeof log - off, "%s", bad[i].row);
    snprintf(log + off, sizeof log - off, "0022500001,2025-10-21,3,C,BBB,AAA,0,20,4,2,5,0,1,0,0,0\n");
    sw_load_opts lo = {.lenient = 1};
    sw_load_report rep;
    sw_league *lg;
    sw_error err;
    ck_assert_msg(sw_league_load(tiny_dir("lenient", log), &lo, &lg, &rep, &err) == SW_OK, "%s", err.msg);
    ck_assert_int_eq(rep.skipped[SW_FILE_PLAYERS], nb);
    ck_assert_int_eq(rep.rows[SW_FILE_PLAYERS], nb + 2);
    ck_assert_int_eq(sw_league_n_players(lg), 2);
    ck_assert_int_ge(sw_league_find_player(lg, "3"), 0);
    for (int i = 0; i < nb; i++) {
        char where[64];
        snprintf(where, sizeof where, "player_game_logs.csv:%d:", 3 + i);
        int found = 0;
        for (int w = 0; w < rep.n_warnings; w++)
            found |= strstr(rep.warnings[w], where) && strstr(rep.warnings[w], bad[i].msg);
        ck_assert_msg(found, "no warning for line %d (%s)", 3 + i, bad[i].msg);
    }
    sw_league_free(lg);
    /* the team logs too: a short row is skipped when lenient, fatal otherwise */
    const char *dir = tiny_dir("teamwidth", log);
    char path[700];
    snprintf(path, sizeof path, "%s/team_game_logs.csv", dir);
    FILE *fp = fopen(path, "a");
    fputs("0022500002,2025-10-22,AAA,BBB,1,100\n", fp);
    fclose(fp);
    ck_assert_int_eq(sw_league_load(dir, NULL, &lg, NULL, &err), SW_PARSE);
    ck_assert_ptr_nonnull(strstr(err.file, "team_game_logs.csv"));
    ck_assert_int_eq(err.line, 4);
    ck_assert_ptr_nonnull(strstr(err.msg, "expected 12 fields, found 6"));
    ck_assert_msg(sw_league_load(dir, &lo, &lg, &rep, &err) == SW_OK, "%s", err.msg);
    ck_assert_int_eq(rep.skipped[SW_FILE_TEAMS], 1);
    sw_league_free(lg);
    /* the two rows of a team game must be one home and one away naming each other */
    static const struct {
        const char *rows, *msg;
        long col;
    } games[] = {
        {"0022500002,2025-10-22,AAA,BBB,1,100,90,80,20,10,12,240\n0022500002,2025-10-22,BBB,CCC,0,90,100,85,15,9,14,240\n",
         "the row at line 4 AAA against BBB", 4},
        {"0022500002,2025-10-22,AAA,CCC,1,100,90,80,20,10,12,240\n0022500002,2025-10-22,BBB,AAA,0,90,100,85,15,9,14,240\n",
         "the row at line 4 AAA against CCC", 4},
        {"0022500002,2025-10-22,AAA,BBB,1,100,90,80,20,10,12,240\n0022500002,2025-10-22,BBB,AAA,1,90,100,85,15,9,14,240\n",
         "AAA and BBB are both the home team", 5},
        {"0022500002,2025-10-22,AAA,BBB,1,100,90,80,20,10,12,240\n0022500002,2025-10-22,BBB,BBB,0,90,100,85,15,9,14,240\n",
         "BBB plays itself", 4},
    };
    for (size_t i = 0; i < sizeof games / sizeof games[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "teams%zu", i);
        dir = tiny_dir(name, log);
        snprintf(path, sizeof path, "%s/team_game_logs.csv", dir);
        fp = fopen(path, "a");
        fputs(games[i].rows, fp);
        fclose(fp);
        ck_assert_int_eq(sw_league_load(dir, NULL, &lg, NULL, &err), SW_INVALID_DATA);
        ck_assert_msg(strstr(err.msg, games[i].msg), "case %zu: %s", i, err.msg);
        ck_assert_int_eq(err.line, 5);
        ck_assert_int_eq(err.col, games[i].col);
        ck_assert_msg(sw_league_load(dir, &lo, &lg, &rep, &err) == SW_OK, "%s", err.msg);
        ck_assert_int_eq(rep.skipped[SW_FILE_TEAMS], 1);
        sw_league_free(lg);
    }
}
END_TEST

START_TEST(no_box_scores_is_an_error)
{
    const char *hdr = "GAME_ID,GAME_DATE,PLAYER_ID,PLAYER_NAME,TEAM_ABBREVIATION,OPP_TEAM_ABBREVIATION,HOME,MIN,PTS,FGM,"
                      "FGA,FG3M,FG3A,FTM,FTA,TOV\n";
    sw_league *lg;
    sw_error err;
    ck_assert_int_eq(sw_league_load(tiny_dir("header_only", hdr), NULL, &lg, NULL, &err), SW_INVALID_DATA);
    ck_assert_msg(strstr(err.file, "header_only/player_game_logs.csv") && strstr(err.msg, "no box scores"), "%s: %s",
                  err.file, err.msg);
    /* lenient, every row bad: nothing is left, the same error */
    char log[512];
    snprintf(log, sizeof log, "%s0022500001,2025-10-21,1,A,AAA,BBB,1,30,13,5,10,1,3,1,2,1\n", hdr);
    sw_load_opts lo = {.lenient = 1};
    ck_assert_int_eq(sw_league_load(tiny_dir("all_bad", log), &lo, &lg, NULL, &err), SW_INVALID_DATA);
    ck_assert_msg(strstr(err.file, "player_game_logs.csv") && strstr(err.msg, "all 1 rows were skipped"), "%s", err.msg);

    /* the case: the real team logs, lines and odds with a header-only player log */
    char real[512], dir[600], cmd[4096], *out;
    tu_shared_path(real, sizeof real, "data/nba");
    snprintf(dir, sizeof dir, "%s/nobox", tu_tmpdir());
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s && r=$(cd %s && pwd) && for f in team_game_logs prop_lines game_odds player_shot_zones; do "
             "ln -sf $r/$f.csv %s/; done && head -n 1 $r/player_game_logs.csv > %s/player_game_logs.csv",
             dir, real, dir, dir);
    ck_assert_msg(tu_run(cmd, &out) == 0, "%s", out);
    free(out);
    int lrc = sw_league_load(dir, NULL, &lg, NULL, &err);
    ck_assert_msg(lrc == SW_INVALID_DATA, "%s: %s: %s", sw_status_name(lrc), err.file, err.msg);
    ck_assert_msg(strstr(err.file, "nobox/player_game_logs.csv") && strstr(err.msg, "no box scores"), "%s", err.msg);
    ck_assert_int_eq(sw_league_load(dir, &lo, &lg, NULL, &err), SW_INVALID_DATA);
    /* every command that loads data fails on it with the file named */
    const char *cmds[] = {"features build --data %s --date 2025-11-10 --out %s/f.csv",
                          "slate --data %s --date 2025-11-10 --db %s/s.db --models %s/models",
                          "retrain --data %s --until 2025-11-10 --models %s/models%.0s"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char args[2048];
        snprintf(args, sizeof args, cmds[i], dir, tu_tmpdir(), tu_tmpdir());
        snprintf(cmd, sizeof cmd, "%s %s", tu_swish_bin(), args);
        int rc = tu_run(cmd, &out);
        ck_assert_msg(rc == 12 && strstr(out, "player_game_logs.csv") && strstr(out, "no box scores"), "%s: exit %d: %s",
                      args, rc, out);
        free(out);
    }
}
END_TEST

START_TEST(select_by_name)
{
    sw_league *lg = load_real();
    sw_frame *f = rows_of_date(lg, day_of("2025-11-10"), 1);
    const char *names[] = {"ppm_avg_last_10", "points_avg_last_5"};
    sw_matrix *m;
    sw_error err;
    ck_assert_int_eq(sw_frame_select(f, names, 2, &m, &err), SW_OK);
    ck_assert(sw_matrix_get(m, 0, 1) == sw_frame_values(f, 0)[0]);
    sw_matrix_free(m);
    const char *bad[] = {"points_avg_last_5", "player_height", "shoe_size"};
    ck_assert_int_eq(sw_frame_select(f, bad, 3, &m, &err), SW_MISMATCH);
    ck_assert_ptr_nonnull(strstr(err.msg, "player_height, shoe_size"));
    sw_frame_free(f);
    sw_league_free(lg);
}
END_TEST

Suite *features_suite(void)
{
    Suite *s = suite_create("features");
    TCase *tc = tcase_create("features");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, matches_independent_oracle);
    tcase_add_test(tc, by_hand);
    tcase_add_loop_test(tc, no_leakage, 0, (int)(sizeof leak_dates / sizeof leak_dates[0]));
    tcase_add_test(tc, editing_the_game_changes_nothing);
    tcase_add_test(tc, training_rows_equal_slate_rows);
    tcase_add_test(tc, quality_scores);
    tcase_add_test(tc, loader_errors);
    tcase_add_test(tc, select_by_name);
    tcase_add_test(tc, only_configured_books);
    tcase_add_test(tc, market_line_and_best_prices);
    tcase_add_test(tc, lenient_skips_malformed_rows);
    tcase_add_test(tc, no_box_scores_is_an_error);
    suite_add_tcase(s, tc);
    return s;
}
