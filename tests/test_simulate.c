/* test_simulate: the league simulator.
 *
 * One league is simulated once per test case (in the runner, before the
 * tests fork) and read back with core/csv; the tests check what the engine
 * relies on: determinism per seed, the box-score identities on every row,
 * team rows equal to the sums of their players, zones adding up, a schedule of
 * unplayed games after the last played date, well-formed prop lines, and a
 * league shaped like the NBA.  Errors: bad parameters, an unwritable folder,
 * every allocation failure (nothing leaks, no temporary file is left). */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/csv.h"
#include "core/date.h"
#include "core/status.h"
#include "features/simulate.h"
#include "testutil.h"

#define SEED 7ULL

/* Check records every passed ck_assert through a pipe: the loops over a
 * quarter of a million rows only report failures. */
#define CHECK(cond, ...)                                                            \
    do {                                                                            \
        if (!(cond)) ck_abort_msg(__VA_ARGS__);                                     \
    } while (0)
#define CHECK_EQ(a, b)                                                              \
    do {                                                                            \
        long ca_ = (long)(a), cb_ = (long)(b);                                      \
        CHECK(ca_ == cb_, "%s = %ld, %s = %ld", #a, ca_, #b, cb_);                  \
    } while (0)
#define CHECK_STR_EQ(a, b) CHECK(!strcmp((a), (b)), "%s = \"%s\", %s = \"%s\"", #a, (a), #b, (b))

static char g_root[256];
static char g_dir[300];
static int g_rc = -1;
static char g_msg[1200];
static sw_sim_summary g_sum;

static const char *const all_files[] = {"player_game_logs.csv", "team_game_logs.csv",
                                        "player_shot_zones.csv", "prop_lines.csv",
                                        "game_odds.csv",        "schedule.csv",
                                        "injuries.csv"};
#define N_FILES ((int)(sizeof all_files / sizeof all_files[0]))


/* Unchecked fixture: runs once in the runner process, before the tests fork. */
static void league_setup(void)
{
    snprintf(g_root, sizeof g_root, "/tmp/swish-sim-XXXXXX");
    if (!mkdtemp(g_root)) {
        snprintf(g_msg, sizeof g_msg, "mkdtemp failed");
        return;
    }
    snprintf(g_dir, sizeof g_dir, "%s/a", g_root);
    sw_sim_params p = sw_sim_params_default();
    p.seed = SEED;
    sw_error err;
    g_rc = sw_simulate(&p, g_dir, &g_sum, &err);
    if (g_rc != SW_OK) sw_error_format(&err, g_msg, sizeof g_msg);
}

static void league_teardown(void)
{
    if (g_root[0]) tu_remove_tree(g_root);
}

static void need_league(void)
{
    CHECK(g_rc == SW_OK, "simulation failed: %s", g_msg);
}

static sw_table *load(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    sw_table *t = NULL;
    sw_error err;
    int rc = sw_table_read_csv(path, NULL, &t, &err);
    char msg[1200] = "";
    if (rc != SW_OK) sw_error_format(&err, msg, sizeof msg);
    CHECK(rc == SW_OK, "%s", msg);
    return t;
}

static int col(const sw_table *t, const char *name)
{
    int c = sw_table_find(t, name);
    CHECK(c >= 0, "%s: no column %s", sw_table_path(t), name);
    return c;
}

static const char *sv(const sw_table *t, long r, int c) { return sw_table_str(t, r, c, NULL); }

static long iv(const sw_table *t, long r, int c)
{
    long long v;
    int missing;
    sw_error err;
    CHECK_EQ(sw_table_i64(t, r, c, &v, &missing, &err), SW_OK);
    CHECK(!missing, "%s line %ld: %s is empty", sw_table_path(t), sw_table_line(t, r),
                  sw_table_colname(t, c));
    return (long)v;
}

/* "34.5" -> 345: fixed one-decimal text as an exact integer. */
static long tenths(const char *s)
{
    long v = 0;
    int neg = *s == '-', seen_dot = 0, dec = 0;
    for (s += neg; *s; s++) {
        if (*s == '.') {
            seen_dot = 1;
            continue;
        }
        CHECK(*s >= '0' && *s <= '9', "not a decimal: %s", s);
        v = v * 10 + (*s - '0');
        dec += seen_dot;
    }
    CHECK(dec <= 1, "too many decimals");
    if (!dec) v *= 10;
    return neg ? -v : v;
}

static long day_number(const char *ymd)
{
    int d;
    CHECK(sw_date_parse(ymd, strlen(ymd), &d) == 0, "not a date: %s", ymd);
    return d;
}

static int team_index(char codes[][4], int *n, const char *code)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp(codes[i], code)) return i;
    CHECK(*n < 64, "too many teams");
    snprintf(codes[*n], 4, "%s", code);
    return (*n)++;
}

