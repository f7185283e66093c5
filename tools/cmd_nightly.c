/* cmd_nightly: `swish nightly`, the whole night in one command: grade what is
 * pending, the rollout gates, the monitor, the retrain when due, tonight's
 * slate.  A step that fails does not stop the steps that do not need it (the
 * slate needs none: it scores with the models the store has); every failure
 * is alerted (pipeline/alert.h) and the night has one summary and one exit
 * status. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "core/alloc.h"
#include "core/date.h"
#include "core/json.h"
#include "pipeline/alert.h"
#include "pipeline/grade.h"
#include "pipeline/monitor.h"
#include "pipeline/registry.h"
#include "pipeline/rollout.h"
#include "pipeline/store.h"
#include "retrainjob.h"
#include "runcfg.h"
#include "slatejob.h"
#include "core/clock.h"

static const cli_opt opts[] = {
    {"--date", "DATE", "the night's date (YYYY-MM-DD or next; default: next)", 0},
    RUNCFG_OPTS,
    {"--db", "DB", "SQLite file or postgresql:// URL (overrides paths.db)", 0},
    {"--now", "YYYY-MM-DDTHH:MM:SSZ", "the time the schedule and deadlines are judged at (default: the clock)", 0},
    {"--no-retrain", NULL, "skip the scheduled retrain tonight", 0},
    {"--json", NULL, "print the summary as JSON", 0},
    {"--lenient", NULL, "skip and count bad input rows instead of failing", 0},
};

typedef enum { ST_OK, ST_SKIPPED, ST_WARN, ST_FAILED } step_status;
static const char *const status_name[] = {"ok", "skipped", "warning", "failed"};

typedef struct {
    const char *name;
    step_status status;
    int exit_code;
    double seconds;
    char detail[600];
} step;

typedef struct {
    const sw_config *cfg;
    sw_alerter *alerter;
    char run_id[64];
    sw_alert_stats stats;
    FILE *log;
} night;

static void alert(night *n, const char *event, sw_alert_severity sev, const char *system, const char *key,
                  const char *figures, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static void alert(night *n, const char *event, sw_alert_severity sev, const char *system, const char *key,
                  const char *figures, const char *fmt, ...)
{
    char text[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    fprintf(n->log, "swish: nightly: alert %s%s%s: %s\n", event, system ? " " : "", system ? system : "", text);
    if (!n->alerter) return;
    sw_alert al = {.event = event, .severity = sev, .system = system, .key = key, .text = text,
                   .figures_json = figures, .run_id = n->run_id};
    sw_alert_send(n->alerter, &al, &n->stats);
}

static void step_set(step *s, step_status st, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void step_set(step *s, step_status st, int code, const char *fmt, ...)
{
    s->status = st;
    s->exit_code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->detail, sizeof s->detail, fmt, ap);
    va_end(ap);
}

/* 1. grade every date before tonight with stored predictions not graded yet */
static void do_grade(night *n, sw_store *st, const sw_league *lg, int day, step *s)
{
    sw_error err;
    sw_error_clear(&err);
    int *dates = NULL;
    long nd = 0;
    if (sw_store_ungraded_dates(st, day, &dates, &nd, &err)) {
        step_set(s, ST_FAILED, sw_status_exit_code(err.code), "%s", err.msg);
        alert(n, "grade_failed", SW_ALERT_WARNING, NULL, NULL, NULL, "grading failed: %s", err.msg);
        return;
    }
    long graded = 0, pending = 0;
    int done = 0;
    for (long i = 0; i < nd; i++) {
        sw_grade_result g;
        if (sw_grade_date(st, lg, dates[i], &g, &err)) {
            char ds[11];
            sw_date_format(dates[i], ds);
            step_set(s, ST_FAILED, sw_status_exit_code(err.code), "%s: %s", ds, err.msg);
            alert(n, "grade_failed", SW_ALERT_WARNING, NULL, NULL, NULL, "grading %s failed: %s", ds, err.msg);
            sw_free(dates);
            return;
        }
        graded += g.graded;
        pending += g.pending;
        done++;
    }
    sw_free(dates);
    if (!nd) step_set(s, ST_SKIPPED, 0, "nothing to grade");
    else step_set(s, ST_OK, 0, "%d dates: %ld predictions graded, %ld pending (games not played or box scores missing)", done,
                  graded, pending);
}

