/* store: persistence of slate runs on SQLite or PostgreSQL (see store.h and
 * store_impl.h).  Fault injection for
 * tests: SWISH_FAULT_KILL_AFTER=N kills the process with SIGKILL after N
 * prediction rows are written inside the transaction. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/date.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/json.h"
#include "core/num.h"
#include "core/version.h"
#include "store.h"
#include "store_impl.h"


/* Schema version 2: one current prediction per (date, game, player, system);
 * rows a re-run replaced go to predictions_superseded (audit, never counted);
 * trained_to is the last date the row's model may have seen (NULL for the
 * rule systems) and the schema itself refuses a row whose model saw its date.
 * Version-1 databases are migrated on open (migrate_v1). */
#define PRED_COLS                                                                                                  \
    " game_date TEXT NOT NULL, game_id TEXT NOT NULL, player_id TEXT NOT NULL, player_name TEXT,"                  \
    " team TEXT, opp TEXT, home INTEGER, system TEXT NOT NULL, model_version TEXT NOT NULL,"                        \
    " line REAL, book TEXT, over_price REAL, under_price REAL, prediction REAL, lo REAL, hi REAL,"                 \
    " p_over REAL, edge REAL,"                                                                                     \
    " recommendation TEXT NOT NULL CHECK (recommendation IN ('OVER','UNDER','PASS','NO_LINE')),"                  \
    " confidence REAL CHECK (confidence IS NULL OR (confidence >= 0 AND confidence <= 100)),"                     \
    " quality REAL NOT NULL CHECK (quality >= 0 AND quality <= 100), tier TEXT NOT NULL,"                          \
    " systems_predicting INTEGER, systems_agreeing INTEGER, reason TEXT, feature_hash TEXT NOT NULL,"             \
    " run_id INTEGER NOT NULL, contributions TEXT, trained_to TEXT, p_market REAL"
/* the columns in table order, for copies between the tables */
#define PRED_NAMES                                                                                                 \
    "game_date, game_id, player_id, player_name, team, opp, home, system, model_version, line, book, over_price,"  \
    " under_price, prediction, lo, hi, p_over, edge, recommendation, confidence, quality, tier,"                   \
    " systems_predicting, systems_agreeing, reason, feature_hash, run_id, contributions, trained_to, p_market"

static const char *schema_jobs, *schema_alerts; /* below, with their tables' calls */

static const char *schema_runs =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS runs("
    " run_id INTEGER PRIMARY KEY AUTOINCREMENT, game_date TEXT NOT NULL, started_at TEXT NOT NULL,"
    " finished_at TEXT NOT NULL, swish_version TEXT NOT NULL, feature_set TEXT NOT NULL, config_sha256 TEXT,"
    " config TEXT, systems TEXT NOT NULL, players INTEGER NOT NULL, predictions INTEGER NOT NULL,"
    " seconds REAL NOT NULL, train_from TEXT, train_to TEXT);"
    "CREATE TABLE IF NOT EXISTS features("
    " game_date TEXT NOT NULL, game_id TEXT NOT NULL, player_id TEXT NOT NULL, feature_set TEXT NOT NULL,"
    " feature_hash TEXT NOT NULL, quality REAL NOT NULL, tier TEXT NOT NULL, vals TEXT NOT NULL,"
    " sources TEXT NOT NULL, run_id INTEGER NOT NULL,"
    " PRIMARY KEY (game_date, game_id, player_id, feature_set));"
    "CREATE TABLE IF NOT EXISTS importance("
    " system TEXT NOT NULL, model_version TEXT NOT NULL, feature TEXT NOT NULL, gain REAL NOT NULL,"
    " PRIMARY KEY (system, model_version, feature));";

static const char *schema_v2 =
    "CREATE TABLE IF NOT EXISTS predictions(" PRED_COLS ","
    " CHECK (trained_to IS NULL OR trained_to < game_date),"
    " PRIMARY KEY (game_date, game_id, player_id, system));"
    "CREATE INDEX IF NOT EXISTS predictions_run ON predictions(run_id);"
    "CREATE TABLE IF NOT EXISTS predictions_superseded(" PRED_COLS ", replaced_at TEXT NOT NULL,"
    " replaced_by_run INTEGER);"
    "CREATE TABLE IF NOT EXISTS predictions_lookahead(" PRED_COLS ");"
    "CREATE TABLE IF NOT EXISTS grades("
    " game_date TEXT NOT NULL, game_id TEXT NOT NULL, player_id TEXT NOT NULL, system TEXT NOT NULL,"
    " model_version TEXT NOT NULL, actual REAL, minutes REAL,"
    " outcome TEXT NOT NULL CHECK (outcome IN ('HIT','MISS','PUSH','VOID','NO_BET')),"
    " abs_error REAL, units REAL, units_110 REAL, season_avg REAL, last10_avg REAL, graded_at TEXT NOT NULL,"
    " PRIMARY KEY (game_date, game_id, player_id, system));";

int sw__store_fail(sw_store *st, sw_error *err, int rc, const char *what)
{
    if (rc == SW__NOMEM) return sw_fail(err, SW_NOMEM, "%s: out of memory", what);
    int code = rc == SW__BUSY || rc == SW__LOCKED ? SW_BUSY : SW_DB;
    return sw_error_set(err, code, st->path, 0, 0, -1, "%s: %s%s", what, sw__db_errmsg(st),
                        code == SW_BUSY ? " (another process holds the database; retry later)" : "");
}

/* The trained_to of a version-1 row: the run's gbdt window for gbdt (and for
 * final when no catboost_v8 ran), otherwise the day the run started, since
 * a model cannot have seen games played after it was used; NULL for the
 * rule systems and for a final averaged from them alone. */
static const char *v1_trained_to =
    "CASE WHEN p.system IN (%s) THEN NULL"
    " WHEN p.system = 'final' AND p.model_version = 'mean-of-systems' AND coalesce(r.systems, '') NOT LIKE"
    " '%%gbdt=%%' AND coalesce(r.systems, '') NOT LIKE '%%catboost_v8=%%' THEN NULL"
    " WHEN p.system = 'gbdt' AND r.train_to IS NOT NULL THEN r.train_to"
    " WHEN p.system = 'final' AND r.train_to IS NOT NULL AND r.systems NOT LIKE '%%catboost_v8=%%' THEN r.train_to"
    " ELSE coalesce(substr(r.started_at, 1, 10), '9999-12-31') END";

/* Version 1 kept one row per model version (a re-run after a model change
 * doubled the date) and no training window per row.  The newest run's row of
 * each (date, game, player, system) stays current, the others go to
 * predictions_superseded; current rows whose model may have seen their date
 * go to predictions_lookahead (counted as excluded, never as results); grades
 * follow their rows.  Runs inside the caller's transaction. */
static int migrate_v1(sw_store *st, sw_error *err)
{
    char rules[256] = "";
    size_t rl = 0;
    for (int k = 0; k < SW_SYS_COUNT; k++)
        if (!sw_system_is_model((sw_system_id)k))
            rl += (size_t)snprintf(rules + rl, sizeof rules - rl, "%s'%s'", rl ? "," : "", sw_system_name(k));
    char expr[1024], sql[4096], now[24];
    snprintf(expr, sizeof expr, v1_trained_to, rules);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    const char *steps[] = {
        "ALTER TABLE predictions RENAME TO predictions_v1",
        "ALTER TABLE grades RENAME TO grades_v1",
        "DROP INDEX IF EXISTS predictions_run",
        NULL, /* schema_v2 */
        NULL, /* the rows with their window and rank */
        "INSERT INTO predictions SELECT " PRED_NAMES " FROM temp.v1 WHERE rk = 1 AND (trained_to IS NULL OR"
        " trained_to < game_date)",
        "INSERT INTO predictions_lookahead SELECT " PRED_NAMES " FROM temp.v1 WHERE rk = 1 AND trained_to >= game_date",
        NULL, /* superseded */
        "INSERT INTO grades SELECT g.* FROM grades_v1 g JOIN predictions p USING (game_date, game_id, player_id,"
        " system, model_version)",
        "DROP TABLE temp.v1",
        "DROP TABLE predictions_v1",
        "DROP TABLE grades_v1",
        "UPDATE meta SET value = '3' WHERE key = 'schema_version'",
    };
    char superseded[1024];
    snprintf(superseded, sizeof superseded,
             "INSERT INTO predictions_superseded(" PRED_NAMES ", replaced_at, replaced_by_run) SELECT " PRED_NAMES
             ", '%s', NULL FROM temp.v1 WHERE rk > 1", now);
    snprintf(sql, sizeof sql,
             "CREATE TEMP TABLE v1 AS SELECT p.game_date, p.game_id, p.player_id, p.player_name, p.team, p.opp,"
             " p.home, p.system, p.model_version, p.line, p.book, p.over_price, p.under_price, p.prediction, p.lo,"
             " p.hi, p.p_over, p.edge, p.recommendation, CASE WHEN p.recommendation IN ('OVER','UNDER') THEN"
             " p.confidence END AS confidence, p.quality, p.tier, p.systems_predicting, p.systems_agreeing,"
             " p.reason, p.feature_hash, p.run_id, p.contributions, %s AS trained_to, p.p_market, row_number() OVER"
             " (PARTITION BY p.game_date, p.game_id, p.player_id, p.system ORDER BY p.run_id DESC,"
             " p.model_version DESC) AS rk FROM predictions_v1 p LEFT JOIN runs r ON r.run_id = p.run_id",
             expr);
    steps[3] = schema_v2;
    steps[4] = sql;
    steps[7] = superseded;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        int rc = sw__db_exec(st, steps[i]);
        if (rc) return sw__store_fail(st, err, rc, "cannot upgrade the database to schema 3");
    }
    return SW_OK;
}