/* ------------------------------------------------------------ determinism */

static int same_file(const char *a, const char *b)
{
    size_t la, lb;
    char *x = tu_slurp(a, &la), *y = tu_slurp(b, &lb);
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_nonnull(y);
    int same = la == lb && memcmp(x, y, la) == 0;
    free(x);
    free(y);
    return same;
}

START_TEST(sim_deterministic)
{
    need_league();
    char b[320], c[320], pa[512], pb[512];
    snprintf(b, sizeof b, "%s/b", g_root);
    snprintf(c, sizeof c, "%s/c", g_root);
    sw_sim_params p = sw_sim_params_default();
    p.seed = SEED;
    sw_sim_summary sb, sc;
    sw_error err;
    CHECK_EQ(sw_simulate(&p, b, &sb, &err), SW_OK);
    ck_assert_mem_eq(&sb, &g_sum, sizeof sb);
    for (int f = 0; f < N_FILES; f++) {
        snprintf(pa, sizeof pa, "%s/%s", g_dir, all_files[f]);
        snprintf(pb, sizeof pb, "%s/%s", b, all_files[f]);
        CHECK(same_file(pa, pb), "%s differs between two runs of one seed", all_files[f]);
    }
    p.seed = SEED + 1;
    CHECK_EQ(sw_simulate(&p, c, &sc, &err), SW_OK);
    const char *differ[] = {"player_game_logs.csv", "team_game_logs.csv", "prop_lines.csv",
                            "injuries.csv"};
    for (int f = 0; f < 4; f++) {
        snprintf(pa, sizeof pa, "%s/%s", g_dir, differ[f]);
        snprintf(pb, sizeof pb, "%s/%s", c, differ[f]);
        CHECK(!same_file(pa, pb), "%s is the same for two seeds", differ[f]);
    }
    CHECK_EQ(sc.players, g_sum.players);
    tu_remove_tree(b);
    tu_remove_tree(c);
}
END_TEST

/* ------------------------------------------------------------- identities */

enum { S_FGM, S_FGA, S_FG3M, S_FG3A, S_FTM, S_FTA, S_OREB, S_DREB, S_AST, S_STL, S_BLK, S_TOV,
       S_PF, S_PTS, S_MIN, S_N };
static const char *const stat_cols[S_N] = {"FGM", "FGA", "FG3M", "FG3A", "FTM", "FTA", "OREB",
                                           "DREB", "AST", "STL", "BLK", "TOV", "PF", "PTS", "MIN"};