/* 2. the rollout gates */
static void do_gates(night *n, sw_store *st, step *s)
{
    sw_error err;
    sw_error_clear(&err);
    if (sw_registry_exists(n->cfg->models, &err)) {
        step_set(s, ST_SKIPPED, 0, "no model store");
        return;
    }
    sw_gate g[SW_SYS_COUNT + 1];
    int ng = 0;
    if (sw_rollout_gate_all(st, n->cfg, n->cfg->models, g, &ng, NULL, &err)) {
        step_set(s, ST_FAILED, sw_status_exit_code(err.code), "%s", err.msg);
        alert(n, "gate_failed", SW_ALERT_WARNING, NULL, NULL, NULL, "the rollout gates could not be evaluated: %s",
              err.msg);
        return;
    }
    if (!ng) {
        step_set(s, ST_SKIPPED, 0, "no rollout in progress");
        return;
    }
    size_t len = 0;
    s->status = ST_OK;
    for (int i = 0; i < ng; i++) {
        len += (size_t)snprintf(s->detail + len, len < sizeof s->detail ? sizeof s->detail - len : 0, "%s%s %s: %s%s%s",
                                i ? "; " : "", g[i].system, g[i].candidate, g[i].why, g[i].action[0] ? " -> " : "",
                                g[i].action);
        if (!strncmp(g[i].action, "rolled back", 11)) {
            char fig[300];
            snprintf(fig, sizeof fig, "{\"candidate\":\"%s\",\"champion\":\"%s\",\"n\":%ld,\"mae_diff\":%.4f}",
                     g[i].candidate, g[i].champion, g[i].n, g[i].mae_diff);
            alert(n, "demotion", SW_ALERT_WARNING, g[i].system, NULL, fig, "%s %s rolled back automatically: %s",
                  g[i].system, g[i].candidate, g[i].why);
        }
    }
}

