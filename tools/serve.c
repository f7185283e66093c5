/* serve: the service (serve.h).  Threads: libmicrohttpd's pool answers
 * requests; one worker runs pushed slates in order; one thread reloads
 * models and data; the main thread waits for signals.  Shared state is the
 * current generation (a reference-counted league and date contexts) behind
 * srv.mu, the job queue behind srv.qmu, and the metrics registry (its own
 * locks). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "core/alloc.h"
#include "core/date.h"
#include "core/hash.h"
#include "core/json.h"
#include "core/prom.h"
#include "core/threads.h"
#include "core/version.h"
#include "io/jwt.h"
#include "core/fileio.h"
#include "pipeline/alert.h"
#include "pipeline/models.h"
#include "pipeline/monitor.h"
#include "pipeline/registry.h"
#include "pipeline/slate.h"
#include "pipeline/store.h"
#include "runcfg.h"
#include "serve.h"
#include "slatejob.h"
#include "core/clock.h"

#define CTX_MAX 8          /* dates cached per generation */
#define CTX_RETRY_S 5.0    /* a date that failed to build is retried after this */
#define BATCH_MAX 1000     /* players per predict request */
#define DRAIN_S 30.0       /* SIGTERM waits this long for requests in flight */
#define INFO_MAX 16        /* versions in the info gauge */

/* ---- generations ---------------------------------------------------------- */

typedef struct {
    sw_league *lg;
    int refs;                          /* under srv.mu */
} lgref;

typedef struct {
    int date;
    int refs, evicted;                 /* under gen.mu */
    int state;                         /* 0 building, 1 ready, 2 failed */
    double at;
    int rc;
    char why[512];
    unsigned long used;
    sw_models models;
    int has_models;
    sw_slate_opts so;
    sw_slate *slate;
    int *row_of;                       /* league player -> slate row, -1 */
    sw_prom_child *served[SW_SYS_COUNT + 1];
} ctx;

typedef struct {
    int refs;                          /* under srv.mu: the server's own, and each request's */
    lgref *lg;
    char data_sig[65], models_sig[65];
    int next_day;                      /* the default date (-1: none scheduled) */
    double loaded_at;                  /* wall clock */
    int degraded;
    char warnings[4][384];
    int n_warnings;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ctx *ctxs[CTX_MAX];
    unsigned long tick;
    int n_info;                        /* the versions served (system, version, role) */
    char info[INFO_MAX][3][64];
} gen;

/* ---- the server ------------------------------------------------------------ */

typedef struct job_node {
    struct job_node *next;
    char id[256];
} job_node;

static struct {
    const sw_config *cfg;
    const char *config_text;
    struct MHD_Daemon *d;
    int port;
    pthread_mutex_t mu;                /* cur, lg refs, gen refs */
    gen *cur;
    pthread_mutex_t reload_mu;         /* one reload at a time */
    pthread_mutex_t amu;               /* active, stopping */
    pthread_cond_t acv;
    long active;
    int stopping;
    /* jobs */
    pthread_mutex_t qmu;
    pthread_cond_t qcv;
    job_node *qhead, *qtail;
    long queued;
    int worker_stop;
    /* reloads */
    pthread_mutex_t rmu;
    pthread_cond_t rcv;
    int reload_asked, reload_stop;
    char reload_error[512];
    /* readiness of the database, checked at most every 5 s */
    pthread_mutex_t dbmu;
    double db_checked;
    int db_ok;
    char db_why[256];
    /* auth */
    sw_jwt_keys *keys;
    sw_alerter *alerter;               /* [alerts]: a slate late past its deadline */
    int open_push;                     /* serve.insecure without a token or JWT keys: any push is taken */
    /* metrics */
    sw_prom *prom;
    int m_req, m_lat, m_served, m_slates, m_slate_s, m_slate_last, m_models, m_reloads, m_reload_at, m_auth,
        m_jobs, m_queued, m_ready, m_build, m_conns, m_refused;
    int conns;                         /* open connections (atomic) */
    FILE *log;
    pthread_mutex_t logmu;
} srv;

