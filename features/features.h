/* features: the v2 feature set (the 33 features of ORIGINAL-SYSTEM.md section 4
 * in their order, then swish's additions), computed strictly as of each game
 * date D from a loaded league: every input comes from games before D, line
 * snapshots before tip-off and the injury report of D.  One function computes
 * each feature for training rows (box scores) and for slate rows (players
 * expected tonight), so training and serving cannot drift apart.
 *
 * Missing stays NaN; every cell carries a source label (observed, derived,
 * vegas, partial = a shorter window than intended, default = the documented
 * default, missing).  Each row gets a quality score 0-100 and a tier.
 *
 * Ownership: a frame owns its rows; pointers returned by accessors live until
 * sw_frame_free.  Frames are read-only once built.
 */
#ifndef SW_FEATURES_H
#define SW_FEATURES_H

#include <stdint.h>
#include <stdio.h>

#include "core/matrix.h"
#include "core/status.h"
#include "league.h"

#define SW_FEATURE_SET "v2_33features+swish1"

typedef enum {
    SW_SRC_MISSING = 0,
    SW_SRC_DEFAULT,
    SW_SRC_PARTIAL,
    SW_SRC_DERIVED,
    SW_SRC_OBSERVED,
    SW_SRC_VEGAS
} sw_source;

typedef enum { SW_TIER_CRITICAL, SW_TIER_POOR, SW_TIER_BRONZE, SW_TIER_SILVER, SW_TIER_GOLD } sw_tier;

int sw_feature_count(void);
const char *sw_feature_name(int i);
const char *sw_feature_unit(int i);
int sw_feature_required(int i);
int sw_feature_find(const char *name); /* -1 if unknown */
const char *sw_source_name(sw_source s);
const char *sw_tier_name(sw_tier t);
/* Weight of a source label in the quality score. */
int sw_source_weight(sw_source s);
sw_tier sw_tier_of(double quality);
/* Quality of a row from its sw_feature_count() source labels: the mean of the
 * labels' weights (optional features left out when missing), capped at 69 when
 * a required feature is on its default and at 49 when five or more are. */
float sw_quality_score(const uint8_t *sources);

typedef struct {
    int from, to;        /* box-score rows with from <= date <= to (days); to < from: none */
    int slate_date;      /* >= 0: the players expected to play on this date instead */
    /* The only books lines come from, in preference order: the line, its prices,
     * the opening line and move, the consensus, count and spread of books.  A
     * name prop_lines.csv does not have is SW_ARG (listing those it has).
     * NULL or n_books == 0: every book, swish's default order first. */
    const char *const *books;
    int n_books;
    int nthread;
} sw_feature_request;

void sw_feature_request_init(sw_feature_request *r);

/* Decimal odds of an American price (NaN or |price| < 100: -110's). */
double sw_decimal_odds(double american);
/* One book's P(over) without its margin: implied probabilities 1/decimal odds
 * scaled to sum to 1 (NaN when a price is missing). */
double sw_devig_over(double over_price, double under_price);

typedef struct {
    int game, player, team, opp, home, date;
    float pts;       /* actual points, NaN when not played yet */
    float min;       /* actual minutes, NaN when not played yet */
    /* The market, from the latest snapshot before tip-off of the configured
     * books: `line` is the one most of them quote (a tie goes to the book
     * first in preference order), `line_book` the first book in preference
     * order quoting it; the prices are the best (highest payout) among the
     * books quoting that line, from over_book and under_book; p_market is the
     * mean of those books' de-vigged P(over).  The feature vegas_points_line
     * stays the first book's own line. */
    float line;      /* NaN when none */
    int line_book;   /* league book index, -1 none */
    float over_price, under_price;
    int over_book, under_book; /* -1 none */
    float p_market;  /* NaN without prices */
    int line_books;  /* books quoting `line` */
    float quality;
    sw_tier tier;
} sw_frame_meta;

typedef struct sw_frame sw_frame;

int sw_features_build(const sw_league *lg, const sw_feature_request *req, sw_frame **out, sw_error *err);
void sw_frame_free(sw_frame *f);
long sw_frame_rows(const sw_frame *f);
int sw_frame_cols(const sw_frame *f);
const float *sw_frame_values(const sw_frame *f, long row);
const uint8_t *sw_frame_sources(const sw_frame *f, long row);
const sw_frame_meta *sw_frame_meta_of(const sw_frame *f, long row);
/* Row of (player, game), -1 if absent. */
long sw_frame_find(const sw_frame *f, int player, int game);

/* The columns a model asks for, by name, in its order; a name the frame does
 * not have is SW_MISMATCH listing every missing one. */
int sw_frame_select(const sw_frame *f, const char *const *names, int n, sw_matrix **out, sw_error *err);
/* One CSV: GAME_DATE, GAME_ID, PLAYER_ID, PLAYER_NAME, TEAM, OPP, HOME, the
 * features, QUALITY, TIER, PTS, LINE, BOOK. */
int sw_frame_write_csv(const sw_frame *f, const sw_league *lg, const char *path, sw_error *err);

/* A played game of a player before a date, with its context as it stood on
 * that game's own date (the similarity system compares tonight with these). */
typedef struct {
    int game, date;
    float pts, min;
    uint8_t home;
    uint8_t rest;  /* days since the previous played game of the season, 1..4 (4 = 4+ or first) */
    float opp_def; /* opponent's points allowed per 100 possessions over its last 15 games; NaN none */
    float form;    /* average of the last 5 games minus the season average; NaN under 3 games */
} sw_hist_game;

/* Up to `cap` most recent played games of `player` strictly before `date` and
 * at most `days` days before it, most recent first; returns how many.
 * Thread-safe on a shared league. */
int sw_features_history(const sw_league *lg, int player, int date, int days, sw_hist_game *out, int cap);

/* Every feature of one player on one date with its value, source label and the
 * games it came from, as text. */
int sw_features_explain(const sw_league *lg, int player, int date, FILE *out, sw_error *err);

#endif
