/* bench_nightly: the whole nightly run for a 450-player slate, stage by stage:
 * features from the raw logs (in memory), the six systems, the coordinator,
 * the SQLite write.  The league is simulated (3 seasons), the gbdt system and
 * the stack trained on it, CatBoost V8 registered from ../shared/models; the
 * slate is a full night added after the last scheduled date (all 30 teams, 15
 * games, lines at each recent player's last-10 average) with every expected
 * player kept, capped at 450.  Loading the CSVs and the models is reported apart: a service
 * keeps them in memory between runs.
 *
 * The user's budget (the original system: 450 players in under 3 minutes) is
 * the one hard check: quick mode fails if the run breaks it. */
#include <math.h>
#include <stdio.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "core/date.h"
#include "core/fileio.h"
#include "features/features.h"
#include "features/league.h"
#include "features/simulate.h"
#include "pipeline/models.h"
#include "pipeline/registry.h"
#include "pipeline/retrain.h"
#include "pipeline/slate.h"
#include "pipeline/store.h"
#include "core/clock.h"

#define BUDGET_S 180.0
#define TARGET_S 0.100

static int fail(const char *what, const sw_error *e)
{
    char m[1200];
    sw_error_format(e, m, sizeof m);
    fprintf(stderr, "bench nightly: %s: %s\n", what, m);
    return 1;
}

/* The nightly league in DATA: 3 simulated seasons (seed 5) and a full night after the
 * last scheduled date (all 30 teams, 15 games) with lines; *night is that date, *last
 * the last played one.  bench_contention runs its slate through the CLI. */
int bench_nightly_league(const char *data, sw_sim_summary *ss, int *night_out, int *last_out)
{
    sw_error err;
    sw_error_clear(&err);
    sw_sim_params sp = sw_sim_params_default();
    sp.seed = 5;
    sp.seasons = 3;
    if (sw_simulate(&sp, data, ss, &err)) return fail("simulate", &err);

    /* a full night after the last scheduled date: all 30 teams, 15 games */
    sw_league *lg = NULL;
    if (sw_league_load(data, NULL, &lg, NULL, &err)) return fail("load", &err);
    int first, last, last_sched;
    sw_league_date_range(lg, &first, &last, &last_sched);
    int night = last_sched + 1;
    char ds[11], path[700];
    sw_date_format(night, ds);
    snprintf(path, sizeof path, "%s/schedule.csv", data);
    FILE *fp = fopen(path, "a");
    if (!fp) return 1;
    int season = sw_date_season(night);
    for (int g = 0; g < 15 && 2 * g + 1 < sw_league_n_teams(lg); g++)
        fprintf(fp, "%d-%02d,%s,00299990%02d,%s,%s,%sT23:30:00Z\n", season, (season + 1) % 100, ds, g,
                sw_league_team_code(lg, 2 * g), sw_league_team_code(lg, 2 * g + 1), ds);
    fclose(fp);
    sw_league_free(lg);
    /* and lines for it: every player of the last 30 days, with his latest team, at his
     * last-10 average (a benchmark needs lines to exercise every stage, and lines put
     * questionable players on the slate as books do; these are not a model of a book) */
    if (sw_league_load(data, NULL, &lg, NULL, &err)) return fail("load", &err);
    {
        sw_feature_request rq;
        sw_feature_request_init(&rq);
        rq.from = last - 30;
        rq.to = last;
        sw_frame *fr;
        if (sw_features_build(lg, &rq, &fr, &err)) return fail("features", &err);
        int np = sw_league_n_players(lg), l10 = sw_feature_find("points_avg_last_10");
        long *latest = malloc(sizeof(long) * (size_t)np);
        int *game_of_team = malloc(sizeof(int) * (size_t)sw_league_n_teams(lg));
        for (int i = 0; i < np; i++) latest[i] = -1;
        for (int t = 0; t < sw_league_n_teams(lg); t++) game_of_team[t] = -1;
        for (long i = 0; i < sw_frame_rows(fr); i++) latest[sw_frame_meta_of(fr, i)->player] = i; /* date order */
        for (int g = 0; g < sw_league_n_games(lg); g++)
            if (sw_league_game_date(lg, g) == night) {
                game_of_team[sw_league_game_home(lg, g)] = g;
                game_of_team[sw_league_game_away(lg, g)] = g;
            }
        snprintf(path, sizeof path, "%s/prop_lines.csv", data);
        fp = fopen(path, "a");
        if (!fp) return 1;
        for (int pl = 0; pl < np; pl++) {
            if (latest[pl] < 0) continue;
            const sw_frame_meta *m = sw_frame_meta_of(fr, latest[pl]);
            double avg = sw_frame_values(fr, latest[pl])[l10];
            int g = game_of_team[m->team];
            if (g < 0 || !(avg >= 1)) continue;
            const char *home = sw_league_team_code(lg, sw_league_game_home(lg, g));
            const char *away = sw_league_team_code(lg, sw_league_game_away(lg, g));
            for (int b = 0; b < 2; b++)
                fprintf(fp, "%s,%s,%s,%s,%.1f,-110,-110,%sT16:00:00Z,%s,%s,%s,%s,%sT23:30:00Z\n", ds,
                        sw_league_player_name(lg, pl), sw_league_player_id(lg, pl), b ? "fanduel" : "draftkings",
                        floor(avg) + 0.5, ds, sw_league_game_id(lg, g), home, away, sw_league_team_code(lg, m->team), ds);
        }
        fclose(fp);
        free(latest);
        free(game_of_team);
        sw_frame_free(fr);
        sw_league_free(lg);
    }
    *night_out = night;
    *last_out = last;
    return 0;
}

