/* config: a table of keys drives parsing, environment overrides and the
 * documented dump, so a new key is one line. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/fileio.h"
#include "core/num.h"
#include "core/threads.h"
#include "config.h"
#include "store.h"

typedef enum { K_STR, K_INT, K_DBL, K_U64, K_BOOKS, K_SYSTEMS, K_TIER, K_BOOL, K_SECRET } ktype;

typedef struct {
    const char *section, *key;
    ktype type;
    size_t off;
    double lo, hi;
    const char *help;
} kdef;

#define O(f) offsetof(sw_config, f)
static const kdef keys[] = {
    {"paths", "data", K_STR, O(data), 0, 0, "data directory (docs/DATA.md)"},
    {"paths", "db", K_STR, O(db), 0, 0,
     "database of runs and predictions: a SQLite file, or postgresql://user@host:port/dbname (a shared store;"
     " the password in PGPASSWORD or ~/.pgpass, never printed)"},
    {"paths", "models", K_STR, O(models), 0, 0,
     "model store: a directory, file://DIR, s3://BUCKET/PREFIX or gs://BUCKET/PREFIX"},
    {"paths", "db_busy_timeout_ms", K_INT, O(busy_timeout_ms), 0, 600000,
     "how long a run waits for a database locked by another process, milliseconds"},
    {"slate", "books", K_BOOKS, O(books), 0, 0,
     "the only books lines come from, in preference order, comma-separated (unset: every book in the data)"},
    {"slate", "systems", K_SYSTEMS, O(systems), 0, 0, "enabled systems, comma-separated"},
    {"slate", "min_minutes", K_DBL, O(min_minutes), 0, 48,
     "players averaging fewer minutes (last 10 games) are left out unless they have a line"},
    {"slate", "max_players", K_INT, O(max_players), 1, 5000, "most players per slate (by minutes)"},
    {"slate", "threads", K_INT, O(threads), 0, SW_THREADS_MAX, "threads for features and systems; " SW_THREADS_RULE},
    {"call", "min_ev", K_DBL, O(min_ev), -1, 10,
     "expected value per unit staked needed for OVER/UNDER: P(side) x the best price's decimal odds - 1"},
    {"call", "kelly", K_DBL, O(kelly), 0, 1, "fraction of the Kelly stake suggested with a call (0: none)"},
    {"call", "min_edge", K_DBL, O(min_edge), 0, 30, "|prediction - line| needed for OVER/UNDER, points"},
    {"call", "min_prob", K_DBL, O(min_prob), 0, 1, "probability of the called side needed (0: none beyond min_ev)"},
    {"call", "min_agreement", K_DBL, O(min_agreement), 0, 1,
     "share of predicting systems that must be on the called side"},
    {"call", "min_systems", K_INT, O(min_systems), 1, SW_SYS_COUNT, "systems that must predict"},
    {"call", "min_tier", K_TIER, O(min_tier), 0, 0, "lowest feature-quality tier that may be called (gold..critical)"},
    {"retrain", "rounds", K_INT, O(rounds), 1, 100000, "most boosting rounds"},
    {"retrain", "early_stopping", K_INT, O(early_stopping), 0, 10000, "rounds without improvement before stopping"},
    {"retrain", "max_depth", K_INT, O(max_depth), 1, 16, "tree depth"},
    {"retrain", "eta", K_DBL, O(eta), 1e-4, 1, "learning rate"},
    {"retrain", "folds", K_INT, O(folds), 2, 20, "chronological folds for the stack's out-of-fold predictions"},
    {"retrain", "window_days", K_INT, O(window_days), 0, 20000, "training window before the cut-off (0 = all data)"},
    {"retrain", "min_quality", K_DBL, O(min_quality), 0, 100, "training rows need at least this feature quality"},
    {"retrain", "ridge_lambda", K_DBL, O(ridge_lambda), 0, 1e9, "Ridge penalty of the stack"},
    {"retrain", "market_shrink_rows", K_DBL, O(market_shrink_rows), 0, 1e9,
     "the model's share of its disagreement with the line is shrunk by rows / (rows + this)"},
    {"retrain", "market_prior", K_DBL, O(market_prior), 0, 1e9,
     "penalty pulling P(over)'s blend towards the market's own probability"},
    {"retrain", "seed", K_U64, O(seed), 0, 0, "random seed"},
    {"retrain", "monotone_minutes", K_BOOL, O(monotone_minutes), 0, 1,
     "1: more minutes never lower the prediction (monotone constraint)"},
    {"retrain", "every_days", K_INT, O(every_days), 0, 365,
     "'retrain --if-due' and 'nightly' retrain when the newest gbdt version is this many days old (0: never)"},
    {"retrain", "at", K_STR, O(retrain_at), 0, 8, "HH:MM UTC: a due retrain waits until this time of day (unset: any)"},
    {"retrain", "new_versions", K_STR, O(new_versions), 0, 16,
     "a scheduled retrain's versions: shadow (rollout, after the out-of-sample check), champion, or none (registered)"},
    {"storage", "endpoint", K_STR, O(endpoint), 0, 512,
     "object-store endpoint, path-style (unset: AWS_ENDPOINT_URL or GS_ENDPOINT_URL, else AWS or Google)"},
    {"storage", "region", K_STR, O(region), 0, 64, "S3 region (unset: AWS_REGION, else us-east-1)"},
    {"storage", "access_key_id", K_STR, O(access_key_id), 0, 256,
     "access key (unset: AWS_ACCESS_KEY_ID for s3://, GS_ACCESS_KEY_ID for gs://)"},
    {"storage", "secret_access_key", K_SECRET, O(secret_access_key), 0, 256,
     "secret key, never printed (unset: AWS_SECRET_ACCESS_KEY or GS_SECRET_ACCESS_KEY)"},
    {"storage", "session_token", K_SECRET, O(session_token), 0, 2048, "session token (unset: AWS_SESSION_TOKEN)"},
    {"storage", "cache", K_STR, O(cache), 0, 1024,
     "local cache of a remote store's verified files (unset: $XDG_CACHE_HOME/swish or ~/.cache/swish)"},
    {"storage", "timeout_s", K_DBL, O(timeout_s), 0.1, 3600, "seconds one request may take"},
    {"storage", "retries", K_INT, O(retries), 0, 20,
     "retries of a request that timed out, was refused or got 429/5xx (backoff doubling from 0.2 s)"},
    {"rollout", "min_graded", K_INT, O(min_graded), 1, 10000000,
     "graded player-games (since the stage began) a gate needs before it decides"},
    {"rollout", "canary_share", K_INT, O(canary_share), 1, 99, "the first canary share, percent (then 50, then 100)"},
    {"rollout", "auto_promote", K_BOOL, O(auto_promote), 0, 1,
     "1: a passed gate advances the stage by itself; 0: a person runs 'swish models rollout'"},
    {"rollout", "auto_rollback", K_BOOL, O(auto_rollback), 0, 1,
     "1: a candidate clearly worse than the champion is rolled back when graded"},
    {"serve", "listen", K_STR, O(listen), 0, 128, "address 'swish serve' listens on, HOST:PORT"},
    {"serve", "threads", K_INT, O(serve_threads), 0, SW_THREADS_MAX, "request threads; 0: every usable CPU"},
    {"serve", "max_connections", K_INT, O(max_connections), 1, 100000,
     "connections served at once; more are refused"},
    {"serve", "max_body", K_INT, O(max_body), 1024, 1 << 30, "largest request body, bytes (larger: 413)"},
    {"serve", "timeout_s", K_INT, O(conn_timeout_s), 1, 3600, "an idle or slow connection is closed after this"},
    {"serve", "token", K_SECRET, O(push_token), 0, 256,
     "shared secret a push may carry as ?token= (private networks), never printed"},
    {"serve", "jwks", K_STR, O(jwks), 0, 1024,
     "keys that sign push JWTs (RS256): a JWKS or PEM file, or an https:// URL fetched and cached "
     "(Google: https://www.googleapis.com/oauth2/v3/certs)"},
    {"serve", "audience", K_STR, O(audience), 0, 512, "the JWT's required aud (the push endpoint's URL)"},
    {"serve", "issuer", K_STR, O(issuer), 0, 256, "the JWT's required iss"},
    {"serve", "email", K_STR, O(push_email), 0, 256,
     "the service account a push JWT must name (email, verified); unset: any"},
    {"serve", "skew_s", K_INT, O(skew_s), 0, 600, "clock skew allowed on a JWT's exp and iat, seconds"},
    {"serve", "insecure", K_BOOL, O(insecure), 0, 1,
     "1: without serve.jwks or serve.token, take any push (tests, private networks); 0: such pushes are refused"},
    {"serve", "log_json", K_BOOL, O(log_json), 0, 1, "1: one JSON object per request log line"},
    {"serve", "poll_s", K_DBL, O(poll_s), 0, 86400,
     "seconds between checks of the store's champions and the data for changes (0: only on SIGHUP)"},
    {"monitor", "psi_watch", K_DBL, O(psi_watch), 0, 10, "PSI of a feature against the training window: watch"},
    {"monitor", "psi_alert", K_DBL, O(psi_alert), 0, 10, "PSI of a feature against the training window: alert"},
    {"monitor", "ks_alert", K_DBL, O(ks_alert), 0, 1, "KS statistic of a feature against the training window: alert"},
    {"monitor", "drift_days", K_INT, O(drift_days), 1, 365, "recent days of features compared with the training window"},
    {"monitor", "min_graded", K_INT, O(perf_min_graded), 1, 1000000,
     "graded predictions a system needs in a window before its state may leave OK"},
    {"monitor", "mae_watch", K_DBL, O(mae_watch), 1, 10, "a system's MAE over the line's on the same games: WATCH"},
    {"monitor", "mae_degrading", K_DBL, O(mae_degrading), 1, 10, "... DEGRADING"},
    {"monitor", "mae_blocked", K_DBL, O(mae_blocked), 1, 10, "... BLOCKED: left out of final until it recovers"},
    {"monitor", "stale_days", K_INT, O(stale_days), 0, 365,
     "the newest box score may be this many days before the run date; older is stale (alerted)"},
    {"monitor", "slate_deadline", K_STR, O(slate_deadline), 0, 8,
     "HH:MM UTC by which tonight's slate must be stored (unset: no deadline)"},
    {"alerts", "slack_url", K_SECRET, O(slack_url), 0, 1024, "Slack-compatible webhook ({\"text\": ...}), never printed"},
    {"alerts", "webhook_url", K_SECRET, O(webhook_url), 0, 1024,
     "generic JSON webhook (event, severity, system, figures, run), never printed"},
    {"alerts", "timeout_s", K_DBL, O(alert_timeout_s), 0.1, 300, "seconds one delivery may take"},
    {"alerts", "retries", K_INT, O(alert_retries), 0, 10, "retries of a failed delivery (backoff doubling from 0.5 s)"},
    {"alerts", "dedup_s", K_DBL, O(dedup_s), 0, 31536000, "the same alert is sent once within this many seconds"},
    {"alerts", "max_per_hour", K_INT, O(max_per_hour), 1, 100000, "alerts sent per hour at most; the rest counted"},
};
#undef O
#define N_KEYS (sizeof keys / sizeof keys[0])

void sw_config_default(sw_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->data, sizeof c->data, "data");
    snprintf(c->db, sizeof c->db, "swish.db");
    snprintf(c->models, sizeof c->models, "models");
    c->busy_timeout_ms = 5000;
    c->timeout_s = 30;
    c->retries = 4;
    c->min_graded = 200;
    c->canary_share = 10;
    c->auto_promote = 0;
    c->auto_rollback = 1;
    snprintf(c->listen, sizeof c->listen, "127.0.0.1:8080");
    c->serve_threads = 0;
    c->max_connections = 512;
    c->max_body = 1 << 20;
    c->conn_timeout_s = 30;
    snprintf(c->issuer, sizeof c->issuer, "https://accounts.google.com");
    c->skew_s = 60;
    c->poll_s = 30;
    c->every_days = 7;
    snprintf(c->new_versions, sizeof c->new_versions, "shadow");
    c->psi_watch = 0.1;
    c->psi_alert = 0.25;
    c->ks_alert = 0.2;
    c->drift_days = 7;
    c->perf_min_graded = 100;
    c->mae_watch = 1.05;
    c->mae_degrading = 1.10;
    c->mae_blocked = 1.25;
    c->stale_days = 2;
    c->alert_timeout_s = 5;
    c->alert_retries = 3;
    c->dedup_s = 43200;
    c->max_per_hour = 30;
    c->n_books = 0; /* every book in the data, swish's default order (features/build.c) */
    for (int i = 0; i < SW_SYS_COUNT; i++) c->systems[i] = 1;
    c->min_minutes = 15;
    c->max_players = 500;
    c->threads = 0;
    c->min_ev = 0.02;
    c->kelly = 0.25;
    c->min_edge = 0;
    c->min_prob = 0;
    c->min_agreement = 0;
    c->market_shrink_rows = 1000;
    c->market_prior = 100;
    c->min_systems = 2;
    c->min_tier = SW_TIER_BRONZE;
    c->rounds = 1000;
    c->early_stopping = 50;
    c->max_depth = 6;
    c->eta = 0.05;
    c->folds = 4;
    c->window_days = 0;
    c->min_quality = 70;
    c->ridge_lambda = 1.0;
    c->seed = 42;
    c->monotone_minutes = 1;
}