/* The schema version recorded in meta; 0 for an empty database, -1 after an
 * error (rc set). */
static int read_version(sw_store *st, int *rc)
{
    int has_meta = 0;
    if ((*rc = sw__db_has_table(st, "meta", &has_meta))) return -1;
    if (!has_meta) return 0;
    sw__q *q = NULL;
    *rc = sw__q_prepare(st, "SELECT value FROM meta WHERE key = 'schema_version'", &q);
    int v = 0;
    if (*rc == SW__OK) {
        int r = sw__q_step(q);
        if (r == SW__ROW) v = atoi(sw__q_col_text(q, 0));
        else if (r != SW__DONE) *rc = r;
    }
    sw__q_finalize(q);
    return *rc ? -1 : v;
}

/* Create the schema or upgrade an older one, in one transaction. */
static int prepare_schema(sw_store *st, sw_error *err)
{
    int rc, v = read_version(st, &rc);
    if (v < 0) return sw__store_fail(st, err, rc, "cannot read the database");
    if (v == 3) return SW_OK;
    if (v > 3)
        return sw_error_set(err, SW_DB, st->path, 0, 0, -1,
                            "the database has schema version %d, newer than this swish (3): upgrade swish", v);
    if ((rc = sw__db_begin(st)))
        return sw__store_fail(st, err, rc, "cannot prepare the database schema");
    v = read_version(st, &rc); /* another process may have done it meanwhile */
    int out = SW_OK;
    if (v < 0) {
        out = sw__store_fail(st, err, rc, "cannot read the database");
    } else if (v == 0) {
        /* PostgreSQL: every table and the SQLite functions now, under the
         * write lock (concurrent CREATE ... IF NOT EXISTS may collide there) */
        if ((rc = sw__db_exec(st, schema_runs)) || (rc = sw__db_exec(st, schema_v2)) ||
            (st->pg && ((rc = sw__db_exec(st, schema_jobs)) || (rc = sw__db_exec(st, schema_alerts)) ||
                        (rc = sw__db_exec(st, sw__store_schema_states)) || (rc = sw__db_exec(st, sw__pg_functions())) ||
                        (rc = sw__db_exec(st, "ALTER TABLE jobs ADD COLUMN rowid BIGINT GENERATED ALWAYS AS IDENTITY")))) ||
            (rc = sw__db_exec(st, "INSERT INTO meta VALUES('schema_version', '3')")))
            out = sw__store_fail(st, err, rc, "cannot prepare the database schema");
    } else if (st->pg && v < 3) { /* schemas 1 and 2 predate the PostgreSQL backend */
        out = sw_error_set(err, SW_DB, st->path, 0, 0, -1, "the database has schema version %d, never written by swish", v);
    } else if (v == 1) {
        /* columns added to version 1 over time */
        static const char *const added[][3] = {{"predictions", "contributions", "TEXT"},
                                               {"predictions", "p_market", "REAL"},
                                               {"runs", "train_from", "TEXT"},
                                               {"runs", "train_to", "TEXT"}};
        if ((rc = sw__db_exec(st, schema_runs)))
            out = sw__store_fail(st, err, rc, "cannot upgrade the database schema");
        for (size_t a = 0; out == SW_OK && a < sizeof added / sizeof added[0]; a++) {
            char sql[200];
            snprintf(sql, sizeof sql, "PRAGMA table_info(%s)", added[a][0]);
            sw__q *ti = NULL;
            int has = 0;
            if (sw__q_prepare(st, sql, &ti) == SW__OK)
                while (sw__q_step(ti) == SW__ROW) has |= !strcmp(sw__q_col_text(ti, 1), added[a][1]);
            sw__q_finalize(ti);
            snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s", added[a][0], added[a][1], added[a][2]);
            if (!has && (rc = sw__db_exec(st, sql)))
                out = sw__store_fail(st, err, rc, "cannot upgrade the database schema");
        }
        if (out == SW_OK) out = migrate_v1(st, err);
    } else if (v == 2) {
        /* schema 3: the market's P(over) beside each prediction */
        static const char *const v3[] = {
            "ALTER TABLE predictions ADD COLUMN p_market REAL",
            "ALTER TABLE predictions_superseded ADD COLUMN p_market REAL",
            "ALTER TABLE predictions_lookahead ADD COLUMN p_market REAL",
            "UPDATE meta SET value = '3' WHERE key = 'schema_version'",
        };
        for (size_t i = 0; out == SW_OK && i < sizeof v3 / sizeof v3[0]; i++)
            if ((rc = sw__db_exec(st, v3[i])))
                out = sw__store_fail(st, err, rc, "cannot upgrade the database to schema 3");
    }
    if (out == SW_OK && (rc = sw__db_commit(st)))
        out = sw__store_fail(st, err, rc, "cannot commit the database schema");
    if (out != SW_OK) sw__db_rollback(st);
    return out;
}

int sw_store_open(const char *path, int busy_timeout_ms, int create, sw_store **out, sw_error *err)
{
    *out = NULL;
    int pg = sw__pg_is_url(path);
    if (!pg && !create && strcmp(path, ":memory:") != 0 && !sw_file_exists(path))
        return sw_error_set(err, SW_NOT_FOUND, path, 0, 0, -1,
                            "the database does not exist (paths.db or --db; 'swish slate' creates it)");
    sw_store *st = sw_calloc(1, sizeof *st);
    if (!st) return sw_fail(err, SW_NOMEM, "out of memory");
    int rc = pg ? sw__pg_open(st, path, busy_timeout_ms, err) : sw__lite_open(st, path, busy_timeout_ms, create, err);
    if (rc == SW_OK) rc = prepare_schema(st, err);
    if (rc) {
        sw_store_close(st);
        return rc;
    }
    *out = st;
    return SW_OK;
}

int sw_store_exists(const char *path)
{
    return sw__pg_is_url(path) || sw_file_exists(path);
}

void sw_store_close(sw_store *st)
{
    if (!st) return;
    if (st->pg) sw__pg_close(st);
    else sw__lite_close(st);
    sw_free(st);
}

int sw_store_lookahead(sw_store *st, const char *system, int from, int to, long *n, char trained_to[11],
                       sw_error *err)
{
    *n = 0;
    if (trained_to) trained_to[0] = 0;
    char a[11] = "", b[11] = "";
    if (from >= 0) sw_date_format(from, a);
    if (to >= 0) sw_date_format(to, b);
    sw__q *q = NULL;
    int rc = sw__q_prepare(st, "SELECT count(*), max(trained_to) FROM predictions_lookahead WHERE (CAST(?1 AS TEXT) IS NULL OR"
                                " system = ?1) AND (?2 = '' OR game_date >= ?2) AND (?3 = '' OR game_date <= ?3)", &q);
    if (rc == SW__OK) {
        if (system) sw__q_text(q, 1, system);
        sw__q_text(q, 2, a);
        sw__q_text(q, 3, b);
        rc = sw__q_step(q);
        if (rc == SW__ROW) {
            *n = (long)sw__q_col_int(q, 0);
            if (trained_to && !sw__q_isnull(q, 1))
                snprintf(trained_to, 11, "%s", sw__q_col_text(q, 1));
            rc = SW__OK;
        }
    }
    sw__q_finalize(q);
    return rc ? sw__store_fail(st, err, rc, "reading excluded rows") : SW_OK;
}

