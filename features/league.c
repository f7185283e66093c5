/* league: loading and validating a data directory (docs/DATA.md) into indexed
 * tables.  Every rejected value names its file, line and column; lenient loads
 * skip such rows and count them. */
#include "league_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/csv.h"
#include "core/date.h"
#include "core/fileio.h"
#include "core/num.h"

static const char *const file_names[7] = {"player_game_logs.csv", "team_game_logs.csv", "player_shot_zones.csv",
                                          "prop_lines.csv",       "game_odds.csv",      "schedule.csv",
                                          "injuries.csv"};

const char *sw_league_file_name(int file) { return file >= 0 && file < 7 ? file_names[file] : "?"; }

typedef struct {
    sw_league *lg;
    const sw_load_opts *o;
    sw_load_report *rep;
    sw_error *err;
    int file;
} ldctx;

static void warn(ldctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(ldctx *c, const char *fmt, ...)
{
    int maxw = c->o && c->o->max_warnings > 0 && c->o->max_warnings < 20 ? c->o->max_warnings : 20;
    if (c->rep->n_warnings >= maxw) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->rep->warnings[c->rep->n_warnings++], 256, fmt, ap);
    va_end(ap);
}

/* A bad row: fatal unless lenient (then counted, first few kept as warnings). */
static int bad_row(ldctx *c, const sw_table *t, long r, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int bad_row(ldctx *c, const sw_table *t, long r, int col, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->o && c->o->lenient) {
        c->rep->skipped[c->file]++;
        sw_error e;
        sw_table_error(t, r, col, &e, SW_INVALID_DATA, "%s", msg);
        char line[256];
        sw_error_format(&e, line, sizeof line);
        warn(c, "skipped: %s", line);
        return SW_OK;
    }
    return sw_table_error(t, r, col, c->err, SW_INVALID_DATA, "%s", msg);
}

static int col_of(const sw_table *t, const char *name) { return sw_table_find(t, name); }

static int read_table(ldctx *c, const char *const *cols, int n, const char *const *required, int nreq,
                      int optional_file, sw_table **out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", c->lg->dir, file_names[c->file]);
    *out = NULL;
    if (optional_file && !sw_file_exists(path)) return SW_OK;
    int lenient = c->o && c->o->lenient;
    sw_csv_opts o = {.columns = cols, .n_columns = n, .allow_missing_columns = 1, .skip_bad_rows = lenient};
    SW_TRY(sw_table_read_csv(path, &o, out, c->err));
    int rc = sw_table_require(*out, required, nreq, c->err);
    if (rc) {
        sw_table_free(*out);
        *out = NULL;
        return rc;
    }
    /* lenient: rows the CSV reader left out (wrong number of fields, stray quotes)
     * are skipped and counted like every other bad row */
    long nbad = sw_table_n_skipped(*out);
    for (long i = 0; i < nbad; i++) {
        long line, col;
        const char *why = sw_table_skipped(*out, i, &line, &col);
        sw_error e;
        sw_error_set(&e, SW_PARSE, path, line, col, -1, "%s", why);
        char msg[256];
        sw_error_format(&e, msg, sizeof msg);
        warn(c, "skipped: %s", msg);
    }
    c->rep->skipped[c->file] += nbad;
    c->rep->rows[c->file] = sw_table_rows(*out) + nbad;
    return SW_OK;
}

/* A required file with no usable row: everything rests on the box scores, so this
 * is an error (never an empty league that quietly predicts nothing). */
static int no_rows(ldctx *c)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", c->lg->dir, file_names[c->file]);
    long read = c->rep->rows[c->file];
    if (!read)
        return sw_error_set(c->err, SW_INVALID_DATA, path, 0, 0, -1, "no box scores: the file has no rows after its header");
    return sw_error_set(c->err, SW_INVALID_DATA, path, 0, 0, -1, "no box scores: all %ld rows were skipped as invalid",
                        read);
}

/* Rows accepted so far by key (game, player or team): duplicated keys are found
 * as rows are read, so both lines can be named and a lenient load skips the
 * later row.  key_row: the table row holding (a, b), -1 none. */
static long key_row(const sw_strmap *m, int a, int b)
{
    int32_t key[2] = {a, b};
    return sw_strmap_get(m, (const char *)key, sizeof key);
}

static int key_put(sw_strmap *m, int a, int b, long r)
{
    int32_t key[2] = {a, b};
    return sw_strmap_put(m, (const char *)key, sizeof key, (int)r);
}

/* Integer count cell (>= 0); missing is an error. */
static int count_cell(ldctx *c, const sw_table *t, long r, int col, int *v, int *bad)
{
    long long x;
    int missing;
    sw_error e;
    if (sw_table_i64(t, r, col, &x, &missing, &e) != SW_OK || missing) {
        double d;
        /* counts written as 12.0 are accepted */
        if (!missing && sw_table_f64(t, r, col, &d, &e) == SW_OK && d == floor(d) && d >= 0 && d < 10000) {
            *v = (int)d;
            return SW_OK;
        }
        *bad = 1;
        return bad_row(c, t, r, col, "column %s: expected a count, got '%s'", sw_table_colname(t, col),
                       sw_table_str(t, r, col, NULL));
    }
    if (x < 0 || x > 10000) {
        *bad = 1;
        return bad_row(c, t, r, col, "column %s: %lld is not a valid count", sw_table_colname(t, col), x);
    }
    *v = (int)x;
    return SW_OK;
}

static int date_cell(ldctx *c, const sw_table *t, long r, int col, int *day, int *bad)
{
    size_t len;
    const char *s = sw_table_str(t, r, col, &len);
    if (sw_date_parse(s, len, day) != 0) {
        *bad = 1;
        return bad_row(c, t, r, col, "column %s: '%s' is not a date (YYYY-MM-DD)", sw_table_colname(t, col), s);
    }
    return SW_OK;
}

/* Minutes: decimal or MM:SS; missing counts as 0 (a DNP). */
static int minutes_cell(ldctx *c, const sw_table *t, long r, int col, double max, float *v, int *bad)
{
    size_t len;
    const char *s = sw_table_str(t, r, col, &len);
    if (sw_is_missing_token(s, len)) {
        *v = 0;
        return SW_OK;
    }
    const char *colon = memchr(s, ':', len);
    double m = -1;
    if (colon) {
        long long mm, ss;
        if (sw_parse_i64(s, (size_t)(colon - s), &mm) == 0 && sw_parse_i64(colon + 1, len - (size_t)(colon - s) - 1, &ss) == 0 &&
            ss >= 0 && ss < 60)
            m = (double)mm + (double)ss / 60.0;
    } else if (sw_parse_f64(s, len, &m) != 0 || !isfinite(m)) {
        m = NAN;
    }
    if (!(m >= 0) || m > max) {
        *bad = 1;
        return bad_row(c, t, r, col, "column MIN: '%s' is not a valid number of minutes (0 to %g)", s, max);
    }
    *v = (float)m;
    return SW_OK;
}

