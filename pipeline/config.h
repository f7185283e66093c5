/* config: the one configuration of the nightly run and the weekly retrain.
 *
 * An INI file ("[section]" then "key = value", '#' comments); every key can be
 * overridden by an environment variable SWISH_<SECTION>_<KEY> (upper case,
 * e.g. SWISH_CALL_MIN_EDGE=2.0), and command-line options override both.
 * An unknown key or an invalid value is SW_ARG naming the file, line and the
 * valid keys.  `swish config` prints the effective configuration in the file
 * format, with each key documented.
 *
 * Ownership: a plain value.  Thread-safety: reentrant.
 */
#ifndef SW_CONFIG_H
#define SW_CONFIG_H

#include <stdio.h>

#include "features/features.h"
#include "systems.h"

#define SW_CONFIG_MAX_BOOKS 16

typedef struct {
    /* [paths] */
    char data[1024], db[1024], models[1024];
    int busy_timeout_ms;       /* [paths] db_busy_timeout_ms */
    /* [slate] */
    char books[SW_CONFIG_MAX_BOOKS][32];
    int n_books;
    int systems[SW_SYS_COUNT]; /* enabled */
    double min_minutes;        /* players with fewer minutes (last 10) and no line are left out */
    int max_players;
    int threads;
    /* [call] */
    double min_ev, kelly;      /* calls by expected value at the best price; Kelly fraction of the stake */
    double min_edge, min_prob, min_agreement;
    int min_systems;
    sw_tier min_tier;
    /* [retrain] */
    int rounds, early_stopping, max_depth, folds, window_days;
    double eta, min_quality, ridge_lambda;
    double market_shrink_rows, market_prior; /* the market anchor's fit (market.h) */
    unsigned long long seed;
    int monotone_minutes;
    /* [storage]: the model store's object-store settings (unset: the environment, io/objstore.h) */
    char endpoint[512], region[64], access_key_id[256], secret_access_key[256], session_token[2048];
    char cache[1024];          /* "" : $XDG_CACHE_HOME/swish, else ~/.cache/swish */
    double timeout_s;
    int retries;
    /* [rollout] */
    int min_graded;            /* graded player-games since the stage began before a gate may decide */
    int canary_share;          /* the first canary share, percent */
    int auto_promote;          /* 1: a passed gate advances the stage without a person's command */
    int auto_rollback;         /* 1: a clear loss rolls the candidate back (automatic actions only demote) */
    /* [serve]: `swish serve` (tools/serve.h) */
    char listen[128];          /* HOST:PORT */
    int serve_threads;         /* request threads; 0: every usable CPU */
    int max_connections, max_body, conn_timeout_s;
    char push_token[256];      /* shared ?token= secret for pushes ("" : none) */
    char jwks[1024];           /* JWT keys: a JWKS/PEM file or an https:// URL ("" : no JWT) */
    char audience[512], issuer[256], push_email[256];
    int skew_s;                /* clock skew allowed on exp/iat */
    int insecure;              /* 1: without a token or JWT keys, take any push */
    int log_json;              /* 1: request log lines as JSON */
    double poll_s;             /* how often the store's champions and the data are checked for changes */
    /* [retrain] scheduling (swish retrain --if-due, swish nightly) */
    int every_days;            /* retrain when the newest gbdt version is this old (0: never by schedule) */
    char retrain_at[8];        /* "HH:MM" UTC: not before this time of the due day ("" any time) */
    char new_versions[16];     /* where a scheduled retrain's versions go: shadow, champion or none */
    /* [monitor] */
    double psi_watch, psi_alert, ks_alert;
    int drift_days;            /* recent days of stored features compared with the training window */
    int perf_min_graded;       /* graded rows a performance state needs before it leaves OK */
    double mae_watch, mae_degrading, mae_blocked; /* a system's MAE over the line's on the same rows */
    int stale_days;            /* newest box score older than this before the run date: stale */
    char slate_deadline[8];    /* "HH:MM" UTC by which tonight's slate must be stored ("" none) */
    /* [alerts] */
    char slack_url[1024], webhook_url[1024]; /* secrets, never printed */
    double alert_timeout_s;
    int alert_retries;
    double dedup_s;            /* the same alert key is sent once per this many seconds */
    int max_per_hour;
} sw_config;

void sw_config_default(sw_config *c);
/* Defaults, then the file (NULL: none), then the environment. */
int sw_config_load(sw_config *c, const char *path, sw_error *err);
/* One key, "section.key" ("call.min_edge"). */
int sw_config_set(sw_config *c, const char *key, const char *value, sw_error *err);
int sw_config_apply_env(sw_config *c, sw_error *err);
/* The configuration in the file format, every key with its documentation. */
void sw_config_write(const sw_config *c, FILE *out);

#endif