START_TEST(sim_box_identities)
{
    need_league();
    sw_table *pl = load(g_dir, "player_game_logs.csv");
    sw_table *tm = load(g_dir, "team_game_logs.csv");
    sw_table *zn = load(g_dir, "player_shot_zones.csv");
    long np = sw_table_rows(pl), nt = sw_table_rows(tm);
    CHECK_EQ(np, g_sum.player_rows);
    CHECK_EQ(nt, g_sum.team_rows);
    CHECK_EQ(sw_table_rows(zn), g_sum.zone_rows);
    int pc[S_N], tc[S_N];
    for (int s = 0; s < S_N; s++) {
        pc[s] = col(pl, stat_cols[s]);
        tc[s] = col(tm, stat_cols[s]);
    }
    int p_gid = col(pl, "GAME_ID"), p_date = col(pl, "GAME_DATE"), p_pid = col(pl, "PLAYER_ID");
    int p_team = col(pl, "TEAM_ABBREVIATION"), p_reb = col(pl, "REB"), p_wl = col(pl, "WL");
    int t_gid = col(tm, "GAME_ID"), t_team = col(tm, "TEAM_ABBREVIATION");
    int t_opp = col(tm, "OPP_TEAM_ABBREVIATION"), t_opp_pts = col(tm, "OPP_PTS");
    int t_wl = col(tm, "WL"), t_home = col(tm, "HOME");

    /* team-game key: game number * 64 + team index (one season) */
    char codes[64][4];
    int ncodes = 0;
    long maxg = 0;
    for (long r = 0; r < nt; r++) {
        long g = atol(sv(tm, r, t_gid)) % 100000;
        if (g > maxg) maxg = g;
    }
    long nkeys = (maxg + 1) * 64;
    long *sums = calloc((size_t)nkeys * S_N, sizeof(long));
    char (*wl)[2] = calloc((size_t)nkeys, 2);
    ck_assert_ptr_nonnull(sums);
    ck_assert_ptr_nonnull(wl);

    long dnp = 0;
    for (long r = 0; r < np; r++) {
        long v[S_N];
        for (int s = 0; s < S_N; s++)
            v[s] = s == S_MIN ? tenths(sv(pl, r, pc[s])) : iv(pl, r, pc[s]);
        long line = sw_table_line(pl, r);
        CHECK(v[S_PTS] == 2 * v[S_FGM] + v[S_FG3M] + v[S_FTM], "line %ld: PTS", line);
        CHECK(v[S_FGM] <= v[S_FGA] && v[S_FG3M] <= v[S_FG3A] && v[S_FTM] <= v[S_FTA] &&
                          v[S_FG3A] <= v[S_FGA] && v[S_FG3M] <= v[S_FGM],
                      "line %ld: makes/attempts", line);
        for (int s = 0; s < S_N; s++) CHECK(v[s] >= 0, "line %ld: negative", line);
        CHECK(iv(pl, r, p_reb) == v[S_OREB] + v[S_DREB], "line %ld: REB", line);
        CHECK(v[S_MIN] <= 630, "line %ld: %ld tenths of a minute", line, v[S_MIN]);
        if (v[S_MIN] == 0) {
            dnp++;
            for (int s = 0; s < S_N; s++) CHECK(v[s] == 0, "line %ld: DNP with stats", line);
        }
        if (r > 0) { /* sorted by GAME_DATE, GAME_ID, PLAYER_ID */
            int c1 = strcmp(sv(pl, r - 1, p_date), sv(pl, r, p_date));
            int c2 = strcmp(sv(pl, r - 1, p_gid), sv(pl, r, p_gid));
            int c3 = strcmp(sv(pl, r - 1, p_pid), sv(pl, r, p_pid));
            CHECK(c1 < 0 || (c1 == 0 && (c2 < 0 || (c2 == 0 && c3 < 0))), "line %ld: order",
                          line);
        }
        long key = (atol(sv(pl, r, p_gid)) % 100000) * 64 +
                   team_index(codes, &ncodes, sv(pl, r, p_team));
        CHECK(key < nkeys, "bad key");
        for (int s = 0; s < S_N; s++) sums[key * S_N + s] += v[s];
        wl[key][0] = sv(pl, r, p_wl)[0];
    }
    ck_assert_int_gt(dnp, 0);

    for (long r = 0; r < nt; r++) {
        long line = sw_table_line(tm, r);
        long key = (atol(sv(tm, r, t_gid)) % 100000) * 64 +
                   team_index(codes, &ncodes, sv(tm, r, t_team));
        CHECK(key < nkeys, "bad key");
        for (int s = 0; s < S_N; s++) {
            long want = iv(tm, r, tc[s]) * (s == S_MIN ? 10 : 1);
            CHECK(sums[key * S_N + s] == want, "team line %ld: %s %ld, players sum to %ld", line,
                          stat_cols[s], want, sums[key * S_N + s]);
        }
        long pts = iv(tm, r, tc[S_PTS]), opp = iv(tm, r, t_opp_pts), min = iv(tm, r, tc[S_MIN]);
        CHECK(pts == 2 * iv(tm, r, tc[S_FGM]) + iv(tm, r, tc[S_FG3M]) + iv(tm, r, tc[S_FTM]),
                      "team line %ld: PTS", line);
        CHECK(pts != opp, "team line %ld: a tie", line);
        CHECK(min >= 240 && (min - 240) % 25 == 0, "team line %ld: MIN %ld", line, min);
        CHECK_STR_EQ(sv(tm, r, t_wl), pts > opp ? "W" : "L");
        CHECK_EQ(wl[key][0], sv(tm, r, t_wl)[0]);
        /* the two rows of a game name each other, one home, one away */
        long other = r % 2 == 0 ? r + 1 : r - 1;
        CHECK(other < nt, "odd number of team rows");
        CHECK_STR_EQ(sv(tm, other, t_gid), sv(tm, r, t_gid));
        CHECK_STR_EQ(sv(tm, other, t_team), sv(tm, r, t_opp));
        CHECK_EQ(iv(tm, other, tc[S_PTS]), opp);
        CHECK_EQ(iv(tm, other, t_home) + iv(tm, r, t_home), 1);
        CHECK_EQ(iv(tm, other, tc[S_MIN]), min);
    }

    /* zones: add up to the shot totals; one row per player-game with FGA > 0 */
    static const char *const zones[] = {"RA", "PAINT", "MID", "CORNER3", "ATB3", "BACKCOURT"};
    int za[6], zm[6];
    char name[32];
    for (int z = 0; z < 6; z++) {
        snprintf(name, sizeof name, "%s_FGA", zones[z]);
        za[z] = col(zn, name);
        snprintf(name, sizeof name, "%s_FGM", zones[z]);
        zm[z] = col(zn, name);
    }
    int z_fga = col(zn, "FGA"), z_fgm = col(zn, "FGM");
    int z_3a = col(zn, "FG3A"), z_3m = col(zn, "FG3M");
    long with_fga = 0;
    for (long r = 0; r < np; r++) with_fga += iv(pl, r, pc[S_FGA]) > 0;
    CHECK_EQ(sw_table_rows(zn), with_fga);
    for (long r = 0; r < sw_table_rows(zn); r++) {
        long a = 0, m = 0, a3 = 0, m3 = 0;
        for (int z = 0; z < 6; z++) {
            long x = iv(zn, r, za[z]), y = iv(zn, r, zm[z]);
            CHECK(y <= x, "zone makes > attempts");
            a += x;
            m += y;
            if (z >= 3) a3 += x, m3 += y;
        }
        CHECK(a > 0, "zone row without attempts");
        CHECK_EQ(a, iv(zn, r, z_fga));
        CHECK_EQ(m, iv(zn, r, z_fgm));
        CHECK_EQ(a3, iv(zn, r, z_3a));
        CHECK_EQ(m3, iv(zn, r, z_3m));
    }
    free(sums);
    free(wl);
    sw_table_free(pl);
    sw_table_free(tm);
    sw_table_free(zn);
}
END_TEST