void sw__store_utc_now(char out[24])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void finalize_all(sw__q **const *qs, int n)
{
    for (int i = 0; i < n; i++) {
        sw__q_finalize(*qs[i]);
        *qs[i] = NULL;
    }
}

void sw__store_bind_num(sw__q *q, int i, double v)
{
    if (isfinite(v)) sw__q_double(q, i, v);
    else sw__q_null(q, i);
}

/* Features as JSON objects by name: values (null when missing, shortest
 * round-trip float32 text) and source labels.  Built by hand: this runs for
 * every player of every night. */
static void features_json(const sw_frame *f, long row, char *vals, size_t vcap, char *srcs, size_t scap)
{
    const float *v = sw_frame_values(f, row);
    const uint8_t *s = sw_frame_sources(f, row);
    size_t a = 0, b = 0;
    vals[a++] = '{';
    srcs[b++] = '{';
    for (int c = 0; c < sw_frame_cols(f); c++) {
        const char *name = sw_feature_name(c), *src = sw_source_name((sw_source)s[c]);
        size_t nl = strlen(name), sl = strlen(src);
        if (a + nl + 48 >= vcap || b + nl + sl + 8 >= scap) break;
        if (c) {
            vals[a++] = ',';
            srcs[b++] = ',';
        }
        vals[a++] = '"';
        memcpy(vals + a, name, nl);
        a += nl;
        vals[a++] = '"';
        vals[a++] = ':';
        if (isfinite(v[c])) {
            a += (size_t)sw_format_f32(vals + a, v[c]);
        } else {
            memcpy(vals + a, "null", 4);
            a += 4;
        }
        srcs[b++] = '"';
        memcpy(srcs + b, name, nl);
        b += nl;
        memcpy(srcs + b, "\":\"", 3);
        b += 3;
        memcpy(srcs + b, src, sl);
        b += sl;
        srcs[b++] = '"';
    }
    vals[a++] = '}';
    vals[a] = 0;
    srcs[b++] = '}';
    srcs[b] = 0;
}

/* One stored prediction row: a system's, a candidate's or a combined call. */
typedef struct {
    const char *system, *version, *trained_to, *reason;
    double pred, lo, hi, p_over, edge, conf;  /* as the slate computed them (NaN: none) */
    sw_call call;
    int fin;                                  /* a combined call: counts and contributions */
    int n_pred, n_agree;
} pred_row;

/* Bind one prediction row of slate row r and write it; a SQLite code. */
static int put_pred(sw__q *q, const char *date, const sw_league *lg, const sw_slate_row *r, const pred_row *o,
                    long run_id)
{
    double edge = o->edge, pov = isfinite(edge) ? o->p_over : NAN;
    sw__q_reset(q);
    sw__q_clear(q);
    sw__q_text(q, 1, date);
    sw__q_text(q, 2, sw_league_game_id(lg, r->game));
    sw__q_text(q, 3, sw_league_player_id(lg, r->player));
    sw__q_text(q, 4, sw_league_player_name(lg, r->player));
    sw__q_text(q, 5, sw_league_team_code(lg, r->team));
    sw__q_text(q, 6, sw_league_team_code(lg, r->opp));
    sw__q_int(q, 7, r->home);
    sw__q_text(q, 8, o->system);
    sw__q_text(q, 9, o->version);
    sw__store_bind_num(q, 10, r->line);
    if (r->book >= 0) sw__q_text(q, 11, sw_league_book(lg, r->book));
    sw__store_bind_num(q, 12, r->over_price);
    sw__store_bind_num(q, 13, r->under_price);
    sw__store_bind_num(q, 14, o->pred);
    sw__store_bind_num(q, 15, o->lo);
    sw__store_bind_num(q, 16, o->hi);
    sw__store_bind_num(q, 17, pov);
    sw__store_bind_num(q, 18, edge);
    sw__q_text(q, 19, sw_call_name(o->call));
    if (sw_call_is_bet(o->call)) sw__store_bind_num(q, 20, o->conf);
    sw__q_double(q, 21, r->quality);
    sw__q_text(q, 22, sw_tier_name(r->tier));
    if (o->fin) {
        sw__q_int(q, 23, o->n_pred);
        sw__q_int(q, 24, o->n_agree);
    }
    sw__q_text(q, 25, o->reason);
    sw__q_text(q, 26, r->feature_hash);
    sw__q_int(q, 27, run_id);
    if (o->fin && r->n_top > 0 && sw_call_is_bet(o->call)) {
        char cj[640];
        size_t cl = (size_t)snprintf(cj, sizeof cj, "{\"system\":\"%s\",\"top\":[", sw_system_name(r->top_system));
        for (int t = 0; t < r->n_top && cl < sizeof cj; t++)
            cl += (size_t)snprintf(cj + cl, sizeof cj - cl, "%s{\"feature\":\"%s\",\"value\":%.6g,\"phi\":%.6g}",
                                   t ? "," : "", sw_feature_name(r->top[t].feature), r->top[t].value, r->top[t].phi);
        if (cl < sizeof cj) snprintf(cj + cl, sizeof cj - cl, "]}");
        sw__q_text(q, 28, cj);
    }
    if (o->trained_to && o->trained_to[0]) sw__q_text(q, 29, o->trained_to);
    sw__store_bind_num(q, 30, r->p_market);
    return sw__q_step(q);
}

static pred_row final_row(const char *system, const char *version, const char *trained_to, const sw_slate_final *f)
{
    pred_row o = {system, version, trained_to, f->reason, f->pred, f->lo, f->hi, f->p_over, f->edge, f->conf,
                  f->call, 1, f->n_pred, f->n_agree};
    return o;
}

/* One statement on a date's rows: ?1 the date, ?2 a time, ?3 a run id (when
 * the statement has them); *changes the rows it changed.  A SQLite code. */
static int on_date(sw_store *st, const char *sql, const char *date, const char *at, long run_id, long *changes)
{
    sw__q *q = NULL;
    int rc = sw__q_prepare(st, sql, &q);
    if (rc != SW__OK) return rc;
    sw__q_text(q, 1, date);
    if (sw__q_nparams(q) >= 2) sw__q_text(q, 2, at);
    if (sw__q_nparams(q) >= 3) sw__q_int(q, 3, run_id);
    rc = sw__q_step(q);
    *changes = sw__db_changes(st);
    sw__q_finalize(q);
    return rc;
}