static const kdef *find_key(const char *section, size_t slen, const char *key)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strlen(keys[i].section) == slen && !strncmp(keys[i].section, section, slen) && !strcmp(keys[i].key, key))
            return &keys[i];
    return NULL;
}

static void valid_keys(char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < N_KEYS && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s.%s", i ? ", " : "", keys[i].section, keys[i].key);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    return s;
}

/* Texts with a form: times of day and choices (never ignored when mistyped). */
static int is_hhmm(const char *v)
{
    return strlen(v) == 5 && isdigit((unsigned char)v[0]) && isdigit((unsigned char)v[1]) && v[2] == ':' &&
           isdigit((unsigned char)v[3]) && isdigit((unsigned char)v[4]) && atoi(v) < 24 && atoi(v + 3) < 60;
}

static const char *text_rule(const kdef *k)
{
    if (!strcmp(k->key, "new_versions")) return "shadow, champion or none";
    if (!strcmp(k->key, "at") || !strcmp(k->key, "slate_deadline")) return "a UTC time HH:MM, or nothing";
    return "";
}

static int valid_text(const kdef *k, const char *v)
{
    if (!strcmp(k->key, "new_versions")) return !strcmp(v, "shadow") || !strcmp(v, "champion") || !strcmp(v, "none");
    if (!strcmp(k->key, "at") || !strcmp(k->key, "slate_deadline")) return !v[0] || is_hhmm(v);
    return 1;
}

