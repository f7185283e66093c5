/* cmd_simulate: `swish simulate`, a synthetic league in the data schema. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "core/json.h"
#include "core/num.h"
#include "features/simulate.h"
#include "core/clock.h"

static const cli_opt opts[] = {
    {"--seed", "S", "random seed (default 42); the same seed gives the same files", 0},
    {"--seasons", "N", "regular seasons to play (default 1)", 0},
    {"--first-season", "YEAR", "starting year of the first season (default 2023 = 2023-24)", 0},
    {"--future-days", "N", "days of schedule after the last played date (default 7)", 0},
    {"--out", "DIR", "output data directory", CLI_REQUIRED},
    {"--json", NULL, "print the summary as JSON", 0},
};

int cmd_simulate(int argc, char **argv)
{
    cli_args a = {.usage = "swish simulate",
                  .summary = "Write a synthetic NBA league (30 teams, about 450 rostered players) in the schema of\n"
                             "docs/DATA.md: box scores, team logs, shot zones, prop lines with American prices, game\n"
                             "odds, the schedule of the days after the last played date and injury reports.  The\n"
                             "generative model is described in DESIGN.md (features/simulate).",
                  .opts = opts,
                  .n_opts = sizeof opts / sizeof opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    const char *out = cli_get(&a, "--out");
    sw_sim_params p = sw_sim_params_default();
    long v;
    const char *seed = cli_get(&a, "--seed");
    if (seed) {
        long long s;
        if (sw_parse_i64(seed, strlen(seed), &s) != 0 || s < 0)
            return cli_failf(SW_ARG, "--seed: expected a non-negative integer, got '%s'", seed);
        p.seed = (unsigned long long)s;
    }
    if ((rc = cli_int(&a, "--seasons", p.seasons, 1, 50, &v))) return rc;
    p.seasons = (int)v;
    if ((rc = cli_int(&a, "--first-season", p.first_season, 1947, 2090, &v))) return rc;
    p.first_season = (int)v;
    if ((rc = cli_int(&a, "--future-days", p.future_days, 0, 60, &v))) return rc;
    p.future_days = (int)v;
    sw_error err;
    sw_error_clear(&err);
    sw_sim_summary s;
    double t0 = sw_clock_now();
    if (sw_simulate(&p, out, &s, &err)) return cli_fail(&err);
    double dt = sw_clock_now() - t0;
    if (cli_has(&a, "--json")) {
        sw_jw *w = sw_jw_create(SW_JW_JSON);
        if (!w) return cli_failf(SW_NOMEM, "out of memory");
        sw_jw_shortest(w, 1);
        sw_jw_obj_begin(w);
        sw_jw_kstr(w, "out", out);
        sw_jw_kint(w, "seed", (long long)p.seed);
        sw_jw_kint(w, "seasons", p.seasons);
        sw_jw_kint(w, "player_rows", s.player_rows);
        sw_jw_kint(w, "team_rows", s.team_rows);
        sw_jw_kint(w, "zone_rows", s.zone_rows);
        sw_jw_kint(w, "prop_rows", s.prop_rows);
        sw_jw_kint(w, "schedule_rows", s.schedule_rows);
        sw_jw_kint(w, "injury_rows", s.injury_rows);
        sw_jw_kint(w, "players", s.players);
        sw_jw_kint(w, "teams", s.teams);
        if (s.last_played[0]) sw_jw_kstr(w, "last_played", s.last_played);
        else sw_jw_knull(w, "last_played");
        if (s.first_future[0]) sw_jw_kstr(w, "first_future", s.first_future);
        else sw_jw_knull(w, "first_future");
        sw_jw_kf64(w, "seconds", round(dt * 1e3) / 1e3);
        sw_jw_obj_end(w);
        const char *text;
        size_t len;
        rc = sw_jw_finish(w, &text, &len);
        if (rc == SW_OK) printf("%s\n", text);
        sw_jw_free(w);
        if (rc) return cli_failf(rc, "out of memory");
    } else {
        printf("simulated %d season%s (seed %llu) into %s: %d players, %d teams, %ld box scores, %ld prop lines, "
               "%ld scheduled games; last played %s, next games %s (%.1f s)\n",
               p.seasons, p.seasons > 1 ? "s" : "", p.seed, out, s.players, s.teams, s.player_rows, s.prop_rows,
               s.schedule_rows, s.last_played, s.first_future[0] ? s.first_future : "-", dt);
    }
    return 0;
}