static int write_slate(sw_store *st, const sw_slate *s, const sw_league *lg, const char *config_text,
                       sw_store_result *res, sw_error *err)
{
    double t0 = sw_clock_now();
    sw_store_result local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    long kill_after = getenv("SWISH_FAULT_KILL_AFTER") ? atol(getenv("SWISH_FAULT_KILL_AFTER")) : -1;
    char date[11], started[24], finished[24], cfg_hash[65] = "";
    sw_date_format(s->date, date);
    sw__store_utc_now(started);
    if (config_text) sw_sha256_hex(config_text, strlen(config_text), cfg_hash);
    char systems[1024];
    size_t sl = 0;
    systems[0] = 0;
    for (int k = 0; k < SW_SYS_COUNT && sl < sizeof systems; k++)
        if (s->enabled[k])
            sl += (size_t)snprintf(systems + sl, sizeof systems - sl, "%s%s=%s", sl ? "," : "", sw_system_name(k),
                                   s->version[k]);
    if (sl < sizeof systems)
        sl += (size_t)snprintf(systems + sl, sizeof systems - sl, "%sfinal=%s", sl ? "," : "", s->final_version);
    for (int k = 0; s->rollout && k <= SW_SYS_COUNT && sl < sizeof systems; k++) {
        if (k < SW_SYS_COUNT && s->cand_enabled[k])
            sl += (size_t)snprintf(systems + sl, sizeof systems - sl, ",%s.rollout=%s", sw_system_name(k),
                                   s->cand_version[k]);
        else if (k == SW_SYS_COUNT)
            sl += (size_t)snprintf(systems + sl, sizeof systems - sl, ",final.rollout=%s", s->rollout_version);
    }

    /* the schema refuses these rows too; say why before starting */
    for (int k = 0; k < 2 * SW_SYS_COUNT + 2; k++) {
        const char *tt = "", *who = "final";
        char name[48];
        if (k < SW_SYS_COUNT) {
            tt = s->enabled[k] ? s->trained_to[k] : "";
            who = sw_system_name(k);
        } else if (k < 2 * SW_SYS_COUNT) {
            tt = s->cand_enabled[k - SW_SYS_COUNT] ? s->cand_trained_to[k - SW_SYS_COUNT] : "";
            snprintf(name, sizeof name, "%s.rollout", sw_system_name(k - SW_SYS_COUNT));
            who = name;
        } else if (k == 2 * SW_SYS_COUNT) {
            tt = s->final_trained_to;
        } else {
            tt = s->rollout ? s->rollout_trained_to : "";
            who = "final.rollout";
        }
        if (tt[0] && strcmp(tt, date) >= 0)
            return sw_error_set(err, SW_INVALID_DATA, st->path, 0, 0, -1,
                                "refusing to store %s predictions for %s: the model was trained on games through %s",
                                who, date, tt);
    }
    sw__q *q_run = NULL, *q_pred = NULL, *q_fdel = NULL, *q_feat = NULL, *q_upd = NULL;
    sw__q **qs[] = {&q_run, &q_pred, &q_fdel, &q_feat, &q_upd};
    const int n_qs = (int)(sizeof qs / sizeof qs[0]);
    int rc = sw__db_begin(st);
    if (rc) return sw__store_fail(st, err, rc, "cannot start the run's transaction");
    int ok = SW_OK;
#define DB(expr, what)                                                                                              \
    do {                                                                                                           \
        int r_ = (expr);                                                                                           \
        if (r_ != SW__OK && r_ != SW__DONE && r_ != SW__ROW) {                                            \
            ok = sw__store_fail(st, err, r_, what);                                                                       \
            goto rollback;                                                                                         \
        }                                                                                                          \
    } while (0)
    DB(sw__q_prepare(st, "INSERT INTO runs(game_date, started_at, finished_at, swish_version, feature_set,"
                          " config_sha256, config, systems, players, predictions, seconds, train_from, train_to)"
                          " VALUES(?,?,?,?,?,?,?,?,?,0,0,?,?) RETURNING run_id", &q_run),
       "preparing the run");
    sw__q_text(q_run, 1, date);
    sw__q_text(q_run, 2, started);
    sw__q_text(q_run, 3, started);
    sw__q_text(q_run, 4, sw_version());
    sw__q_text(q_run, 5, SW_FEATURE_SET);
    sw__q_text(q_run, 6, cfg_hash);
    if (config_text) sw__q_text(q_run, 7, config_text);
    else sw__q_null(q_run, 7);
    sw__q_text(q_run, 8, systems);
    sw__q_int(q_run, 9, s->n);
    if (s->train_from[0]) sw__q_text(q_run, 10, s->train_from);
    if (s->train_to[0]) sw__q_text(q_run, 11, s->train_to);
    DB(sw__q_step(q_run), "recording the run");
    res->run_id = (long)sw__q_col_int(q_run, 0);

    /* the date's current rows go to the audit table, their grades with them */
    long moved;
    DB(on_date(st, "INSERT INTO predictions_superseded(" PRED_NAMES ", replaced_at, replaced_by_run) SELECT " PRED_NAMES
                   ", ?2, ?3 FROM predictions"
                   " WHERE game_date = ?1", date, started, res->run_id, &moved),
       "keeping earlier predictions for audit");
    DB(on_date(st, "DELETE FROM predictions WHERE game_date = ?1", date, NULL, 0, &res->replaced),
       "replacing earlier predictions");
    DB(on_date(st, "DELETE FROM grades WHERE game_date = ?1", date, NULL, 0, &res->grades_cleared),
       "clearing the replaced rows' grades");
    DB(sw__q_prepare(st, "DELETE FROM features WHERE game_date=? AND feature_set=?", &q_fdel),
       "preparing the replacement");
    sw__q_text(q_fdel, 1, date);
    sw__q_text(q_fdel, 2, SW_FEATURE_SET);
    DB(sw__q_step(q_fdel), "replacing earlier features");

    DB(sw__q_prepare(st, "INSERT INTO predictions(" PRED_NAMES ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &q_pred),
       "preparing predictions");
    DB(sw__q_prepare(st, "INSERT INTO features VALUES(?,?,?,?,?,?,?,?,?,?)", &q_feat),
       "preparing features");
    sw__db_defer(st, 1); /* the rows: sent in batches on PostgreSQL, checked at the flush below */
    for (int k = 0; k < SW_SYS_COUNT; k++) {
        if (!s->enabled[k] || !s->importance[k]) continue;
        sw__q *qi = NULL;
        DB(sw__q_prepare(st, "INSERT INTO importance VALUES(?,?,?,?) ON CONFLICT DO NOTHING", &qi),
           "preparing importance");
        for (int c = 0; c < sw_feature_count(); c++) {
            if (s->importance[k][c] <= 0) continue;
            sw__q_reset(qi);
            sw__q_text(qi, 1, sw_system_name(k));
            sw__q_text(qi, 2, s->version[k]);
            sw__q_text(qi, 3, sw_feature_name(c));
            sw__q_double(qi, 4, s->importance[k][c]);
            int r_ = sw__q_step(qi);
            if (r_ != SW__DONE) {
                sw__q_finalize(qi);
                ok = sw__store_fail(st, err, r_, "writing importance");
                goto rollback;
            }
        }
        sw__q_finalize(qi);
    }
    char vals[8192], srcs[8192];
    for (long i = 0; i < s->n; i++) {
        const sw_slate_row *r = &s->rows[i];
        const char *gid = sw_league_game_id(lg, r->game), *pid = sw_league_player_id(lg, r->player);
        /* the systems, the candidates in rollout, the two finals of a rollout, the served final */
        for (int k = 0; k < 2 * SW_SYS_COUNT + 3; k++) {
            pred_row o;
            char name[48], served[300];
            if (k < SW_SYS_COUNT) {
                if (!s->enabled[k]) continue;
                const sw_pred *p = &r->sys[k];
                o = (pred_row){sw_system_name(k), s->version[k], s->trained_to[k], p->note, p->pred, p->lo, p->hi,
                               r->sys_p_over[k], r->sys_edge[k], p->conf, r->sys_call[k], 0, 0, 0};
            } else if (k < 2 * SW_SYS_COUNT) {
                int c = k - SW_SYS_COUNT;
                if (!s->cand_enabled[c]) continue;
                const sw_pred *p = &r->cand[c];
                snprintf(name, sizeof name, "%s.rollout", sw_system_name(c));
                o = (pred_row){name, s->cand_version[c], s->cand_trained_to[c], p->note, p->pred, p->lo, p->hi,
                               r->cand_p_over[c], r->cand_edge[c], p->conf, r->cand_call[c], 0, 0, 0};
            } else if (k == 2 * SW_SYS_COUNT) {
                if (!s->rollout) continue;
                o = final_row("final.champion", s->final_version, s->final_trained_to, &r->champ);
            } else if (k == 2 * SW_SYS_COUNT + 1) {
                if (!s->rollout) continue;
                o = final_row("final.rollout", s->rollout_version, s->rollout_trained_to, &r->roll);
            } else {
                sw_slate_final f;
                sw_slate_row_final(r, &f);
                const char *v = s->final_version, *tt = s->final_trained_to;
                if (s->rollout && r->arm) {
                    snprintf(served, sizeof served, "%s canary", s->rollout_version);
                    v = served;
                    tt = s->rollout_trained_to;
                }
                o = final_row("final", v, tt, &f);
                o.reason = r->reason;
            }
            DB(put_pred(q_pred, date, lg, r, &o, res->run_id), "writing a prediction");
            res->predictions++;
            if (kill_after >= 0 && res->predictions >= kill_after) raise(SIGKILL);
        }
        features_json(s->frame, r->frame_row, vals, sizeof vals, srcs, sizeof srcs);
        sw__q_reset(q_feat);
        sw__q_text(q_feat, 1, date);
        sw__q_text(q_feat, 2, gid);
        sw__q_text(q_feat, 3, pid);
        sw__q_text(q_feat, 4, SW_FEATURE_SET);
        sw__q_text(q_feat, 5, r->feature_hash);
        sw__q_double(q_feat, 6, r->quality);
        sw__q_text(q_feat, 7, sw_tier_name(r->tier));
        sw__q_text(q_feat, 8, vals);
        sw__q_text(q_feat, 9, srcs);
        sw__q_int(q_feat, 10, res->run_id);
        DB(sw__q_step(q_feat), "writing features");
        res->features++;
    }
    sw__db_defer(st, 0);
    DB(sw__db_flush(st), "writing the predictions");
    res->seconds = sw_clock_now() - t0;
    sw__store_utc_now(finished);
    DB(sw__q_prepare(st, "UPDATE runs SET finished_at=?, predictions=?, seconds=? WHERE run_id=?", &q_upd),
       "preparing the run update");
    sw__q_text(q_upd, 1, finished);
    sw__q_int(q_upd, 2, res->predictions);
    sw__q_double(q_upd, 3, s->t_total + res->seconds);
    sw__q_int(q_upd, 4, res->run_id);
    DB(sw__q_step(q_upd), "finishing the run");
    finalize_all(qs, n_qs);
    rc = sw__db_commit(st);
    if (rc) {
        ok = sw__store_fail(st, err, rc, "cannot commit the run");
        goto rollback;
    }
    res->seconds = sw_clock_now() - t0;
    return SW_OK;
#undef DB
rollback:
    sw__db_defer(st, 0);
    finalize_all(qs, n_qs);
    sw__db_rollback(st);
    memset(res, 0, sizeof *res);
    return ok;
}