/* 3. the monitor: drift, performance states, freshness; what is wrong is alerted */
static void monitor_alerts(night *n, const sw_monitor_result *r)
{
    const sw_drift_report *d = &r->drift;
    if (d->available && d->level == SW_LEVEL_ALERT) {
        char fig[1200], names[600];
        size_t fl = 0, nl = 0;
        fl += (size_t)snprintf(fig + fl, sizeof fig - fl, "{\"version\":\"%s\",\"features\":{", d->version);
        names[0] = 0;
        const sw_drift_cmp *cmps[2] = {&d->slate, &d->recent};
        int k = 0;
        for (int c = 0; c < 2; c++)
            for (int i = 0; i < cmps[c]->n_features && fl < sizeof fig - 120; i++) {
                const sw_drift_feature *f = &cmps[c]->f[i];
                if (f->level != SW_LEVEL_ALERT) continue;
                fl += (size_t)snprintf(fig + fl, sizeof fig - fl, "%s\"%s%s\":{\"psi\":%.4f,\"ks\":%.4f}", k++ ? "," : "",
                                       c ? "recent:" : "slate:", f->name, isfinite(f->psi) ? f->psi : -1,
                                       isfinite(f->ks) ? f->ks : -1);
                if (nl < sizeof names - 60)
                    nl += (size_t)snprintf(names + nl, sizeof names - nl, "%s%s (PSI %.2f, KS %.2f)", nl ? ", " : "",
                                           f->name, f->psi, f->ks);
            }
        snprintf(fig + fl, sizeof fig - fl, "}}");
        alert(n, "drift", SW_ALERT_WARNING, "gbdt", NULL, fig, "inputs drifted from gbdt %s's training window (%s to %s): %s",
              d->version, d->ref_from, d->ref_to, names[0] ? names : "the quality-tier mix");
    }
    for (int k = 0; r->perf.available && k < SW_MONITOR_SYSTEMS; k++) {
        const sw_perf_system *p = &r->perf.sys[k];
        if (p->state < SW_STATE_DEGRADING) continue;
        const sw_perf_window *w = &p->win[SW_PERF_14];
        char fig[400], key[96];
        snprintf(fig, sizeof fig,
                 "{\"state\":\"%s\",\"previous\":\"%s\",\"n_14d\":%ld,\"mae_14d\":%.4f,\"line_mae_14d\":%.4f,"
                 "\"ratio_14d\":%.4f,\"ratio_30d\":%.4f,\"manual\":%d}",
                 sw_sys_state_name(p->state), sw_sys_state_name(p->prev), w->n_lined, w->mae_lined, w->line_mae,
                 isfinite(w->ratio) ? w->ratio : -1,
                 isfinite(p->win[SW_PERF_30].ratio) ? p->win[SW_PERF_30].ratio : -1, p->manual);
        snprintf(key, sizeof key, "system_state/%s/%s", p->system, sw_sys_state_name(p->state));
        int demoted = p->changed && p->state > p->prev && !p->manual;
        alert(n, demoted && p->state == SW_STATE_BLOCKED ? "demotion" : "system_state",
              p->state == SW_STATE_BLOCKED ? SW_ALERT_CRITICAL : SW_ALERT_WARNING, p->system, key, fig, "%s is %s%s: %s",
              p->system, sw_sys_state_name(p->state),
              p->state == SW_STATE_BLOCKED ? " (left out of final until it recovers or 'swish monitor --enable')" : "",
              p->reason);
    }
    const sw_freshness *f = &r->fresh;
    if (f->box_stale)
        alert(n, "stale_input", SW_ALERT_CRITICAL, NULL, "stale_input/box_scores", NULL,
              "box scores are stale: the newest is %s (%d days before the run date), %d games overdue: %s",
              f->box_newest[0] ? f->box_newest : "none", f->box_lag_days, f->games_without_box, f->note);
    if (f->lines_stale)
        alert(n, "stale_input", SW_ALERT_WARNING, NULL, "stale_input/lines", NULL,
              "no lines for the run date's %ld expected players (newest line %s): %s", f->slate_rows,
              f->line_newest[0] ? f->line_newest : "none", f->note);
}

static void do_monitor(night *n, sw_store *st, const sw_league *lg, int day, int64_t now, step *s)
{
    sw_error err;
    sw_error_clear(&err);
    sw_monitor_result *r = sw_calloc(1, sizeof *r);
    if (!r) {
        step_set(s, ST_FAILED, sw_status_exit_code(SW_NOMEM), "out of memory");
        return;
    }
    sw_monitor_opts mo = {.cfg = n->cfg, .lg = lg, .store = st, .date = day, .persist = 1, .now = now};
    if (sw_monitor_run(&mo, r, &err)) {
        char m[900];
        sw_error_format(&err, m, sizeof m);
        step_set(s, ST_FAILED, sw_status_exit_code(err.code), "%s", m);
        alert(n, "monitor_failed", SW_ALERT_WARNING, NULL, NULL, NULL, "the monitor failed: %s", m);
        sw_free(r);
        return;
    }
    monitor_alerts(n, r);
    size_t len = 0;
    len += (size_t)snprintf(s->detail, sizeof s->detail, "drift %s",
                            r->drift.available ? sw_level_name(r->drift.level) : "unavailable");
    for (int k = 0; r->perf.available && k < SW_MONITOR_SYSTEMS && len < sizeof s->detail; k++)
        if (r->perf.sys[k].state != SW_STATE_OK)
            len += (size_t)snprintf(s->detail + len, sizeof s->detail - len, "; %s %s", r->perf.sys[k].system,
                                    sw_sys_state_name(r->perf.sys[k].state));
    if (len < sizeof s->detail)
        len += (size_t)snprintf(s->detail + len, sizeof s->detail - len, "; inputs %s (%.2f s)",
                                r->fresh.stale ? "stale" : "fresh", r->seconds);
    s->status = r->degraded ? ST_WARN : ST_OK;
    sw_free(r);
}

