/* grade: outcomes of stored predictions (see grade.h); the store reads the
 * rows and writes the grades (sw_store_grade_date). */
#include <math.h>
#include <string.h>

#include "grade.h"

double sw_units_won(double price)
{
    if (!isfinite(price) || (price > -100 && price < 100)) price = -110;
    return price > 0 ? price / 100.0 : 100.0 / -price;
}

typedef struct {
    const sw_league *lg;
    sw_grade_result *res;
    int last_game, has_box; /* the rows come by game: its box scores looked up once */
} grading;

/* The grade of one stored prediction (sw_store_grader). */
static int grade_row(void *ctx, const sw_store_gradable *r, sw_store_grade *g, sw_error *err)
{
    (void)err;
    grading *c = ctx;
    sw_grade_result *res = c->res;
    res->predictions++;
    int gm = sw_league_find_game(c->lg, r->game_id), pl = sw_league_find_player(c->lg, r->player_id);
    if (gm < 0 || !sw_league_game_played(c->lg, gm)) {
        res->pending++;
        return SW_OK;
    }
    if (gm != c->last_game) {
        c->last_game = gm;
        c->has_box = sw_league_game_box_scores(c->lg, gm) > 0;
    }
    if (!c->has_box) {
        res->pending++;
        res->no_box_scores++;
        return SW_OK;
    }
    double pts = NAN, min = NAN;
    int played = pl >= 0 && sw_league_result(c->lg, pl, gm, &pts, &min) && min > 0;
    int bet = isfinite(r->line) && sw_call_is_bet(r->call);
    if (!played) {
        g->outcome = SW_STORE_GRADE_VOID;
        res->void_++;
    } else {
        g->actual = pts;
        g->minutes = min;
        if (isfinite(r->pred)) g->abs_error = fabs(r->pred - pts);
        if (!bet) {
            g->outcome = SW_STORE_GRADE_NO_BET;
            res->no_bet++;
        } else if (pts == r->line) {
            g->outcome = SW_STORE_GRADE_PUSH;
            g->units = g->units_110 = 0;
            res->push++;
        } else {
            int over = r->call == SW_CALL_OVER;
            int hit = over ? pts > r->line : pts < r->line;
            g->outcome = hit ? SW_STORE_GRADE_HIT : SW_STORE_GRADE_MISS;
            g->units = hit ? sw_units_won(over ? r->over_price : r->under_price) : -1.0;
            g->units_110 = hit ? 100.0 / 110.0 : -1.0;
            if (hit) res->hit++;
            else res->miss++;
        }
    }
    g->season_avg = r->points_avg_season;
    g->last10_avg = r->points_avg_last_10;
    res->graded++;
    return SW_OK;
}

int sw_grade_date(sw_store *st, const sw_league *lg, int date, sw_grade_result *res, sw_error *err)
{
    sw_grade_result local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    int rc = sw_store_lookahead(st, NULL, date, date, &res->excluded, res->excluded_to, err);
    if (rc) return rc;
    grading c = {lg, res, -1, 0};
    return sw_store_grade_date(st, date, grade_row, &c, err);
}