/* Copy text, cut to fit. */
static void scopy(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = 0;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void iso_now(char out[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* JSON string escaping into a fixed buffer (log lines). */
static size_t jesc(char *out, size_t cap, const char *s)
{
    size_t n = 0;
    for (; *s && n + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') n += (size_t)snprintf(out + n, cap - n, "\\%c", c);
        else if (c < 0x20) n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
        else out[n++] = (char)c;
    }
    out[n] = 0;
    return n;
}

/* One log line: text, or JSON with serve.log_json; written whole. */
static void logf_(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(const char *level, const char *fmt, ...)
{
    char msg[1024], ts[32], line[2400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    iso_now(ts);
    if (srv.cfg->log_json) {
        char e[2100];
        jesc(e, sizeof e, msg);
        snprintf(line, sizeof line, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"%s\"}\n", ts, level, e);
    } else {
        snprintf(line, sizeof line, "%s swish: %s: %s\n", ts, level, msg);
    }
    pthread_mutex_lock(&srv.logmu);
    fputs(line, srv.log);
    fflush(srv.log);
    pthread_mutex_unlock(&srv.logmu);
}

/* ---- signatures: has anything changed? ------------------------------------- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The data directory's files: names, sizes and modification times. */
static void data_sig(const char *dir, char out[65])
{
    sw_sha256 h;
    sw_sha256_init(&h);
    DIR *d = opendir(dir);
    char *names[256];
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) && n < 256)
        if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
    if (d) closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 0; i < n; i++) {
        char path[2048], rec[2300];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st;
        if (stat(path, &st) == 0) {
            int len = snprintf(rec, sizeof rec, "%s|%lld|%lld.%09ld\n", names[i], (long long)st.st_size,
                               (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
            sw_sha256_update(&h, rec, (size_t)len);
        }
        free(names[i]);
    }
    unsigned char dig[32];
    sw_sha256_final(&h, dig);
    for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", dig[i]);
}

/* The store's champions, rollouts and histories of the model systems. */
static int models_sig(const char *store, char out[65], sw_error *err)
{
    static const char *const systems[] = {"gbdt", "catboost_v8", "stack"};
    sw_sha256 h;
    sw_sha256_init(&h);
    for (size_t i = 0; i < sizeof systems / sizeof systems[0]; i++) {
        sw_reg_state st;
        memset(&st, 0, sizeof st);
        int rc = sw_registry_state(store, systems[i], &st, err);
        char rec[512];
        int len;
        if (rc == SW_NOT_FOUND) {
            len = snprintf(rec, sizeof rec, "%s:none\n", systems[i]);
        } else if (rc) {
            return rc;
        } else {
            len = snprintf(rec, sizeof rec, "%s:%s|%s|%d|%d|%d|%d\n", systems[i], st.champion, st.rollout,
                           (int)st.rollout_stage, st.share, st.n_events, st.n_marks);
            sw_registry_state_free(&st);
        }
        sw_sha256_update(&h, rec, (size_t)len);
    }
    unsigned char dig[32];
    sw_sha256_final(&h, dig);
    for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", dig[i]);
    return SW_OK;
}

/* ---- date contexts ---------------------------------------------------------- */

static void ctx_free(ctx *c)
{
    if (!c) return;
    sw_slate_free(c->slate);
    if (c->has_models) sw_models_free(&c->models);
    sw_free(c->row_of);
    sw_free(c);
}

static void opts_of(const sw_config *cfg, sw_models *m, int date, sw_slate_opts *so)
{
    memset(so, 0, sizeof *so);
    so->date = date;
    so->cfg = cfg;
    so->stack = m->has_stack ? &m->stack : NULL;
    so->stack_version = m->stack_version;
    so->stack_trained_to = m->stack_trained_to;
    memcpy(so->systems, m->sys, sizeof so->systems);
    memcpy(so->cand, m->cand, sizeof so->cand);
    memcpy(so->cand_share, m->cand_share, sizeof so->cand_share);
    if (m->has_cand_stack) {
        so->cand_stack = &m->cand_stack;
        so->cand_stack_version = m->cand_stack_version;
        so->cand_stack_trained_to = m->cand_stack_trained_to;
        so->cand_stack_share = m->cand_stack_share;
    }
    so->keep_all = 1;
}

/* The models that may serve the date and a slate of every expected player. */
static void ctx_build(const gen *g, ctx *c)
{
    const sw_config *cfg = srv.cfg;
    sw_error err;
    sw_error_clear(&err);
    c->rc = sw_models_load(cfg, cfg->models, c->date, &c->models, &err);
    if (c->rc == SW_OK) {
        c->has_models = 1;
        opts_of(cfg, &c->models, c->date, &c->so);
        /* systems the monitor BLOCKED are left out of final, as in the slate */
        sw_store *st = NULL;
        sw_error e2;
        int blocked[SW_SYS_COUNT + 1] = {0};
        if (sw_store_exists(cfg->db) && sw_store_open(cfg->db, cfg->busy_timeout_ms, 0, &st, &e2) == SW_OK &&
            sw_monitor_blocked(st, blocked, &e2) != SW_OK)
            logf_("warning", "the monitor's states cannot be read: %s", e2.msg);
        sw_store_close(st);
        memcpy(c->so.blocked, blocked, sizeof c->so.blocked);
        c->so.final_blocked = blocked[SW_SYS_COUNT];
        c->rc = sw_slate_run(g->lg->lg, &c->so, &c->slate, &err);
    }
    if (c->rc == SW_OK) {
        int np = sw_league_n_players(g->lg->lg);
        c->row_of = sw_alloc_array((size_t)np + 1, sizeof *c->row_of);
        if (!c->row_of) {
            c->rc = sw_fail(&err, SW_NOMEM, "out of memory");
        } else {
            for (int p = 0; p < np; p++) c->row_of[p] = -1;
            for (long i = 0; i < c->slate->n; i++) c->row_of[c->slate->rows[i].player] = (int)i;
            for (int k = 0; k <= SW_SYS_COUNT; k++) {
                const char *v[2] = {k < SW_SYS_COUNT ? sw_system_name(k) : "final",
                                    k < SW_SYS_COUNT ? c->slate->version[k] : c->slate->final_version};
                c->served[k] = k < SW_SYS_COUNT && !c->slate->enabled[k] ? NULL
                                                                         : sw_prom_child_of(srv.prom, srv.m_served, v);
            }
        }
    }
    if (c->rc) sw_error_format(&err, c->why, sizeof c->why);
    c->at = wall_now();
    c->state = c->rc ? 2 : 1;
}

static void ctx_put(gen *g, ctx *c)
{
    if (!c) return;
    pthread_mutex_lock(&g->mu);
    int gone = --c->refs == 0 && c->evicted;
    pthread_mutex_unlock(&g->mu);
    if (gone) ctx_free(c);
}

/* Drop a context from the table (under g->mu); freed now or by its last user. */
static void ctx_evict(gen *g, int slot)
{
    ctx *c = g->ctxs[slot];
    g->ctxs[slot] = NULL;
    if (c->refs == 0) ctx_free(c);
    else c->evicted = 1;
}

/* The context of a date, built once (other requests for it wait). */
static ctx *ctx_get(gen *g, int date)
{
    pthread_mutex_lock(&g->mu);
    for (;;) {
        int slot = -1;
        for (int i = 0; i < CTX_MAX; i++)
            if (g->ctxs[i] && g->ctxs[i]->date == date) slot = i;
        if (slot < 0) break;
        ctx *c = g->ctxs[slot];
        if (c->state == 0) {
            pthread_cond_wait(&g->cv, &g->mu);
            continue;
        }
        if (c->state == 2 && wall_now() - c->at > CTX_RETRY_S) {
            ctx_evict(g, slot);
            break;
        }
        c->refs++;
        c->used = ++g->tick;
        pthread_mutex_unlock(&g->mu);
        return c;
    }
    ctx *c = sw_calloc(1, sizeof *c);
    if (!c) {
        pthread_mutex_unlock(&g->mu);
        return NULL;
    }
    c->date = date;
    c->refs = 1;
    c->used = ++g->tick;
    int slot = -1;
    for (int i = 0; i < CTX_MAX && slot < 0; i++)
        if (!g->ctxs[i]) slot = i;
    for (int i = 0; i < CTX_MAX && slot < 0; i++) /* the least recently used that is not being built */
        if (g->ctxs[i]->state != 0 && (slot < 0 || g->ctxs[i]->used < g->ctxs[slot]->used)) slot = i;
    if (slot >= 0 && g->ctxs[slot]) ctx_evict(g, slot);
    if (slot >= 0) g->ctxs[slot] = c;
    else c->evicted = 1; /* every slot building: serve this one alone */
    pthread_mutex_unlock(&g->mu);
    ctx_build(g, c);
    pthread_mutex_lock(&g->mu);
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
    return c;
}

static void gen_free(gen *g)
{
    if (!g) return;
    for (int i = 0; i < CTX_MAX; i++) ctx_free(g->ctxs[i]);
    pthread_mutex_lock(&srv.mu);
    int last = g->lg && --g->lg->refs == 0;
    pthread_mutex_unlock(&srv.mu);
    if (last) {
        sw_league_free(g->lg->lg);
        sw_free(g->lg);
    }
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv);
    sw_free(g);
}

static gen *gen_get(void)
{
    pthread_mutex_lock(&srv.mu);
    gen *g = srv.cur;
    if (g) g->refs++;
    pthread_mutex_unlock(&srv.mu);
    return g;
}

static void gen_put(gen *g)
{
    if (!g) return;
    pthread_mutex_lock(&srv.mu);
    int gone = --g->refs == 0;
    pthread_mutex_unlock(&srv.mu);
    if (gone) gen_free(g);
}

/* ---- reloads ---------------------------------------------------------------- */

/* The versions a generation serves, for the info gauge (set when it is swapped in). */
static void models_info(gen *g, const sw_models *m)
{
    for (int k = 0; k <= SW_SYS_COUNT; k++) {
        const char *sys = k < SW_SYS_COUNT ? sw_system_name(k) : "stack";
        const char *champ = k < SW_SYS_COUNT ? (m->sys[k] ? sw_system_version(m->sys[k]) : NULL)
                                             : (m->has_stack ? m->stack_version : NULL);
        const char *cand = k < SW_SYS_COUNT ? (m->cand[k] ? m->cand_version[k] : NULL)
                                            : (m->has_cand_stack ? m->cand_stack_version : NULL);
        int share = k < SW_SYS_COUNT ? m->cand_share[k] : m->cand_stack_share;
        if (champ && g->n_info < INFO_MAX)
            snprintf(g->info[g->n_info][0], 64, "%s", sys), snprintf(g->info[g->n_info][1], 64, "%s", champ),
                snprintf(g->info[g->n_info++][2], 64, "champion");
        if (cand && g->n_info < INFO_MAX)
            snprintf(g->info[g->n_info][0], 64, "%s", sys), snprintf(g->info[g->n_info][1], 64, "%s", cand),
                snprintf(g->info[g->n_info++][2], 64, "%s", share ? "canary" : "shadow");
    }
}

static void models_info_publish(const gen *g)
{
    sw_prom_reset(srv.prom, srv.m_models);
    for (int i = 0; i < g->n_info; i++) {
        const char *v[3] = {g->info[i][0], g->info[i][1], g->info[i][2]};
        sw_prom_set_l(srv.prom, srv.m_models, v, 1);
    }
}

/* Build a new generation and swap it in when its models load and verify.
 * force: even when neither the data nor the store changed.  Returns 0 when
 * the current generation is good (new or kept unchanged), else a status with
 * srv.reload_error set. */
static int reload(int force)
{
    const sw_config *cfg = srv.cfg;
    pthread_mutex_lock(&srv.reload_mu);
    gen *old = gen_get();
    char dsig[65], msig[65];
    sw_error err;
    sw_error_clear(&err);
    data_sig(cfg->data, dsig);
    if (force) sw_registry_forget();
    int rc = models_sig(cfg->models, msig, &err);
    if (rc) {
        char m[600];
        sw_error_format(&err, m, sizeof m);
        logf_("warning", "cannot read the model store to check for changes: %s", m);
        snprintf(msig, sizeof msig, "unknown");
    }
    {
        /* the monitor's BLOCKED systems change final too */
        sw_store *st = NULL;
        sw_error e2;
        int blocked[SW_SYS_COUNT + 1] = {0};
        if (sw_store_exists(cfg->db) && sw_store_open(cfg->db, cfg->busy_timeout_ms, 0, &st, &e2) == SW_OK)
            sw_monitor_blocked(st, blocked, &e2);
        sw_store_close(st);
        char rec[200];
        int len = snprintf(rec, sizeof rec, "%s|", msig);
        for (int k = 0; k <= SW_SYS_COUNT; k++) len += snprintf(rec + len, sizeof rec - (size_t)len, "%d", blocked[k]);
        sw_sha256_hex(rec, (size_t)len, msig);
    }
    if (!force && old && !strcmp(dsig, old->data_sig) && !strcmp(msig, old->models_sig)) {
        gen_put(old);
        pthread_mutex_unlock(&srv.reload_mu);
        return 0;
    }
    double t0 = sw_clock_now();
    gen *g = sw_calloc(1, sizeof *g);
    if (!g) {
        gen_put(old);
        pthread_mutex_unlock(&srv.reload_mu);
        return SW_NOMEM;
    }
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    g->refs = 1;
    snprintf(g->data_sig, sizeof g->data_sig, "%s", dsig);
    snprintf(g->models_sig, sizeof g->models_sig, "%s", msig);
    const char *what = "models";
    if (old && !strcmp(dsig, old->data_sig)) {
        pthread_mutex_lock(&srv.mu);
        g->lg = old->lg;
        g->lg->refs++;
        pthread_mutex_unlock(&srv.mu);
    } else {
        what = old ? "data and models" : "data and models";
        sw_load_report rep;
        sw_load_opts lo = {.lenient = 0};
        sw_league *lg = NULL;
        rc = sw_league_load(cfg->data, &lo, &lg, &rep, &err);
        if (rc == SW_OK) {
            g->lg = sw_calloc(1, sizeof *g->lg);
            if (!g->lg) {
                sw_league_free(lg);
                rc = sw_fail(&err, SW_NOMEM, "out of memory");
            } else {
                g->lg->lg = lg;
                g->lg->refs = 1;
                for (int f = 0; f < 7; f++)
                    if (rep.skipped[f]) logf_("warning", "%s: %ld rows skipped", sw_league_file_name(f), rep.skipped[f]);
            }
        }
    }
    /* verify: the models that serve the default date load, and its context builds */
    if (rc == SW_OK) {
        g->next_day = runcfg_next_day(g->lg->lg);
        int first, last, last_sched;
        sw_league_date_range(g->lg->lg, &first, &last, &last_sched);
        int day = g->next_day >= 0 ? g->next_day : last + 1;
        sw_models m;
        rc = sw_models_load(cfg, cfg->models, day, &m, &err);
        if (rc == SW_OK) {
            g->degraded = m.degraded;
            for (int i = 0; i < m.n_warnings && g->n_warnings < 4; i++)
                snprintf(g->warnings[g->n_warnings++], sizeof g->warnings[0], "%s", m.warnings[i]);
            if (m.degraded && old && !old->degraded) {
                rc = sw_fail(&err, SW_CORRUPT, "the new models do not verify: %s",
                             m.n_warnings ? m.warnings[0] : "a version was refused");
            } else {
                models_info(g, &m);
            }
            sw_models_free(&m);
        }
        if (rc == SW_OK && g->next_day >= 0) {
            ctx *c = ctx_get(g, g->next_day);
            if (c && c->state == 2) {
                rc = c->rc;
                scopy(err.msg, sizeof err.msg, c->why);
                err.file[0] = 0;
            }
            ctx_put(g, c);
        }
    }
    if (rc) {
        char m[800];
        sw_error_format(&err, m, sizeof m);
        pthread_mutex_lock(&srv.rmu);
        scopy(srv.reload_error, sizeof srv.reload_error, m);
        pthread_mutex_unlock(&srv.rmu);
        const char *v[1] = {"failed"};
        sw_prom_inc_l(srv.prom, srv.m_reloads, v, 1);
        logf_("error", "reload of %s failed; %s: %s", what, old ? "the previous models keep serving" : "not ready", m);
        gen_free(g);
        gen_put(old);
        pthread_mutex_unlock(&srv.reload_mu);
        return rc;
    }
    g->loaded_at = wall_now();
    pthread_mutex_lock(&srv.mu);
    srv.cur = g;
    pthread_mutex_unlock(&srv.mu);
    if (old) gen_put(old); /* the server's reference */
    gen_put(old);          /* ours */
    pthread_mutex_lock(&srv.rmu);
    srv.reload_error[0] = 0;
    pthread_mutex_unlock(&srv.rmu);
    const char *v[1] = {"ok"};
    sw_prom_inc_l(srv.prom, srv.m_reloads, v, 1);
    sw_prom_set_l(srv.prom, srv.m_reload_at, NULL, g->loaded_at);
    models_info_publish(g);
    char nd[11] = "none";
    if (g->next_day >= 0) sw_date_format(g->next_day, nd);
    logf_("info", "loaded %s in %.0f ms; next date %s%s", what, 1e3 * (sw_clock_now() - t0), nd,
          g->degraded ? " (degraded: a registered version was refused)" : "");
    for (int i = 0; i < g->n_warnings; i++) logf_("warning", "%s", g->warnings[i]);
    pthread_mutex_unlock(&srv.reload_mu);
    return 0;
}

/* ---- the monitor's figures on /metrics ------------------------------------------- */

#define MON_FAMILIES 64
#define MONITOR_EVERY_S 300.0 /* the monitor runs at most this often (and after each reload) */

static struct {
    char name[96];
    int id;
    int reset;
} mon_fam[MON_FAMILIES];
static int n_mon_fam;
static double mon_last;

static void mon_emit(void *ud, const char *family, const char *help, const char *labels, const char *const *values,
                     double v)
{
    (void)ud;
    int i = 0;
    while (i < n_mon_fam && strcmp(mon_fam[i].name, family)) i++;
    if (i == n_mon_fam) {
        if (n_mon_fam == MON_FAMILIES) return;
        int id = sw_prom_gauge(srv.prom, family, help, labels);
        if (id < 0) return;
        snprintf(mon_fam[i].name, sizeof mon_fam[i].name, "%s", family);
        mon_fam[i].id = id;
        n_mon_fam++;
    }
    if (!mon_fam[i].reset) { /* last refresh's children go: a feature or version may be gone */
        sw_prom_reset(srv.prom, mon_fam[i].id);
        mon_fam[i].reset = 1;
    }
    sw_prom_set_l(srv.prom, mon_fam[i].id, values, v);
}

/* Drift, performance states and freshness of the next date as gauges (the
 * monitor reads; it never moves a state from here: `swish nightly` does). */
static void monitor_refresh(int force)
{
    double now = sw_clock_now();
    if (!force && now - mon_last < MONITOR_EVERY_S) return;
    mon_last = now;
    gen *g = gen_get();
    if (!g) return;
    sw_monitor_result *r = sw_calloc(1, sizeof *r);
    sw_store *st = NULL;
    sw_error err;
    sw_error_clear(&err);
    if (sw_store_exists(srv.cfg->db)) sw_store_open(srv.cfg->db, srv.cfg->busy_timeout_ms, 0, &st, &err);
    int first, last, last_sched;
    sw_league_date_range(g->lg->lg, &first, &last, &last_sched);
    sw_monitor_opts mo = {.cfg = srv.cfg, .lg = g->lg->lg, .store = st, .date = g->next_day >= 0 ? g->next_day : last + 1};
    if (r && sw_monitor_run(&mo, r, &err) == SW_OK) {
        for (int i = 0; i < n_mon_fam; i++) mon_fam[i].reset = 0;
        sw_monitor_export(r, mon_emit, NULL);
        if (r->fresh.slate_late && srv.alerter) { /* the nightly run did not store tonight's slate in time */
            char ds[11], text[300];
            sw_date_format(mo.date, ds);
            snprintf(text, sizeof text, "no slate of %s is stored and it is past monitor.slate_deadline (%s UTC)", ds,
                     srv.cfg->slate_deadline);
            char key[64];
            snprintf(key, sizeof key, "slate_late/%s", ds);
            sw_alert al = {.event = "slate_late", .severity = SW_ALERT_CRITICAL, .key = key, .text = text,
                           .run_id = "serve"};
            sw_alert_stats as = {0};
            sw_alert_send(srv.alerter, &al, &as);
        }
    } else if (r) {
        logf_("warning", "the monitor's figures are not refreshed: %s", err.msg);
    }
    sw_store_close(st);
    sw_free(r);
    gen_put(g);
}

static void *reload_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&srv.rmu);
    while (!srv.reload_stop) {
        if (!srv.reload_asked) {
            if (srv.cfg->poll_s > 0) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                double until = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec + srv.cfg->poll_s;
                ts.tv_sec = (time_t)until;
                ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
                pthread_cond_timedwait(&srv.rcv, &srv.rmu, &ts);
            } else {
                pthread_cond_wait(&srv.rcv, &srv.rmu);
            }
        }
        if (srv.reload_stop) break;
        int force = srv.reload_asked;
        srv.reload_asked = 0;
        pthread_mutex_unlock(&srv.rmu);
        if (force) logf_("info", "SIGHUP: reloading models and data");
        reload(force);
        monitor_refresh(force);
        pthread_mutex_lock(&srv.rmu);
    }
    pthread_mutex_unlock(&srv.rmu);
    return NULL;
}

