/* league_impl: the league's tables, shared by the files of features/ only.
 *
 * Player rows are sorted by (player, date, game id) with per-player ranges;
 * team rows by (team, date) with per-team ranges; so the rows of a player or a
 * team before a date D are a prefix found by binary search, and nothing at or
 * after D is reachable through the as-of helpers below. */
#ifndef SW_LEAGUE_IMPL_H
#define SW_LEAGUE_IMPL_H

#include <stdint.h>

#include "core/strmap.h"
#include "league.h"

enum { SW_ZONE_PAINT, SW_ZONE_MID, SW_ZONE_THREE };

typedef struct {
    char id[16];
    int date;
    int home, away;  /* team indices */
    int season;
    int type;        /* GAME_ID prefix: 2 regular, 4 playoffs, 5 play-in, 6 cup final */
    int played;      /* has box scores */
    int64_t tipoff;  /* seconds since the epoch, -1 unknown */
    float total;     /* game_odds TOTAL, NaN unknown */
} sw__game;

/* Player-game rows (sorted by player, date). */
typedef struct {
    int32_t *player, *date, *game;
    int16_t *team, *opp, *season;
    uint8_t *home, *played, *has_zone;
    float *min;
    int16_t *pts, *fgm, *fga, *fg3m, *fg3a, *ftm, *fta, *tov;
    int16_t (*zfga)[3], (*zfgm)[3];
    long n;
    long *start; /* n_players + 1 */
} sw__prows;

/* Team-game rows (sorted by team, date). */
typedef struct {
    int32_t *date, *game;
    int16_t *opp, *season;
    uint8_t *home, *win, *has_def;
    float *pts, *opp_pts, *poss, *opp_poss, *min, *fga, *fta, *tov;
    int32_t (*def_fga)[3], (*def_fgm)[3]; /* zones of the players who faced the team */
    long n;
    long *start; /* n_teams + 1 */
} sw__trows;

/* Distinct books a league may hold: sw_league_load refuses more. */
#define SW__MAX_BOOKS 64

typedef struct {
    int game, player, book;
    float line;
    int over, under;
    int64_t snap, tipoff;
} sw__prop;

typedef struct {
    int date, player;
    uint8_t status; /* 0 available, 1 probable, 2 questionable, 3 doubtful, 4 out */
} sw__injury;

struct sw_league {
    char *dir;
    sw_strmap *pmap, *tmap, *gmap, *bmap;
    int n_players, cap_players;
    char **pid, **pname;
    int n_teams, cap_teams;
    char **tcode;
    int n_games, cap_games;
    sw__game *games;
    sw__prows P;
    sw__trows T;
    long n_props;
    sw__prop *props; /* sorted by game, player, book, snapshot */
    int n_books;
    char **books;
    long n_inj;
    sw__injury *inj; /* sorted by date, player */
    int first_played, last_played, last_scheduled;
};

/* Rows of player p with date < day: [P.start[p], returned index). */
long sw__player_asof(const sw_league *lg, int p, int day);
/* Rows of team t with date < day: [T.start[t], returned index). */
long sw__team_asof(const sw_league *lg, int t, int day);
/* Injury status of a player on a date: -1 none reported, else 0..4. */
int sw__injury_status(const sw_league *lg, int day, int player);
/* Props of (game, player): [first, end) in lg->props; first == end if none. */
void sw__props_of(const sw_league *lg, int game, int player, long *first, long *end);

/* Team summaries as of D: last N games of this season. */
typedef struct {
    int n10, n15, nseason, wins;
    double pace10, off10, def15, opp_pace15;
    int zone_n;
    double zone_pct[3]; /* FG% allowed by zone over the last 15 games */
    int prev_date;      /* previous game's date, -1 none */
} sw__team_sum;

/* Summary of team t over its games of `season` before `day` (features/build.c). */
void sw__team_summary(const sw_league *lg, int t, int day, int season, sw__team_sum *s);

#endif