/* 4. the retrain, when due */
static void do_retrain(night *n, const sw_league *lg, int day, int64_t now, int skip, step *s)
{
    sw_error err;
    sw_error_clear(&err);
    retrainjob j;
    if (skip) {
        step_set(s, ST_SKIPPED, 0, "--no-retrain");
        return;
    }
    if (retrainjob_due(n->cfg, now, &j, &err)) {
        step_set(s, ST_FAILED, sw_status_exit_code(err.code), "%s", err.msg);
        alert(n, "retrain_failed", SW_ALERT_CRITICAL, "gbdt", NULL, NULL, "the retrain schedule cannot be read: %s",
              err.msg);
        return;
    }
    if (!j.due) {
        step_set(s, ST_SKIPPED, 0, "not due: %s", j.why);
        return;
    }
    if (retrainjob_run(n->cfg, lg, day, NULL, n->log, &j, &err)) {
        char m[900];
        sw_error_format(&err, m, sizeof m);
        step_set(s, ST_FAILED, sw_status_exit_code(err.code), "%s", m);
        alert(n, "retrain_failed", SW_ALERT_CRITICAL, "gbdt", NULL, NULL, "the scheduled retrain failed: %s", m);
        return;
    }
    char fig[400];
    snprintf(fig, sizeof fig,
             "{\"gbdt\":\"%s\",\"stack\":\"%s\",\"valid_mae\":%.4f,\"valid_mae_lined\":%.4f,\"line_mae\":%.4f,"
             "\"rows\":%ld}",
             j.rep.gbdt_version, j.rep.stack_version, j.rep.valid_mae, j.rep.valid_mae_lined, j.rep.line_mae, j.rep.rows);
    if (j.refused[0]) {
        step_set(s, ST_WARN, 0, "gbdt %s, stack %s registered; %s", j.rep.gbdt_version, j.rep.stack_version, j.refused);
        alert(n, "retrain_refused", SW_ALERT_WARNING, "gbdt", NULL, fig, "%s", j.refused);
        return;
    }
    step_set(s, ST_OK, 0, "gbdt %s and stack %s (%s); validation MAE %.3f, %.3f vs the line's %.3f on lined rows",
             j.rep.gbdt_version, j.rep.stack_version, j.placed, j.rep.valid_mae, j.rep.valid_mae_lined, j.rep.line_mae);
}

static void slate_say(void *ctx, const char *kind, const char *msg)
{
    night *n = ctx;
    fprintf(n->log, "swish: %s: %s\n", kind, msg);
}

/* "HH:MM" to seconds after midnight; -1 when malformed or empty */
static int hhmm(const char *s)
{
    int h, m;
    char tail;
    if (!s[0] || sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || h > 23 || m < 0 || m > 59) return -1;
    return 3600 * h + 60 * m;
}