/* The contributions JSON is printf text: written in the C locale. */
int sw_store_write_slate(sw_store *st, const sw_slate *s, const sw_league *lg, const char *config_text,
                         sw_store_result *res, sw_error *err)
{
    void *old = sw_locale_c_enter();
    int rc = write_slate(st, s, lg, config_text, res, err);
    sw_locale_c_leave(old);
    return rc;
}

void sw__store_col_text(sw__q *q, int i, char *out, size_t cap)
{
    const char *t = sw__q_col_text(q, i);
    snprintf(out, cap, "%s", t ? (const char *)t : "");
}

double sw__store_col_num(sw__q *q, int i)
{
    return sw__q_isnull(q, i) ? NAN : sw__q_col_double(q, i);
}

/* A stored call (the recommendation column) back to its enum: the one place
 * the store reads the text that put_pred writes with sw_call_name. */
int sw__store_col_call(sw_store *st, sw__q *q, int i, sw_call *out, sw_error *err)
{
    const char *t = sw__q_col_text(q, i);
    if (sw_call_parse(t, out) == 0) return SW_OK;
    return sw_error_set(err, SW_DB, st->path, 0, 0, -1,
                        "predictions: recommendation '%.16s' is not OVER, UNDER, PASS or NO_LINE", t ? t : "NULL");
}

int sw_store_read_date(sw_store *st, int date, const char *system, sw_stored_pred **rows, long *n, sw_error *err)
{
    *rows = NULL;
    *n = 0;
    char ds[11];
    sw_date_format(date, ds);
    sw__q *q = NULL;
    int rc = sw__q_prepare(st, "SELECT game_id, player_id, player_name, team, opp, home, system, model_version, line,"
                                " book, over_price, under_price, prediction, lo, hi, p_over, edge, recommendation,"
                                " confidence, quality, tier, reason, run_id, trained_to FROM predictions"
                                " WHERE game_date = ?1 AND (CAST(?2 AS TEXT) IS NULL OR system = ?2)"
                                " ORDER BY game_id, player_id, system", &q);
    sw_stored_pred *out = NULL;
    size_t cap = 0;
    long k = 0;
    if (rc == SW__OK) {
        sw__q_text(q, 1, ds);
        if (system) sw__q_text(q, 2, system);
        while ((rc = sw__q_step(q)) == SW__ROW) {
            if ((size_t)k >= cap && sw_grow((void **)&out, &cap, (size_t)k + 1, sizeof *out)) {
                sw__q_finalize(q);
                sw_free(out);
                return sw_fail(err, SW_NOMEM, "out of memory");
            }
            sw_stored_pred *r = &out[k++];
            sw__store_col_text(q, 0, r->game_id, sizeof r->game_id);
            sw__store_col_text(q, 1, r->player_id, sizeof r->player_id);
            sw__store_col_text(q, 2, r->player_name, sizeof r->player_name);
            sw__store_col_text(q, 3, r->team, sizeof r->team);
            sw__store_col_text(q, 4, r->opp, sizeof r->opp);
            r->home = sw__q_col_int(q, 5);
            sw__store_col_text(q, 6, r->system, sizeof r->system);
            sw__store_col_text(q, 7, r->version, sizeof r->version);
            r->line = sw__store_col_num(q, 8);
            sw__store_col_text(q, 9, r->book, sizeof r->book);
            r->over_price = sw__store_col_num(q, 10);
            r->under_price = sw__store_col_num(q, 11);
            r->pred = sw__store_col_num(q, 12);
            r->lo = sw__store_col_num(q, 13);
            r->hi = sw__store_col_num(q, 14);
            r->p_over = sw__store_col_num(q, 15);
            r->edge = sw__store_col_num(q, 16);
            if (sw__store_col_call(st, q, 17, &r->call, err)) {
                sw__q_finalize(q);
                sw_free(out);
                return SW_DB;
            }
            r->conf = sw__store_col_num(q, 18);
            r->quality = sw__store_col_num(q, 19);
            sw__store_col_text(q, 20, r->tier, sizeof r->tier);
            sw__store_col_text(q, 21, r->reason, sizeof r->reason);
            r->run_id = (long)sw__q_col_int(q, 22);
            sw__store_col_text(q, 23, r->trained_to, sizeof r->trained_to);
        }
        if (rc == SW__DONE) rc = SW__OK;
    }
    sw__q_finalize(q);
    if (rc) {
        sw_free(out);
        return sw__store_fail(st, err, rc, "reading predictions");
    }
    *rows = out;
    *n = k;
    return SW_OK;
}

int sw_store_ping(sw_store *st, sw_error *err)
{
    int rc = sw__db_begin(st);
    if (rc) return sw__store_fail(st, err, rc, "the database does not take writes");
    sw__db_rollback(st);
    return SW_OK;
}

int sw_store_ungraded_dates(sw_store *st, int before, int **dates, long *n, sw_error *err)
{
    *dates = NULL;
    *n = 0;
    char b[11];
    sw_date_format(before, b);
    sw__q *q = NULL;
    int rc = sw__q_prepare(st, "SELECT DISTINCT p.game_date FROM predictions p LEFT JOIN grades g ON g.game_date ="
                                " p.game_date AND g.game_id = p.game_id AND g.player_id = p.player_id AND g.system ="
                                " p.system WHERE p.game_date < ?1 AND g.outcome IS NULL ORDER BY 1", &q);
    int *out = NULL;
    size_t cap = 0;
    long k = 0;
    if (rc == SW__OK) {
        sw__q_text(q, 1, b);
        while ((rc = sw__q_step(q)) == SW__ROW) {
            const char *t = sw__q_col_text(q, 0);
            int d;
            if (!t || sw_date_parse(t, strlen(t), &d)) continue;
            if ((size_t)k >= cap && sw_grow((void **)&out, &cap, (size_t)k + 1, sizeof *out)) {
                sw__q_finalize(q);
                sw_free(out);
                return sw_fail(err, SW_NOMEM, "out of memory");
            }
            out[k++] = d;
        }
        if (rc == SW__DONE) rc = SW__OK;
    }
    sw__q_finalize(q);
    if (rc) {
        sw_free(out);
        return sw__store_fail(st, err, rc, "reading ungraded dates");
    }
    *dates = out;
    *n = k;
    return SW_OK;
}

/* ---- grading (pipeline/grade.h) -------------------------------------------- */