static int set_value(sw_config *c, const kdef *k, const char *value, char *why, size_t wcap)
{
    char *dst = (char *)c + k->off;
    switch (k->type) {
    case K_STR:
    case K_SECRET: {
        size_t n = strlen(value), cap = k->hi > 0 ? (size_t)k->hi : 1024; /* hi: an optional text's size */
        if ((n == 0 && k->hi == 0) || n >= cap)
            return snprintf(why, wcap, "needs %s of %s to %zu characters", k->hi > 0 ? "a text" : "a path",
                            k->hi > 0 ? "0" : "1", cap - 1), -1;
        if (!valid_text(k, value)) return snprintf(why, wcap, "needs %s", text_rule(k)), -1;
        memcpy(dst, value, n + 1);
        return 0;
    }
    case K_INT:
    case K_BOOL: {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end || v < k->lo || v > k->hi)
            return snprintf(why, wcap, "needs an integer in [%g, %g]", k->lo, k->hi), -1;
        *(int *)dst = (int)v;
        return 0;
    }
    case K_U64: {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(value, &end, 10);
        if (errno || end == value || *end || value[0] == '-') return snprintf(why, wcap, "needs an unsigned integer"), -1;
        *(unsigned long long *)dst = v;
        return 0;
    }
    case K_DBL: {
        double v;
        if (sw_parse_f64(value, strlen(value), &v) || !(v >= k->lo && v <= k->hi))
            return snprintf(why, wcap, "needs a number in [%g, %g]", k->lo, k->hi), -1;
        *(double *)dst = v;
        return 0;
    }
    case K_TIER:
        for (int t = SW_TIER_CRITICAL; t <= SW_TIER_GOLD; t++)
            if (!strcmp(value, sw_tier_name((sw_tier)t))) {
                *(sw_tier *)dst = (sw_tier)t;
                return 0;
            }
        return snprintf(why, wcap, "needs one of gold, silver, bronze, poor, critical"), -1;
    case K_BOOKS:
    case K_SYSTEMS: {
        char tmp[1024];
        snprintf(tmp, sizeof tmp, "%s", value);
        int n = 0, en[SW_SYS_COUNT] = {0};
        char books[SW_CONFIG_MAX_BOOKS][32] = {{0}};
        for (char *save = NULL, *tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            tok = trim(tok);
            if (!*tok) continue;
            if (k->type == K_SYSTEMS) {
                int id = sw_system_find(tok);
                if (id < 0)
                    return snprintf(why, wcap,
                                    "unknown system '%s' (moving_average, zone_matchup, similarity, rules_ensemble, "
                                    "gbdt, catboost_v8)",
                                    tok),
                           -1;
                en[id] = 1;
                n++;
            } else {
                if (n == SW_CONFIG_MAX_BOOKS || strlen(tok) >= 32)
                    return snprintf(why, wcap, "at most %d books of up to 31 characters", SW_CONFIG_MAX_BOOKS), -1;
                snprintf(books[n++], 32, "%s", tok);
            }
        }
        if (n == 0) return snprintf(why, wcap, "needs at least one name"), -1;
        if (k->type == K_SYSTEMS) {
            memcpy(c->systems, en, sizeof en);
        } else {
            memcpy(c->books, books, sizeof books[0] * (size_t)n);
            c->n_books = n;
        }
        return 0;
    }
    }
    return -1;
}

