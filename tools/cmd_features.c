/* cmd_features: `swish features build` and `swish features explain`. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "core/date.h"
#include "features/features.h"
#include "features/league.h"
#include "core/clock.h"

static int parse_date_opt(const cli_args *a, const char *name, int *day)
{
    const char *s = cli_get(a, name);
    if (!s) return 0;
    if (sw_date_parse(s, strlen(s), day) != 0) return cli_failf(SW_ARG, "%s: '%s' is not a date (YYYY-MM-DD)", name, s);
    return 0;
}

static void print_report(const sw_load_report *rep)
{
    for (int i = 0; i < rep->n_warnings; i++) fprintf(stderr, "swish: warning: %s\n", rep->warnings[i]);
    for (int f = 0; f < 7; f++)
        if (rep->skipped[f]) fprintf(stderr, "swish: %s: %ld rows skipped\n", sw_league_file_name(f), rep->skipped[f]);
}

static const cli_opt build_opts[] = {
    {"--data", "DIR", "data directory (docs/DATA.md)", CLI_REQUIRED},
    {"--out", "FEATURES.csv", "output CSV", CLI_REQUIRED},
    {"--from", "DATE", "first game date (default: the first in the data)", 0},
    {"--to", "DATE", "last game date (default: the last played)", 0},
    {"--date", "DATE", "the slate of one date: the players expected to play", 0},
    {"--lenient", NULL, "skip and count bad input rows instead of failing", 0},
};

static int features_build(int argc, char **argv)
{
    cli_args a = {.usage = "swish features build",
                  .summary = "One row per player-game: GAME_DATE, GAME_ID, PLAYER_ID, PLAYER_NAME, TEAM, OPP, HOME,\n"
                             "every feature of set " SW_FEATURE_SET ", QUALITY, TIER, the target PTS and\n"
                             "the LINE (and its BOOK) when known.  Every feature for date D uses only games before\n"
                             "D.  With --date, the rows are the players expected to play that date (the same\n"
                             "computation as training rows).",
                  .opts = build_opts,
                  .n_opts = sizeof build_opts / sizeof build_opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    const char *dir = cli_get(&a, "--data"), *out = cli_get(&a, "--out");
    sw_error err;
    sw_error_clear(&err);
    sw_league *lg;
    sw_load_report rep;
    sw_load_opts lo = {.lenient = cli_has(&a, "--lenient")};
    double t0 = sw_clock_now();
    if (sw_league_load(dir, &lo, &lg, &rep, &err) != SW_OK) return cli_fail(&err);
    print_report(&rep);
    sw_feature_request req;
    sw_feature_request_init(&req);
    sw_league_date_range(lg, &req.from, &req.to, NULL);
    if ((rc = parse_date_opt(&a, "--from", &req.from)) || (rc = parse_date_opt(&a, "--to", &req.to)) ||
        (rc = parse_date_opt(&a, "--date", &req.slate_date))) {
        sw_league_free(lg);
        return rc;
    }
    double t1 = sw_clock_now();
    sw_frame *f;
    if (sw_features_build(lg, &req, &f, &err) != SW_OK || sw_frame_write_csv(f, lg, out, &err) != SW_OK) {
        sw_league_free(lg);
        return cli_fail(&err);
    }
    double t2 = sw_clock_now();
    int tiers[5] = {0};
    for (long r = 0; r < sw_frame_rows(f); r++) tiers[sw_frame_meta_of(f, r)->tier]++;
    fprintf(stderr, "swish: %ld rows, %d features (load %.3f s, features %.3f s); tiers: gold %d, silver %d, bronze %d, "
            "poor %d, critical %d\n",
            sw_frame_rows(f), sw_frame_cols(f), t1 - t0, t2 - t1, tiers[4], tiers[3], tiers[2], tiers[1], tiers[0]);
    sw_frame_free(f);
    sw_league_free(lg);
    return 0;
}

static const cli_opt explain_opts[] = {
    {"--data", "DIR", "data directory", CLI_REQUIRED},
    {"--player", "ID", "PLAYER_ID", CLI_REQUIRED},
    {"--date", "DATE", "game date", CLI_REQUIRED},
    {"--lenient", NULL, "skip and count bad input rows", 0},
};

static int features_explain(int argc, char **argv)
{
    cli_args a = {.usage = "swish features explain",
                  .summary = "Every feature of one player on one date: its value, its source label (observed,\n"
                             "derived, vegas, partial, default, missing) and the games it came from.  Values\n"
                             "are the shortest text that reads back to the same float.",
                  .opts = explain_opts,
                  .n_opts = sizeof explain_opts / sizeof explain_opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    const char *dir = cli_get(&a, "--data"), *pid = cli_get(&a, "--player"), *ds = cli_get(&a, "--date");
    int day;
    if (sw_date_parse(ds, strlen(ds), &day) != 0) return cli_failf(SW_ARG, "--date: '%s' is not a date (YYYY-MM-DD)", ds);
    sw_error err;
    sw_league *lg;
    sw_load_opts lo = {.lenient = cli_has(&a, "--lenient")};
    sw_load_report rep;
    if (sw_league_load(dir, &lo, &lg, &rep, &err) != SW_OK) return cli_fail(&err);
    int p = sw_league_find_player(lg, pid);
    if (p < 0) {
        sw_league_free(lg);
        return cli_failf(SW_NOT_FOUND, "unknown player %s in %s", pid, dir);
    }
    rc = sw_features_explain(lg, p, day, stdout, &err);
    sw_league_free(lg);
    return rc ? cli_fail(&err) : 0;
}

int cmd_features(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "build") == 0) return features_build(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "explain") == 0) return features_explain(argc - 1, argv + 1);
    int help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
    if (!help) {
        if (argc < 2) return cli_failf(SW_ARG, "usage: swish features build|explain [options] (see --help)");
        return cli_failf(SW_ARG, "unknown features command '%s'; usage: swish features build|explain [options]",
                         argv[1]);
    }
    printf("usage: swish features build|explain [options]\n\n"
           "  build      the feature table of a date range, or of one date's slate\n"
           "  explain    every feature of one player on one date, with its source\n\n"
           "'swish features build --help' and 'swish features explain --help' describe the options.\n");
    cli_print_exit_codes(stdout);
    return 0;
}