START_TEST(sim_injured_out_do_not_play)
{
    need_league();
    sw_table *pl = load(g_dir, "player_game_logs.csv");
    sw_table *inj = load(g_dir, "injuries.csv");
    CHECK_EQ(sw_table_rows(inj), g_sum.injury_rows);
    int p_gid = col(pl, "GAME_ID"), p_pid = col(pl, "PLAYER_ID"), p_min = col(pl, "MIN");
    int i_gid = col(inj, "GAME_ID"), i_pid = col(inj, "PLAYER_ID"), i_st = col(inj, "STATUS");
    int i_date = col(inj, "GAME_DATE");
    long out = 0, out_future = 0, seen[5] = {0};
    static const char *const statuses[] = {"available", "probable", "questionable", "doubtful",
                                           "out"};
    /* both files are in game order: walk them together */
    long r = 0, np = sw_table_rows(pl);
    for (long i = 0; i < sw_table_rows(inj); i++) {
        const char *st = sv(inj, i, i_st);
        int known = -1;
        for (int s = 0; s < 5; s++)
            if (!strcmp(st, statuses[s])) known = s;
        CHECK(known >= 0, "injuries.csv line %ld: status %s", sw_table_line(inj, i), st);
        seen[known]++;
        if (strcmp(sv(inj, i, i_date), g_sum.last_played) > 0) {
            out_future += known == 4;
            continue;
        }
        const char *gid = sv(inj, i, i_gid), *pid = sv(inj, i, i_pid);
        while (r < np && strcmp(sv(pl, r, p_gid), gid) < 0) r++;
        long k = r;
        while (k < np && !strcmp(sv(pl, k, p_gid), gid) && strcmp(sv(pl, k, p_pid), pid)) k++;
        CHECK(k < np && !strcmp(sv(pl, k, p_gid), gid), "injured player %s has no row in game %s",
                      pid, gid);
        if (known == 4) {
            out++;
            CHECK(tenths(sv(pl, k, p_min)) == 0, "player %s reported out played in %s", pid, gid);
        }
    }
    for (int s = 0; s < 5; s++) CHECK(seen[s] > 0, "no %s report", statuses[s]);
    ck_assert_int_gt(out, 100);
    ck_assert_int_gt(out_future, 0);
    sw_table_free(pl);
    sw_table_free(inj);
}
END_TEST