int sw_config_set(sw_config *c, const char *key, const char *value, sw_error *err)
{
    const char *dot = strchr(key, '.');
    const kdef *k = dot ? find_key(key, (size_t)(dot - key), dot + 1) : NULL;
    if (!k) {
        char v[2048];
        valid_keys(v, sizeof v);
        return sw_fail(err, SW_ARG, "unknown configuration key '%s'; valid keys: %s", key, v);
    }
    char why[256];
    if (set_value(c, k, value, why, sizeof why))
        return sw_fail(err, SW_ARG, "%s = '%s': %s", key, value, why);
    return SW_OK;
}

/* SWISH_* variables that are not configuration keys. */
static const char *const other_env[] = {
    "SWISH_CONFIG",           /* the configuration file (tools/runcfg.c) */
    "SWISH_SHARED",           /* reference data for tests, benchmarks and the demo */
    "SWISH_BIN",              /* the binary under test (tests) */
    "SWISH_FAULT_KILL_AFTER", /* fault injection in the store (pipeline/store.c, tests) */
    "SWISH_OMP_TUNED",        /* set by swish itself when it re-executes (tools/swish.c) */
};

int sw_config_apply_env(sw_config *c, sw_error *err)
{
    /* an unknown SWISH_ variable is an error, as an unknown key in a file is
     * (a misspelt SWISH_CALL_MIN_EGDE would otherwise be ignored silently) */
    extern char **environ;
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, "SWISH_", 6) != 0) continue;
        size_t nl = strcspn(*e, "=");
        int known = 0;
        for (size_t i = 0; i < sizeof other_env / sizeof other_env[0] && !known; i++)
            known = strlen(other_env[i]) == nl && !strncmp(*e, other_env[i], nl);
        for (size_t i = 0; i < N_KEYS && !known; i++) {
            char name[96];
            int n = snprintf(name, sizeof name, "SWISH_%s_%s", keys[i].section, keys[i].key);
            for (int j = 0; j < n; j++) name[j] = (char)toupper((unsigned char)name[j]);
            known = (size_t)n == nl && !strncmp(*e, name, nl);
        }
        if (!known) {
            char v[2048];
            valid_keys(v, sizeof v);
            return sw_fail(err, SW_ARG,
                           "unknown environment variable %.*s: SWISH_<SECTION>_<KEY> overrides a configuration key "
                           "(valid keys: %s); other SWISH_ variables: SWISH_CONFIG, SWISH_SHARED, SWISH_BIN, "
                           "SWISH_FAULT_KILL_AFTER, SWISH_OMP_TUNED",
                           (int)(nl > 200 ? 200 : nl), *e, v);
        }
    }
    for (size_t i = 0; i < N_KEYS; i++) {
        char name[96];
        int n = snprintf(name, sizeof name, "SWISH_%s_%s", keys[i].section, keys[i].key);
        for (int j = 0; j < n; j++) name[j] = (char)toupper((unsigned char)name[j]);
        const char *v = getenv(name);
        if (!v) continue;
        char why[256];
        if (set_value(c, &keys[i], v, why, sizeof why))
            return sw_fail(err, SW_ARG, "environment %s='%s': %s", name, v, why);
    }
    return SW_OK;
}

