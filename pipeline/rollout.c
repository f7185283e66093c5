/* rollout: the gates of a staged rollout (see rollout.h).
 *
 * A gate reads the graded rows of the database: for a model system S the
 * player-games where both "S.rollout" (the candidate's version) and "S" were
 * graded (not void, with an actual and an error) since the day the stage
 * began; for the stack, "final.rollout" made with the candidate stack against
 * "final.champion".  The hit rates are always the combined calls' (the
 * rollout's final against the champions') on those player-games.  The paired
 * difference of absolute errors gets a normal 95% interval (1.96 sd/sqrt n),
 * each hit rate a Wilson 95% interval.  Only a clear loss may act by itself;
 * too few player-games, or figures that cannot be computed, never act.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/date.h"
#include "core/hash.h"
#include "metrics.h"
#include "rollout.h"

int sw_rollout_arm(const char *player_id, int date, int share)
{
    if (share <= 0) return 0;
    if (share >= 100) return 1;
    char key[160], ds[11];
    sw_date_format(date, ds);
    int n = snprintf(key, sizeof key, "%s|%s", player_id ? player_id : "", ds);
    if (n < 0) return 0;
    if ((size_t)n >= sizeof key) n = (int)sizeof key - 1;
    sw_sha256 h;
    unsigned char d[32];
    sw_sha256_init(&h);
    sw_sha256_update(&h, key, (size_t)n);
    sw_sha256_final(&h, d);
    unsigned long long v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | d[i];
    return (int)(v % 100) < share;
}

static void stage_text(sw_stage s, int share, char out[24])
{
    if (s == SW_STAGE_CANARY) snprintf(out, 24, "canary %d%%", share);
    else snprintf(out, 24, "%s", sw_stage_name(s));
}

/* The pairs of one gate.  ?1 the candidate's system, ?2 the champion's, ?3
 * the candidate's version (for the stack: final.rollout's version prefix),
 * ?4 the first game date, ?5 1 for the stack. */
static void figures_text(const sw_gate *g, char *out, size_t cap)
{
    snprintf(out, cap,
             "%ld player-games; MAE %.3f vs %.3f, difference %+.3f [%+.3f, %+.3f]; hit rate %.1f%% [%.1f, %.1f] of %ld "
             "vs %.1f%% [%.1f, %.1f] of %ld",
             g->n, g->mae_cand, g->mae_champ, g->mae_diff, g->mae_diff_lo, g->mae_diff_hi, 100 * g->hit_cand,
             100 * g->hit_cand_lo, 100 * g->hit_cand_hi, g->calls_cand, 100 * g->hit_champ, 100 * g->hit_champ_lo,
             100 * g->hit_champ_hi, g->calls_champ);
}

/* The verdict of computed figures (rollout.h). */
static void decide(sw_gate *g, const sw_config *cfg)
{
    int hits = g->calls_cand > 0 && g->calls_champ > 0;
    if (g->n < cfg->min_graded) {
        g->verdict = SW_GATE_UNDECIDED;
        snprintf(g->why, sizeof g->why, "%ld graded player-games since %.10s, %d needed", g->n, g->since,
                 cfg->min_graded);
    } else if (!isfinite(g->mae_diff_lo)) {
        g->verdict = SW_GATE_UNDECIDED;
        snprintf(g->why, sizeof g->why, "the MAE difference has no interval on %ld player-games", g->n);
    } else if (g->mae_diff_lo > 0) {
        g->verdict = SW_GATE_LOSS;
        snprintf(g->why, sizeof g->why, "MAE worse: difference %+.3f [%+.3f, %+.3f] entirely above 0 on %ld player-games",
                 g->mae_diff, g->mae_diff_lo, g->mae_diff_hi, g->n);
    } else if (hits && g->hit_cand_hi < g->hit_champ) {
        g->verdict = SW_GATE_LOSS;
        snprintf(g->why, sizeof g->why, "hit rate worse: %.1f%% [%.1f, %.1f] of %ld entirely below the champion's %.1f%% of %ld",
                 100 * g->hit_cand, 100 * g->hit_cand_lo, 100 * g->hit_cand_hi, g->calls_cand, 100 * g->hit_champ,
                 g->calls_champ);
    } else if (!hits) {
        g->verdict = SW_GATE_UNDECIDED;
        snprintf(g->why, sizeof g->why, "no graded OVER/UNDER calls of %s on %ld player-games: hit rates not comparable",
                 g->calls_cand ? "the champions" : "the rollout", g->n);
    } else {
        g->verdict = SW_GATE_PASS;
        snprintf(g->why, sizeof g->why,
                 "not worse on %ld player-games: MAE difference %+.3f [%+.3f, %+.3f], hit rate %.1f%% [%.1f, %.1f] "
                 "reaches the champion's %.1f%%",
                 g->n, g->mae_diff, g->mae_diff_lo, g->mae_diff_hi, 100 * g->hit_cand, 100 * g->hit_cand_lo,
                 100 * g->hit_cand_hi, 100 * g->hit_champ);
    }
}