/* --------------------------------------------------------------- schedule */

START_TEST(sim_future_schedule)
{
    need_league();
    sw_table *sc = load(g_dir, "schedule.csv");
    sw_table *tm = load(g_dir, "team_game_logs.csv");
    sw_table *od = load(g_dir, "game_odds.csv");
    sw_table *pr = load(g_dir, "prop_lines.csv");
    long ns = sw_table_rows(sc);
    CHECK_EQ(ns, g_sum.schedule_rows);
    ck_assert_int_gt(ns, 20);
    CHECK_EQ(strlen(g_sum.last_played), 10);
    CHECK_EQ(strlen(g_sum.first_future), 10);
    long last = day_number(g_sum.last_played);
    int s_date = col(sc, "GAME_DATE"), s_gid = col(sc, "GAME_ID");
    int s_tip = col(sc, "COMMENCE_TIME_UTC");
    int s_home = col(sc, "HOME_TEAM"), s_away = col(sc, "AWAY_TEAM");
    long first = 1L << 40, max_played = 0;
    int t_date = col(tm, "GAME_DATE"), t_gid = col(tm, "GAME_ID");
    for (long r = 0; r < sw_table_rows(tm); r++) {
        long d = day_number(sv(tm, r, t_date));
        if (d > max_played) max_played = d;
    }
    CHECK_EQ(max_played, last);
    const char *last_gid = sv(tm, sw_table_rows(tm) - 1, t_gid);
    for (long r = 0; r < ns; r++) {
        long d = day_number(sv(sc, r, s_date));
        CHECK(d > last && d <= last + 7, "scheduled on %s", sv(sc, r, s_date));
        if (d < first) first = d;
        CHECK_EQ(strlen(sv(sc, r, s_gid)), 10);
        CHECK(strcmp(sv(sc, r, s_gid), last_gid) > 0, "scheduled game %s has box scores",
                      sv(sc, r, s_gid));
        CHECK(strcmp(sv(sc, r, s_home), sv(sc, r, s_away)), "a team plays itself");
        CHECK_EQ(strlen(sv(sc, r, s_tip)), 20);
    }
    CHECK_EQ(first, day_number(g_sum.first_future));
    /* odds: every game, points only for the played ones */
    CHECK_EQ(sw_table_rows(od), sw_table_rows(tm) / 2 + ns);
    int o_gid = col(od, "GAME_ID"), o_hp = col(od, "HOME_PTS"), o_total = col(od, "TOTAL");
    long future_odds = 0;
    for (long r = 0; r < sw_table_rows(od); r++) {
        int future = strcmp(sv(od, r, o_gid), last_gid) > 0;
        future_odds += future;
        CHECK_EQ(sw_table_missing(od, r, o_hp), future);
        long t = tenths(sv(od, r, o_total));
        CHECK(t % 5 == 0 && t > 1500 && t < 3000, "total %s", sv(od, r, o_total));
    }
    CHECK_EQ(future_odds, ns);
    /* props for the future games too */
    int p_gid = col(pr, "GAME_ID");
    long future_props = 0;
    for (long r = sw_table_rows(pr) - 1; r >= 0 && strcmp(sv(pr, r, p_gid), last_gid) > 0; r--)
        future_props++;
    ck_assert_int_gt(future_props, ns * 20);
    sw_table_free(sc);
    sw_table_free(tm);
    sw_table_free(od);
    sw_table_free(pr);
}
END_TEST

/* ------------------------------------------------------------------ props */

