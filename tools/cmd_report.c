/* cmd_report: `swish report`, one self-contained HTML page about a database. */
#include <stdio.h>

#include "cli.h"
#include "cmds.h"
#include "pipeline/report.h"
#include "pipeline/store.h"
#include "runcfg.h"
#include "core/clock.h"

static const cli_opt opts[] = {
    {"--db", "DB", "SQLite file or postgresql:// URL (overrides paths.db)", 0},
    {"--out", "report.html", "output file", CLI_REQUIRED},
    {"--title", "TEXT", "page title", 0},
    {"--config", "FILE", "configuration file", 0},
};

int cmd_report(int argc, char **argv)
{
    cli_args a = {.usage = "swish report",
                  .summary = "One self-contained HTML page (no network; SVG charts): the systems' metrics with\n"
                             "intervals, cumulative units over time, calibration of P(over), MAE by month against\n"
                             "the line, hit rate by edge bucket, the gbdt model's feature importance, the latest\n"
                             "calls with their TreeSHAP contributions and feature drift against the training window.",
                  .opts = opts,
                  .n_opts = sizeof opts / sizeof opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    const char *out = cli_need(&a, "--out");
    if (!out) return 2;
    sw_config cfg;
    if ((rc = runcfg_load(&a, &cfg))) return rc;
    sw_store *st;
    sw_error err;
    sw_error_clear(&err);
    if (sw_store_open(cfg.db, cfg.busy_timeout_ms, 0, &st, &err)) return cli_fail(&err);
    char db_name[1024];
    sw_store_redact(cfg.db, db_name, sizeof db_name);
    sw_report_opts o = {.title = cli_get(&a, "--title"), .db_name = db_name};
    double t0 = sw_clock_now();
    rc = sw_report_write(st, &o, out, &err);
    sw_store_close(st);
    if (rc) return cli_fail(&err);
    fprintf(stderr, "swish: wrote %s (%.0f ms)\n", out, 1e3 * (sw_clock_now() - t0));
    return 0;
}