static int home_cell(ldctx *c, const sw_table *t, long r, int col, int *home, int *bad)
{
    size_t len;
    const char *s = sw_table_str(t, r, col, &len);
    if (len == 1 && (s[0] == '0' || s[0] == '1')) {
        *home = s[0] == '1';
        return SW_OK;
    }
    *bad = 1;
    return bad_row(c, t, r, col, "column HOME: expected 0 or 1, got '%s'", s);
}

static int intern(sw_strmap *m, char ***names, int *n, int *cap, const char *s, size_t len)
{
    int k = sw_strmap_get(m, s, len);
    if (k >= 0) return k;
    if (*n >= *cap) {
        int nc = *cap ? *cap * 2 : 256;
        char **nn = sw_realloc_array(*names, (size_t)nc, sizeof *nn);
        if (!nn) return -1;
        *names = nn;
        *cap = nc;
    }
    (*names)[*n] = sw_strndup(s, len);
    if (!(*names)[*n] || sw_strmap_put(m, s, len, *n)) return -1;
    return (*n)++;
}

/* Player index of an id, added (with an optional name) when new. */
static int add_player(sw_league *lg, const char *id, size_t len, const char *name)
{
    int p = sw_strmap_get(lg->pmap, id, len);
    if (p < 0) {
        if (lg->n_players >= lg->cap_players) {
            int nc = lg->cap_players ? lg->cap_players * 2 : 1024;
            char **a = sw_realloc_array(lg->pid, (size_t)nc, sizeof *a);
            if (a) lg->pid = a;
            char **b = sw_realloc_array(lg->pname, (size_t)nc, sizeof *b);
            if (b) lg->pname = b;
            if (!a || !b) return -1;
            lg->cap_players = nc;
        }
        p = lg->n_players;
        lg->pid[p] = sw_strndup(id, len);
        lg->pname[p] = NULL;
        if (!lg->pid[p] || sw_strmap_put(lg->pmap, id, len, p)) return -1;
        lg->n_players++;
    }
    if (name && *name && !lg->pname[p] && !(lg->pname[p] = sw_strdup(name))) return -1;
    return p;
}

static int game_type(const char *id)
{
    if (strlen(id) >= 3 && id[0] == '0' && id[1] == '0' && id[2] >= '1' && id[2] <= '9') return id[2] - '0';
    return 2;
}

static int add_game(sw_league *lg, const char *id, size_t len, int date)
{
    int g = sw_strmap_get(lg->gmap, id, len);
    if (g >= 0) return g;
    if (len >= sizeof lg->games[0].id) return -2;
    if (lg->n_games >= lg->cap_games) {
        int nc = lg->cap_games ? lg->cap_games * 2 : 1024;
        sw__game *ng = sw_realloc_array(lg->games, (size_t)nc, sizeof *ng);
        if (!ng) return -1;
        lg->games = ng;
        lg->cap_games = nc;
    }
    sw__game *gm = &lg->games[lg->n_games];
    memset(gm, 0, sizeof *gm);
    memcpy(gm->id, id, len);
    gm->id[len] = 0;
    gm->date = date;
    gm->home = gm->away = -1;
    gm->season = sw_date_season(date);
    gm->type = game_type(gm->id);
    gm->tipoff = -1;
    gm->total = NAN;
    if (sw_strmap_put(lg->gmap, id, len, lg->n_games)) return -1;
    return lg->n_games++;
}

/* ------------------------------------------------------------ team logs */


typedef struct {
    const int32_t *k1, *k2, *k3;
} sortkeys;

