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
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

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
static const char *pairs_sql =
    "SELECT gc.abs_error, gh.abs_error, fr.outcome, fc.outcome FROM predictions pc"
    " JOIN grades gc ON gc.game_date = pc.game_date AND gc.game_id = pc.game_id AND gc.player_id = pc.player_id"
    "  AND gc.system = pc.system AND gc.model_version = pc.model_version"
    " JOIN predictions ph ON ph.game_date = pc.game_date AND ph.game_id = pc.game_id AND ph.player_id = pc.player_id"
    "  AND ph.system = ?2"
    " JOIN grades gh ON gh.game_date = ph.game_date AND gh.game_id = ph.game_id AND gh.player_id = ph.player_id"
    "  AND gh.system = ph.system AND gh.model_version = ph.model_version"
    " LEFT JOIN grades fr ON fr.game_date = pc.game_date AND fr.game_id = pc.game_id AND fr.player_id = pc.player_id"
    "  AND fr.system = 'final.rollout'"
    " LEFT JOIN grades fc ON fc.game_date = pc.game_date AND fc.game_id = pc.game_id AND fc.player_id = pc.player_id"
    "  AND fc.system = 'final.champion'"
    " WHERE pc.system = ?1 AND pc.game_date >= ?4"
    "  AND CASE WHEN ?5 THEN substr(pc.model_version, 1, length(?3)) = ?3"
    "   AND substr(pc.model_version, length(?3) + 1, 1) IN ('', '+', ' ') ELSE pc.model_version = ?3 END"
    "  AND gc.outcome <> 'VOID' AND gc.actual IS NOT NULL AND gc.abs_error IS NOT NULL"
    "  AND gh.outcome <> 'VOID' AND gh.actual IS NOT NULL AND gh.abs_error IS NOT NULL"
    " ORDER BY pc.game_date, pc.game_id, pc.player_id";

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

    sqlite3 *db = sw_store_db(st);
    sqlite3_stmt *q = NULL;
    rc = sqlite3_prepare_v2(db, pairs_sql, -1, &q, NULL);
    if (rc != SQLITE_OK)
        return sw_fail(err, rc == SQLITE_BUSY ? SW_BUSY : SW_DB, "reading the rollout's grades: %s", sqlite3_errmsg(db));
    sqlite3_bind_text(q, 1, cand_sys, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, stack ? "final.champion" : system, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, version, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, first, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 5, stack);
    double sc = 0, sh = 0, mean = 0, m2 = 0; /* Welford for the paired differences */
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        double ec = sqlite3_column_double(q, 0), eh = sqlite3_column_double(q, 1), d = ec - eh;
        g->n++;
        sc += ec;
        sh += eh;
        double delta = d - mean;
        mean += delta / (double)g->n;
        m2 += delta * (d - mean);
        for (int side = 0; side < 2; side++) {
            const char *o = (const char *)sqlite3_column_text(q, 2 + side);
            if (!o || (strcmp(o, "HIT") != 0 && strcmp(o, "MISS") != 0)) continue;
            int hit = !strcmp(o, "HIT");
            if (side == 0) g->calls_cand++, g->hits_cand += hit;
            else g->calls_champ++, g->hits_champ += hit;
        }
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return sw_fail(err, rc == SQLITE_BUSY ? SW_BUSY : SW_DB, "reading the rollout's grades: %s", sqlite3_errmsg(db));
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