/* A number of a stored feature vector (JSON by name, as features_json writes
 * it), read with the project's parser: exact and locale-free.  NaN when null,
 * absent or not a number. */
static double feature_value(const sw_json *doc, const char *name)
{
    sw_jnode n = doc ? sw_json_get(doc, sw_json_root(doc), name) : SW_JNONE;
    double v;
    if (n == SW_JNONE || sw_json_type_of(doc, n) != SW_JSON_NUMBER || sw_json_f64(doc, n, 0, &v, NULL)) return NAN;
    return v;
}

const char *sw__store_col_str(sw__q *q, int i)
{
    const char *t = sw__q_col_text(q, i);
    return t ? (const char *)t : "";
}

/* The grades table's outcome texts (its CHECK), by sw_store_outcome. */
static const char *const outcomes[] = {NULL, "HIT", "MISS", "PUSH", "VOID", "NO_BET"};

const char *sw__store_outcome_name(sw_store_outcome o)
{
    return (int)o > 0 && (size_t)o < sizeof outcomes / sizeof outcomes[0] ? outcomes[o] : NULL;
}

sw_store_outcome sw__store_outcome_parse(const char *s)
{
    for (size_t k = 1; s && k < sizeof outcomes / sizeof outcomes[0]; k++)
        if (!strcmp(s, outcomes[k])) return (sw_store_outcome)k;
    return SW_STORE_GRADE_PENDING;
}