/* American odds -> implied probability. */
static double implied(long price)
{
    return price < 0 ? -price / (100.0 - price) : 100.0 / (price + 100.0);
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

START_TEST(sim_prop_lines)
{
    need_league();
    static const char *const books[] = {"draftkings", "fanduel", "betmgm", "williamhill_us",
                                        "fanatics",   "betrivers", "bovada", "betonlineag"};
    sw_table *pr = load(g_dir, "prop_lines.csv");
    long n = sw_table_rows(pr);
    CHECK_EQ(n, g_sum.prop_rows);
    ck_assert_int_gt(n, 100000);
    int c_line = col(pr, "LINE"), c_over = col(pr, "OVER_PRICE"), c_under = col(pr, "UNDER_PRICE");
    int c_snap = col(pr, "SNAPSHOT_TIME"), c_tip = col(pr, "COMMENCE_TIME_UTC");
    int c_book = col(pr, "BOOK");
    int c_gid = col(pr, "GAME_ID"), c_pid = col(pr, "PLAYER_ID"), c_date = col(pr, "GAME_DATE");
    col(pr, "PLAYER_NAME");
    col(pr, "HOME_TEAM");
    col(pr, "AWAY_TEAM");
    col(pr, "TEAM_ABBREVIATION");
    long *prices = malloc(sizeof(long) * (size_t)n * 2);
    ck_assert_ptr_nonnull(prices);
    double vig_sum = 0;
    long moved = 0;
    for (long r = 0; r < n; r++) {
        long line = sw_table_line(pr, r);
        long l10 = tenths(sv(pr, r, c_line));
        CHECK(l10 % 10 == 5 && l10 > 0 && l10 <= 800, "line %ld: LINE %s", line, sv(pr, r, c_line));
        const char *snap = sv(pr, r, c_snap), *tip = sv(pr, r, c_tip);
        CHECK_EQ(strlen(snap), 20);
        CHECK_EQ(strlen(tip), 20);
        CHECK(strcmp(snap, tip) < 0, "line %ld: snapshot %s after tip-off %s", line, snap, tip);
        CHECK(strncmp(snap, sv(pr, r, c_date), 10) >= 0, "line %ld: snapshot before the game day",
                      line);
        int hh = atoi(tip + 11), mm = atoi(tip + 14);
        CHECK(hh >= 23 || hh * 60 + mm <= 210, "line %ld: tip-off %s", line, tip);
        long over = iv(pr, r, c_over), under = iv(pr, r, c_under);
        CHECK(over <= -100 || over >= 100, "line %ld: price %ld", line, over);
        CHECK(under <= -100 || under >= 100, "line %ld: price %ld", line, under);
        CHECK(over >= -200 && over <= 150 && under >= -200 && under <= 150, "line %ld: prices",
              line);
        double s = implied(over) + implied(under);
        CHECK(s > 1.0 && s < 1.12, "line %ld: overround %g", line, s);
        vig_sum += s - 1;
        prices[2 * r] = over;
        prices[2 * r + 1] = under;
        int known = 0;
        for (int b = 0; b < 8; b++) known |= !strcmp(sv(pr, r, c_book), books[b]);
        CHECK(known, "line %ld: book %s", line, sv(pr, r, c_book));
        /* rows come in pairs: the opening snapshot, then a later one */
        if (r % 2 == 1) {
            CHECK_STR_EQ(sv(pr, r - 1, c_gid), sv(pr, r, c_gid));
            CHECK_STR_EQ(sv(pr, r - 1, c_pid), sv(pr, r, c_pid));
            CHECK_STR_EQ(sv(pr, r - 1, c_book), sv(pr, r, c_book));
            CHECK(strcmp(sv(pr, r - 1, c_snap), snap) < 0, "line %ld: snapshots out of order",
                  line);
            moved += strcmp(sv(pr, r - 1, c_line), sv(pr, r, c_line)) != 0;
        }
    }
    ck_assert_int_gt(moved, n / 20); /* lines move between snapshots */
    double vig = vig_sum / n;
    CHECK(vig > 0.03 && vig < 0.07, "mean overround %g", vig);
    qsort(prices, (size_t)n * 2, sizeof(long), cmp_long);
    long median = prices[n];
    CHECK(median >= -125 && median <= -102, "median price %ld", median);
    /* 4-8 books per player-game, each quoted twice */
    long start = 0;
    while (start < n) {
        long end = start;
        while (end < n && !strcmp(sv(pr, end, c_gid), sv(pr, start, c_gid)) &&
               !strcmp(sv(pr, end, c_pid), sv(pr, start, c_pid)))
            end++;
        long rows = end - start;
        CHECK(rows >= 8 && rows <= 16 && rows % 2 == 0, "line %ld: %ld rows for a player-game",
                      sw_table_line(pr, start), rows);
        start = end;
    }
    free(prices);
    sw_table_free(pr);
}
END_TEST

/* ----------------------------------------------------------- league shape */

START_TEST(sim_league_shape)
{
    need_league();
    CHECK_EQ(g_sum.players, 450);
    CHECK_EQ(g_sum.teams, 30);
    sw_table *pl = load(g_dir, "player_game_logs.csv");
    sw_table *tm = load(g_dir, "team_game_logs.csv");
    sw_table *sc = load(g_dir, "schedule.csv");
    int p_pid = col(pl, "PLAYER_ID"), p_pts = col(pl, "PTS"), p_min = col(pl, "MIN");
    int p_team = col(pl, "TEAM_ABBREVIATION"), p_gid = col(pl, "GAME_ID");
    long np = sw_table_rows(pl);
    /* players: ids 1630000.., so index by id */
    enum { MAXP = 1000 };
    static long games[MAXP], pts_sum[MAXP];
    static char team0[MAXP][4];
    static int moved[MAXP];
    memset(games, 0, sizeof games);
    memset(pts_sum, 0, sizeof pts_sum);
    memset(team0, 0, sizeof team0);
    memset(moved, 0, sizeof moved);
    double s = 0, s2 = 0;
    long played = 0, max_pts = 0, team_games = 0, played_in_team_game = 0;
    long min_played = 99, max_played_n = 0;
    for (long r = 0; r < np; r++) {
        long id = atol(sv(pl, r, p_pid)) - 1630000;
        CHECK(id >= 0 && id < MAXP, "PLAYER_ID %s", sv(pl, r, p_pid));
        const char *team = sv(pl, r, p_team);
        if (!team0[id][0]) snprintf(team0[id], 4, "%s", team);
        else if (strcmp(team0[id], team)) moved[id] = 1;
        /* players per team-game: rows of one team in one game are not adjacent
         * (sorted by player id), so count per game and halve */
        if (r == 0 || strcmp(sv(pl, r - 1, p_gid), sv(pl, r, p_gid))) {
            if (r > 0) {
                team_games += 2;
                if (played_in_team_game < min_played) min_played = played_in_team_game;
                if (played_in_team_game > max_played_n) max_played_n = played_in_team_game;
            }
            played_in_team_game = 0;
        }
        if (tenths(sv(pl, r, p_min)) == 0) continue;
        long pts = iv(pl, r, p_pts);
        played++;
        played_in_team_game++;
        s += pts;
        s2 += (double)pts * pts;
        if (pts > max_pts) max_pts = pts;
        games[id]++;
        pts_sum[id] += pts;
    }
    long distinct = 0, stars = 0, traded = 0;
    for (int i = 0; i < MAXP; i++) {
        distinct += team0[i][0] != 0;
        traded += moved[i];
        if (games[i] >= 20 && (double)pts_sum[i] / games[i] >= 25) stars++;
    }
    CHECK_EQ(distinct, 450);
    double mean = s / played, sd = sqrt(s2 / played - mean * mean);
    CHECK(mean >= 8 && mean <= 14, "points per played game %g", mean);
    CHECK(sd >= 6 && sd <= 11, "points sd %g", sd);
    CHECK(max_pts >= 40, "best game %ld", max_pts);
    CHECK(stars >= 3, "%ld players average 25+", stars);
    CHECK(traded >= 2, "%ld players changed teams", traded);
    double per_team_game = (double)played / (team_games + 2);
    CHECK(per_team_game >= 9 && per_team_game <= 13, "%g players per team-game", per_team_game);
    CHECK(min_played >= 16 && max_played_n <= 30, "players per game %ld..%ld", min_played,
                  max_played_n);
    CHECK((double)(np - played) / np > 0.1, "DNP share %g", (double)(np - played) / np);

    /* 30 teams, 82 games each (played + scheduled), some back-to-backs */
    char codes[64][4];
    int ncodes = 0;
    long ngames[64] = {0}, last_day[64], b2b = 0;
    for (int i = 0; i < 64; i++) last_day[i] = -10;
    int t_team = col(tm, "TEAM_ABBREVIATION"), t_date = col(tm, "GAME_DATE");
    for (long r = 0; r < sw_table_rows(tm); r++) {
        int t = team_index(codes, &ncodes, sv(tm, r, t_team));
        long d = day_number(sv(tm, r, t_date));
        CHECK(d > last_day[t], "two games a day"); /* also: in date order */
        b2b += d == last_day[t] + 1;
        last_day[t] = d;
        ngames[t]++;
    }
    int s_home = col(sc, "HOME_TEAM"), s_away = col(sc, "AWAY_TEAM");
    for (long r = 0; r < sw_table_rows(sc); r++) {
        ngames[team_index(codes, &ncodes, sv(sc, r, s_home))]++;
        ngames[team_index(codes, &ncodes, sv(sc, r, s_away))]++;
    }
    CHECK_EQ(ncodes, 30);
    for (int t = 0; t < 30; t++) CHECK(ngames[t] == 82, "%s plays %ld games", codes[t], ngames[t]);
    CHECK(b2b >= 30 * 6 && b2b <= 30 * 22, "%ld back-to-backs", b2b);
    sw_table_free(pl);
    sw_table_free(tm);
    sw_table_free(sc);
}
END_TEST

/* ----------------------------------------------------------------- errors */

static int tmp_files_left(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) n += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

START_TEST(sim_errors)
{
    need_league();
    sw_error err;
    sw_sim_summary sum;
    char dir[320], file[320], bad[400];
    snprintf(dir, sizeof dir, "%s/e", g_root);
    sw_sim_params p = sw_sim_params_default();
    p.seasons = 0;
    CHECK_EQ(sw_simulate(&p, dir, &sum, &err), SW_ARG);
    p = sw_sim_params_default();
    p.future_days = -1;
    CHECK_EQ(sw_simulate(&p, dir, &sum, &err), SW_ARG);
    p = sw_sim_params_default();
    p.first_season = 1800;
    CHECK_EQ(sw_simulate(&p, dir, &sum, &err), SW_ARG);
    CHECK_EQ(sw_simulate(NULL, dir, &sum, &err), SW_ARG);
    /* a folder that cannot be created: its parent is a file */
    snprintf(file, sizeof file, "%s/plain", g_root);
    FILE *fp = fopen(file, "w");
    ck_assert_ptr_nonnull(fp);
    fclose(fp);
    snprintf(bad, sizeof bad, "%s/sub", file);
    p = sw_sim_params_default();
    CHECK_EQ(sw_simulate(&p, bad, &sum, &err), SW_IO);
    CHECK(strstr(err.file, "plain") != NULL, "error names %s", err.file);
    /* every allocation failure: SW_NOMEM, nothing left behind */
    int reached_ok = 0;
    for (long k = 0; k < 200 && !reached_ok; k++) {
        sw_alloc_fail_after(k);
        int rc = sw_simulate(&p, dir, &sum, &err);
        sw_alloc_fail_after(-1);
        CHECK(rc == SW_OK || rc == SW_NOMEM, "allocation %ld: %s", k, sw_status_name(rc));
        CHECK_EQ(tmp_files_left(dir), 0);
        reached_ok = rc == SW_OK;
    }
    ck_assert(reached_ok);
    tu_remove_tree(dir);
}
END_TEST

Suite *simulate_suite(void); /* until testutil.h lists it */

Suite *simulate_suite(void)
{
    Suite *s = suite_create("simulate");
    TCase *tc = tcase_create("simulate");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, league_setup, league_teardown);
    tcase_add_test(tc, sim_deterministic);
    tcase_add_test(tc, sim_box_identities);
    tcase_add_test(tc, sim_injured_out_do_not_play);
    tcase_add_test(tc, sim_future_schedule);
    tcase_add_test(tc, sim_prop_lines);
    tcase_add_test(tc, sim_league_shape);
    tcase_add_test(tc, sim_errors);
    suite_add_tcase(s, tc);
    return s;
}