/* ---- jobs --------------------------------------------------------------------- */

static void enqueue(const char *id)
{
    job_node *n = sw_calloc(1, sizeof *n);
    if (!n) return; /* stays queued in the database: resumed at the next start */
    snprintf(n->id, sizeof n->id, "%s", id);
    pthread_mutex_lock(&srv.qmu);
    if (srv.qtail) srv.qtail->next = n;
    else srv.qhead = n;
    srv.qtail = n;
    srv.queued++;
    sw_prom_set_l(srv.prom, srv.m_queued, NULL, (double)srv.queued);
    pthread_cond_signal(&srv.qcv);
    pthread_mutex_unlock(&srv.qmu);
}

typedef struct {
    char first[384];
    int n;
} job_say_ctx;

static void job_say(void *p, const char *kind, const char *msg)
{
    job_say_ctx *s = p;
    if (!strcmp(kind, "warning") && !s->n++) scopy(s->first, sizeof s->first, msg);
    logf_(kind, "%s", msg);
}

static void run_job(const char *id)
{
    const sw_config *cfg = srv.cfg;
    sw_error err;
    sw_error_clear(&err);
    sw_store *st = NULL;
    sw_job j;
    int rc = sw_store_open(cfg->db, cfg->busy_timeout_ms, 1, &st, &err);
    if (rc == SW_OK) rc = sw_store_job_get(st, id, &j, &err);
    if (rc == SW_OK && (!strcmp(j.state, "done") || !strcmp(j.state, "failed"))) {
        sw_store_close(st);
        return;
    }
    if (rc == SW_OK) rc = sw_store_job_start(st, id, &err);
    if (rc) {
        char m[800];
        sw_error_format(&err, m, sizeof m);
        logf_("error", "job %s: cannot start: %s (left for the next start)", id, m);
        sw_store_close(st);
        return;
    }
    logf_("info", "job %s: slate of %s (attempt %d)", id, j.date, j.attempts + 1);
    reload(0); /* new data or models since the last poll: the slate sees them */
    double t0 = sw_clock_now();
    gen *g = gen_get();
    int day = -1;
    slatejob sj;
    memset(&sj, 0, sizeof sj);
    job_say_ctx say = {{0}, 0};
    if (!g) rc = sw_fail(&err, SW_NOT_FOUND, "no models or data loaded (see the reload errors)");
    else if (sw_date_parse(j.date, strlen(j.date), &day)) rc = sw_fail(&err, SW_ARG, "'%s' is not a date", j.date);
    else rc = slatejob_run(cfg, g->lg->lg, day, 1, srv.config_text, job_say, &say, &sj, &err);
    double secs = sw_clock_now() - t0;
    int code = rc ? sw_status_exit_code(rc) : slatejob_exit(&sj);
    char m[800] = "";
    if (rc) sw_error_format(&err, m, sizeof m);
    else if (code) scopy(m, sizeof m, say.first);
    const char *result = rc ? "failed" : code ? "degraded" : "ok";
    const char *v[1] = {result};
    sw_prom_inc_l(srv.prom, srv.m_slates, v, 1);
    if (!rc) {
        sw_prom_observe_l(srv.prom, srv.m_slate_s, NULL, secs);
        sw_prom_set_l(srv.prom, srv.m_slate_last, NULL, wall_now());
        logf_("info", "job %s: %s: %ld players, run %ld stored in %.0f ms (exit %d)", id, j.date, sj.slate->n,
              sj.res.run_id, 1e3 * secs, code);
    } else {
        logf_("error", "job %s: %s failed: %s", id, j.date, m);
    }
    sw_error e2;
    sw_error_clear(&e2);
    if (sw_store_job_finish(st, id, rc == SW_OK, sj.res.run_id, code, m, &e2)) {
        char m2[800];
        sw_error_format(&e2, m2, sizeof m2);
        logf_("error", "job %s: cannot record the outcome: %s", id, m2);
    }
    slatejob_free(&sj);
    gen_put(g);
    sw_store_close(st);
}