int sw_config_load(sw_config *c, const char *path, sw_error *err)
{
    sw_config_default(c);
    if (path) {
        unsigned char *data = NULL;
        size_t len = 0;
        int rc = sw_read_file(path, 1 << 20, &data, &len, err);
        if (rc) return rc;
        char section[64] = "";
        long line = 0;
        char *p = (char *)data;
        while (p && *p) {
            char *nl = strchr(p, '\n');
            if (nl) *nl = 0;
            line++;
            char *hash = strchr(p, '#');
            if (hash) *hash = 0;
            char *s = trim(p);
            if (*s == '[') {
                char *close = strchr(s, ']');
                if (!close || close[1] || close - s - 1 <= 0 || close - s - 1 >= (long)sizeof section) {
                    sw_free(data);
                    return sw_error_set(err, SW_ARG, path, line, 1, -1, "malformed section header '%s'", s);
                }
                *close = 0;
                snprintf(section, sizeof section, "%s", trim(s + 1));
            } else if (*s) {
                char *eq = strchr(s, '=');
                if (!eq) {
                    sw_free(data);
                    return sw_error_set(err, SW_ARG, path, line, 1, -1, "expected 'key = value', got '%s'", s);
                }
                *eq = 0;
                char *key = trim(s), *val = trim(eq + 1);
                const kdef *k = find_key(section, strlen(section), key);
                if (!k) {
                    char v[2048];
                    valid_keys(v, sizeof v);
                    sw_error_set(err, SW_ARG, path, line, 1, -1, "unknown key '%s' in [%s]; valid keys: %s", key,
                                 section, v);
                    sw_free(data);
                    return SW_ARG;
                }
                char why[256];
                if (set_value(c, k, val, why, sizeof why)) {
                    sw_error_set(err, SW_ARG, path, line, 0, -1, "%s.%s = '%s': %s", section, key, val, why);
                    sw_free(data);
                    return SW_ARG;
                }
            }
            p = nl ? nl + 1 : NULL;
        }
        sw_free(data);
    }
    return sw_config_apply_env(c, err);
}