/* qsort_r (glibc, _GNU_SOURCE) passes the keys: leagues may load on several threads */
static int cmp_idx(const void *a, const void *b, void *ctx)
{
    const sortkeys *k = ctx;
    long x = *(const long *)a, y = *(const long *)b;
    if (k->k1[x] != k->k1[y]) return k->k1[x] < k->k1[y] ? -1 : 1;
    if (k->k2[x] != k->k2[y]) return k->k2[x] < k->k2[y] ? -1 : 1;
    if (k->k3 && k->k3[x] != k->k3[y]) return k->k3[x] < k->k3[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

#define PERMUTE(arr, type)                                                                         \
    do {                                                                                           \
        type *tmp_ = sw_alloc_array((size_t)n + 1, sizeof(type));                                  \
        if (!tmp_) goto oom;                                                                       \
        for (long i_ = 0; i_ < n; i_++) tmp_[i_] = (arr)[perm[i_]];                                \
        sw_free(arr);                                                                              \
        (arr) = tmp_;                                                                              \
    } while (0)

static int load_teams(ldctx *c)
{
    sw_league *lg = c->lg;
    static const char *cols[] = {"GAME_ID", "GAME_DATE", "TEAM_ABBREVIATION", "OPP_TEAM_ABBREVIATION", "HOME",
                                 "PTS",     "OPP_PTS",   "FGA",               "FTA",                   "OREB",
                                 "TOV",     "MIN"};
    sw_table *t;
    c->file = SW_FILE_TEAMS;
    SW_TRY(read_table(c, cols, 12, cols, 11, 0, &t));
    long n = sw_table_rows(t);
    sw__trows *T = &lg->T;
    int32_t *team = sw_alloc_array((size_t)n + 1, sizeof *team);
    T->date = sw_alloc_array((size_t)n + 1, sizeof *T->date);
    T->game = sw_alloc_array((size_t)n + 1, sizeof *T->game);
    T->opp = sw_alloc_array((size_t)n + 1, sizeof *T->opp);
    T->home = sw_alloc_array((size_t)n + 1, 1);
    T->win = sw_alloc_array((size_t)n + 1, 1);
    T->has_def = sw_calloc((size_t)n + 1, 1);
    T->pts = sw_alloc_array((size_t)n + 1, sizeof(float));
    T->opp_pts = sw_alloc_array((size_t)n + 1, sizeof(float));
    T->poss = sw_alloc_array((size_t)n + 1, sizeof(float));
    T->opp_poss = sw_alloc_array((size_t)n + 1, sizeof(float));
    T->min = sw_alloc_array((size_t)n + 1, sizeof(float));
    T->fga = sw_alloc_array((size_t)n + 1, sizeof(float));
    T->fta = sw_alloc_array((size_t)n + 1, sizeof(float));
    T->tov = sw_alloc_array((size_t)n + 1, sizeof(float));
    T->def_fga = sw_calloc((size_t)n + 1, sizeof *T->def_fga);
    T->def_fgm = sw_calloc((size_t)n + 1, sizeof *T->def_fgm);
    long *perm = NULL;
    int rc = SW_OK;
    sw_strmap *seen = sw_strmap_create((size_t)n + 1);
    if (!seen || !team || !T->date || !T->game || !T->opp || !T->home || !T->win || !T->has_def || !T->pts || !T->opp_pts ||
        !T->poss || !T->opp_poss || !T->min || !T->fga || !T->fta || !T->tov || !T->def_fga || !T->def_fgm)
        goto oom;
    int cg = col_of(t, "GAME_ID"), cd = col_of(t, "GAME_DATE"), ct = col_of(t, "TEAM_ABBREVIATION"),
        co = col_of(t, "OPP_TEAM_ABBREVIATION"), ch = col_of(t, "HOME"), cp = col_of(t, "PTS"), cop = col_of(t, "OPP_PTS"),
        cfga = col_of(t, "FGA"), cfta = col_of(t, "FTA"), creb = col_of(t, "OREB"), ctov = col_of(t, "TOV"),
        cmin = col_of(t, "MIN");
    long k = 0;
    for (long r = 0; r < n; r++) {
        int bad = 0, day, home, pts, opts, fga, fta, oreb, tov;
        if ((rc = date_cell(c, t, r, cd, &day, &bad)) || bad) goto next;
        if ((rc = home_cell(c, t, r, ch, &home, &bad)) || bad) goto next;
        if ((rc = count_cell(c, t, r, cp, &pts, &bad)) || bad) goto next;
        if ((rc = count_cell(c, t, r, cop, &opts, &bad)) || bad) goto next;
        if ((rc = count_cell(c, t, r, cfga, &fga, &bad)) || bad) goto next;
        if ((rc = count_cell(c, t, r, cfta, &fta, &bad)) || bad) goto next;
        if ((rc = count_cell(c, t, r, creb, &oreb, &bad)) || bad) goto next;
        if ((rc = count_cell(c, t, r, ctov, &tov, &bad)) || bad) goto next;
        float min = 240;
        if (cmin >= 0 && !sw_table_missing(t, r, cmin) && ((rc = minutes_cell(c, t, r, cmin, 600, &min, &bad)) || bad)) goto next;
        if (cmin >= 0 && min < 200) {
            if ((rc = bad_row(c, t, r, cmin, "column MIN: team minutes %.0f below 240", (double)min))) goto done;
            goto next;
        }
        size_t gl, tl, ol;
        const char *gid = sw_table_str(t, r, cg, &gl), *tc = sw_table_str(t, r, ct, &tl), *oc = sw_table_str(t, r, co, &ol);
        if (!gl || !tl || !ol) {
            if ((rc = bad_row(c, t, r, !gl ? cg : !tl ? ct : co, "empty id"))) goto done;
            goto next;
        }
        int ti = intern(lg->tmap, &lg->tcode, &lg->n_teams, &lg->cap_teams, tc, tl);
        int oi = intern(lg->tmap, &lg->tcode, &lg->n_teams, &lg->cap_teams, oc, ol);
        int g = add_game(lg, gid, gl, day);
        if (g == -2) {
            if ((rc = bad_row(c, t, r, cg, "GAME_ID '%s' is too long", gid))) goto done;
            goto next;
        }
        if (g < 0 || ti < 0 || oi < 0) goto oom;
        sw__game *gm = &lg->games[g];
        if (gm->date != day) {
            if ((rc = bad_row(c, t, r, cd, "game %s is dated %s here and differently in another row", gid,
                              sw_table_str(t, r, cd, NULL))))
                goto done;
            goto next;
        }
        long first = key_row(seen, g, ti);
        if (first >= 0) {
            if ((rc = bad_row(c, t, r, ct, "duplicate row for game %s, team %s (first at line %ld)", gid, tc,
                              sw_table_line(t, first))))
                goto done;
            goto next;
        }
        /* the two rows of a game: one home, one away, each naming the other */
        int same = home ? gm->home : gm->away, other = home ? gm->away : gm->home;
        if (ti == oi) {
            if ((rc = bad_row(c, t, r, co, "team %s plays itself in game %s", tc, gid))) goto done;
            goto next;
        }
        if (same >= 0) {
            if ((rc = bad_row(c, t, r, ch, "game %s: %s and %s are both the %s team", gid, lg->tcode[same], tc,
                              home ? "home" : "away")))
                goto done;
            goto next;
        }
        long orow = other >= 0 ? key_row(seen, g, other) : -1;
        const char *their_opp = orow >= 0 ? sw_table_str(t, orow, co, NULL) : tc;
        if ((other >= 0 && other != oi) || strcmp(their_opp, tc)) {
            if ((rc = bad_row(c, t, r, co, "game %s: this row is %s against %s, the row at line %ld %s against %s", gid,
                              tc, oc, sw_table_line(t, orow), lg->tcode[other], their_opp)))
                goto done;
            goto next;
        }
        if (key_put(seen, g, ti, r)) goto oom;
        gm->played = 1;
        if (home) gm->home = ti;
        else gm->away = ti;
        team[k] = ti;
        T->date[k] = day;
        T->game[k] = g;
        T->opp[k] = (int16_t)oi;
        T->home[k] = (uint8_t)home;
        T->pts[k] = (float)pts;
        T->opp_pts[k] = (float)opts;
        T->win[k] = pts > opts;
        T->fga[k] = (float)fga;
        T->fta[k] = (float)fta;
        T->tov[k] = (float)tov;
        T->poss[k] = (float)(fga + 0.44 * fta + tov - oreb);
        T->min[k] = min;
        k++;
    next:;
        if (rc) goto done; /* strict: the first bad row fails the load */
    }
    if (k == 0) {
        rc = no_rows(c);
        goto done;
    }
    n = k;
    T->n = n;
    /* sort by (team, date, game) */
    perm = sw_alloc_array((size_t)n + 1, sizeof *perm);
    if (!perm) goto oom;
    for (long i = 0; i < n; i++) perm[i] = i;
    sortkeys keys = {team, T->date, T->game};
    qsort_r(perm, (size_t)n, sizeof *perm, cmp_idx, &keys);
    PERMUTE(team, int32_t);
    PERMUTE(T->date, int32_t);
    PERMUTE(T->game, int32_t);
    PERMUTE(T->opp, int16_t);
    PERMUTE(T->home, uint8_t);
    PERMUTE(T->win, uint8_t);
    PERMUTE(T->pts, float);
    PERMUTE(T->opp_pts, float);
    PERMUTE(T->poss, float);
    PERMUTE(T->min, float);
    PERMUTE(T->fga, float);
    PERMUTE(T->fta, float);
    PERMUTE(T->tov, float);
    T->season = sw_alloc_array((size_t)n + 1, sizeof *T->season);
    T->start = sw_calloc((size_t)lg->n_teams + 2, sizeof *T->start);
    if (!T->start || !T->season) goto oom;
    for (long i = 0; i < n; i++) T->season[i] = (int16_t)lg->games[T->game[i]].season;
    for (long i = 0; i < n; i++) T->start[team[i] + 1]++;
    for (int i = 0; i < lg->n_teams; i++) T->start[i + 1] += T->start[i];
    /* opponent possessions: the other row of the game */
    for (long i = 0; i < n; i++) {
        int o = T->opp[i];
        T->opp_poss[i] = NAN;
        long lo = T->start[o], hi = T->start[o + 1];
        while (lo < hi) { /* rows of the opponent by date, then game */
            long mid = (lo + hi) / 2;
            if (T->date[mid] < T->date[i] || (T->date[mid] == T->date[i] && T->game[mid] < T->game[i])) lo = mid + 1;
            else hi = mid;
        }
        if (lo < T->start[o + 1] && T->game[lo] == T->game[i]) T->opp_poss[i] = T->poss[lo];
    }
    goto done;
oom:
    rc = sw_fail(c->err, SW_NOMEM, "out of memory loading %s", file_names[SW_FILE_TEAMS]);
done:
    sw_strmap_free(seen);
    sw_free(team);
    sw_free(perm);
    sw_table_free(t);
    return rc;
}

/* ------------------------------------------------------------- schedule */

static int load_schedule(ldctx *c)
{
    sw_league *lg = c->lg;
    static const char *cols[] = {"GAME_DATE", "GAME_ID", "HOME_TEAM", "AWAY_TEAM", "COMMENCE_TIME_UTC"};
    sw_table *t;
    c->file = SW_FILE_SCHEDULE;
    SW_TRY(read_table(c, cols, 5, cols, 4, 1, &t));
    if (!t) return SW_OK;
    int rc = SW_OK;
    int ctip = col_of(t, "COMMENCE_TIME_UTC");
    for (long r = 0; r < sw_table_rows(t); r++) {
        int bad = 0, day;
        if ((rc = date_cell(c, t, r, 0, &day, &bad))) break;
        if (bad) continue;
        size_t gl, hl, al;
        const char *gid = sw_table_str(t, r, 1, &gl), *hc = sw_table_str(t, r, 2, &hl), *ac = sw_table_str(t, r, 3, &al);
        int h = sw_strmap_get(lg->tmap, hc, hl), a = sw_strmap_get(lg->tmap, ac, al);
        if (h < 0 || a < 0 || !gl) {
            /* never fatal: the rest of the slate still runs */
            c->rep->skipped[SW_FILE_SCHEDULE]++;
            warn(c, "%s:%ld: game %s skipped: unknown team '%s'", file_names[SW_FILE_SCHEDULE], sw_table_line(t, r), gid,
                 h < 0 ? hc : ac);
            continue;
        }
        int g = add_game(lg, gid, gl, day);
        if (g == -2) {
            if ((rc = bad_row(c, t, r, 1, "GAME_ID '%s' is too long", gid))) break;
            continue;
        }
        if (g < 0) {
            rc = sw_fail(c->err, SW_NOMEM, "out of memory");
            break;
        }
        sw__game *gm = &lg->games[g];
        if (gm->played && (gm->home != h || gm->away != a || gm->date != day)) {
            warn(c, "%s:%ld: game %s disagrees with team_game_logs; the box scores win", file_names[SW_FILE_SCHEDULE],
                 sw_table_line(t, r), gid);
            continue;
        }
        gm->home = h;
        gm->away = a;
        if (ctip >= 0 && !sw_table_missing(t, r, ctip)) {
            size_t l;
            const char *s = sw_table_str(t, r, ctip, &l);
            int64_t ts;
            if (sw_datetime_parse(s, l, &ts) == 0) gm->tipoff = ts;
        }
    }
    sw_table_free(t);
    return rc;
}

/* ---------------------------------------------------------- player logs */

static int player_index(sw_league *lg);

static int load_players(ldctx *c)
{
    sw_league *lg = c->lg;
    static const char *cols[] = {"GAME_ID", "GAME_DATE", "PLAYER_ID", "TEAM_ABBREVIATION", "OPP_TEAM_ABBREVIATION",
                                 "HOME",    "MIN",       "PTS",       "FGM",               "FGA",
                                 "FG3M",    "FG3A",      "FTM",       "FTA",               "TOV",
                                 "PLAYER_NAME"};
    sw_table *t;
    c->file = SW_FILE_PLAYERS;
    SW_TRY(read_table(c, cols, 16, cols, 15, 0, &t));
    long n = sw_table_rows(t);
    sw__prows *P = &lg->P;
    P->player = sw_alloc_array((size_t)n + 1, sizeof *P->player);
    P->date = sw_alloc_array((size_t)n + 1, sizeof *P->date);
    P->game = sw_alloc_array((size_t)n + 1, sizeof *P->game);
    P->team = sw_alloc_array((size_t)n + 1, sizeof *P->team);
    P->opp = sw_alloc_array((size_t)n + 1, sizeof *P->opp);
    P->home = sw_alloc_array((size_t)n + 1, 1);
    P->played = sw_alloc_array((size_t)n + 1, 1);
    P->has_zone = sw_calloc((size_t)n + 1, 1);
    P->min = sw_alloc_array((size_t)n + 1, sizeof(float));
    int16_t **ints[8] = {&P->pts, &P->fgm, &P->fga, &P->fg3m, &P->fg3a, &P->ftm, &P->fta, &P->tov};
    for (int i = 0; i < 8; i++) *ints[i] = sw_alloc_array((size_t)n + 1, sizeof(int16_t));
    P->zfga = sw_calloc((size_t)n + 1, sizeof *P->zfga);
    P->zfgm = sw_calloc((size_t)n + 1, sizeof *P->zfgm);
    long *perm = NULL;
    int rc = SW_OK;
    sw_strmap *seen = sw_strmap_create((size_t)n + 1);
    int ok = seen && P->player && P->date && P->game && P->team && P->opp && P->home && P->played && P->has_zone && P->min &&
             P->zfga && P->zfgm;
    for (int i = 0; i < 8; i++) ok = ok && *ints[i];
    if (!ok) goto oom;
    int cname = col_of(t, "PLAYER_NAME");
    long k = 0;
    for (long r = 0; r < n; r++) {
        int bad = 0, day, home, v[8];
        float min;
        if ((rc = date_cell(c, t, r, 1, &day, &bad)) || bad) goto next;
        if ((rc = home_cell(c, t, r, 5, &home, &bad)) || bad) goto next;
        if ((rc = minutes_cell(c, t, r, 6, 90, &min, &bad)) || bad) goto next;
        for (int i = 0; i < 8; i++)
            if ((rc = count_cell(c, t, r, 7 + i, &v[i], &bad)) || bad) goto next;
        /* v: PTS FGM FGA FG3M FG3A FTM FTA TOV */
        if (v[0] != 2 * v[1] + v[3] + v[5]) {
            if ((rc = bad_row(c, t, r, 7, "PTS %d != 2*FGM + FG3M + FTM = %d", v[0], 2 * v[1] + v[3] + v[5]))) goto done;
            goto next;
        }
        if (v[1] > v[2] || v[3] > v[4] || v[5] > v[6] || v[4] > v[2] || v[3] > v[1]) {
            int col = v[1] > v[2] ? 8 : v[3] > v[4] ? 10 : v[5] > v[6] ? 12 : 10;
            if ((rc = bad_row(c, t, r, col, "makes exceed attempts (FGM %d FGA %d FG3M %d FG3A %d FTM %d FTA %d)", v[1],
                              v[2], v[3], v[4], v[5], v[6])))
                goto done;
            goto next;
        }
        size_t gl, pl, tl, ol;
        const char *gid = sw_table_str(t, r, 0, &gl), *pid = sw_table_str(t, r, 2, &pl);
        const char *tc = sw_table_str(t, r, 3, &tl), *oc = sw_table_str(t, r, 4, &ol);
        int g = sw_strmap_get(lg->gmap, gid, gl);
        int ti = sw_strmap_get(lg->tmap, tc, tl), oi = sw_strmap_get(lg->tmap, oc, ol);
        if (!pl) {
            if ((rc = bad_row(c, t, r, 2, "empty PLAYER_ID"))) goto done;
            goto next;
        }
        if (g < 0 || !lg->games[g].played) {
            if ((rc = bad_row(c, t, r, 0, "game %s is not in team_game_logs.csv", gid))) goto done;
            goto next;
        }
        if (ti < 0 || oi < 0 || (lg->games[g].home != ti && lg->games[g].away != ti)) {
            if ((rc = bad_row(c, t, r, 3, "team %s did not play game %s", tc, gid))) goto done;
            goto next;
        }
        if (lg->games[g].date != day) {
            if ((rc = bad_row(c, t, r, 1, "game %s is on another date in team_game_logs.csv", gid))) goto done;
            goto next;
        }
        int p = add_player(lg, pid, pl, cname >= 0 ? sw_table_str(t, r, cname, NULL) : NULL);
        if (p < 0) goto oom;
        long first = key_row(seen, g, p);
        if (first >= 0) {
            if ((rc = bad_row(c, t, r, 2, "duplicate row for game %s, player %s (first at line %ld)", gid, pid,
                              sw_table_line(t, first))))
                goto done;
            goto next;
        }
        if (key_put(seen, g, p, r)) goto oom;
        P->player[k] = p;
        P->date[k] = day;
        P->game[k] = g;
        P->team[k] = (int16_t)ti;
        P->opp[k] = (int16_t)oi;
        P->home[k] = (uint8_t)home;
        P->min[k] = min;
        P->played[k] = min > 0 || v[0] > 0;
        for (int i = 0; i < 8; i++) (*ints[i])[k] = (int16_t)v[i];
        k++;
    next:;
        if (rc) goto done;
    }
    if (k == 0) {
        rc = no_rows(c);
        goto done;
    }
    n = k;
    P->n = n;
    perm = sw_alloc_array((size_t)n + 1, sizeof *perm);
    if (!perm) goto oom;
    for (long i = 0; i < n; i++) perm[i] = i;
    sortkeys keys = {P->player, P->date, P->game};
    qsort_r(perm, (size_t)n, sizeof *perm, cmp_idx, &keys);
    PERMUTE(P->player, int32_t);
    PERMUTE(P->date, int32_t);
    PERMUTE(P->game, int32_t);
    PERMUTE(P->team, int16_t);
    PERMUTE(P->opp, int16_t);
    PERMUTE(P->home, uint8_t);
    PERMUTE(P->played, uint8_t);
    PERMUTE(P->min, float);
    for (int i = 0; i < 8; i++) PERMUTE(*ints[i], int16_t);
    if ((rc = player_index(lg))) goto done;
    P->season = sw_alloc_array((size_t)n + 1, sizeof *P->season);
    if (!P->season) goto oom;
    for (long i = 0; i < n; i++) P->season[i] = (int16_t)lg->games[P->game[i]].season;
    goto done;
oom:
    rc = sw_fail(c->err, SW_NOMEM, "out of memory loading %s", file_names[SW_FILE_PLAYERS]);
done:
    sw_strmap_free(seen);
    sw_free(perm);
    sw_table_free(t);
    return rc;
}

/* Per-player row ranges (players added later, by props, get empty ranges). */
static int player_index(sw_league *lg)
{
    sw__prows *P = &lg->P;
    sw_free(P->start);
    P->start = sw_calloc((size_t)lg->n_players + 2, sizeof *P->start);
    if (!P->start) return SW_NOMEM;
    for (long i = 0; i < P->n; i++) P->start[P->player[i] + 1]++;
    for (int i = 0; i < lg->n_players; i++) P->start[i + 1] += P->start[i];
    return SW_OK;
}

/* Row of (player, game), -1 if none. */
static long player_row(const sw_league *lg, int p, int g)
{
    if (p < 0) return -1;
    int day = lg->games[g].date;
    long lo = lg->P.start[p], hi = lg->P.start[p + 1];
    while (lo < hi) {
        long mid = (lo + hi) / 2;
        if (lg->P.date[mid] < day || (lg->P.date[mid] == day && lg->P.game[mid] < g)) lo = mid + 1;
        else hi = mid;
    }
    return lo < lg->P.start[p + 1] && lg->P.game[lo] == g ? lo : -1;
}

static long team_row(const sw_league *lg, int t, int g)
{
    if (t < 0) return -1;
    int day = lg->games[g].date;
    long lo = lg->T.start[t], hi = lg->T.start[t + 1];
    while (lo < hi) {
        long mid = (lo + hi) / 2;
        if (lg->T.date[mid] < day || (lg->T.date[mid] == day && lg->T.game[mid] < g)) lo = mid + 1;
        else hi = mid;
    }
    return lo < lg->T.start[t + 1] && lg->T.game[lo] == g ? lo : -1;
}

/* ----------------------------------------------------------- shot zones */

static int load_zones(ldctx *c)
{
    sw_league *lg = c->lg;
    static const char *cols[] = {"GAME_ID",    "PLAYER_ID",  "TEAM_ABBREVIATION", "RA_FGA",     "RA_FGM",
                                 "PAINT_FGA",  "PAINT_FGM",  "MID_FGA",           "MID_FGM",    "CORNER3_FGA",
                                 "CORNER3_FGM", "ATB3_FGA",  "ATB3_FGM"};
    sw_table *t;
    c->file = SW_FILE_ZONES;
    SW_TRY(read_table(c, cols, 13, cols, 13, 1, &t));
    if (!t) return SW_OK;
    int rc = SW_OK;
    for (long r = 0; r < sw_table_rows(t); r++) {
        size_t gl, pl, tl;
        const char *gid = sw_table_str(t, r, 0, &gl), *pid = sw_table_str(t, r, 1, &pl), *tc = sw_table_str(t, r, 2, &tl);
        int g = sw_strmap_get(lg->gmap, gid, gl);
        if (g < 0) continue; /* a game outside the logs: nothing to attach to */
        int v[10], bad = 0;
        for (int i = 0; i < 10; i++)
            if ((rc = count_cell(c, t, r, 3 + i, &v[i], &bad)) || bad) break;
        if (rc) break;
        if (bad) continue;
        for (int i = 0; i < 10; i += 2) {
            if (v[i + 1] > v[i]) {
                if ((rc = bad_row(c, t, r, 4 + i, "makes exceed attempts in a zone"))) goto done;
                bad = 1;
                break;
            }
        }
        if (bad) continue;
        int fga[3] = {v[0] + v[2], v[4], v[6] + v[8]}, fgm[3] = {v[1] + v[3], v[5], v[7] + v[9]};
        long pr = player_row(lg, sw_strmap_get(lg->pmap, pid, pl), g);
        if (pr >= 0) {
            lg->P.has_zone[pr] = 1;
            for (int z = 0; z < 3; z++) {
                lg->P.zfga[pr][z] = (int16_t)fga[z];
                lg->P.zfgm[pr][z] = (int16_t)fgm[z];
            }
        }
        /* the shooters' zones are the defence of the team they faced */
        int ti = sw_strmap_get(lg->tmap, tc, tl);
        const sw__game *gm = &lg->games[g];
        int opp = ti == gm->home ? gm->away : ti == gm->away ? gm->home : -1;
        long tr = team_row(lg, opp, g);
        if (tr >= 0) {
            lg->T.has_def[tr] = 1;
            for (int z = 0; z < 3; z++) {
                lg->T.def_fga[tr][z] += fga[z];
                lg->T.def_fgm[tr][z] += fgm[z];
            }
        }
    }
done:
    sw_table_free(t);
    return rc;
}

/* ---------------------------------------------------------------- props */

static int cmp_prop(const void *a, const void *b)
{
    const sw__prop *x = a, *y = b;
    if (x->game != y->game) return x->game < y->game ? -1 : 1;
    if (x->player != y->player) return x->player < y->player ? -1 : 1;
    if (x->book != y->book) return x->book < y->book ? -1 : 1;
    if (x->snap != y->snap) return x->snap < y->snap ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static int load_props(ldctx *c)
{
    sw_league *lg = c->lg;
    static const char *cols[] = {"GAME_ID", "PLAYER_ID", "BOOK", "LINE", "OVER_PRICE", "UNDER_PRICE", "SNAPSHOT_TIME",
                                 "COMMENCE_TIME_UTC"};
    sw_table *t;
    c->file = SW_FILE_PROPS;
    SW_TRY(read_table(c, cols, 8, cols, 7, 1, &t));
    if (!t) return SW_OK;
    long n = sw_table_rows(t);
    lg->props = sw_alloc_array((size_t)n + 1, sizeof *lg->props);
    if (!lg->props) {
        sw_table_free(t);
        return sw_fail(c->err, SW_NOMEM, "out of memory");
    }
    int rc = SW_OK, cct = col_of(t, "COMMENCE_TIME_UTC");
    int bcap = 0;
    for (long r = 0; r < n; r++) {
        size_t gl, pl, bl;
        const char *gid = sw_table_str(t, r, 0, &gl), *pid = sw_table_str(t, r, 1, &pl), *bk = sw_table_str(t, r, 2, &bl);
        if (!pl) {
            c->rep->skipped[SW_FILE_PROPS]++; /* unmapped sportsbook name */
            continue;
        }
        int g = sw_strmap_get(lg->gmap, gid, gl);
        if (g < 0) {
            c->rep->skipped[SW_FILE_PROPS]++;
            warn(c, "%s:%ld: game %s is not scheduled; line ignored", file_names[SW_FILE_PROPS], sw_table_line(t, r), gid);
            continue;
        }
        double line, over, under;
        sw_error e;
        int bad = 0;
        if (sw_table_f64(t, r, 3, &line, &e) || sw_table_f64(t, r, 4, &over, &e) || sw_table_f64(t, r, 5, &under, &e) ||
            isnan(over) || isnan(under) || fabs(over) < 100 || fabs(under) < 100) {
            if ((rc = bad_row(c, t, r, 4, "line or prices are not valid American odds"))) break;
            continue;
        }
        if (!(line > 0 && line <= 80)) {
            /* never fatal: a made-up or broken line is dropped, the player gets none */
            c->rep->skipped[SW_FILE_PROPS]++;
            warn(c, "%s:%ld: line %g for player %s outside (0, 80]; ignored", file_names[SW_FILE_PROPS],
                 sw_table_line(t, r), line, pid);
            continue;
        }
        size_t sl;
        const char *ss = sw_table_str(t, r, 6, &sl);
        int64_t snap, tip = -1;
        if (sw_datetime_parse(ss, sl, &snap) != 0) {
            if ((rc = bad_row(c, t, r, 6, "SNAPSHOT_TIME '%s' is not an ISO UTC time", ss))) break;
            continue;
        }
        if (cct >= 0 && !sw_table_missing(t, r, cct)) {
            size_t cl;
            const char *cs = sw_table_str(t, r, cct, &cl);
            if (sw_datetime_parse(cs, cl, &tip) != 0) {
                if ((rc = bad_row(c, t, r, cct, "COMMENCE_TIME_UTC '%s' is not an ISO UTC time", cs))) break;
                continue;
            }
        }
        (void)bad;
        int p = add_player(lg, pid, pl, NULL);
        int b = intern(lg->bmap, &lg->books, &lg->n_books, &bcap, bk, bl);
        if (p < 0 || b < 0) {
            rc = sw_fail(c->err, SW_NOMEM, "out of memory");
            break;
        }
        if (b >= SW__MAX_BOOKS) {
            rc = sw_table_error(t, r, 2, c->err, SW_RANGE, "more than %d distinct books ('%s' is one too many)",
                                SW__MAX_BOOKS, bk);
            break;
        }
        if (tip < 0) tip = lg->games[g].tipoff;
        if (tip >= 0 && lg->games[g].tipoff < 0) lg->games[g].tipoff = tip;
        lg->props[lg->n_props++] = (sw__prop){g, p, b, (float)line, (int)over, (int)under, snap, tip};
    }
    qsort(lg->props, (size_t)lg->n_props, sizeof *lg->props, cmp_prop);
    sw_table_free(t);
    return rc;
}

/* ----------------------------------------------------------------- odds */

static int load_odds(ldctx *c)
{
    sw_league *lg = c->lg;
    static const char *cols[] = {"GAME_DATE", "HOME_TEAM", "TOTAL", "GAME_ID"};
    sw_table *t;
    c->file = SW_FILE_ODDS;
    SW_TRY(read_table(c, cols, 4, cols, 3, 1, &t));
    if (!t) return SW_OK;
    int cg = col_of(t, "GAME_ID");
    /* games by (date, home team) for rows without an id */
    for (long r = 0; r < sw_table_rows(t); r++) {
        int g = -1;
        if (cg >= 0 && !sw_table_missing(t, r, cg)) {
            size_t gl;
            const char *gid = sw_table_str(t, r, cg, &gl);
            g = sw_strmap_get(lg->gmap, gid, gl);
        }
        if (g < 0) continue; /* odds for games swish does not know (older seasons) */
        double total;
        sw_error e;
        if (sw_table_f64(t, r, 2, &total, &e) != SW_OK) {
            int rc = bad_row(c, t, r, 2, "TOTAL is not a number");
            if (rc) {
                sw_table_free(t);
                return rc;
            }
            continue;
        }
        if (total > 100 && total < 400) lg->games[g].total = (float)total;
    }
    sw_table_free(t);
    return SW_OK;
}

/* ------------------------------------------------------------- injuries */

static int cmp_inj(const void *a, const void *b)
{
    const sw__injury *x = a, *y = b;
    if (x->date != y->date) return x->date < y->date ? -1 : 1;
    return x->player < y->player ? -1 : x->player > y->player;
}

static int load_injuries(ldctx *c)
{
    sw_league *lg = c->lg;
    static const char *cols[] = {"GAME_DATE", "PLAYER_ID", "STATUS"};
    sw_table *t;
    c->file = SW_FILE_INJURIES;
    SW_TRY(read_table(c, cols, 3, cols, 3, 1, &t));
    if (!t) return SW_OK;
    long n = sw_table_rows(t);
    lg->inj = sw_alloc_array((size_t)n + 1, sizeof *lg->inj);
    if (!lg->inj) {
        sw_table_free(t);
        return sw_fail(c->err, SW_NOMEM, "out of memory");
    }
    static const char *const names[] = {"available", "probable", "questionable", "doubtful", "out"};
    int rc = SW_OK;
    for (long r = 0; r < n; r++) {
        int bad = 0, day;
        if ((rc = date_cell(c, t, r, 0, &day, &bad))) break;
        if (bad) continue;
        size_t pl, sl;
        const char *pid = sw_table_str(t, r, 1, &pl), *st = sw_table_str(t, r, 2, &sl);
        int status = -1;
        for (int k = 0; k < 5; k++)
            if (strlen(names[k]) == sl && strncasecmp(st, names[k], sl) == 0) status = k;
        if (status < 0) {
            if ((rc = bad_row(c, t, r, 2, "STATUS '%s' is not available, probable, questionable, doubtful or out", st))) break;
            continue;
        }
        int p = sw_strmap_get(lg->pmap, pid, pl);
        if (p < 0) {
            c->rep->skipped[SW_FILE_INJURIES]++; /* a player with no box scores */
            continue;
        }
        lg->inj[lg->n_inj++] = (sw__injury){day, p, (uint8_t)status};
    }
    qsort(lg->inj, (size_t)lg->n_inj, sizeof *lg->inj, cmp_inj);
    sw_table_free(t);
    return rc;
}

/* ------------------------------------------------------------ top level */

int sw_league_load(const char *dir, const sw_load_opts *opts, sw_league **out, sw_load_report *report,
                   sw_error *err)
{
    *out = NULL;
    sw_load_report local;
    if (!report) report = &local;
    memset(report, 0, sizeof *report);
    double t0 = sw_clock_now();
    sw_league *lg = sw_calloc(1, sizeof *lg);
    if (!lg) return sw_fail(err, SW_NOMEM, "out of memory");
    lg->dir = sw_strdup(dir);
    lg->pmap = sw_strmap_create(4096);
    lg->tmap = sw_strmap_create(64);
    lg->gmap = sw_strmap_create(16384);
    lg->bmap = sw_strmap_create(16);
    if (!lg->dir || !lg->pmap || !lg->tmap || !lg->gmap || !lg->bmap) {
        sw_league_free(lg);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    ldctx c = {lg, opts, report, err, 0};
    int rc;
    /* teams first (they define games and team codes), then the rest */
    rc = load_teams(&c);
    if (rc == SW_OK) rc = load_schedule(&c);
    if (rc == SW_OK) rc = load_players(&c);
    if (rc == SW_OK) rc = load_zones(&c);
    if (rc == SW_OK) rc = load_props(&c);
    if (rc == SW_OK) rc = load_odds(&c);
    if (rc == SW_OK) rc = load_injuries(&c);
    if (rc) {
        if (err && !err->file[0]) snprintf(err->file, sizeof err->file, "%.200s/%s", dir, file_names[c.file]);
        sw_league_free(lg);
        return rc;
    }
    if (player_index(lg) != SW_OK) { /* props may have added players without rows */
        sw_league_free(lg);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    lg->first_played = lg->last_played = lg->last_scheduled = -1;
    for (int g = 0; g < lg->n_games; g++) {
        int d = lg->games[g].date;
        if (lg->games[g].played) {
            if (lg->first_played < 0 || d < lg->first_played) lg->first_played = d;
            if (d > lg->last_played) lg->last_played = d;
        }
        if (d > lg->last_scheduled) lg->last_scheduled = d;
    }
    report->seconds = sw_clock_now() - t0;
    *out = lg;
    return SW_OK;
}

void sw_league_free(sw_league *lg)
{
    if (!lg) return;
    sw_free(lg->dir);
    sw_strmap_free(lg->pmap);
    sw_strmap_free(lg->tmap);
    sw_strmap_free(lg->gmap);
    sw_strmap_free(lg->bmap);
    for (int i = 0; i < lg->n_players; i++) {
        sw_free(lg->pid[i]);
        if (lg->pname) sw_free(lg->pname[i]);
    }
    sw_free(lg->pid);
    sw_free(lg->pname);
    for (int i = 0; i < lg->n_teams; i++) sw_free(lg->tcode[i]);
    sw_free(lg->tcode);
    for (int i = 0; i < lg->n_books; i++) sw_free(lg->books[i]);
    sw_free(lg->books);
    sw_free(lg->games);
    sw__prows *P = &lg->P;
    void *pa[] = {P->player, P->date, P->game, P->team, P->opp, P->season, P->home, P->played, P->has_zone, P->min, P->pts, P->fgm,
                  P->fga, P->fg3m, P->fg3a, P->ftm, P->fta, P->tov, P->zfga, P->zfgm, P->start};
    for (size_t i = 0; i < sizeof pa / sizeof pa[0]; i++) sw_free(pa[i]);
    sw__trows *T = &lg->T;
    void *ta[] = {T->date, T->game, T->opp, T->season, T->home, T->win, T->has_def, T->pts, T->opp_pts, T->poss, T->opp_poss,
                  T->min, T->fga, T->fta, T->tov, T->def_fga, T->def_fgm, T->start};
    for (size_t i = 0; i < sizeof ta / sizeof ta[0]; i++) sw_free(ta[i]);
    sw_free(lg->props);
    sw_free(lg->inj);
    sw_free(lg);
}

/* ---------------------------------------------------------- accessors */

int sw_league_n_players(const sw_league *lg) { return lg->n_players; }
int sw_league_find_player(const sw_league *lg, const char *id) { return sw_strmap_get(lg->pmap, id, strlen(id)); }
const char *sw_league_player_id(const sw_league *lg, int p) { return p >= 0 && p < lg->n_players ? lg->pid[p] : ""; }
const char *sw_league_player_name(const sw_league *lg, int p)
{
    if (p < 0 || p >= lg->n_players) return "";
    return lg->pname && lg->pname[p] ? lg->pname[p] : lg->pid[p];
}
int sw_league_n_teams(const sw_league *lg) { return lg->n_teams; }
const char *sw_league_team_code(const sw_league *lg, int t) { return t >= 0 && t < lg->n_teams ? lg->tcode[t] : "?"; }
int sw_league_find_team(const sw_league *lg, const char *code) { return sw_strmap_get(lg->tmap, code, strlen(code)); }
int sw_league_n_games(const sw_league *lg) { return lg->n_games; }
int sw_league_find_game(const sw_league *lg, const char *id) { return sw_strmap_get(lg->gmap, id, strlen(id)); }
const char *sw_league_game_id(const sw_league *lg, int g) { return lg->games[g].id; }
int sw_league_game_date(const sw_league *lg, int g) { return lg->games[g].date; }
int sw_league_game_home(const sw_league *lg, int g) { return lg->games[g].home; }
int sw_league_game_away(const sw_league *lg, int g) { return lg->games[g].away; }
int sw_league_game_played(const sw_league *lg, int g) { return lg->games[g].played; }
int sw_league_n_books(const sw_league *lg) { return lg->n_books; }
const char *sw_league_book(const sw_league *lg, int b) { return b >= 0 && b < lg->n_books ? lg->books[b] : ""; }

void sw_league_date_range(const sw_league *lg, int *first_played, int *last_played, int *last_scheduled)
{
    if (first_played) *first_played = lg->first_played;
    if (last_played) *last_played = lg->last_played;
    if (last_scheduled) *last_scheduled = lg->last_scheduled;
}

long sw_league_game_box_scores(const sw_league *lg, int g)
{
    long n = 0;
    for (long r = 0; r < lg->P.n; r++) n += lg->P.game[r] == g;
    return n;
}

int sw_league_result(const sw_league *lg, int player, int game, double *pts, double *min)
{
    if (player < 0 || player >= lg->n_players || game < 0 || game >= lg->n_games) return 0;
    long r = player_row(lg, player, game);
    if (r < 0) return 0;
    *pts = lg->P.pts[r];
    *min = lg->P.min[r];
    return 1;
}

/* ------------------------------------------------------- as-of helpers */

long sw__player_asof(const sw_league *lg, int p, int day)
{
    long lo = lg->P.start[p], hi = lg->P.start[p + 1];
    while (lo < hi) {
        long mid = (lo + hi) / 2;
        if (lg->P.date[mid] < day) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

long sw__team_asof(const sw_league *lg, int t, int day)
{
    long lo = lg->T.start[t], hi = lg->T.start[t + 1];
    while (lo < hi) {
        long mid = (lo + hi) / 2;
        if (lg->T.date[mid] < day) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

int sw__injury_status(const sw_league *lg, int day, int player)
{
    long lo = 0, hi = lg->n_inj;
    while (lo < hi) {
        long mid = (lo + hi) / 2;
        if (lg->inj[mid].date < day || (lg->inj[mid].date == day && lg->inj[mid].player < player)) lo = mid + 1;
        else hi = mid;
    }
    return lo < lg->n_inj && lg->inj[lo].date == day && lg->inj[lo].player == player ? lg->inj[lo].status : -1;
}

void sw__props_of(const sw_league *lg, int game, int player, long *first, long *end)
{
    long lo = 0, hi = lg->n_props;
    while (lo < hi) {
        long mid = (lo + hi) / 2;
        const sw__prop *q = &lg->props[mid];
        if (q->game < game || (q->game == game && q->player < player)) lo = mid + 1;
        else hi = mid;
    }
    long e = lo;
    while (e < lg->n_props && lg->props[e].game == game && lg->props[e].player == player) e++;
    *first = lo;
    *end = e;
}