static void *worker_thread(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&srv.qmu);
        while (!srv.qhead && !srv.worker_stop) pthread_cond_wait(&srv.qcv, &srv.qmu);
        if (srv.worker_stop) {
            pthread_mutex_unlock(&srv.qmu);
            return NULL;
        }
        job_node *n = srv.qhead;
        srv.qhead = n->next;
        if (!srv.qhead) srv.qtail = NULL;
        srv.queued--;
        sw_prom_set_l(srv.prom, srv.m_queued, NULL, (double)srv.queued);
        pthread_mutex_unlock(&srv.qmu);
        run_job(n->id);
        sw_free(n);
    }
}

/* ---- requests ----------------------------------------------------------------- */

typedef struct {
    double t0;
    const char *route;                 /* a fixed label: the route, or "other" */
    char method[8];
    char path[128];
    char *body;
    size_t len, cap;
    int too_big;
    int status;
    size_t bytes;
    char note[160];                    /* for the log: why a request was refused */
} req;

static const char *route_of(const char *url)
{
    static const char *const routes[] = {"/pubsub/push", "/v1/predict", "/v1/slate", "/healthz", "/readyz", "/metrics"};
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (!strcmp(url, routes[i])) return routes[i];
    if (!strncmp(url, "/v1/jobs/", 9) && url[9]) return "/v1/jobs";
    return "other";
}

static enum MHD_Result reply(struct MHD_Connection *c, req *r, int status, const char *type, const char *body,
                             size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", type);
    if (status == 401) MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
    if (status == 405) MHD_add_response_header(resp, "Allow", strcmp(r->route, "/pubsub/push") && strcmp(r->route, "/v1/predict") ? "GET" : "POST");
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    r->status = status;
    r->bytes = len;
    return ok;
}

static enum MHD_Result reply_jw(struct MHD_Connection *c, req *r, int status, sw_jw *w)
{
    const char *data;
    size_t len;
    enum MHD_Result ok;
    if (sw_jw_finish(w, &data, &len)) ok = reply(c, r, 500, "application/json", "{\"error\":\"out of memory\"}\n", 25);
    else ok = reply(c, r, status, "application/json", data, len);
    sw_jw_free(w);
    return ok;
}

