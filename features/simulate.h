/* simulate: a seeded synthetic NBA league written as a swish data directory.
 *
 * sw_simulate plays whole regular seasons (30 teams, 82 games each) from a
 * latent model of players and teams and writes the files of docs/DATA.md:
 * box scores, team logs, shot zones, prop lines, game odds, the schedule of
 * the days after the last played date and injury reports.  The model is
 * described in docs/SIMULATOR.md.  Used for demos, tests and benchmarks where
 * the real data is too small or must not be shipped.
 *
 * Determinism: the same parameters give byte-identical files on a given build
 * (a private xoshiro256** generator; no clock, no rand(), no locale).
 * Ownership: parameters and summary are plain values owned by the caller; the
 * library keeps nothing after a call returns.
 * Thread-safety: calls are independent; two calls must not write one folder.
 */
#ifndef SW_SIMULATE_H
#define SW_SIMULATE_H

#include "core/status.h"

typedef struct {
    unsigned long long seed; /* everything is deterministic per seed */
    int seasons;             /* 1..50 */
    int first_season;        /* starting year (2023 = season 2023-24, which starts late
                                October 2023); 1947..2090 */
    int future_days;         /* the last season stops this many days before its end: games
                                after the last played date and within future_days of it are
                                scheduled (schedule.csv, props, odds, injuries) but have no
                                box scores; 0..60 */
} sw_sim_params;

/* seed 42, 1 season, first_season 2023, future_days 7. */
sw_sim_params sw_sim_params_default(void);

typedef struct {
    long player_rows, team_rows, zone_rows, prop_rows, schedule_rows, injury_rows;
    int players;           /* distinct PLAYER_IDs ever rostered (rookies included) */
    int teams;             /* 30 */
    char last_played[11];  /* YYYY-MM-DD of the last game with box scores ("" if none) */
    char first_future[11]; /* YYYY-MM-DD of the first scheduled-only game ("" if none) */
} sw_sim_summary;

/* Write a synthetic league into out_dir (created if needed) in the schema of
 * docs/DATA.md: player_game_logs.csv, team_game_logs.csv, player_shot_zones.csv,
 * prop_lines.csv, game_odds.csv, schedule.csv and injuries.csv (schedule.csv
 * lists only the unplayed games).  Files are written under temporary names and
 * renamed into place once all of them are complete: a call that fails before
 * that leaves the folder's previous files untouched, and no temporary file
 * stays behind.  `summary` (may be NULL) is filled on success only.
 * Errors: SW_ARG for parameters out of range, SW_IO naming the file,
 * SW_NOMEM. */
int sw_simulate(const sw_sim_params *p, const char *out_dir, sw_sim_summary *summary,
                sw_error *err);

#endif