/* The seconds of a step in `swish nightly --json` output (-1 absent). */
static double step_s(const char *json, const char *step)
{
    char key[64];
    snprintf(key, sizeof key, "\"step\":\"%s\"", step);
    const char *p = strstr(json, key);
    if (!p) return -1;
    const char *q = strstr(p, "\"seconds\":");
    return q ? atof(q + 10) : -1;
}

/* `swish nightly` on the same league, as a user runs it: a night with no
 * retrain due, then one with the retrain due (the worst night); per step. */
static int command_night(const bench_ctx *c, const char *data, const char *models, const char *ds, int rounds)
{
    char conf[1024], db[1024], cmd[4096];
    snprintf(conf, sizeof conf, "%s/nightly/nightly.conf", c->tmp);
    snprintf(db, sizeof db, "%s/nightly/nightly-cmd.db", c->tmp);
    FILE *fp = fopen(conf, "w");
    if (!fp) return 1;
    fprintf(fp, "[paths]\ndata = %s\nmodels = %s\ndb = %s\n[slate]\nthreads = 2\n[retrain]\nrounds = %d\nfolds = 3\n"
                "new_versions = none\n",
            data, models, db, rounds);
    fclose(fp);
    static const char *const steps[] = {"grade", "gates", "monitor", "retrain", "slate"};
    printf("`swish nightly` on this league (the command a timer runs; 2 threads): seconds per step\n");
    printf("  %-22s %7s %7s %7s %7s %7s %8s  exit\n", "night", "grade", "gates", "monitor", "retrain", "slate", "total");
    int rc = 0;
    for (int k = 0; k < 2 && !rc; k++) {
        char out[700];
        snprintf(out, sizeof out, "%s/nightly/nightly-%d.json", c->tmp, k);
        double t0 = sw_clock_now();
        snprintf(cmd, sizeof cmd, "%s nightly --config %s --date %s --json %s > %s 2>/dev/null", bench_swish_bin(), conf, ds,
                 k ? "--now 2100-01-01T12:00:00Z" : "", out);
        int st = system(cmd);
        double wall = sw_clock_now() - t0;
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
        char *json = NULL;
        size_t len = 0;
        FILE *f = fopen(out, "r");
        if (f) {
            json = malloc(1 << 20);
            len = fread(json, 1, (1 << 20) - 1, f);
            json[len] = 0;
            fclose(f);
        }
        if (!json || !strstr(json, "\"steps\"")) {
            printf("FAIL: swish nightly printed no summary (exit %d): %s\n", code, cmd);
            free(json);
            return 1;
        }
        printf("  %-22s", k ? "retrain due" : "no retrain due");
        for (int i = 0; i < 5; i++) printf(" %7.2f", step_s(json, steps[i]));
        printf(" %8.2f  %d\n", wall, code);
        if (code > 1) rc = 1;
        if (wall > BUDGET_S) {
            printf("FAIL: the night took %.1f s, over the budget of %.0f s\n", wall, BUDGET_S);
            rc = 1;
        }
        free(json);
    }
    printf("  (exit 1: a step warned, e.g. the monitor's states or drift on this simulated league)\n\n");
    return rc;
}

