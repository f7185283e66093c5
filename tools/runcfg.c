/* runcfg: shared set-up of the pipeline commands (see runcfg.h). */
#include "runcfg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/date.h"
#include "pipeline/registry.h"

static char g_command[256];

void runcfg_command(int argc, char **argv)
{
    size_t n = 0;
    for (int i = 0; i < argc && n + 1 < sizeof g_command; i++)
        n += (size_t)snprintf(g_command + n, sizeof g_command - n, "%s%s", i ? " " : "", i ? argv[i] : "swish");
}

static int load(const cli_args *a, sw_config *c, int resolve)
{
    sw_error err;
    sw_error_clear(&err);
    const char *path = cli_get(a, "--config");
    if (!path) path = getenv("SWISH_CONFIG");
    if (path && !*path) path = NULL;
    if (sw_config_load(c, path, &err)) return cli_fail(&err);
    static const char *const opt[] = {"--data", "--db", "--models"};
    char *dst[] = {c->data, c->db, c->models};
    for (int i = 0; i < 3; i++) {
        const char *v = cli_get(a, opt[i]);
        if (v) snprintf(dst[i], 1024, "%s", v);
    }
    long t;
    int rc = cli_int(a, "--threads", c->threads, 0, SW_THREADS_MAX, &t);
    if (rc) return rc;
    c->threads = resolve ? sw_threads_resolve(t) : (int)t;
    if (resolve) sw_threads_set_default(c->threads);
    sw_objstore_opts so = {.endpoint = c->endpoint[0] ? c->endpoint : NULL,
                           .region = c->region[0] ? c->region : NULL,
                           .access_key = c->access_key_id[0] ? c->access_key_id : NULL,
                           .secret_key = c->secret_access_key[0] ? c->secret_access_key : NULL,
                           .session_token = c->session_token[0] ? c->session_token : NULL,
                           .timeout_s = c->timeout_s,
                           .retries = c->retries ? c->retries : -1};
    sw_registry_configure(&so, c->cache, g_command);
    return 0;
}

int runcfg_load(const cli_args *a, sw_config *c) { return load(a, c, 1); }

int runcfg_load_unresolved(const cli_args *a, sw_config *c) { return load(a, c, 0); }

char *runcfg_text(const sw_config *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (!fp) return NULL;
    sw_config_write(c, fp);
    fclose(fp);
    return buf; /* free() */
}

int runcfg_league(const char *dir, int lenient, sw_league **lg)
{
    sw_error err;
    sw_error_clear(&err);
    sw_load_report rep;
    sw_load_opts lo = {.lenient = lenient};
    if (sw_league_load(dir, &lo, lg, &rep, &err) != SW_OK) return cli_fail(&err);
    for (int i = 0; i < rep.n_warnings; i++) fprintf(stderr, "swish: warning: %s\n", rep.warnings[i]);
    for (int f = 0; f < 7; f++)
        if (rep.skipped[f])
            fprintf(stderr, "swish: warning: %s: %ld rows skipped\n", sw_league_file_name(f), rep.skipped[f]);
    return 0;
}

int runcfg_next_day(const sw_league *lg)
{
    int first, last, last_sched;
    sw_league_date_range(lg, &first, &last, &last_sched);
    int best = -1;
    for (int g = 0; g < sw_league_n_games(lg); g++) {
        int d = sw_league_game_date(lg, g);
        if (d > last && (best < 0 || d < best)) best = d;
    }
    return best;
}

int runcfg_date(const char *s, const sw_league *lg, int *day)
{
    if (!strcmp(s, "next")) {
        int best = runcfg_next_day(lg);
        if (best < 0) return cli_failf(SW_NO_GAMES, "--date next: no scheduled games after the last played date");
        *day = best;
        return 0;
    }
    if (sw_date_parse(s, strlen(s), day) != 0) return cli_failf(SW_ARG, "'%s' is not a date (YYYY-MM-DD or next)", s);
    return 0;
}