/* 5. tonight's slate */
static void do_slate(night *n, const sw_league *lg, int day, int64_t now, const char *config_text, step *s,
                     int *offline)
{
    sw_error err;
    sw_error_clear(&err);
    slatejob j;
    char ds[11];
    sw_date_format(day, ds);
    int rc = slatejob_run(n->cfg, lg, day, 1, config_text, slate_say, n, &j, &err);
    if (rc) {
        char m[900];
        sw_error_format(&err, m, sizeof m);
        step_set(s, ST_FAILED, sw_status_exit_code(rc), "%s", m);
        alert(n, "slate_failed", SW_ALERT_CRITICAL, NULL, NULL, NULL, "the slate of %s failed: %s", ds, m);
        return;
    }
    long calls[4] = {0};
    for (long i = 0; i < j.slate->n; i++) calls[j.slate->rows[i].call]++;
    int code = slatejob_exit(&j);
    *offline = j.offline;
    step_set(s, code ? ST_WARN : ST_OK, code, "%s: %ld players (%ld OVER, %ld UNDER, %ld PASS, %ld NO_LINE), run %ld%s", ds,
             j.slate->n, calls[0], calls[1], calls[2], calls[3], j.res.run_id,
             code == 16 ? "; models from the local cache (store unreachable)"
             : code ? "; a registered model was refused (see the warnings)" : "");
    if (code)
        alert(n, "slate_degraded", SW_ALERT_WARNING, NULL, NULL, NULL, "the slate of %s scored with %s", ds,
              code == 16 ? "cached models: the model store was unreachable" : "a registered model refused");
    int dl = hhmm(n->cfg->slate_deadline);
    if (dl >= 0) {
        /* HH:MM UTC on the run date (a slate stored the evening before is on time) */
        int64_t deadline = (int64_t)day * 86400 + dl;
        if (now > deadline) {
            char t[21];
            sw_datetime_format(now, t);
            alert(n, "slate_late", SW_ALERT_WARNING, NULL, NULL, NULL,
                  "the slate of %s was stored at %s, after the deadline %s UTC (monitor.slate_deadline)", ds, t,
                  n->cfg->slate_deadline);
        }
    }
    slatejob_free(&j);
}