/* {"error": msg} */
static enum MHD_Result reply_err(struct MHD_Connection *c, req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static enum MHD_Result reply_err(struct MHD_Connection *c, req *r, int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    scopy(r->note, sizeof r->note, msg);
    sw_jw *w = sw_jw_create(SW_JW_JSON);
    sw_jw_obj_begin(w);
    sw_jw_kstr(w, "error", msg);
    sw_jw_obj_end(w);
    return reply_jw(c, r, status, w);
}

static int status_of(int code)
{
    switch (code) {
    case SW_ARG: case SW_PARSE: case SW_FORMAT: case SW_RANGE: case SW_INVALID_DATA: return 400;
    case SW_AUTH: return 401;
    case SW_DENIED: return 403;
    case SW_NOT_FOUND: case SW_NO_GAMES: return 404;
    case SW_BUSY: case SW_NET: case SW_OFFLINE: return 503;
    default: return 500;
    }
}

/* ---- /healthz, /readyz, /metrics ---------------------------------------------- */

/* The database is writable (checked at most every 5 s). */
static int db_ready(char *why, size_t cap)
{
    pthread_mutex_lock(&srv.dbmu);
    double now = sw_clock_now();
    if (now - srv.db_checked > 5 || !srv.db_ok) {
        sw_error err;
        sw_error_clear(&err);
        sw_store *st = NULL;
        int rc = sw_store_open(srv.cfg->db, srv.cfg->busy_timeout_ms, 1, &st, &err);
        if (rc == SW_OK) rc = sw_store_ping(st, &err);
        sw_store_close(st);
        srv.db_ok = rc == SW_OK;
        if (rc) sw_error_format(&err, srv.db_why, sizeof srv.db_why);
        srv.db_checked = now;
    }
    int ok = srv.db_ok;
    if (!ok) snprintf(why, cap, "%s", srv.db_why);
    pthread_mutex_unlock(&srv.dbmu);
    return ok;
}

static enum MHD_Result on_readyz(struct MHD_Connection *c, req *r)
{
    gen *g = gen_get();
    char dbwhy[256] = "", rel[512];
    int db = db_ready(dbwhy, sizeof dbwhy);
    pthread_mutex_lock(&srv.rmu);
    snprintf(rel, sizeof rel, "%s", srv.reload_error);
    pthread_mutex_unlock(&srv.rmu);
    int ready = g && db;
    sw_prom_set_l(srv.prom, srv.m_ready, NULL, ready);
    sw_jw *w = sw_jw_create(SW_JW_JSON);
    sw_jw_obj_begin(w);
    sw_jw_kstr(w, "status", ready ? "ready" : "not ready");
    sw_jw_kbool(w, "models", g != NULL);
    sw_jw_kbool(w, "database", db);
    if (!db) sw_jw_kstr(w, "database_error", dbwhy);
    if (rel[0]) sw_jw_kstr(w, "reload_error", rel);
    if (g) {
        char nd[11] = "";
        if (g->next_day >= 0) sw_date_format(g->next_day, nd);
        sw_jw_kstr(w, "next_date", nd);
        sw_jw_kbool(w, "degraded", g->degraded);
        sw_jw_key(w, "warnings");
        sw_jw_arr_begin(w);
        for (int i = 0; i < g->n_warnings; i++) sw_jw_str(w, g->warnings[i]);
        sw_jw_arr_end(w);
    }
    sw_jw_obj_end(w);
    gen_put(g);
    return reply_jw(c, r, ready ? 200 : 503, w);
}

static enum MHD_Result on_metrics(struct MHD_Connection *c, req *r)
{
    sw_prom_set_l(srv.prom, srv.m_conns, NULL, (double)__atomic_load_n(&srv.conns, __ATOMIC_RELAXED));
    size_t len;
    char *text = sw_prom_render(srv.prom, &len);
    if (!text) return reply_err(c, r, 500, "out of memory");
    enum MHD_Result ok = reply(c, r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
    sw_free(text);
    return ok;
}

/* ---- /v1/predict ------------------------------------------------------------------ */

/* A number (null when not finite); a float32 value as float32 text. */
static void jnum(sw_jw *w, const char *key, double v)
{
    sw_jw_key(w, key);
    if (!isfinite(v)) sw_jw_null(w);
    else if ((double)(float)v == v) sw_jw_f32(w, (float)v);
    else sw_jw_f64(w, v);
}

static void put_final(sw_jw *w, const char *key, const sw_slate_final *f, const char *version)
{
    sw_jw_key(w, key);
    sw_jw_obj_begin(w);
    jnum(w, "prediction", f->pred);
    jnum(w, "lo", f->lo);
    jnum(w, "hi", f->hi);
    jnum(w, "p_over", f->p_over);
    jnum(w, "edge", f->edge);
    sw_jw_kstr(w, "call", sw_call_name(f->call));
    jnum(w, "confidence", f->conf);
    jnum(w, "ev", f->ev);
    jnum(w, "stake", f->stake);
    sw_jw_kint(w, "systems_predicting", f->n_pred);
    sw_jw_kint(w, "systems_agreeing", f->n_agree);
    sw_jw_kstr(w, "reason", f->reason);
    sw_jw_kstr(w, "version", version);
    sw_jw_obj_end(w);
}

static void put_row(sw_jw *w, const ctx *c, const sw_league *lg, const sw_slate_row *r, const char *line_source,
                    int explain)
{
    const sw_slate *s = c->slate;
    sw_jw_obj_begin(w);
    sw_jw_kstr(w, "player_id", sw_league_player_id(lg, r->player));
    sw_jw_kstr(w, "player", sw_league_player_name(lg, r->player));
    sw_jw_kstr(w, "game_id", sw_league_game_id(lg, r->game));
    sw_jw_kstr(w, "team", sw_league_team_code(lg, r->team));
    sw_jw_kstr(w, "opp", sw_league_team_code(lg, r->opp));
    sw_jw_kbool(w, "home", r->home);
    jnum(w, "line", r->line);
    sw_jw_kstr(w, "line_source", line_source);
    if (r->book >= 0) sw_jw_kstr(w, "book", sw_league_book(lg, r->book));
    else sw_jw_knull(w, "book");
    jnum(w, "over_price", r->over_price);
    jnum(w, "under_price", r->under_price);
    jnum(w, "p_market", r->p_market);
    jnum(w, "quality", r->quality);
    sw_jw_kstr(w, "tier", sw_tier_name(r->tier));
    sw_jw_key(w, "systems");
    sw_jw_obj_begin(w);
    for (int k = 0; k < SW_SYS_COUNT; k++) {
        if (!s->enabled[k]) continue;
        sw_jw_key(w, sw_system_name(k));
        sw_jw_obj_begin(w);
        jnum(w, "prediction", r->sys[k].pred);
        jnum(w, "lo", r->sys[k].lo);
        jnum(w, "hi", r->sys[k].hi);
        sw_jw_kstr(w, "call", sw_call_name(r->sys_call[k]));
        sw_jw_kstr(w, "version", s->version[k]);
        if (!isfinite(r->sys[k].pred) && r->sys[k].note[0]) sw_jw_kstr(w, "note", r->sys[k].note);
        if (s->cand_enabled[k]) {
            sw_jw_key(w, "rollout");
            sw_jw_obj_begin(w);
            jnum(w, "prediction", r->cand[k].pred);
            sw_jw_kstr(w, "call", sw_call_name(r->cand_call[k]));
            sw_jw_kstr(w, "version", s->cand_version[k]);
            sw_jw_kint(w, "share", s->cand_share[k]);
            sw_jw_obj_end(w);
        }
        sw_jw_obj_end(w);
    }
    sw_jw_obj_end(w);
    sw_slate_final f;
    sw_slate_row_final(r, &f);
    char ver[300];
    if (s->rollout && r->arm) snprintf(ver, sizeof ver, "%s canary", s->rollout_version);
    else snprintf(ver, sizeof ver, "%s", s->final_version);
    put_final(w, "final", &f, ver);
    if (s->rollout) {
        sw_jw_kstr(w, "served_by", r->arm ? "rollout" : "champion");
        put_final(w, "final_champion", &r->champ, s->final_version);
        put_final(w, "final_rollout", &r->roll, s->rollout_version);
    }
    if (explain) {
        sw_contrib top[5];
        int sys = 0, n = sw_slate_drivers(s, &c->so, r, top, &sys);
        sw_jw_key(w, "drivers");
        sw_jw_arr_begin(w);
        for (int k = 0; k < n; k++) {
            sw_jw_obj_begin(w);
            sw_jw_kstr(w, "feature", sw_feature_name(top[k].feature));
            jnum(w, "value", top[k].value);
            jnum(w, "contribution", top[k].phi);
            sw_jw_obj_end(w);
        }
        sw_jw_arr_end(w);
        if (n) sw_jw_kstr(w, "drivers_model", sw_system_name(sys));
    }
    sw_jw_obj_end(w);
}

typedef struct {
    char id[64];
    int has_line;
    float line;
} want;

/* A player id: a string, or an integer. */
static int read_id(const sw_json *doc, sw_jnode n, char *out, size_t cap)
{
    size_t len;
    const char *s = sw_json_str(doc, n, &len);
    if (s) {
        if (len == 0 || len >= cap) return -1;
        memcpy(out, s, len);
        out[len] = 0;
        return 0;
    }
    long long v;
    if (sw_json_type_of(doc, n) == SW_JSON_NUMBER && sw_json_i64(doc, n, 0, &v, NULL) == SW_OK) {
        snprintf(out, cap, "%lld", v);
        return 0;
    }
    return -1;
}

/* A line: a finite number in [0, 100], or null (no line). */
static int read_line(const sw_json *doc, sw_jnode n, want *p, char *why, size_t cap)
{
    if (n == SW_JNONE) return 0;
    p->has_line = 1;
    if (sw_json_type_of(doc, n) == SW_JSON_NULL) {
        p->line = NAN;
        return 0;
    }
    double v;
    if (sw_json_type_of(doc, n) != SW_JSON_NUMBER || sw_json_f64(doc, n, 0, &v, NULL) || !isfinite(v) || v < 0 ||
        v > 100)
        return snprintf(why, cap, "line: a number of points from 0 to 100, or null"), -1;
    p->line = (float)v;
    return 0;
}

static enum MHD_Result on_predict(struct MHD_Connection *c, req *r)
{
    sw_json *doc = NULL;
    sw_error err;
    sw_error_clear(&err);
    if (!r->len) return reply_err(c, r, 400, "the body must be a JSON object (date, player_id or players)");
    if (sw_json_parse("request body", r->body, r->len, &doc, &err)) {
        char m[900];
        sw_error_format(&err, m, sizeof m);
        return reply_err(c, r, 400, "malformed JSON: %s", m);
    }
    sw_jnode root = sw_json_root(doc);
    enum MHD_Result ok;
    want *ws = NULL;
    long nw = 0;
    char why[256] = "";
    int single = 0;
    if (sw_json_type_of(doc, root) != SW_JSON_OBJECT) {
        snprintf(why, sizeof why, "the body must be a JSON object (date, player_id or players)");
        goto bad;
    }
    sw_jnode jd = sw_json_get(doc, root, "date"), jp = sw_json_get(doc, root, "player_id"),
             jps = sw_json_get(doc, root, "players"), jex = sw_json_get(doc, root, "explain");
    size_t dlen = 0;
    const char *ds = jd == SW_JNONE ? NULL : sw_json_str(doc, jd, &dlen);
    char dbuf[16];
    if (!ds || dlen == 0 || dlen >= sizeof dbuf) {
        snprintf(why, sizeof why, "date: required, YYYY-MM-DD or \"next\"");
        goto bad;
    }
    memcpy(dbuf, ds, dlen);
    dbuf[dlen] = 0;
    int explain = jex != SW_JNONE && sw_json_type_of(doc, jex) == SW_JSON_TRUE;
    if (jex != SW_JNONE && sw_json_type_of(doc, jex) != SW_JSON_TRUE && sw_json_type_of(doc, jex) != SW_JSON_FALSE) {
        snprintf(why, sizeof why, "explain: true or false");
        goto bad;
    }
    if ((jp == SW_JNONE) == (jps == SW_JNONE)) {
        snprintf(why, sizeof why, "give either player_id (one player) or players (a batch)");
        goto bad;
    }
    if (jp != SW_JNONE) {
        single = 1;
        nw = 1;
        ws = sw_calloc(1, sizeof *ws);
        if (!ws) goto nomem;
        if (read_id(doc, jp, ws[0].id, sizeof ws[0].id)) {
            snprintf(why, sizeof why, "player_id: a string or an integer");
            goto bad;
        }
        if (read_line(doc, sw_json_get(doc, root, "line"), &ws[0], why, sizeof why)) goto bad;
    } else {
        if (sw_json_type_of(doc, jps) != SW_JSON_ARRAY || sw_json_len(doc, jps) == 0) {
            snprintf(why, sizeof why, "players: a non-empty array of player ids or {\"player_id\": .., \"line\": ..}");
            goto bad;
        }
        if (sw_json_len(doc, jps) > BATCH_MAX) {
            snprintf(why, sizeof why, "players: at most %d per request", BATCH_MAX);
            goto bad;
        }
        ws = sw_calloc(sw_json_len(doc, jps), sizeof *ws);
        if (!ws) goto nomem;
        for (sw_jnode e = sw_json_first(doc, jps); e != SW_JNONE; e = sw_json_next(doc, e), nw++) {
            sw_jnode id = e;
            if (sw_json_type_of(doc, e) == SW_JSON_OBJECT) {
                id = sw_json_get(doc, e, "player_id");
                if (read_line(doc, sw_json_get(doc, e, "line"), &ws[nw], why, sizeof why)) {
                    char t[256];
                    snprintf(t, sizeof t, "players[%ld]: %.200s", nw, why);
                    scopy(why, sizeof why, t);
                    goto bad;
                }
            }
            if (id == SW_JNONE || read_id(doc, id, ws[nw].id, sizeof ws[nw].id)) {
                snprintf(why, sizeof why, "players[%ld]: a player id (string or integer) or an object with player_id", nw);
                goto bad;
            }
        }
    }
    gen *g = gen_get();
    if (!g) {
        sw_free(ws);
        sw_json_free(doc);
        return reply_err(c, r, 503, "not ready: no models or data loaded");
    }
    const sw_league *lg = g->lg->lg;
    int day;
    if (!strcmp(dbuf, "next")) {
        day = g->next_day;
        if (day < 0) {
            gen_put(g);
            sw_free(ws);
            sw_json_free(doc);
            return reply_err(c, r, 404, "date next: no scheduled games after the last played date");
        }
    } else if (sw_date_parse(dbuf, dlen, &day)) {
        gen_put(g);
        snprintf(why, sizeof why, "date: '%s' is not a date (YYYY-MM-DD or \"next\")", dbuf);
        goto bad;
    }
    ctx *cx = ctx_get(g, day);
    if (!cx) {
        gen_put(g);
        goto nomem;
    }
    if (cx->state == 2) {
        ok = reply_err(c, r, status_of(cx->rc), "%s", cx->why);
        ctx_put(g, cx);
        gen_put(g);
        sw_free(ws);
        sw_json_free(doc);
        return ok;
    }
    sw_jw *w = sw_jw_create(SW_JW_JSON); /* numbers as %.9g: exact, and one snprintf each */
    sw_jw_obj_begin(w);
    char dout[11];
    sw_date_format(day, dout);
    sw_jw_kstr(w, "date", dout);
    sw_jw_key(w, "predictions");
    sw_jw_arr_begin(w);
    long n_err = 0;
    int status = 200;
    char first_err[200] = "";
    for (long i = 0; i < nw; i++) {
        int p = sw_league_find_player(lg, ws[i].id);
        int row = p >= 0 ? cx->row_of[p] : -1;
        if (row < 0) {
            n_err++;
            if (!first_err[0])
                snprintf(first_err, sizeof first_err, p < 0 ? "unknown player '%s'" : "player '%s' has no game on %s",
                         ws[i].id, dout);
            if (single) status = 404;
            continue;
        }
        const sw_slate_row *sr = &cx->slate->rows[row];
        sw_slate_row tmp;
        const char *src = isfinite(sr->line) ? "book" : "none";
        if (ws[i].has_line) {
            sw_slate_reline(cx->slate, &cx->so, row, ws[i].line, &tmp);
            sr = &tmp;
            src = isfinite(ws[i].line) ? "request" : "none";
        }
        put_row(w, cx, lg, sr, src, explain);
        for (int k = 0; k <= SW_SYS_COUNT; k++)
            if (cx->served[k]) sw_prom_add(cx->served[k], 1);
    }
    sw_jw_arr_end(w);
    sw_jw_key(w, "errors");
    sw_jw_arr_begin(w);
    if (n_err) {
        for (long i = 0; i < nw; i++) {
            int p = sw_league_find_player(lg, ws[i].id);
            if (p >= 0 && cx->row_of[p] >= 0) continue;
            sw_jw_obj_begin(w);
            sw_jw_kstr(w, "player_id", ws[i].id);
            char m[200];
            snprintf(m, sizeof m, p < 0 ? "unknown player" : "no game on %s (not on an expected roster)", dout);
            sw_jw_kstr(w, "error", m);
            sw_jw_obj_end(w);
        }
    }
    sw_jw_arr_end(w);
    if (status == 404) sw_jw_kstr(w, "error", first_err);
    sw_jw_obj_end(w);
    if (status == 404) scopy(r->note, sizeof r->note, first_err);
    ctx_put(g, cx);
    gen_put(g);
    sw_free(ws);
    sw_json_free(doc);
    return reply_jw(c, r, status, w);
bad:
    sw_free(ws);
    sw_json_free(doc);
    return reply_err(c, r, 400, "%s", why);
nomem:
    sw_free(ws);
    sw_json_free(doc);
    return reply_err(c, r, 500, "out of memory");
}

/* ---- /v1/slate, /v1/jobs ------------------------------------------------------------ */

static enum MHD_Result on_slate(struct MHD_Connection *c, req *r)
{
    const char *ds = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "date");
    const char *sys = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "system");
    int day;
    if (!ds || sw_date_parse(ds, strlen(ds), &day)) return reply_err(c, r, 400, "date: required, YYYY-MM-DD");
    if (!sys || !*sys) sys = "final";
    if (strlen(sys) > 31) return reply_err(c, r, 400, "system: too long");
    sw_error err;
    sw_error_clear(&err);
    sw_store *st = NULL;
    sw_stored_pred *rows = NULL;
    long n = 0;
    int rc = sw_store_open(srv.cfg->db, srv.cfg->busy_timeout_ms, 0, &st, &err);
    if (rc == SW_OK) rc = sw_store_read_date(st, day, strcmp(sys, "all") ? sys : NULL, &rows, &n, &err);
    sw_store_close(st);
    if (rc) {
        char m[900];
        sw_error_format(&err, m, sizeof m);
        return reply_err(c, r, rc == SW_NOT_FOUND ? 404 : status_of(rc), "%s", m);
    }
    sw_jw *w = sw_jw_create(SW_JW_JSON);
    sw_jw_obj_begin(w);
    char dout[11];
    sw_date_format(day, dout);
    sw_jw_kstr(w, "date", dout);
    sw_jw_kstr(w, "system", sys);
    sw_jw_kint(w, "count", n);
    sw_jw_key(w, "predictions");
    sw_jw_arr_begin(w);
    for (long i = 0; i < n; i++) {
        const sw_stored_pred *p = &rows[i];
        sw_jw_obj_begin(w);
        sw_jw_kstr(w, "player_id", p->player_id);
        sw_jw_kstr(w, "player", p->player_name);
        sw_jw_kstr(w, "game_id", p->game_id);
        sw_jw_kstr(w, "team", p->team);
        sw_jw_kstr(w, "opp", p->opp);
        sw_jw_kbool(w, "home", p->home);
        sw_jw_kstr(w, "system", p->system);
        sw_jw_kstr(w, "version", p->version);
        jnum(w, "line", p->line);
        if (p->book[0]) sw_jw_kstr(w, "book", p->book);
        else sw_jw_knull(w, "book");
        jnum(w, "prediction", p->pred);
        jnum(w, "lo", p->lo);
        jnum(w, "hi", p->hi);
        jnum(w, "p_over", p->p_over);
        jnum(w, "edge", p->edge);
        sw_jw_kstr(w, "call", sw_call_name(p->call));
        jnum(w, "confidence", p->conf);
        jnum(w, "quality", p->quality);
        sw_jw_kstr(w, "tier", p->tier);
        sw_jw_kstr(w, "reason", p->reason);
        sw_jw_kint(w, "run_id", p->run_id);
        sw_jw_obj_end(w);
    }
    sw_jw_arr_end(w);
    sw_jw_obj_end(w);
    sw_free(rows);
    return reply_jw(c, r, 200, w);
}

