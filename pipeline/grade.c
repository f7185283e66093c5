/* grade: outcomes of stored predictions (see grade.h). */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/date.h"
#include "features/features.h"
#include "grade.h"

double sw_units_won(double price)
{
    if (!isfinite(price) || (price > -100 && price < 100)) price = -110;
    return price > 0 ? price / 100.0 : 100.0 / -price;
}

/* A number of a stored feature vector (JSON by name); NaN when null or absent. */
static double json_num(const char *js, const char *name)
{
    if (!js) return NAN;
    char pat[80];
    snprintf(pat, sizeof pat, "\"%s\":", name);
    const char *p = strstr(js, pat);
    if (!p) return NAN;
    p += strlen(pat);
    if (!strncmp(p, "null", 4)) return NAN;
    return strtod(p, NULL);
}

static int fail(sqlite3 *db, sw_error *err, int rc, const char *what)
{
    return sw_fail(err, rc == SQLITE_BUSY ? SW_BUSY : SW_DB, "%s: %s", what, sqlite3_errmsg(db));
}

int sw_grade_date(sw_store *st, const sw_league *lg, int date, sw_grade_result *res, sw_error *err)
{
    sw_grade_result local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    sqlite3 *db = sw_store_db(st);
    char ds[11], now[24];
    sw_date_format(date, ds);
    time_t tt = time(NULL);
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc) return fail(db, err, rc, "cannot start grading");
    sqlite3_stmt *sel = NULL, *del = NULL, *ins = NULL;
    int out = SW_OK;
    if ((rc = sqlite3_prepare_v2(db,
                                 "SELECT p.game_id, p.player_id, p.system, p.model_version, p.line, p.prediction,"
                                 " p.recommendation, p.over_price, p.under_price, f.vals FROM predictions p"
                                 " LEFT JOIN features f ON f.game_date = p.game_date AND f.game_id = p.game_id"
                                 " AND f.player_id = p.player_id AND f.feature_set = ?2 WHERE p.game_date = ?1 ORDER BY p.game_id",
                                 -1, &sel, NULL)) ||
        (rc = sqlite3_prepare_v2(db, "DELETE FROM grades WHERE game_date = ?", -1, &del, NULL)) ||
        (rc = sqlite3_prepare_v2(db, "INSERT INTO grades VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &ins, NULL))) {
        out = fail(db, err, rc, "preparing grading");
        goto done;
    }
    sqlite3_bind_text(del, 1, ds, -1, SQLITE_STATIC);
    if ((rc = sqlite3_step(del)) != SQLITE_DONE) {
        out = fail(db, err, rc, "replacing earlier grades");
        goto done;
    }
    sqlite3_bind_text(sel, 1, ds, -1, SQLITE_STATIC);
    sqlite3_bind_text(sel, 2, SW_FEATURE_SET, -1, SQLITE_STATIC);
    int last_game = -1, has_box = 0;
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        res->predictions++;
        const char *gid = (const char *)sqlite3_column_text(sel, 0), *pid = (const char *)sqlite3_column_text(sel, 1);
        int g = sw_league_find_game(lg, gid), pl = sw_league_find_player(lg, pid);
        if (g < 0 || !sw_league_game_played(lg, g)) {
            res->pending++;
            continue;
        }
        if (g != last_game) {
            last_game = g;
            has_box = sw_league_game_box_scores(lg, g) > 0;
        }
        if (!has_box) {
            res->pending++;
            res->no_box_scores++;
            continue;
        }
        double line = sqlite3_column_type(sel, 4) == SQLITE_NULL ? NAN : sqlite3_column_double(sel, 4);
        double pred = sqlite3_column_type(sel, 5) == SQLITE_NULL ? NAN : sqlite3_column_double(sel, 5);
        const char *rec = (const char *)sqlite3_column_text(sel, 6);
        double op = sqlite3_column_type(sel, 7) == SQLITE_NULL ? NAN : sqlite3_column_double(sel, 7);
        double up = sqlite3_column_type(sel, 8) == SQLITE_NULL ? NAN : sqlite3_column_double(sel, 8);
        const char *vals = (const char *)sqlite3_column_text(sel, 9);
        double pts = NAN, min = NAN;
        int played = pl >= 0 && sw_league_result(lg, pl, g, &pts, &min) && min > 0;
        const char *outcome;
        double units = NAN, u110 = NAN, abs_err = NAN;
        int bet = isfinite(line) && (!strcmp(rec, "OVER") || !strcmp(rec, "UNDER"));
        if (!played) {
            outcome = "VOID";
            res->void_++;
            pts = played ? pts : NAN;
        } else {
            if (isfinite(pred)) abs_err = fabs(pred - pts);
            if (!bet) {
                outcome = "NO_BET";
                res->no_bet++;
            } else if (pts == line) {
                outcome = "PUSH";
                units = u110 = 0;
                res->push++;
            } else {
                int over = !strcmp(rec, "OVER");
                int hit = over ? pts > line : pts < line;
                outcome = hit ? "HIT" : "MISS";
                units = hit ? sw_units_won(over ? op : up) : -1.0;
                u110 = hit ? 100.0 / 110.0 : -1.0;
                if (hit) res->hit++;
                else res->miss++;
            }
        }
        sqlite3_reset(ins);
        sqlite3_clear_bindings(ins);
        sqlite3_bind_text(ins, 1, ds, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, gid, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 3, pid, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 4, (const char *)sqlite3_column_text(sel, 2), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 5, (const char *)sqlite3_column_text(sel, 3), -1, SQLITE_TRANSIENT);
        if (played) {
            sqlite3_bind_double(ins, 6, pts);
            sqlite3_bind_double(ins, 7, min);
        }
        sqlite3_bind_text(ins, 8, outcome, -1, SQLITE_STATIC);
        double nums[5] = {abs_err, units, u110, json_num(vals, "points_avg_season"), json_num(vals, "points_avg_last_10")};
        for (int k = 0; k < 5; k++)
            if (isfinite(nums[k])) sqlite3_bind_double(ins, 9 + k, nums[k]);
        sqlite3_bind_text(ins, 14, now, -1, SQLITE_STATIC);
        if ((rc = sqlite3_step(ins)) != SQLITE_DONE) {
            out = fail(db, err, rc, "writing a grade");
            goto done;
        }
        res->graded++;
    }
    if (rc != SQLITE_DONE) {
        out = fail(db, err, rc, "reading predictions");
        goto done;
    }
    if ((out = sw_store_lookahead(st, NULL, date, date, &res->excluded, res->excluded_to, err))) goto done;
done:
    sqlite3_finalize(sel);
    sqlite3_finalize(del);
    sqlite3_finalize(ins);
    if (out == SW_OK && (rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL))) out = fail(db, err, rc, "committing grades");
    if (out != SW_OK) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return out;
}