int cmd_nightly(int argc, char **argv)
{
    cli_args a = {
        .usage = "swish nightly",
        .summary =
            "The whole night in order, for a cron entry or a systemd timer: grade the dates still pending,\n"
            "evaluate the rollout gates, monitor (drift, performance states, freshness), retrain if due\n"
            "(retrain.every_days; new versions enter as shadow), then score and store tonight's slate.\n"
            "A step that fails does not stop the steps that do not depend on it, and is alerted through\n"
            "the configured webhooks ([alerts]); an alert that cannot be delivered never fails the night.\n\n"
            "Exit status: the slate's when it failed; else 1 when any step failed or warned (16 when the\n"
            "slate scored from the cache of an unreachable model store); else 0.",
        .opts = opts,
        .n_opts = sizeof opts / sizeof opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    sw_config cfg;
    if ((rc = runcfg_load(&a, &cfg))) return rc;
    int64_t now = (int64_t)time(NULL);
    const char *ns = cli_get(&a, "--now");
    if (ns && sw_datetime_parse(ns, strlen(ns), &now)) return cli_failf(SW_ARG, "--now: '%s' is not YYYY-MM-DDTHH:MM:SSZ", ns);
    night n = {.cfg = &cfg, .log = stderr};
    char ts[21];
    sw_datetime_format(now, ts);
    snprintf(n.run_id, sizeof n.run_id, "nightly-%.10s-%d", ts, (int)getpid());
    sw_error err;
    sw_error_clear(&err);
    if (sw_alerter_open(&cfg, stderr, &n.alerter, &err)) {
        char m[900];
        sw_error_format(&err, m, sizeof m);
        fprintf(stderr, "swish: warning: alerts are off tonight: %s\n", m);
        n.alerter = NULL;
    }
    double t0 = sw_clock_now();
    step steps[5] = {{.name = "grade"}, {.name = "gates"}, {.name = "monitor"}, {.name = "retrain"}, {.name = "slate"}};
    sw_league *lg = NULL;
    if ((rc = runcfg_league(cfg.data, cli_has(&a, "--lenient"), &lg))) {
        alert(&n, "slate_failed", SW_ALERT_CRITICAL, NULL, NULL, NULL, "the data in %s did not load (exit %d): nothing ran",
              cfg.data, rc);
        sw_alerter_close(n.alerter);
        return rc;
    }
    int day;
    const char *ds = cli_get(&a, "--date");
    if ((rc = runcfg_date(ds ? ds : "next", lg, &day))) {
        alert(&n, "slate_failed", SW_ALERT_CRITICAL, NULL, NULL, NULL, "no date to score (%s): nothing ran",
              ds ? ds : "next");
        sw_league_free(lg);
        sw_alerter_close(n.alerter);
        return rc;
    }
    char day_s[11];
    sw_date_format(day, day_s);
    sw_store *st = NULL;
    int st_rc = sw_store_open(cfg.db, cfg.busy_timeout_ms, 1, &st, &err);
    double t;
    t = sw_clock_now();
    if (st_rc) {
        step_set(&steps[0], ST_FAILED, sw_status_exit_code(st_rc), "%s", err.msg);
        step_set(&steps[1], ST_SKIPPED, 0, "no database");
        step_set(&steps[2], ST_SKIPPED, 0, "no database");
        alert(&n, "database_failed", SW_ALERT_CRITICAL, NULL, NULL, NULL, "the database cannot be opened: %s", err.msg);
    } else {
        do_grade(&n, st, lg, day, &steps[0]);
        steps[0].seconds = sw_clock_now() - t;
        t = sw_clock_now();
        do_gates(&n, st, &steps[1]);
        steps[1].seconds = sw_clock_now() - t;
        t = sw_clock_now();
        do_monitor(&n, st, lg, day, now, &steps[2]);
        steps[2].seconds = sw_clock_now() - t;
    }
    sw_store_close(st);
    t = sw_clock_now();
    do_retrain(&n, lg, day, now, cli_has(&a, "--no-retrain"), &steps[3]);
    steps[3].seconds = sw_clock_now() - t;
    t = sw_clock_now();
    char *text = runcfg_text(&cfg);
    int offline = 0;
    do_slate(&n, lg, day, now + (int64_t)(sw_clock_now() - t0), text, &steps[4], &offline);
    free(text);
    steps[4].seconds = sw_clock_now() - t;
    double total = sw_clock_now() - t0;
    sw_league_free(lg);
    /* one exit status */
    int code = 0;
    if (steps[4].status == ST_FAILED) code = steps[4].exit_code;
    else if (offline) code = sw_status_exit_code(SW_OFFLINE);
    else
        for (int i = 0; i < 5; i++)
            if (steps[i].status == ST_FAILED || steps[i].status == ST_WARN) code = sw_status_exit_code(SW_DEGRADED);
    if (cli_has(&a, "--json")) {
        sw_jw *w = sw_jw_create(SW_JW_JSON);
        sw_jw_obj_begin(w);
        sw_jw_kstr(w, "run_id", n.run_id);
        sw_jw_kstr(w, "date", day_s);
        sw_jw_kint(w, "exit_code", code);
        sw_jw_kf64(w, "seconds", round(total * 1e3) / 1e3);
        sw_jw_key(w, "steps");
        sw_jw_arr_begin(w);
        for (int i = 0; i < 5; i++) {
            sw_jw_obj_begin(w);
            sw_jw_kstr(w, "step", steps[i].name);
            sw_jw_kstr(w, "status", status_name[steps[i].status]);
            sw_jw_kf64(w, "seconds", round(steps[i].seconds * 1e3) / 1e3);
            sw_jw_kstr(w, "detail", steps[i].detail);
            sw_jw_obj_end(w);
        }
        sw_jw_arr_end(w);
        sw_jw_key(w, "alerts");
        sw_jw_obj_begin(w);
        sw_jw_kint(w, "sent", n.stats.sent);
        sw_jw_kint(w, "deduplicated", n.stats.deduplicated);
        sw_jw_kint(w, "rate_limited", n.stats.rate_limited);
        sw_jw_kint(w, "failed", n.stats.failed);
        sw_jw_obj_end(w);
        sw_jw_obj_end(w);
        cli_print_json(w);
    } else {
        printf("night of %s (%s)\n", day_s, n.run_id);
        for (int i = 0; i < 5; i++)
            printf("  %-8s %-8s %7.2f s  %s\n", steps[i].name, status_name[steps[i].status], steps[i].seconds,
                   steps[i].detail);
        printf("  alerts: %d sent, %d deduplicated, %d rate-limited, %d not delivered; %.2f s in all; exit %d\n",
               n.stats.sent, n.stats.deduplicated, n.stats.rate_limited, n.stats.failed, total, code);
    }
    sw_alerter_close(n.alerter);
    return code;
}