int bench_nightly(const bench_ctx *c)
{
    printf("== nightly: the 450-player slate end to end (features, 6 systems, coordinator, SQLite), 2 threads ==\n");
    sw_error err;
    sw_error_clear(&err);
    char data[600], models[600], db[600], cbm[1200];
    snprintf(data, sizeof data, "%s/nightly/data", c->tmp);
    snprintf(models, sizeof models, "%s/nightly/models", c->tmp);
    snprintf(db, sizeof db, "%s/nightly/swish.db", c->tmp);
    double t0 = sw_clock_now();
    sw_sim_summary ss;
    int night, last;
    if (bench_nightly_league(data, &ss, &night, &last)) return 1;
    double t_sim = sw_clock_now() - t0;
    char ds[11];
    sw_date_format(night, ds);
    sw_league *lg = NULL;
    t0 = sw_clock_now();
    if (sw_league_load(data, NULL, &lg, NULL, &err)) return fail("load", &err);
    double t_load = sw_clock_now() - t0;

    sw_config cfg;
    sw_config_default(&cfg);
    cfg.threads = 2;
    cfg.min_minutes = 0;
    cfg.max_players = 450;
    cfg.rounds = c->quick ? 60 : 400;
    cfg.folds = 3;
    snprintf(cfg.models, sizeof cfg.models, "%s", models);
    snprintf(cbm, sizeof cbm, "%s/models/catboost_v8_33features_20260108_211817.cbm", c->shared);
    if (sw_file_exists(cbm)) {
        unsigned char *buf;
        size_t len;
        if (sw_read_file(cbm, 0, &buf, &len, &err)) return fail("read catboost", &err);
        sw_manifest m;
        sw_manifest_init(&m, "catboost_v8");
        snprintf(m.version, sizeof m.version, "v8");
        /* its training window (ORIGINAL-SYSTEM.md 9.1), so that it may serve the night */
        snprintf(m.train_from, sizeof m.train_from, "2021-11-01");
        snprintf(m.train_to, sizeof m.train_to, "2024-05-31");
        sw_reg_blob b = {"mean", "mean.cbm", buf, len};
        int rc = sw_registry_add(models, &m, &b, 1, 1, &err);
        free(buf);
        if (rc) return fail("register catboost", &err);
    } else {
        printf("(no %s: catboost_v8 disabled, five systems)\n", cbm);
    }
    sw_models cb;
    sw_config only = cfg;
    for (int k = 0; k < SW_SYS_COUNT; k++) only.systems[k] = k == SW_SYS_CATBOOST_V8;
    if (sw_models_load(&only, models, last + 1, &cb, &err)) return fail("models", &err);
    int busiest = night, most = 15;
    t0 = sw_clock_now();
    sw_retrain_opts ro = {.until = last + 1, .cfg = &cfg, .models_dir = models, .promote = 1,
                          .catboost = cb.sys[SW_SYS_CATBOOST_V8], .log = NULL};
    sw_retrain_report rr;
    if (sw_retrain(lg, &ro, &rr, &err)) return fail("retrain", &err);
    double t_retrain = sw_clock_now() - t0;
    sw_models_free(&cb);

    t0 = sw_clock_now();
    sw_models ms;
    if (sw_models_load(&cfg, models, busiest, &ms, &err)) return fail("models", &err);
    double t_models = sw_clock_now() - t0;
    for (int i = 0; i < ms.n_warnings; i++) printf("warning: %s\n", ms.warnings[i]);
    sw_store *st, *pg = NULL;
    if (sw_store_open(db, 5000, 1, &st, &err)) return fail("store", &err);
    /* SW_BENCH_PG=postgresql://...: the same runs written to PostgreSQL too (tests/pg/run.sh starts one) */
    const char *pg_url = getenv("SW_BENCH_PG");
    if (pg_url && *pg_url && sw_store_open(pg_url, 5000, 1, &pg, &err)) return fail("store (PostgreSQL)", &err);
    double tpg[15];

    int reps = c->quick ? 3 : 15;
    double tf[15], tsys[15], tc[15], tw[15], tt[15], tsel[15], tx[15], ts_each[SW_SYS_COUNT][15];
    long players = 0, preds = 0;
    unsigned long long sum = 0;
    for (int r = 0; r < reps; r++) {
        sw_slate_opts so = {.date = busiest, .cfg = &cfg, .stack = ms.has_stack ? &ms.stack : NULL,
                            .stack_version = ms.stack_version, .stack_trained_to = ms.stack_trained_to};
        memcpy(so.systems, ms.sys, sizeof so.systems);
        sw_slate *s;
        double a = sw_clock_now();
        if (sw_slate_run(lg, &so, &s, &err)) return fail("slate", &err);
        sw_store_result res;
        if (sw_store_write_slate(st, s, lg, "bench", &res, &err)) return fail("store", &err);
        tt[r] = sw_clock_now() - a;
        tf[r] = s->t_features;
        tsel[r] = s->t_select;
        tc[r] = s->t_combine;
        tx[r] = s->t_explain;
        tw[r] = res.seconds;
        if (pg) {
            sw_store_result rp;
            if (sw_store_write_slate(pg, s, lg, "bench", &rp, &err)) return fail("store (PostgreSQL)", &err);
            tpg[r] = rp.seconds;
        }
        double all_sys = 0;
        for (int k = 0; k < SW_SYS_COUNT; k++) {
            ts_each[k][r] = s->t_system[k];
            all_sys += s->t_system[k];
        }
        tsys[r] = all_sys;
        players = s->n;
        preds = res.predictions;
        double *fin = malloc(sizeof(double) * (size_t)(s->n ? s->n : 1));
        for (long i = 0; i < s->n; i++) fin[i] = s->rows[i].pred;
        sum = bench_checksum(fin, s->n);
        free(fin);
        sw_slate_free(s);
    }
    double med_total = bench_median(tt, reps);
    printf("league: %d seasons simulated in %.2f s (%ld box scores, %ld prop lines); CSV load + validation %.3f s\n",
           3, t_sim, ss.player_rows, ss.prop_rows, t_load);
    printf("models: retrain %.1f s (%ld rows, %d trees, validation MAE %.3f; line's MAE %.3f); loading the "
           "champions %.1f ms\n",
           t_retrain, rr.rows, rr.trees, rr.valid_mae, rr.line_mae, 1e3 * t_models);
    printf("slate %s: %d games, %ld players, %ld rows stored per run; median of %d runs:\n", ds, most, players, preds,
           reps);
    printf("  %-26s %9.2f ms\n", "features from raw logs", 1e3 * bench_median(tf, reps));
    printf("  %-26s %9.2f ms\n", "player selection", 1e3 * bench_median(tsel, reps));
    for (int k = 0; k < SW_SYS_COUNT; k++) {
        if (!ms.sys[k]) continue;
        char lbl[64];
        snprintf(lbl, sizeof lbl, "system %s", sw_system_name(k));
        printf("  %-26s %9.2f ms\n", lbl, 1e3 * bench_median(ts_each[k], reps));
    }
    printf("  %-26s %9.2f ms\n", "systems, all", 1e3 * bench_median(tsys, reps));
    printf("  %-26s %9.2f ms\n", "coordinator (combine)", 1e3 * bench_median(tc, reps));
    printf("  %-26s %9.2f ms\n", "TreeSHAP drivers of calls", 1e3 * bench_median(tx, reps));
    printf("  %-26s %9.2f ms\n", "SQLite write (1 txn)", 1e3 * bench_median(tw, reps));
    if (pg) { /* not in the total: the same rows a second time */
        char name[1024];
        sw_store_redact(pg_url, name, sizeof name);
        printf("  %-26s %9.2f ms   (%s; not in the total)\n", "PostgreSQL write (1 txn)",
               1e3 * bench_median(tpg, reps), name);
    }
    printf("  %-26s %9.2f ms   (target %.0f ms; budget %.0f s)   checksum %016llx\n", "total nightly run",
           1e3 * med_total, 1e3 * TARGET_S, BUDGET_S, sum);
    double per_player = players ? med_total / players : 0;
    printf("  %.1f us per player; the original system: 200-300 ms per player\n\n", 1e6 * per_player);
    sw_store_close(st);
    sw_store_close(pg);
    sw_models_free(&ms);
    sw_league_free(lg);
    if (players < 450) printf("note: the 15-game night holds %ld expected players, fewer than 450\n", players);
    if (command_night(c, data, models, ds, cfg.rounds)) return 1;
    /* the user's budget, scaled to 450 players when the slate is smaller */
    double at450 = players ? med_total * 450.0 / players : med_total;
    if (at450 > BUDGET_S) {
        printf("FAIL: the nightly run for 450 players takes %.1f s, over the budget of %.0f s\n", at450, BUDGET_S);
        return 1;
    }
    return 0;
}