static void put_job(sw_jw *w, const sw_job *j)
{
    sw_jw_obj_begin(w);
    sw_jw_kstr(w, "id", j->id);
    sw_jw_kstr(w, "date", j->date);
    sw_jw_kstr(w, "state", j->state);
    sw_jw_kint(w, "attempts", j->attempts);
    sw_jw_kstr(w, "received_at", j->received_at);
    if (j->started_at[0]) sw_jw_kstr(w, "started_at", j->started_at);
    if (j->finished_at[0]) sw_jw_kstr(w, "finished_at", j->finished_at);
    if (j->run_id) sw_jw_kint(w, "run_id", j->run_id);
    if (j->finished_at[0]) sw_jw_kint(w, "exit_code", j->exit_code);
    if (j->error[0]) sw_jw_kstr(w, "error", j->error);
    sw_jw_obj_end(w);
}

static enum MHD_Result on_job(struct MHD_Connection *c, req *r, const char *url)
{
    const char *id = url + 9;
    sw_error err;
    sw_error_clear(&err);
    sw_store *st = NULL;
    sw_job j;
    int rc = sw_store_open(srv.cfg->db, srv.cfg->busy_timeout_ms, 0, &st, &err);
    if (rc == SW_OK) rc = sw_store_job_get(st, id, &j, &err);
    sw_store_close(st);
    if (rc) {
        char m[900];
        sw_error_format(&err, m, sizeof m);
        return reply_err(c, r, status_of(rc), "%s", m);
    }
    sw_jw *w = sw_jw_create(SW_JW_JSON);
    put_job(w, &j);
    return reply_jw(c, r, 200, w);
}

/* ---- /pubsub/push ---------------------------------------------------------------------- */

static void auth_fail(const char *reason)
{
    const char *v[1] = {reason};
    sw_prom_inc_l(srv.prom, srv.m_auth, v, 1);
}

/* Constant-time comparison of two secrets. */
static int same_secret(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = la != lb;
    for (size_t i = 0; i < la; i++) d |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
    return d == 0;
}

/* 0 when the push may proceed, else the HTTP status (the reply is queued). */
static int push_auth(struct MHD_Connection *c, req *r, enum MHD_Result *ok)
{
    const sw_config *cfg = srv.cfg;
    if (srv.open_push) return 0;
    if (!cfg->push_token[0] && !srv.keys) {
        auth_fail("missing");
        *ok = reply_err(c, r, 401,
                        "pushes are refused: no credentials are configured (serve.jwks or serve.token; serve.insecure "
                        "= 1 takes any push)");
        return 401;
    }
    const char *tok = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
    if (tok && cfg->push_token[0]) {
        if (same_secret(tok, cfg->push_token)) return 0;
        auth_fail("token");
        *ok = reply_err(c, r, 403, "the token is not the configured one");
        return 403;
    }
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || !srv.keys) {
        auth_fail("missing");
        *ok = reply_err(c, r, 401, "%s", srv.keys ? "a push needs Authorization: Bearer JWT" : "a push needs ?token=");
        return 401;
    }
    if (strncasecmp(h, "Bearer ", 7) != 0) {
        auth_fail("malformed");
        *ok = reply_err(c, r, 401, "Authorization: expected 'Bearer JWT'");
        return 401;
    }
    const char *t = h + 7;
    while (*t == ' ') t++;
    sw_jwt_policy pol = {.audience = cfg->audience, .issuer = cfg->issuer, .email = cfg->push_email,
                         .skew_s = cfg->skew_s};
    sw_jwt_claims cl;
    sw_error err;
    sw_error_clear(&err);
    int rc = sw_jwt_verify(srv.keys, t, strlen(t), &pol, &cl, &err);
    if (rc == SW_OK) return 0;
    int status = rc == SW_DENIED ? 403 : 401;
    auth_fail(rc == SW_DENIED ? "denied" : "invalid");
    *ok = reply_err(c, r, status, "%s", err.msg);
    if (rc == SW_DENIED) /* who was refused, for the log */
        snprintf(r->note, sizeof r->note, "denied: %.60s (iss %.60s)", cl.email[0] ? cl.email : "no email", cl.iss);
    return status;
}

