/* league: a data directory of NBA CSVs (docs/DATA.md) loaded, validated and
 * indexed for as-of queries.
 *
 * Loading checks every row (missing columns, bad types, duplicated keys,
 * impossible box scores) and fails with file, line and column; with
 * `lenient` bad rows are skipped and counted instead.  Lines of 0 or above 80
 * points and schedule rows naming unknown teams are never fatal: they are
 * dropped with a warning in the report, so a slate still runs.
 *
 * Ownership: the league owns everything it holds; strings returned by
 * accessors live until sw_league_free.  A loaded league is read-only and may
 * be shared by threads.
 */
#ifndef SW_LEAGUE_H
#define SW_LEAGUE_H

#include <stdint.h>

#include "core/status.h"

typedef struct sw_league sw_league;

typedef struct {
    int lenient;      /* skip and count bad rows instead of failing */
    int max_warnings; /* warnings kept in the report (0 = 20) */
} sw_load_opts;

typedef struct {
    long rows[7];    /* rows read: player logs, team logs, zones, props, odds, schedule, injuries */
    long skipped[7]; /* rows skipped (bad, or ignored such as props without PLAYER_ID) */
    int n_warnings;
    char warnings[20][256];
    double seconds;
} sw_load_report;

enum { SW_FILE_PLAYERS, SW_FILE_TEAMS, SW_FILE_ZONES, SW_FILE_PROPS, SW_FILE_ODDS, SW_FILE_SCHEDULE, SW_FILE_INJURIES };
const char *sw_league_file_name(int file);

int sw_league_load(const char *dir, const sw_load_opts *opts, sw_league **out, sw_load_report *report,
                   sw_error *err);
void sw_league_free(sw_league *lg);

int sw_league_n_players(const sw_league *lg);
int sw_league_find_player(const sw_league *lg, const char *player_id); /* -1 if unknown */
const char *sw_league_player_id(const sw_league *lg, int p);
const char *sw_league_player_name(const sw_league *lg, int p);
int sw_league_n_teams(const sw_league *lg);
const char *sw_league_team_code(const sw_league *lg, int t);
int sw_league_find_team(const sw_league *lg, const char *code);
int sw_league_n_games(const sw_league *lg);
int sw_league_find_game(const sw_league *lg, const char *game_id);
const char *sw_league_game_id(const sw_league *lg, int g);
int sw_league_game_date(const sw_league *lg, int g);
int sw_league_game_home(const sw_league *lg, int g);
int sw_league_game_away(const sw_league *lg, int g);
int sw_league_game_played(const sw_league *lg, int g); /* has box scores */
/* Dates with games: first and last played date, last scheduled date. */
void sw_league_date_range(const sw_league *lg, int *first_played, int *last_played, int *last_scheduled);

/* Book names in the order of the prop file's first appearance. */
int sw_league_n_books(const sw_league *lg);
const char *sw_league_book(const sw_league *lg, int b);

/* Actual points and minutes of a player in a game; returns 0 when the player
 * has no box-score row for the game. */
int sw_league_result(const sw_league *lg, int player, int game, double *pts, double *min);
/* Player box-score rows of a game (0 while the box scores are missing, even
 * when the team logs have the result). */
long sw_league_game_box_scores(const sw_league *lg, int g);

#endif
