/* store_rollout: the graded pairs a rollout gate compares (see store.h; the
 * gate's statistics are rollout.c's). */
#include "core/alloc.h"
#include "store_impl.h"

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
    "  AND CASE WHEN ?5 <> 0 THEN substr(pc.model_version, 1, length(?3)) = ?3"
    "   AND substr(pc.model_version, length(?3) + 1, 1) IN ('', '+', ' ') ELSE pc.model_version = ?3 END"
    "  AND gc.outcome <> 'VOID' AND gc.actual IS NOT NULL AND gc.abs_error IS NOT NULL"
    "  AND gh.outcome <> 'VOID' AND gh.actual IS NOT NULL AND gh.abs_error IS NOT NULL"
    " ORDER BY pc.game_date, pc.game_id, pc.player_id";

int sw_store_rollout_pairs(sw_store *st, const char *cand, const char *champ, const char *version, int prefix,
                           const char *first, sw_store_pair **pairs, long *n, sw_error *err)
{
    *pairs = NULL;
    *n = 0;
    sw__q *q = NULL;
    int rc = sw__q_prepare(st, pairs_sql, &q);
    if (rc != SW__OK) return sw__store_fail(st, err, rc, "reading the rollout's grades");
    sw__q_text(q, 1, cand);
    sw__q_text(q, 2, champ);
    sw__q_text(q, 3, version);
    sw__q_text(q, 4, first);
    sw__q_int(q, 5, prefix != 0);
    sw_store_pair *out = NULL;
    size_t cap = 0;
    long k = 0;
    while ((rc = sw__q_step(q)) == SW__ROW) {
        if ((size_t)k >= cap && sw_grow((void **)&out, &cap, (size_t)k + 1, sizeof *out)) {
            sw__q_finalize(q);
            sw_free(out);
            return sw_fail(err, SW_NOMEM, "out of memory");
        }
        sw_store_pair *p = &out[k++];
        p->err_cand = sw__q_col_double(q, 0);
        p->err_champ = sw__q_col_double(q, 1);
        p->final_cand = sw__store_outcome_parse(sw__q_col_text(q, 2));
        p->final_champ = sw__store_outcome_parse(sw__q_col_text(q, 3));
    }
    sw__q_finalize(q);
    if (rc != SW__DONE) {
        sw_free(out);
        return sw__store_fail(st, err, rc, "reading the rollout's grades");
    }
    *pairs = out;
    *n = k;
    return SW_OK;
}