int sw_rollout_gate(sw_store *st, const sw_config *cfg, const char *models, const char *system, sw_gate *g,
                    sw_error *err)
{
    memset(g, 0, sizeof *g);
    sw_reg_state rs;
    int rc = sw_registry_state(models, system, &rs, err);
    if (rc) return rc;
    if (!rs.rollout[0]) {
        sw_registry_state_free(&rs);
        return sw_fail(err, SW_NOT_FOUND, "%s: no rollout in progress in %s", system, models);
    }
    snprintf(g->system, sizeof g->system, "%s", system);
    snprintf(g->candidate, sizeof g->candidate, "%s", rs.rollout);
    snprintf(g->champion, sizeof g->champion, "%s", rs.champion);
    g->stage = rs.rollout_stage;
    g->share = rs.rollout_stage == SW_STAGE_CANARY ? rs.share : 0;
    snprintf(g->since, sizeof g->since, "%s", rs.since);
    sw_registry_state_free(&rs);

    int stack = !strcmp(system, "stack");
    char cand_sys[48], version[80], first[11];
    snprintf(cand_sys, sizeof cand_sys, "%s", stack ? "final.rollout" : system);
    if (!stack) {
        size_t l = strlen(cand_sys);
        snprintf(cand_sys + l, sizeof cand_sys - l, ".rollout");
    }
    snprintf(version, sizeof version, "%s%s", stack ? "stack-" : "", g->candidate);
    snprintf(first, sizeof first, "%.10s", g->since);

    sw_store_pair *pairs;
    long np;
    if ((rc = sw_store_rollout_pairs(st, cand_sys, stack ? "final.champion" : system, version, stack, first, &pairs, &np,
                                     err)))
        return rc;
    double sc = 0, sh = 0, mean = 0, m2 = 0; /* Welford for the paired differences */
    for (long i = 0; i < np; i++) {
        double ec = pairs[i].err_cand, eh = pairs[i].err_champ, d = ec - eh;
        g->n++;
        sc += ec;
        sh += eh;
        double delta = d - mean;
        mean += delta / (double)g->n;
        m2 += delta * (d - mean);
        for (int side = 0; side < 2; side++) {
            sw_store_outcome o = side == 0 ? pairs[i].final_cand : pairs[i].final_champ;
            if (o != SW_STORE_GRADE_HIT && o != SW_STORE_GRADE_MISS) continue;
            int hit = o == SW_STORE_GRADE_HIT;
            if (side == 0) g->calls_cand++, g->hits_cand += hit;
            else g->calls_champ++, g->hits_champ += hit;
        }
    }
    sw_free(pairs);
    g->mae_cand = g->n ? sc / (double)g->n : NAN;
    g->mae_champ = g->n ? sh / (double)g->n : NAN;
    g->mae_diff = g->n ? mean : NAN;
    if (g->n >= 2) {
        double half = 1.96 * sqrt(m2 / (double)(g->n - 1)) / sqrt((double)g->n);
        g->mae_diff_lo = mean - half;
        g->mae_diff_hi = mean + half;
    } else {
        g->mae_diff_lo = g->mae_diff_hi = NAN;
    }
    g->hit_cand = g->calls_cand ? (double)g->hits_cand / (double)g->calls_cand : NAN;
    g->hit_champ = g->calls_champ ? (double)g->hits_champ / (double)g->calls_champ : NAN;
    sw_wilson(g->hits_cand, g->calls_cand, &g->hit_cand_lo, &g->hit_cand_hi);
    sw_wilson(g->hits_champ, g->calls_champ, &g->hit_champ_lo, &g->hit_champ_hi);
    decide(g, cfg);
    return SW_OK;
}

