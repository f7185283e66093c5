/* cmd_alert: `swish alert test`, a test alert to every configured endpoint,
 * so that a person setting up [alerts] sees the message arrive (or why not)
 * before the first unattended night. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "pipeline/alert.h"
#include "runcfg.h"

static const cli_opt opts[] = {
    RUNCFG_OPT_CONFIG,
    {"--db", "DB", "SQLite file or postgresql:// URL keeping the alert state (overrides paths.db)", 0},
    {"--json", NULL, "the result as JSON", 0},
};

static const char *usage_text = "swish alert test";

int cmd_alert(int argc, char **argv)
{
    cli_args a = {.usage = usage_text,
                  .summary = "Alerts tell the people running swish unattended that something went wrong (a failed\n"
                             "retrain or slate, a late slate, drift, a demoted model, stale input).  They go to\n"
                             "[alerts] slack_url (Slack's {\"text\": ...}) and webhook_url (JSON: event, severity,\n"
                             "system, text, figures, run_id, key, host, swish_version, at); the URLs are secrets and\n"
                             "are never printed.  The same alert is sent once per alerts.dedup_s, at most\n"
                             "alerts.max_per_hour an hour, kept in the database across runs.\n"
                             "  test    send a test alert to every configured endpoint and say, per endpoint,\n"
                             "          whether it was delivered (exit 0), failed (14) or nothing is configured (2)",
                  .opts = opts,
                  .n_opts = sizeof opts / sizeof opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    if (a.n_pos != 1 || strcmp(a.pos[0], "test") != 0)
        return cli_failf(SW_ARG, "%s%s%s; usage: %s", a.n_pos ? "unknown alert command '" : "missing the alert command",
                         a.n_pos ? a.pos[0] : "", a.n_pos ? "'" : "", usage_text);
    sw_config cfg;
    if ((rc = runcfg_load(&a, &cfg))) return rc;
    sw_error err;
    sw_error_clear(&err);
    sw_alerter *al;
    if (sw_alerter_open(&cfg, stderr, &al, &err)) return cli_fail(&err);
    if (sw_alerter_endpoints(al) == 0) {
        sw_alerter_close(al);
        return cli_failf(SW_ARG, "no alert endpoint is configured: set [alerts] slack_url or webhook_url (or "
                                 "SWISH_ALERTS_SLACK_URL, SWISH_ALERTS_WEBHOOK_URL)");
    }
    char host[256] = "", text[512], figures[256];
    gethostname(host, sizeof host - 1);
    snprintf(text, sizeof text, "swish alert test from %s: alerts from this machine reach you", host);
    snprintf(figures, sizeof figures, "{\"endpoints\": %d, \"timeout_s\": %.17g, \"retries\": %d}",
             sw_alerter_endpoints(al), cfg.alert_timeout_s, cfg.alert_retries);
    sw_alert t = {.event = "test", .severity = SW_ALERT_INFO, .key = "test", .text = text, .figures_json = figures};
    sw_alert_stats st = {0};
    sw_alert_delivery d[SW_ALERT_ENDPOINTS];
    int n = 0;
    rc = sw_alert_send_detail(al, &t, &st, d, &n);
    sw_alerter_close(al);
    if (rc) return cli_failf(rc, "the test alert could not be sent");
    int failed = 0;
    for (int i = 0; i < n; i++) failed += d[i].outcome != SW_ALERT_DELIVERED;
    if (cli_has(&a, "--json")) {
        sw_jw *w = sw_jw_create(SW_JW_JSON);
        if (!w) return cli_failf(SW_NOMEM, "out of memory");
        sw_jw_shortest(w, 1);
        sw_jw_obj_begin(w);
        sw_jw_key(w, "endpoints");
        sw_jw_arr_begin(w);
        for (int i = 0; i < n; i++) {
            sw_jw_obj_begin(w);
            sw_jw_kstr(w, "endpoint", d[i].endpoint);
            sw_jw_kbool(w, "delivered", d[i].outcome == SW_ALERT_DELIVERED);
            sw_jw_kint(w, "attempts", d[i].attempts);
            if (d[i].status) sw_jw_kint(w, "status", d[i].status);
            else sw_jw_knull(w, "status");
            sw_jw_kf64(w, "seconds", d[i].seconds);
            if (d[i].error[0]) sw_jw_kstr(w, "error", d[i].error);
            else sw_jw_knull(w, "error");
            sw_jw_obj_end(w);
        }
        sw_jw_arr_end(w);
        sw_jw_kint(w, "delivered", n - failed);
        sw_jw_kint(w, "failed", failed);
        sw_jw_obj_end(w);
        if ((rc = cli_print_json(w))) return rc;
    } else {
        for (int i = 0; i < n; i++) {
            if (d[i].outcome == SW_ALERT_DELIVERED)
                printf("%s: delivered (HTTP %ld, %d attempt%s, %.2f s)\n", d[i].endpoint, d[i].status, d[i].attempts,
                       d[i].attempts == 1 ? "" : "s", d[i].seconds);
            else
                printf("%s: FAILED: %s\n", d[i].endpoint, d[i].error[0] ? d[i].error : "not sent");
        }
    }
    return failed ? sw_status_exit_code(SW_NET) : 0;
}