int sw_store_grade_date(sw_store *st, int date, sw_store_grader fn, void *ctx, sw_error *err)
{
    char ds[11], now[24];
    sw_date_format(date, ds);
    sw__store_utc_now(now);
    int rc = sw__db_begin(st);
    if (rc) return sw__store_fail(st, err, rc, "cannot start grading");
    sw__q *sel = NULL, *del = NULL, *ins = NULL;
    sw__q **qs[] = {&sel, &del, &ins};
    int out = SW_OK;
    if ((rc = sw__q_prepare(st, "SELECT p.game_id, p.player_id, p.system, p.model_version, p.line, p.prediction,"
                                 " p.recommendation, p.over_price, p.under_price, f.vals FROM predictions p"
                                 " LEFT JOIN features f ON f.game_date = p.game_date AND f.game_id = p.game_id"
                                 " AND f.player_id = p.player_id AND f.feature_set = ?2 WHERE p.game_date = ?1"
                                 " ORDER BY p.game_id", &sel)) ||
        (rc = sw__q_prepare(st, "DELETE FROM grades WHERE game_date = ?1", &del)) ||
        (rc = sw__q_prepare(st, "INSERT INTO grades(game_date, game_id, player_id, system, model_version, actual,"
                                 " minutes, outcome, abs_error, units, units_110, season_avg, last10_avg, graded_at)"
                                 " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &ins))) {
        out = sw__store_fail(st, err, rc, "preparing grading");
        goto done;
    }
    sw__q_text(del, 1, ds);
    if ((rc = sw__q_step(del)) != SW__DONE) {
        out = sw__store_fail(st, err, rc, "replacing earlier grades");
        goto done;
    }
    sw__q_text(sel, 1, ds);
    sw__q_text(sel, 2, SW_FEATURE_SET);
    while ((rc = sw__q_step(sel)) == SW__ROW) {
        sw_store_gradable row = {sw__store_col_str(sel, 0), sw__store_col_str(sel, 1), sw__store_col_str(sel, 2), sw__store_col_str(sel, 3), SW_CALL_PASS,
                                 sw__store_col_num(sel, 4), sw__store_col_num(sel, 5), sw__store_col_num(sel, 7), sw__store_col_num(sel, 8), NAN, NAN};
        if ((out = sw__store_col_call(st, sel, 6, &row.call, err))) goto done;
        const char *vals = sw__q_col_text(sel, 9);
        if (vals) {
            sw_json *doc = NULL;
            sw_error jerr;
            int jr = sw_json_parse("features", vals, (size_t)sw__q_col_bytes(sel, 9), &doc, &jerr);
            if (jr == SW_NOMEM) {
                out = sw_fail(err, SW_NOMEM, "out of memory");
                goto done;
            }
            /* a vector that does not parse has no values (grading goes on) */
            row.points_avg_season = feature_value(doc, "points_avg_season");
            row.points_avg_last_10 = feature_value(doc, "points_avg_last_10");
            sw_json_free(doc);
        }
        sw_store_grade g = {SW_STORE_GRADE_PENDING, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
        if ((out = fn(ctx, &row, &g, err))) goto done;
        if (g.outcome == SW_STORE_GRADE_PENDING) continue;
        if ((unsigned)g.outcome >= sizeof outcomes / sizeof outcomes[0]) {
            out = sw_fail(err, SW_INTERNAL, "grading: outcome %d out of range", (int)g.outcome);
            goto done;
        }
        sw__q_reset(ins);
        sw__q_clear(ins);
        sw__q_text(ins, 1, ds);
        sw__q_text(ins, 2, row.game_id);
        sw__q_text(ins, 3, row.player_id);
        sw__q_text(ins, 4, row.system);
        sw__q_text(ins, 5, row.version);
        sw__store_bind_num(ins, 6, g.actual);
        sw__store_bind_num(ins, 7, g.minutes);
        sw__q_text(ins, 8, outcomes[g.outcome]);
        sw__store_bind_num(ins, 9, g.abs_error);
        sw__store_bind_num(ins, 10, g.units);
        sw__store_bind_num(ins, 11, g.units_110);
        sw__store_bind_num(ins, 12, g.season_avg);
        sw__store_bind_num(ins, 13, g.last10_avg);
        sw__q_text(ins, 14, now);
        if ((rc = sw__q_step(ins)) != SW__DONE) {
            out = sw__store_fail(st, err, rc, "writing a grade");
            goto done;
        }
    }
    if (rc != SW__DONE) out = sw__store_fail(st, err, rc, "reading predictions");
done:
    finalize_all(qs, (int)(sizeof qs / sizeof qs[0]));
    if (out == SW_OK && (rc = sw__db_commit(st)))
        out = sw__store_fail(st, err, rc, "committing grades");
    if (out != SW_OK) sw__db_rollback(st);
    return out;
}

int sw_store_systems(sw_store *st, int from, int to, sw_store_name **names, int *n, sw_error *err)
{
    *names = NULL;
    *n = 0;
    char a[11] = "", b[11] = "";
    if (from >= 0) sw_date_format(from, a);
    if (to >= 0) sw_date_format(to, b);
    sw__q *q = NULL;
    int rc = sw__q_prepare(st, "SELECT system FROM (SELECT system, game_date FROM predictions UNION ALL SELECT system,"
                                " game_date FROM predictions_lookahead) AS s WHERE (?1 = '' OR game_date >= ?1)"
                                " AND (?2 = '' OR game_date <= ?2) GROUP BY system ORDER BY system = 'final', system", &q);
    sw_store_name *out = NULL;
    size_t cap = 0;
    int k = 0;
    if (rc == SW__OK) {
        sw__q_text(q, 1, a);
        sw__q_text(q, 2, b);
        while ((rc = sw__q_step(q)) == SW__ROW) {
            if ((size_t)k >= cap && sw_grow((void **)&out, &cap, (size_t)k + 1, sizeof *out)) {
                sw__q_finalize(q);
                sw_free(out);
                return sw_fail(err, SW_NOMEM, "out of memory");
            }
            sw__store_col_text(q, 0, out[k++], sizeof *out);
        }
        if (rc == SW__DONE) rc = SW__OK;
    }
    sw__q_finalize(q);
    if (rc) {
        sw_free(out);
        return sw__store_fail(st, err, rc, "reading the systems");
    }
    *names = out;
    *n = k;
    return SW_OK;
}

int sw_store_graded(sw_store *st, const char *system, int from, int to, sw_graded **rows, long *n, sw_error *err)
{
    *rows = NULL;
    *n = 0;
    char a[11] = "", b[11] = "";
    if (from >= 0) sw_date_format(from, a);
    if (to >= 0) sw_date_format(to, b);
    sw__q *q = NULL;
    int rc = sw__q_prepare(st, "SELECT p.game_date, p.prediction, g.actual, p.line, p.p_over, p.confidence, p.quality,"
                                " p.over_price, p.under_price, g.season_avg, g.last10_avg, p.tier, p.recommendation, p.p_market"
                                " FROM predictions p JOIN grades g USING (game_date, game_id, player_id, system,"
                                " model_version) WHERE p.system = ?1 AND (?2 = '' OR p.game_date >= ?2)"
                                " AND (?3 = '' OR p.game_date <= ?3) ORDER BY p.game_date, p.game_id, p.player_id", &q);
    sw_graded *out = NULL;
    size_t cap = 0;
    long k = 0;
    int fail = SW_OK;
    if (rc == SW__OK) {
        sw__q_text(q, 1, system);
        sw__q_text(q, 2, a);
        sw__q_text(q, 3, b);
        while ((rc = sw__q_step(q)) == SW__ROW) {
            if ((size_t)k >= cap && sw_grow((void **)&out, &cap, (size_t)k + 1, sizeof *out)) {
                fail = sw_fail(err, SW_NOMEM, "out of memory");
                break;
            }
            sw_graded *r = &out[k++];
            const char *d = sw__store_col_str(q, 0);
            if (sw_date_parse(d, strlen(d), &r->date)) r->date = -1;
            float *dst[] = {&r->pred, &r->actual, &r->line, &r->p_over, &r->conf, &r->quality,
                            &r->over_price, &r->under_price, &r->season_avg, &r->last10_avg};
            for (int c = 0; c < 10; c++) *dst[c] = (float)sw__store_col_num(q, c + 1);
            const char *tier = sw__store_col_str(q, 11);
            r->tier = SW_TIER_CRITICAL;
            for (int t = 0; t <= SW_TIER_GOLD; t++)
                if (!strcmp(tier, sw_tier_name((sw_tier)t))) r->tier = (sw_tier)t;
            if ((fail = sw__store_col_call(st, q, 12, &r->call, err))) break;
            r->p_market = (float)sw__store_col_num(q, 13);
        }
        if (rc == SW__DONE) rc = SW__OK;
    }
    sw__q_finalize(q);
    if (fail || rc) {
        sw_free(out);
        return fail ? fail : sw__store_fail(st, err, rc, "reading grades");
    }
    *rows = out;
    *n = k;
    return SW_OK;
}

/* ---- jobs ---------------------------------------------------------------- */

static const char *schema_jobs =
    "CREATE TABLE IF NOT EXISTS jobs("
    " id TEXT PRIMARY KEY, game_date TEXT NOT NULL, source TEXT, received_at TEXT NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('queued','running','done','failed')),"
    " attempts INTEGER NOT NULL DEFAULT 0, started_at TEXT, finished_at TEXT, run_id INTEGER, exit_code INTEGER,"
    " error TEXT);"
    "CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, received_at);";

/* The jobs table exists from the first job on (databases of `swish slate` alone never have it). */
static int jobs_ready(sw_store *st, sw_error *err)
{
    int rc = sw__db_exec(st, schema_jobs);
    return rc ? sw__store_fail(st, err, rc, "preparing the jobs table") : SW_OK;
}

int sw_store_job_record(sw_store *st, const char *id, const char *date, const char *source, int *fresh, sw_error *err)
{
    *fresh = 0;
    int rc = jobs_ready(st, err);
    if (rc) return rc;
    char now[24];
    sw__store_utc_now(now);
    sw__q *q = NULL;
    rc = sw__q_prepare(st, "INSERT INTO jobs(id, game_date, source, received_at, state) VALUES (?1, ?2, ?3, ?4, 'queued')"
                            " ON CONFLICT(id) DO NOTHING", &q);
    if (rc == SW__OK) {
        sw__q_text(q, 1, id);
        sw__q_text(q, 2, date);
        sw__q_text(q, 3, source ? source : "");
        sw__q_text(q, 4, now);
        rc = sw__q_step(q);
        if (rc == SW__DONE) {
            rc = SW__OK;
            *fresh = sw__db_changes(st) > 0;
        }
    }
    sw__q_finalize(q);
    return rc ? sw__store_fail(st, err, rc, "recording a job") : SW_OK;
}

static int job_update(sw_store *st, const char *sql, const char *id, int ok, long run_id, int exit_code,
                      const char *error, sw_error *err)
{
    int rc = jobs_ready(st, err);
    if (rc) return rc;
    char now[24];
    sw__store_utc_now(now);
    sw__q *q = NULL;
    rc = sw__q_prepare(st, sql, &q);
    if (rc == SW__OK) {
        sw__q_text(q, 1, id);
        sw__q_text(q, 2, now);
        sw__q_text(q, 3, ok ? "done" : "failed");
        if (run_id > 0) sw__q_int(q, 4, run_id);
        sw__q_int(q, 5, exit_code);
        if (error && *error) sw__q_text(q, 6, error);
        rc = sw__q_step(q);
        if (rc == SW__DONE) rc = sw__db_changes(st) > 0 ? SW__OK : SW__NOTFOUND;
    }
    sw__q_finalize(q);
    if (rc == SW__NOTFOUND) return sw_error_set(err, SW_NOT_FOUND, st->path, 0, 0, -1, "no job '%s'", id);
    return rc ? sw__store_fail(st, err, rc, "updating a job") : SW_OK;
}

int sw_store_job_start(sw_store *st, const char *id, sw_error *err)
{
    return job_update(st,
                      "UPDATE jobs SET state = 'running', attempts = attempts + 1, started_at = ?2, finished_at = NULL,"
                      " error = NULL WHERE id = ?1",
                      id, 0, 0, 0, NULL, err);
}

int sw_store_job_finish(sw_store *st, const char *id, int ok, long run_id, int exit_code, const char *error,
                        sw_error *err)
{
    return job_update(st,
                      "UPDATE jobs SET state = ?3, finished_at = ?2, run_id = ?4, exit_code = ?5, error = ?6 WHERE id = ?1",
                      id, ok, run_id, exit_code, error, err);
}

static void job_of(sw__q *q, sw_job *j)
{
    memset(j, 0, sizeof *j);
    sw__store_col_text(q, 0, j->id, sizeof j->id);
    sw__store_col_text(q, 1, j->date, sizeof j->date);
    sw__store_col_text(q, 2, j->source, sizeof j->source);
    sw__store_col_text(q, 3, j->received_at, sizeof j->received_at);
    sw__store_col_text(q, 4, j->state, sizeof j->state);
    j->attempts = sw__q_col_int(q, 5);
    sw__store_col_text(q, 6, j->started_at, sizeof j->started_at);
    sw__store_col_text(q, 7, j->finished_at, sizeof j->finished_at);
    j->run_id = (long)sw__q_col_int(q, 8);
    j->exit_code = sw__q_col_int(q, 9);
    sw__store_col_text(q, 10, j->error, sizeof j->error);
}

#define JOB_COLS "id, game_date, source, received_at, state, attempts, started_at, finished_at, run_id, exit_code, error"

int sw_store_job_get(sw_store *st, const char *id, sw_job *job, sw_error *err)
{
    int rc = jobs_ready(st, err);
    if (rc) return rc;
    sw__q *q = NULL;
    rc = sw__q_prepare(st, "SELECT " JOB_COLS " FROM jobs WHERE id = ?1", &q);
    int found = 0;
    if (rc == SW__OK) {
        sw__q_text(q, 1, id);
        rc = sw__q_step(q);
        if (rc == SW__ROW) {
            job_of(q, job);
            found = 1;
            rc = SW__OK;
        } else if (rc == SW__DONE) {
            rc = SW__OK;
        }
    }
    sw__q_finalize(q);
    if (rc) return sw__store_fail(st, err, rc, "reading a job");
    return found ? SW_OK : sw_error_set(err, SW_NOT_FOUND, st->path, 0, 0, -1, "no job '%s'", id);
}

int sw_store_jobs_unfinished(sw_store *st, sw_job **jobs, long *n, sw_error *err)
{
    *jobs = NULL;
    *n = 0;
    int rc = jobs_ready(st, err);
    if (rc) return rc;
    sw__q *q = NULL;
    rc = sw__q_prepare(st, "SELECT " JOB_COLS " FROM jobs WHERE state IN ('queued', 'running') ORDER BY received_at, rowid", &q);
    sw_job *out = NULL;
    size_t cap = 0;
    long k = 0;
    if (rc == SW__OK) {
        while ((rc = sw__q_step(q)) == SW__ROW) {
            if ((size_t)k >= cap && sw_grow((void **)&out, &cap, (size_t)k + 1, sizeof *out)) {
                sw__q_finalize(q);
                sw_free(out);
                return sw_fail(err, SW_NOMEM, "out of memory");
            }
            job_of(q, &out[k++]);
        }
        if (rc == SW__DONE) rc = SW__OK;
    }
    sw__q_finalize(q);
    if (rc) {
        sw_free(out);
        return sw__store_fail(st, err, rc, "reading unfinished jobs");
    }
    *jobs = out;
    *n = k;
    return SW_OK;
}

/* ---- alerts (pipeline/alert.h) --------------------------------------------- */

static const char *schema_alerts =
    "CREATE TABLE IF NOT EXISTS alerts("
    " key TEXT NOT NULL, endpoint TEXT NOT NULL, event TEXT NOT NULL, severity TEXT NOT NULL, system TEXT,"
    " text TEXT, first_at TEXT NOT NULL, last_at TEXT NOT NULL, sent_at TEXT, claimed_at TEXT,"
    " count INTEGER NOT NULL DEFAULT 0, delivered INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT, PRIMARY KEY (key, endpoint));"
    "CREATE TABLE IF NOT EXISTS alert_sends(at TEXT NOT NULL, key TEXT NOT NULL, endpoint TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS alert_sends_at ON alert_sends(endpoint, at);";

/* Milliseconds matter here: a dedup window may be a second or two (tests). */
static void alert_now(char out[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char s[24];
    strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%s.%03dZ", s, (int)(ts.tv_nsec / 1000000));
}

/* BEGIN IMMEDIATE (the decision and its record are one atomic step between
 * processes) and the tables. */
static int alert_begin(sw_store *st, sw_error *err)
{
    int rc = sw__db_begin(st);
    if (rc) return sw__store_fail(st, err, rc, "recording an alert");
    if ((rc = sw__db_exec(st, schema_alerts))) {
        int r = sw__store_fail(st, err, rc, "preparing the alerts table");
        sw__db_rollback(st);
        return r;
    }
    return SW_OK;
}

static int alert_end(sw_store *st, int rc, sw_error *err)
{
    if (rc == SW__OK && (rc = sw__db_commit(st)) == SW__OK) return SW_OK;
    int r = sw__store_fail(st, err, rc, "recording an alert");
    sw__db_rollback(st);
    return r;
}

static void alert_bind(sw__q *q, const sw_store_alert *a, const char *now)
{
    sw__q_text(q, 1, a->key);
    sw__q_text(q, 2, a->endpoint);
    sw__q_text(q, 3, a->event);
    sw__q_text(q, 4, a->severity);
    if (a->system) sw__q_text(q, 5, a->system);
    else sw__q_null(q, 5);
    sw__q_text(q, 6, a->text ? a->text : "");
    sw__q_text(q, 7, now);
}

int sw_store_alert_should_send(sw_store *st, const sw_store_alert *a, double dedup_s, int max_per_hour,
                               double claim_s, int *decision, sw_error *err)
{
    *decision = SW_STORE_ALERT_SEND;
    int rc = alert_begin(st, err);
    if (rc) return rc;
    char now[32];
    alert_now(now);
    sw__q *q = NULL;
    int d = SW_STORE_ALERT_SEND;
    rc = sw__q_prepare(st, "SELECT (julianday(?3) - julianday(sent_at)) * 86400.0,"
                            " (julianday(?3) - julianday(claimed_at)) * 86400.0 FROM alerts"
                            " WHERE key = ?1 AND endpoint = ?2", &q);
    if (rc == SW__OK) {
        sw__q_text(q, 1, a->key);
        sw__q_text(q, 2, a->endpoint);
        sw__q_text(q, 3, now);
        rc = sw__q_step(q);
        if (rc == SW__ROW) {
            /* a clock set back makes an age negative: that is "just now" */
            if (!sw__q_isnull(q, 0) && sw__q_col_double(q, 0) < dedup_s)
                d = SW_STORE_ALERT_DEDUP;
            if (!sw__q_isnull(q, 1) && sw__q_col_double(q, 1) < claim_s)
                d = SW_STORE_ALERT_DEDUP;
            rc = SW__OK;
        } else if (rc == SW__DONE) {
            rc = SW__OK;
        }
    }
    sw__q_finalize(q);
    q = NULL;
    if (rc == SW__OK && d == SW_STORE_ALERT_SEND) {
        rc = sw__q_prepare(st, "SELECT count(*) FROM alert_sends WHERE endpoint = ?1"
                                " AND julianday(at) > julianday(?2) - 1.0 / 24.0", &q);
        if (rc == SW__OK) {
            sw__q_text(q, 1, a->endpoint);
            sw__q_text(q, 2, now);
            if ((rc = sw__q_step(q)) == SW__ROW) {
                if (sw__q_col_int(q, 0) >= max_per_hour) d = SW_STORE_ALERT_RATE;
                rc = SW__OK;
            }
        }
        sw__q_finalize(q);
        q = NULL;
    }
    if (rc == SW__OK) {
        rc = sw__q_prepare(st, "INSERT INTO alerts(key, endpoint, event, severity, system, text, first_at, last_at,"
                                " claimed_at, count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, CASE WHEN ?8 <> 0 THEN ?7 END, 1)"
                                " ON CONFLICT(key, endpoint) DO UPDATE SET event = ?3, severity = ?4, system = ?5,"
                                " text = ?6, last_at = ?7, count = alerts.count + 1,"
                                " claimed_at = CASE WHEN ?8 <> 0 THEN ?7 ELSE alerts.claimed_at END", &q);
        if (rc == SW__OK) {
            alert_bind(q, a, now);
            sw__q_int(q, 8, d == SW_STORE_ALERT_SEND);
            if ((rc = sw__q_step(q)) == SW__DONE) rc = SW__OK;
        }
        sw__q_finalize(q);
    }
    if ((rc = alert_end(st, rc, err))) return rc;
    *decision = d;
    return SW_OK;
}

int sw_store_alert_record(sw_store *st, const sw_store_alert *a, int delivered, const char *error, sw_error *err)
{
    int rc = alert_begin(st, err);
    if (rc) return rc;
    char now[32];
    alert_now(now);
    sw__q *q = NULL;
    rc = sw__q_prepare(st, delivered
                                ? "INSERT INTO alerts(key, endpoint, event, severity, system, text, first_at, last_at,"
                                  " sent_at, count, delivered) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?7, 1, 1)"
                                  " ON CONFLICT(key, endpoint) DO UPDATE SET sent_at = ?7, claimed_at = NULL,"
                                  " delivered = alerts.delivered + 1, last_error = NULL"
                                : "INSERT INTO alerts(key, endpoint, event, severity, system, text, first_at, last_at,"
                                  " count, failures, last_error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, 1, 1, ?8)"
                                  " ON CONFLICT(key, endpoint) DO UPDATE SET claimed_at = NULL,"
                                  " failures = alerts.failures + 1, last_error = ?8", &q);
    if (rc == SW__OK) {
        alert_bind(q, a, now);
        if (!delivered) {
            if (error) sw__q_text(q, 8, error);
            else sw__q_null(q, 8);
        }
        if ((rc = sw__q_step(q)) == SW__DONE) rc = SW__OK;
    }
    sw__q_finalize(q);
    q = NULL;
    if (rc == SW__OK && delivered) {
        rc = sw__q_prepare(st, "INSERT INTO alert_sends(at, key, endpoint) VALUES (?1, ?2, ?3)", &q);
        if (rc == SW__OK) {
            sw__q_text(q, 1, now);
            sw__q_text(q, 2, a->key);
            sw__q_text(q, 3, a->endpoint);
            if ((rc = sw__q_step(q)) == SW__DONE) rc = SW__OK;
        }
        sw__q_finalize(q);
        q = NULL;
        if (rc == SW__OK) {
            rc = sw__q_prepare(st, "DELETE FROM alert_sends WHERE julianday(at) < julianday(?1) - 2", &q);
            if (rc == SW__OK) {
                sw__q_text(q, 1, now);
                if ((rc = sw__q_step(q)) == SW__DONE) rc = SW__OK;
            }
            sw__q_finalize(q);
        }
    }
    return alert_end(st, rc, err);
}