void sw_config_write(const sw_config *c, FILE *out)
{
    fprintf(out, "# swish configuration.  Every key may be overridden by SWISH_<SECTION>_<KEY>.\n");
    const char *section = "";
    for (size_t i = 0; i < N_KEYS; i++) {
        const kdef *k = &keys[i];
        if (strcmp(section, k->section)) {
            fprintf(out, "\n[%s]\n", k->section);
            section = k->section;
        }
        if (k->type == K_SECRET) { /* never printed */
            fprintf(out, "# %s\n# %s = %s\n", k->help, k->key, *((const char *)c + k->off) ? "(set, not shown)" : "");
            continue;
        }
        if (k->type == K_BOOKS && c->n_books == 0) { /* unset stays unset when read back */
            fprintf(out, "# %s\n# %s =\n", k->help, k->key);
            continue;
        }
        fprintf(out, "# %s\n%s = ", k->help, k->key);
        const char *src = (const char *)c + k->off;
        char shown[1024];
        switch (k->type) {
        case K_STR:
            if (k->off == offsetof(sw_config, db)) { /* a URL's password is not shown */
                sw_store_redact(src, shown, sizeof shown);
                src = shown;
            }
            fprintf(out, "%s\n", src);
            break;
        case K_SECRET: break; /* above */
        case K_INT:
        case K_BOOL: fprintf(out, "%d\n", *(const int *)src); break;
        case K_U64: fprintf(out, "%llu\n", *(const unsigned long long *)src); break;
        case K_DBL: {
            char num[SW_NUM_BUF];
            sw_format_f64_short(num, *(const double *)src);
            fprintf(out, "%s\n", num);
            break;
        }
        case K_TIER: fprintf(out, "%s\n", sw_tier_name(*(const sw_tier *)src)); break;
        case K_BOOKS:
            for (int b = 0; b < c->n_books; b++) fprintf(out, "%s%s", b ? "," : "", c->books[b]);
            fputc('\n', out);
            break;
        case K_SYSTEMS: {
            int first = 1;
            for (int s = 0; s < SW_SYS_COUNT; s++)
                if (c->systems[s]) {
                    fprintf(out, "%s%s", first ? "" : ",", sw_system_name((sw_system_id)s));
                    first = 0;
                }
            fputc('\n', out);
            break;
        }
        }
    }
}
