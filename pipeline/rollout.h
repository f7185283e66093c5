/* rollout: the gates of a staged rollout (registry.h has the stages).
 *
 * While a version of a system is in rollout (shadow or canary), the slate
 * scores it on every player-game beside the champion and stores its rows
 * apart: "<system>.rollout" (gbdt.rollout, catboost_v8.rollout), and for the
 * combined call "final.champion" (the champions only) and "final.rollout"
 * (the candidates in their place); "final" is what was served: final.rollout
 * for the canary's share of player-games (a stable hash of player and game
 * date), final.champion for the rest.
 *
 * A gate compares candidate and champion on the same graded player-games
 * since the stage began: the system's MAE (for the stack, the final rows') by
 * the paired difference of absolute errors with its 95% interval, and the
 * final calls' hit rates with Wilson 95% intervals.
 *   pass        at least rollout.min_graded player-games, the MAE difference's
 *               interval reaches 0 or below (not worse), and the candidate's
 *               hit-rate interval reaches the champion's rate
 *   clear loss  enough player-games and the MAE interval entirely above 0, or
 *               the candidate's hit-rate interval entirely below the champion's
 *               rate
 *   undecided   otherwise (too few player-games: no action, ever)
 * Automatic actions only demote (rollout.auto_rollback); a pass advances the
 * stage (shadow -> canary_share -> 50 -> champion) only with
 * rollout.auto_promote, else a person runs `swish models rollout`.
 *
 * Ownership: plain values.  Thread-safety: one store per thread.
 */
#ifndef SW_ROLLOUT_H
#define SW_ROLLOUT_H

#include <stdio.h>

#include "config.h"
#include "registry.h"
#include "store.h"

typedef enum { SW_GATE_UNDECIDED, SW_GATE_PASS, SW_GATE_LOSS } sw_gate_verdict;

typedef struct {
    char system[32], candidate[64], champion[64];
    sw_stage stage;
    int share;
    char since[24];
    long n;                    /* graded player-games both scored since the stage began */
    double mae_cand, mae_champ;
    double mae_diff, mae_diff_lo, mae_diff_hi; /* candidate - champion, paired, 95% */
    long calls_cand, hits_cand, calls_champ, hits_champ; /* final OVER/UNDER calls graded HIT or MISS */
    double hit_cand, hit_cand_lo, hit_cand_hi;    /* Wilson 95% */
    double hit_champ, hit_champ_lo, hit_champ_hi;
    sw_gate_verdict verdict;
    char why[256];             /* one line: the figures that decided */
    char action[64];           /* what gate_all did: "", "rolled back", "advanced to canary 10%" */
} sw_gate;

/* The gate of one system's rollout; SW_NOT_FOUND when none is in progress. */
int sw_rollout_gate(sw_store *st, const sw_config *cfg, const char *models, const char *system, sw_gate *g,
                    sw_error *err);

/* Every system's gate, with the automatic actions the configuration allows,
 * each recorded in the registry's history with its figures.  out has room for
 * SW_SYS_COUNT + 1 gates; *n gets how many rollouts there were. */
int sw_rollout_gate_all(sw_store *st, const sw_config *cfg, const char *models, sw_gate *out, int *n, FILE *log,
                        sw_error *err);

/* The canary arm of a player-game: 1 when hash(player id, date) mod 100 < share. */
int sw_rollout_arm(const char *player_id, int date, int share);

#endif
