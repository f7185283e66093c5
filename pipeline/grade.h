/* grade: stored predictions against what happened.
 *
 * For a date, every current stored prediction is joined with the box scores:
 * a game without box scores yet is left pending (also when the team logs have
 * its result but the player logs have no row of it: counted apart, so the
 * caller can say the player box scores are missing); a player without a box
 * score or with no minutes in a game that has them is VOID (a DNP voids the
 * bet, as books do); OVER/UNDER calls
 * are HIT, MISS or PUSH (actual = line, neither hit nor miss); other rows are
 * NO_BET but still have an error.  Units: flat one-unit stakes at the stored
 * American price of the called side (-110 when none) and at -110.  Each grade
 * also records the season and last-10 points averages of the row's stored
 * feature vector (the metrics' baselines).  The store reads the rows and
 * writes the grades to the `grades` table in one transaction
 * (sw_store_grade_date); re-grading a date replaces its grades (idempotent).
 *
 * Ownership: borrows the store and league.  Thread-safety: one store per thread.
 */
#ifndef SW_GRADE_H
#define SW_GRADE_H

#include "features/league.h"
#include "store.h"

typedef struct {
    long predictions, graded, pending;
    long no_box_scores;  /* pending rows of games the team logs have but the player logs lack */
    long hit, miss, push, void_, no_bet;
    long excluded;       /* rows kept out because their model may have seen the game (store.h) */
    char excluded_to[11];
} sw_grade_result;

int sw_grade_date(sw_store *st, const sw_league *lg, int date, sw_grade_result *res, sw_error *err);

/* Profit of a one-unit stake won at American price `price` (e.g. -110 -> 0.909). */
double sw_units_won(double price);

#endif