static enum MHD_Result on_push(struct MHD_Connection *c, req *r)
{
    enum MHD_Result ok = MHD_NO;
    if (push_auth(c, r, &ok)) return ok;
    sw_json *env = NULL, *data = NULL;
    sw_error err;
    sw_error_clear(&err);
    char why[600] = "";
    unsigned char *raw = NULL;
    if (!r->len) {
        snprintf(why, sizeof why, "the body must be a Pub/Sub push envelope");
        goto bad;
    }
    if (sw_json_parse("push envelope", r->body, r->len, &env, &err)) {
        char m[500];
        sw_error_format(&err, m, sizeof m);
        snprintf(why, sizeof why, "malformed JSON: %s", m);
        goto bad;
    }
    sw_jnode root = sw_json_root(env), msg = sw_json_get(env, root, "message");
    if (msg == SW_JNONE || sw_json_type_of(env, msg) != SW_JSON_OBJECT) {
        snprintf(why, sizeof why, "message: required, an object");
        goto bad;
    }
    sw_jnode jid = sw_json_get(env, msg, "messageId");
    if (jid == SW_JNONE) jid = sw_json_get(env, msg, "message_id");
    size_t idlen = 0, dlen = 0;
    const char *id = jid == SW_JNONE ? NULL : sw_json_str(env, jid, &idlen);
    if (!id || idlen == 0 || idlen > 200) {
        snprintf(why, sizeof why, "message.messageId: required, a string of 1 to 200 characters");
        goto bad;
    }
    char idbuf[256];
    memcpy(idbuf, id, idlen);
    idbuf[idlen] = 0;
    for (size_t i = 0; i < idlen; i++)
        if ((unsigned char)idbuf[i] < 0x20 || idbuf[i] == '/') {
            snprintf(why, sizeof why, "message.messageId: control characters and '/' are not allowed");
            goto bad;
        }
    sw_jnode jdata = sw_json_get(env, msg, "data");
    const char *b64 = jdata == SW_JNONE ? NULL : sw_json_str(env, jdata, &dlen);
    if (!b64 || !dlen) {
        snprintf(why, sizeof why, "message.data: required, base64 of {\"game_date\": \"YYYY-MM-DD\"}");
        goto bad;
    }
    raw = sw_malloc(dlen / 4 * 3 + 4);
    size_t rawlen = 0;
    if (!raw) goto bad;
    if (sw_base64_decode(b64, dlen, 0, raw, &rawlen, &err)) {
        snprintf(why, sizeof why, "message.data: not base64: %.500s", err.msg);
        goto bad;
    }
    if (sw_json_parse("message.data", (const char *)raw, rawlen, &data, &err)) {
        char m[500];
        sw_error_format(&err, m, sizeof m);
        snprintf(why, sizeof why, "message.data: malformed JSON: %s", m);
        goto bad;
    }
    sw_jnode gd = sw_json_get(data, sw_json_root(data), "game_date");
    size_t glen = 0;
    const char *gds = gd == SW_JNONE ? NULL : sw_json_str(data, gd, &glen);
    int day = -1;
    gen *g = NULL;
    if (gds && glen == 4 && !memcmp(gds, "next", 4)) {
        g = gen_get();
        day = g ? g->next_day : -1;
        gen_put(g);
        if (day < 0) {
            snprintf(why, sizeof why, "game_date next: no scheduled games after the last played date");
            goto bad;
        }
    } else if (!gds || sw_date_parse(gds, glen, &day)) {
        snprintf(why, sizeof why, "message.data: game_date required, YYYY-MM-DD or \"next\"");
        goto bad;
    }
    char date[11];
    sw_date_format(day, date);
    sw_jnode jsub = sw_json_get(env, root, "subscription");
    char *sub = jsub == SW_JNONE ? NULL : sw_json_strdup(env, jsub);
    sw_store *st = NULL;
    int fresh = 0;
    int rc = sw_store_open(srv.cfg->db, srv.cfg->busy_timeout_ms, 1, &st, &err);
    if (rc == SW_OK) rc = sw_store_job_record(st, idbuf, date, sub ? sub : "", &fresh, &err);
    sw_job j;
    memset(&j, 0, sizeof j);
    if (rc == SW_OK) rc = sw_store_job_get(st, idbuf, &j, &err);
    sw_store_close(st);
    sw_free(sub);
    sw_json_free(env);
    sw_json_free(data);
    sw_free(raw);
    if (rc) {
        char m[900];
        sw_error_format(&err, m, sizeof m);
        logf_("error", "push %s: not recorded (Pub/Sub will redeliver): %s", idbuf, m);
        return reply_err(c, r, 503, "the job could not be recorded; retry: %s", m);
    }
    const char *v[1] = {fresh ? "recorded" : "duplicate"};
    sw_prom_inc_l(srv.prom, srv.m_jobs, v, 1);
    if (fresh) enqueue(idbuf);
    snprintf(r->note, sizeof r->note, "job %.100s %s for %s", idbuf, fresh ? "queued" : "already known", date);
    sw_jw *w = sw_jw_create(SW_JW_JSON);
    sw_jw_obj_begin(w);
    sw_jw_kstr(w, "job", idbuf);
    sw_jw_kstr(w, "date", date);
    sw_jw_kstr(w, "state", j.state);
    sw_jw_kbool(w, "duplicate", !fresh);
    sw_jw_obj_end(w);
    return reply_jw(c, r, fresh ? 202 : 200, w);
bad:
    sw_json_free(env);
    sw_json_free(data);
    sw_free(raw);
    return reply_err(c, r, 400, "%s", why[0] ? why : "out of memory");
}

/* ---- the access handler ------------------------------------------------------------------ */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    req *r = *con_cls;
    if (!r) {
        r = sw_calloc(1, sizeof *r);
        if (!r) return MHD_NO;
        *con_cls = r;
        r->t0 = sw_clock_now();
        r->route = route_of(url);
        snprintf(r->method, sizeof r->method, "%s", method);
        /* the path as logged: cut, control bytes (a decoded %0A) replaced */
        snprintf(r->path, sizeof r->path, "%.100s%s", url, strlen(url) > 100 ? "..." : "");
        for (char *p = r->path; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
        pthread_mutex_lock(&srv.amu);
        srv.active++;
        pthread_mutex_unlock(&srv.amu);
        int post = !strcmp(method, "POST");
        if (post) {
            const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
            if (cl && strtoull(cl, NULL, 10) > (unsigned long long)srv.cfg->max_body)
                return reply_err(c, r, 413, "the body is larger than serve.max_body (%d bytes)", srv.cfg->max_body);
            return MHD_YES; /* the body follows */
        }
    }
    if (*upload_size) {
        if (r->status) { /* already answered (413): drop the rest */
            *upload_size = 0;
            return MHD_YES;
        }
        if (r->len + *upload_size > (size_t)srv.cfg->max_body) {
            r->too_big = 1;
        } else if (sw_grow((void **)&r->body, &r->cap, r->len + *upload_size + 1, 1) == 0) {
            memcpy(r->body + r->len, upload, *upload_size);
            r->len += *upload_size;
            r->body[r->len] = 0;
        } else {
            r->too_big = 2;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->status) return MHD_YES;
    if (r->too_big == 1)
        return reply_err(c, r, 413, "the body is larger than serve.max_body (%d bytes)", srv.cfg->max_body);
    if (r->too_big) return reply_err(c, r, 500, "out of memory");
    const char *rt = r->route;
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD"), post = !strcmp(method, "POST");
    if (!strcmp(rt, "other")) return reply_err(c, r, 404, "no such route: %.100s", url);
    int wants_post = !strcmp(rt, "/pubsub/push") || !strcmp(rt, "/v1/predict");
    if (wants_post ? !post : !get) return reply_err(c, r, 405, "%s takes %s", rt, wants_post ? "POST" : "GET");
    if (!strcmp(rt, "/healthz")) return reply(c, r, 200, "application/json", "{\"status\":\"ok\"}\n", 16);
    if (!strcmp(rt, "/readyz")) return on_readyz(c, r);
    if (!strcmp(rt, "/metrics")) return on_metrics(c, r);
    if (!strcmp(rt, "/v1/predict")) return on_predict(c, r);
    if (!strcmp(rt, "/v1/slate")) return on_slate(c, r);
    if (!strcmp(rt, "/v1/jobs")) return on_job(c, r, url);
    return on_push(c, r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    req *r = *con_cls;
    if (!r) return;
    *con_cls = NULL;
    double secs = sw_clock_now() - r->t0;
    char st[8];
    snprintf(st, sizeof st, "%d", r->status ? r->status : 0);
    const char *v3[3] = {r->route, r->method, st};
    sw_prom_inc_l(srv.prom, srv.m_req, v3, 1);
    const char *v2[2] = {r->route, st};
    sw_prom_observe_l(srv.prom, srv.m_lat, v2, secs);
    const char *end = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? " (timed out)"
                      : toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT ? " (client went away)" : " (aborted)";
    if (srv.cfg->log_json) {
        char ts[32], note[400], path[300];
        iso_now(ts);
        jesc(note, sizeof note, r->note);
        jesc(path, sizeof path, r->path);
        char line[1200];
        int n = snprintf(line, sizeof line,
                         "{\"time\":\"%s\",\"method\":\"%s\",\"path\":\"%s\",\"status\":%d,\"bytes\":%zu,"
                         "\"ms\":%.3f%s%s%s%s%s%s}\n",
                         ts, r->method, path, r->status, r->bytes, 1e3 * secs, note[0] ? ",\"note\":\"" : "", note,
                         note[0] ? "\"" : "", *end ? ",\"end\":\"" : "", *end ? end + 2 : "", *end ? "\"" : "");
        if (*end) { /* drop the closing parenthesis of the text form */
            char *p = strstr(line, ")\"}");
            if (p) memmove(p, p + 1, strlen(p));
        }
        (void)n;
        pthread_mutex_lock(&srv.logmu);
        fputs(line, srv.log);
        fflush(srv.log);
        pthread_mutex_unlock(&srv.logmu);
    } else {
        char ts[32];
        iso_now(ts);
        pthread_mutex_lock(&srv.logmu);
        fprintf(srv.log, "%s %s %s %d %zu %.3fms%s%s%s\n", ts, r->method, r->path, r->status, r->bytes, 1e3 * secs,
                end, r->note[0] ? " " : "", r->note);
        fflush(srv.log);
        pthread_mutex_unlock(&srv.logmu);
    }
    sw_free(r->body);
    sw_free(r);
    pthread_mutex_lock(&srv.amu);
    if (--srv.active == 0) pthread_cond_broadcast(&srv.acv);
    pthread_mutex_unlock(&srv.amu);
}

/* Connections: counted as they open and close; those beyond serve.max_connections
 * are closed at once (libmicrohttpd itself would leave them waiting in the
 * listen backlog). */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
    (void)cls;
    (void)addr;
    (void)len;
    if (__atomic_load_n(&srv.conns, __ATOMIC_RELAXED) < srv.cfg->max_connections) return MHD_YES;
    sw_prom_inc_l(srv.prom, srv.m_refused, NULL, 1);
    return MHD_NO;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx, enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    (void)c;
    (void)socket_ctx;
    __atomic_add_fetch(&srv.conns, code == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1, __ATOMIC_RELAXED);
}

/* ---- start and stop --------------------------------------------------------------------- */

static int parse_listen(const char *s, struct sockaddr_in *sa)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s) return -1;
    char host[64];
    size_t hl = (size_t)(colon - s);
    if (hl >= sizeof host) return -1;
    memcpy(host, s, hl);
    host[hl] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535) return -1;
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (!strcmp(host, "localhost")) snprintf(host, sizeof host, "127.0.0.1");
    return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static void metrics_init(void)
{
    static const double lat[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    static const double slate_b[] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180};
    sw_prom *p = srv.prom;
    srv.m_req = sw_prom_counter(p, "swish_http_requests_total", "HTTP requests answered, by route, method and status",
                                "route,method,status");
    srv.m_lat = sw_prom_histogram(p, "swish_http_request_duration_seconds",
                                  "time from the request's arrival to its completion, by route and status",
                                  "route,status", lat, (int)(sizeof lat / sizeof lat[0]));
    srv.m_served = sw_prom_counter(p, "swish_predictions_served_total",
                                   "predictions answered by /v1/predict, by system and model version", "system,version");
    srv.m_slates = sw_prom_counter(p, "swish_slate_runs_total", "pushed slate runs, by result (ok, degraded, failed)",
                                   "result");
    srv.m_slate_s = sw_prom_histogram(p, "swish_slate_duration_seconds", "time of a pushed slate run, models to stored",
                                      "", slate_b, (int)(sizeof slate_b / sizeof slate_b[0]));
    srv.m_slate_last = sw_prom_gauge(p, "swish_slate_last_success_timestamp_seconds",
                                     "when the last pushed slate run succeeded (unix time)", "");
    srv.m_models = sw_prom_gauge(p, "swish_models_info", "the model versions loaded (1), by system, version and role",
                                 "system,version,role");
    srv.m_reloads = sw_prom_counter(p, "swish_models_reloads_total", "reloads of models and data, by result", "result");
    srv.m_reload_at = sw_prom_gauge(p, "swish_models_loaded_timestamp_seconds",
                                    "when the models now serving were loaded (unix time)", "");
    srv.m_auth = sw_prom_counter(p, "swish_auth_failures_total",
                                 "pushes refused: missing, malformed, invalid or denied credentials, or a wrong token",
                                 "reason");
    srv.m_jobs = sw_prom_counter(p, "swish_jobs_total", "push jobs, by event (recorded, duplicate, resumed)", "event");
    srv.m_queued = sw_prom_gauge(p, "swish_jobs_queued", "jobs waiting for the worker", "");
    srv.m_ready = sw_prom_gauge(p, "swish_ready", "1 when /readyz last answered ready", "");
    srv.m_conns = sw_prom_gauge(p, "swish_http_connections", "connections open now", "");
    srv.m_refused = sw_prom_counter(p, "swish_http_connections_refused_total",
                                    "connections closed at once: serve.max_connections were open", "");
    srv.m_build = sw_prom_gauge(p, "swish_build_info", "the swish build (1)", "version");
    const char *v[1] = {sw_version()};
    sw_prom_set_l(p, srv.m_build, v, 1);
    sw_prom_set_l(p, srv.m_queued, NULL, 0);
    sw_prom_set_l(p, srv.m_ready, NULL, 0);
    const char *o[1] = {"failed"};
    sw_prom_inc_l(p, srv.m_slates, o, 0);
    const char *a[1] = {"invalid"};
    sw_prom_inc_l(p, srv.m_auth, a, 0);
}

