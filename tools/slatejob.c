/* slatejob: one date's slate, scored and stored (slatejob.h). */
#include <string.h>

#include "cli.h"
#include "core/fileio.h"
#include "pipeline/models.h"
#include "pipeline/monitor.h"
#include "slatejob.h"
#include "core/clock.h"

int slatejob_run(const sw_config *cfg, const sw_league *lg, int day, int store, const char *config_text,
                 slatejob_say say, void *ctx, slatejob *out, sw_error *err)
{
    memset(out, 0, sizeof *out);
    /* the models first: a store that does not exist stops the run before anything is stored */
    double t1 = sw_clock_now();
    sw_models models;
    int rc = sw_models_load(cfg, cfg->models, day, &models, err);
    if (rc) return rc;
    for (int i = 0; i < models.n_warnings; i++) say(ctx, "warning", models.warnings[i]);
    for (int i = 0; i < models.n_notes; i++) say(ctx, "note", models.notes[i]);
    out->t_models = sw_clock_now() - t1;
    sw_store *st = NULL;
    if (store && (rc = sw_store_open(cfg->db, cfg->busy_timeout_ms, 1, &st, err))) {
        sw_models_free(&models);
        return rc;
    }
    sw_slate_opts so = {.date = day, .cfg = cfg, .stack = models.has_stack ? &models.stack : NULL,
                        .stack_version = models.stack_version, .stack_trained_to = models.stack_trained_to};
    memcpy(so.systems, models.sys, sizeof so.systems);
    memcpy(so.cand, models.cand, sizeof so.cand);
    memcpy(so.cand_share, models.cand_share, sizeof so.cand_share);
    if (models.has_cand_stack) {
        so.cand_stack = &models.cand_stack;
        so.cand_stack_version = models.cand_stack_version;
        so.cand_stack_trained_to = models.cand_stack_trained_to;
        so.cand_stack_share = models.cand_stack_share;
    }
    /* systems the monitor BLOCKED are left out of final (monitor.h) */
    sw_store *rd = st;
    sw_error e2;
    sw_error_clear(&e2);
    if (!rd && sw_store_exists(cfg->db) && sw_store_open(cfg->db, cfg->busy_timeout_ms, 0, &rd, &e2)) rd = NULL;
    int blocked[SW_SYS_COUNT + 1] = {0};
    if (rd && sw_monitor_blocked(rd, blocked, &e2)) {
        char m[600];
        sw_error_format(&e2, m, sizeof m);
        say(ctx, "warning", m);
    }
    if (rd != st) sw_store_close(rd);
    memcpy(so.blocked, blocked, sizeof so.blocked);
    so.final_blocked = blocked[SW_SYS_COUNT];
    if ((rc = sw_slate_run(lg, &so, &out->slate, err))) goto done;
    for (int i = 0; i < out->slate->n_warnings; i++) say(ctx, "warning", out->slate->warnings[i]);
    if (st) {
        rc = sw_store_write_slate(st, out->slate, lg, config_text, &out->res, err);
        /* the replaced rows' grades went with them: grade the new rows the same way */
        if (rc == SW_OK && out->res.grades_cleared) rc = sw_grade_date(st, lg, day, &out->regraded, err);
    }
    out->degraded = models.degraded || out->slate->refused;
    out->offline = models.offline;
done:
    if (rc) {
        sw_slate_free(out->slate);
        out->slate = NULL;
    }
    sw_models_free(&models);
    sw_store_close(st);
    return rc;
}

int slatejob_exit(const slatejob *j)
{
    /* served from the cache: said by the loader's warning; it outranks a partial run */
    if (j->offline) return sw_status_exit_code(SW_OFFLINE);
    return j->degraded ? sw_status_exit_code(SW_DEGRADED) : 0;
}

void slatejob_free(slatejob *j)
{
    sw_slate_free(j->slate);
    j->slate = NULL;
}