/* Apply what the configuration allows for one gate; fills g->action.  An
 * error of the registry (a conflict) is returned, the gate kept. */
static int act(const sw_config *cfg, const char *models, sw_gate *g, sw_error *err)
{
    char figures[400], note[512];
    figures_text(g, figures, sizeof figures);
    if (g->verdict == SW_GATE_LOSS && cfg->auto_rollback) {
        snprintf(note, sizeof note, "automatic rollback (rollout.auto_rollback), clear loss: %.*s", 400, figures);
        char champ[64], ended[64];
        int rc = sw_registry_rollback_note(models, g->system, note, champ, ended, err);
        if (rc) {
            snprintf(g->action, sizeof g->action, "rollback failed: %s", sw_status_name(rc));
            return rc;
        }
        snprintf(g->action, sizeof g->action, "rolled back");
        return SW_OK;
    }
    if (g->verdict != SW_GATE_PASS || !cfg->auto_promote) return SW_OK;
    sw_stage to;
    int share;
    if (g->stage == SW_STAGE_SHADOW) to = SW_STAGE_CANARY, share = cfg->canary_share;
    else if (g->share < 50) to = SW_STAGE_CANARY, share = 50;
    else to = SW_STAGE_CHAMPION, share = 100;
    snprintf(note, sizeof note, "automatic promotion (rollout.auto_promote), gate passed: %.*s", 400, figures);
    int rc = sw_registry_rollout(models, g->system, g->candidate, to, share, note, err);
    if (rc) {
        snprintf(g->action, sizeof g->action, "advance failed: %s", sw_status_name(rc));
        return rc;
    }
    char t[24];
    stage_text(to, share, t);
    snprintf(g->action, sizeof g->action, "%s %s", to == SW_STAGE_CHAMPION ? "promoted to" : "advanced to", t);
    return SW_OK;
}

int sw_rollout_gate_all(sw_store *st, const sw_config *cfg, const char *models, sw_gate *out, int *n, FILE *log,
                        sw_error *err)
{
    *n = 0;
    int first_rc = SW_OK;
    for (int k = 0; k <= SW_SYS_COUNT; k++) {
        if (k < SW_SYS_COUNT && !sw_system_is_model((sw_system_id)k)) continue;
        const char *system = k < SW_SYS_COUNT ? sw_system_name(k) : "stack";
        sw_error e;
        sw_error_clear(&e);
        sw_gate *g = &out[*n];
        int rc = sw_rollout_gate(st, cfg, models, system, g, &e);
        if (rc == SW_NOT_FOUND) continue;
        if (rc) {
            /* a store that cannot be read: nothing is decided */
            if (err) *err = e;
            return rc;
        }
        (*n)++;
        rc = act(cfg, models, g, &e);
        if (rc && first_rc == SW_OK) {
            first_rc = rc;
            if (err) *err = e;
        }
        if (log) {
            char t[24], figures[400];
            stage_text(g->stage, g->share, t);
            figures_text(g, figures, sizeof figures);
            fprintf(log, "gate: %s %s (%s) vs %s: %s: %s%s%s\n", g->system, g->candidate, t,
                    g->champion[0] ? g->champion : "(none)",
                    g->verdict == SW_GATE_PASS ? "PASS" : g->verdict == SW_GATE_LOSS ? "CLEAR LOSS" : "UNDECIDED",
                    g->why, g->action[0] ? "; " : "", g->action);
            if (rc) {
                char m[300];
                sw_error_format(&e, m, sizeof m);
                fprintf(log, "gate: %s: %s\n", g->system, m);
            }
        }
    }
    return first_rc;
}