int serve_main(const sw_config *cfg, const char *config_text)
{
    memset(&srv, 0, sizeof srv);
    srv.cfg = cfg;
    srv.config_text = config_text;
    srv.log = stderr;
    pthread_mutex_init(&srv.mu, NULL);
    pthread_mutex_init(&srv.reload_mu, NULL);
    pthread_mutex_init(&srv.amu, NULL);
    pthread_cond_init(&srv.acv, NULL);
    pthread_mutex_init(&srv.qmu, NULL);
    pthread_cond_init(&srv.qcv, NULL);
    pthread_mutex_init(&srv.rmu, NULL);
    pthread_cond_init(&srv.rcv, NULL);
    pthread_mutex_init(&srv.dbmu, NULL);
    pthread_mutex_init(&srv.logmu, NULL);

    struct sockaddr_in sa;
    if (parse_listen(cfg->listen, &sa))
        return cli_failf(SW_ARG, "serve.listen: '%s' is not HOST:PORT with an IPv4 address", cfg->listen);
    srv.open_push = !cfg->push_token[0] && !cfg->jwks[0] && cfg->insecure;
    if (cfg->jwks[0] && !cfg->audience[0])
        return cli_failf(SW_ARG, "serve.audience: required with serve.jwks (the push endpoint's URL)");
    sw_error err;
    sw_error_clear(&err);
    if (cfg->jwks[0] && sw_jwt_keys_open(cfg->jwks, cfg->timeout_s, &srv.keys, &err)) return cli_fail(&err);

    /* every thread started from here on inherits the blocked signals; the main thread waits for them */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    srv.prom = sw_prom_new();
    if (!srv.prom) return cli_failf(SW_NOMEM, "out of memory");
    if (sw_alerter_open(cfg, srv.log, &srv.alerter, &err)) {
        logf_("warning", "alerts are off: %s", err.msg);
        srv.alerter = NULL;
    }
    metrics_init();
    char why[256];
    if (!db_ready(why, sizeof why)) {
        sw_jwt_keys_free(srv.keys);
        sw_alerter_close(srv.alerter);
        sw_prom_free(srv.prom);
        return cli_failf(SW_DB, "serve: the database cannot be written: %s", why);
    }
    int rc = reload(1);
    if (rc) {
        pthread_mutex_lock(&srv.rmu);
        scopy(why, sizeof why, srv.reload_error);
        pthread_mutex_unlock(&srv.rmu);
        sw_jwt_keys_free(srv.keys);
        sw_alerter_close(srv.alerter);
        sw_prom_free(srv.prom);
        return cli_failf(rc, "serve: %s", why);
    }
    monitor_refresh(1);
    /* jobs acknowledged before a crash or a stop */
    sw_store *st = NULL;
    sw_job *jobs = NULL;
    long nj = 0;
    if (sw_store_open(cfg->db, cfg->busy_timeout_ms, 1, &st, &err) == SW_OK &&
        sw_store_jobs_unfinished(st, &jobs, &nj, &err) == SW_OK) {
        for (long i = 0; i < nj; i++) {
            logf_("info", "job %s: %s for %s, resumed", jobs[i].id, jobs[i].state, jobs[i].date);
            const char *v[1] = {"resumed"};
            sw_prom_inc_l(srv.prom, srv.m_jobs, v, 1);
            enqueue(jobs[i].id);
        }
    }
    sw_free(jobs);
    sw_store_close(st);

    pthread_t worker, reloader;
    pthread_create(&worker, NULL, worker_thread, NULL);
    pthread_create(&reloader, NULL, reload_thread, NULL);
    int threads = sw_threads_resolve(cfg->serve_threads);
    /* poll, not epoll: with a thread pool on epoll, libmicrohttpd 0.9.75's
     * MHD_quiesce_daemon removes the listen socket from each worker's epoll set
     * while the worker may do the same, and aborts when it finds it gone
     * (ENOENT, tolerated only for the master's set): swish serve died at
     * SIGTERM now and then.  With poll the workers are told through their
     * inter-thread channel. */
    srv.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC | MHD_USE_TURBO, 0,
                             on_accept, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                             MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads, MHD_OPTION_CONNECTION_LIMIT,
                             (unsigned)cfg->max_connections + 64u * (unsigned)threads, MHD_OPTION_NOTIFY_CONNECTION,
                             on_connection, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
                             (unsigned)cfg->conn_timeout_s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                             MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_END);
    rc = 0;
    if (!srv.d) {
        rc = cli_failf(SW_IO, "serve: cannot listen on %s: %s", cfg->listen, strerror(errno));
    } else {
        const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT);
        srv.port = di ? di->port : ntohs(sa.sin_port);
        char host[64];
        inet_ntop(AF_INET, &sa.sin_addr, host, sizeof host);
        logf_("info", "serving on http://%s:%d (%d threads, swish %s)%s", host, srv.port, threads, sw_version(),
              srv.open_push ? "; pushes are not authenticated (serve.insecure)"
              : !cfg->push_token[0] && !cfg->jwks[0] ? "; pushes are refused (no serve.jwks or serve.token)" : "");
        for (;;) {
            int sig = 0;
            if (sigwait(&set, &sig)) continue;
            if (sig == SIGHUP) {
                pthread_mutex_lock(&srv.rmu);
                srv.reload_asked = 1;
                pthread_cond_signal(&srv.rcv);
                pthread_mutex_unlock(&srv.rmu);
                continue;
            }
            logf_("info", "%s: stopping: no new connections; finishing the requests in flight and the running job",
                  sig == SIGTERM ? "SIGTERM" : "SIGINT");
            break;
        }
        /* no new connections: the listen socket stops listening (shutdown: a
         * connection attempt is refused), and is closed after MHD_stop_daemon,
         * as libmicrohttpd's manual asks of a threaded daemon */
        MHD_socket ls = MHD_quiesce_daemon(srv.d);
        if (ls != MHD_INVALID_SOCKET) shutdown(ls, SHUT_RDWR);
        pthread_mutex_lock(&srv.amu);
        double until = sw_clock_now() + DRAIN_S;
        while (srv.active > 0 && sw_clock_now() < until) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 50000000;
            if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
            pthread_cond_timedwait(&srv.acv, &srv.amu, &ts);
        }
        long left = srv.active;
        pthread_mutex_unlock(&srv.amu);
        if (left) logf_("warning", "%ld requests still in flight after %.0f s; closing them", left, DRAIN_S);
        MHD_stop_daemon(srv.d);
        if (ls != MHD_INVALID_SOCKET) close(ls);
    }
    pthread_mutex_lock(&srv.qmu);
    srv.worker_stop = 1;
    pthread_cond_signal(&srv.qcv);
    pthread_mutex_unlock(&srv.qmu);
    pthread_join(worker, NULL); /* the job in progress finishes; queued ones stay queued in the database */
    pthread_mutex_lock(&srv.rmu);
    srv.reload_stop = 1;
    pthread_cond_signal(&srv.rcv);
    pthread_mutex_unlock(&srv.rmu);
    pthread_join(reloader, NULL);
    while (srv.qhead) {
        job_node *n = srv.qhead;
        srv.qhead = n->next;
        sw_free(n);
    }
    gen *g = srv.cur;
    srv.cur = NULL;
    gen_put(g);
    sw_jwt_keys_free(srv.keys);
    sw_alerter_close(srv.alerter);
    sw_prom_free(srv.prom);
    if (!rc) logf_("info", "stopped");
    return rc;
}
