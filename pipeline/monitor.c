/* monitor: drift against the training reference, rolling performance with
 * persisted states, and the freshness of the inputs (see monitor.h).
 *
 * The drift reference is written here too (sw_drift_reference, called by
 * retrain) so that the population filter, the bins and the subsample are
 * defined in one place for both sides of every comparison.  The states, the
 * graded rows the windows measure and the runs of a date are read and
 * written through the store's typed calls (store.h, store_monitor.c); the
 * windows, the rules and the figures' JSON stay here. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/date.h"
#include "metrics.h"
#include "models.h"
#include "monitor.h"
#include "pipeline_impl.h"
#include "registry.h"
#include "core/clock.h"

const int sw_perf_days[SW_PERF_WINDOWS] = {7, 14, 30};

const char *sw_level_name(sw_level l)
{
    static const char *const n[] = {"OK", "WATCH", "ALERT"};
    return (unsigned)l < 3 ? n[l] : "?";
}

static const char *const state_names[] = {"OK", "WATCH", "DEGRADING", "BLOCKED"};

const char *sw_sys_state_name(sw_sys_state s) { return (unsigned)s < 4 ? state_names[s] : "?"; }

int sw_sys_state_find(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (name && !strcmp(name, state_names[i])) return i;
    return -1;
}

static const char *mon_system_name(int k) { return k < SW_SYS_COUNT ? sw_system_name((sw_system_id)k) : "final"; }

static int mon_system_find(const char *name)
{
    if (!strcmp(name, "final")) return SW_SYS_COUNT;
    return sw_system_find(name);
}

/* ---- statistics ---- */

double sw_drift_psi(const double *ref, const double *now, int n)
{
    double s = 0;
    for (int k = 0; k < n; k++) {
        double r = ref[k] > SW_PSI_EPS ? ref[k] : SW_PSI_EPS, c = now[k] > SW_PSI_EPS ? now[k] : SW_PSI_EPS;
        s += (c - r) * log(c / r);
    }
    return s;
}

double sw_drift_ks(const float *a, long na, const float *b, long nb)
{
    if (na <= 0 || nb <= 0) return NAN;
    long i = 0, j = 0;
    double d = 0;
    /* both CDFs step at each distinct value x of the union: all of a's and b's
     * values <= x are counted before the distance is taken (ties) */
    while (i < na && j < nb) {
        float x = a[i] < b[j] ? a[i] : b[j];
        while (i < na && a[i] <= x) i++;
        while (j < nb && b[j] <= x) j++;
        double diff = fabs((double)i / (double)na - (double)j / (double)nb);
        if (diff > d) d = diff;
    }
    return d;
}

int sw_drift_bin(const float *cuts, int n_cuts, float x)
{
    if (isnan(x)) return n_cuts + 1;
    int lo = 0, hi = n_cuts; /* first cut > x */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cuts[mid] <= x) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* One-way ANOVA intraclass correlation of values in clusters (NaN values
 * and rows without a cluster left out): *icc in [0, 1], *n0 the mean
 * cluster size ((m - sum n_g^2 / m) / (G - 1)), *G the clusters, *m the
 * values.  tmp holds 2 * n_cl doubles.  Degenerate cases (one cluster, a
 * constant) give ICC 0. */
static void anova_icc(const float *x, const int *cl, long n, int n_cl, double *tmp, double *icc, double *n0, int *G,
                      long *m)
{
    double *sum = tmp, *cnt = tmp + n_cl;
    for (int g = 0; g < 2 * n_cl; g++) tmp[g] = 0;
    long mm = 0;
    double tot = 0;
    for (long i = 0; i < n; i++) {
        if (isnan(x[i]) || cl[i] < 0 || cl[i] >= n_cl) continue;
        sum[cl[i]] += x[i];
        cnt[cl[i]]++;
        tot += x[i];
        mm++;
    }
    int gg = 0;
    double ss_n2 = 0;
    for (int g = 0; g < n_cl; g++)
        if (cnt[g] > 0) {
            gg++;
            ss_n2 += cnt[g] * cnt[g];
        }
    *G = gg;
    *m = mm;
    *icc = 0;
    *n0 = 1;
    if (gg < 2 || mm <= gg) return;
    double mean = tot / (double)mm, ssb = 0, ssw = 0;
    for (int g = 0; g < n_cl; g++)
        if (cnt[g] > 0) ssb += cnt[g] * (sum[g] / cnt[g] - mean) * (sum[g] / cnt[g] - mean);
    for (long i = 0; i < n; i++) {
        if (isnan(x[i]) || cl[i] < 0 || cl[i] >= n_cl) continue;
        double d = x[i] - sum[cl[i]] / cnt[cl[i]];
        ssw += d * d;
    }
    double msb = ssb / (gg - 1), msw = ssw / (double)(mm - gg);
    *n0 = ((double)mm - ss_n2 / (double)mm) / (gg - 1);
    double den = msb + (*n0 - 1) * msw, r = den > 0 ? (msb - msw) / den : 0;
    *icc = r < 0 ? 0 : r > 1 ? 1 : r;
}

/* Clusters of a comparison's rows: the player's team, the opponent, the game. */
typedef struct {
    int *team, *opp, *game;
    int n_teams, n_games;
    double *tmp; /* 2 * max(n_teams, n_games) */
} clusters;

/* Effective sample size (Kish's design effect 1 + (n0 - 1) ICC) of values
 * clustered by team, by opponent and by game, the smallest of the three: a
 * feature shared by a team's players (team pace, back-to-back, stars out)
 * has about as many independent values as teams, not as rows.  The ICC is
 * the larger of the sample's and the reference's (icc_tg: within a team's
 * game, icc_g: within a game), so a sample that happens to be constant (no
 * star out on tonight's eight teams) is not taken for independent rows. */
static double effective_n(const float *x, long n, const clusters *k, double icc_tg, double icc_g)
{
    const int *cl[3] = {k->team, k->opp, k->game};
    int ncl[3] = {k->n_teams, k->n_teams, k->n_games};
    double ref[3] = {icc_tg, icc_tg, icc_g}, best = INFINITY;
    for (int c = 0; c < 3; c++) {
        double icc, n0;
        int G;
        long m;
        anova_icc(x, cl[c], n, ncl[c], k->tmp, &icc, &n0, &G, &m);
        if (ref[c] > icc) icc = ref[c];
        double ne = G < 2 ? (double)m : (double)m / (1 + (n0 - 1) * icc);
        if (ne < G) ne = G;
        if (ne < best) best = ne;
    }
    return best;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* ---- the population (the same filter on both sides of a comparison) ---- */

typedef struct {
    int early, min;            /* feature columns */
    double min_minutes, min_quality;
} popdef;

static void pop_init(popdef *p, double min_minutes, double min_quality)
{
    p->early = sw_feature_find("early_season");
    p->min = sw_feature_find("minutes_avg_last_10");
    p->min_minutes = min_minutes;
    p->min_quality = min_quality;
}

/* Not early season, minutes_avg_last_10 from the data and at least the floor
 * (the quality filter comes after: the tier mix is taken before it). */
static int pop_base(const sw_frame *fr, long i, const popdef *p)
{
    const float *v = sw_frame_values(fr, i);
    const uint8_t *s = sw_frame_sources(fr, i);
    if (p->early >= 0 && v[p->early] > 0.5f) return 0;
    if (p->min < 0) return 1;
    if (s[p->min] == SW_SRC_MISSING || s[p->min] == SW_SRC_DEFAULT) return 0;
    return isfinite(v[p->min]) && v[p->min] >= p->min_minutes;
}

static int played(const sw_frame_meta *m) { return isfinite(m->pts) && m->min > 0; }

static int src_missing(uint8_t s) { return s == SW_SRC_MISSING || s == SW_SRC_DEFAULT; }

/* ---- the reference ---- */

typedef struct {
    char name[48];
    int col;                     /* in the current feature set, -1 absent */
    int n_cuts;
    float cuts[SW_DRIFT_MAX_BINS];
    double props[SW_DRIFT_MAX_BINS];
    double missing, nan;
    double icc_tg, icc_g;        /* intraclass correlation within a team's game, within a game */
    long n_sample;
    float *sample;
} ref_feature;

typedef struct {
    char from[11], to[11];
    long rows, training_rows;
    double min_minutes, min_quality;
    double tiers[5];
    int nf;
    ref_feature f[SW_MONITOR_MAX_FEATURES];
} drift_ref;

static void ref_free(drift_ref *r)
{
    for (int i = 0; i < r->nf; i++) sw_free(r->f[i].sample);
    r->nf = 0;
}

/* Cuts of one feature from its sorted non-missing values. */
static int make_cuts(const float *v, long m, float *cuts)
{
    if (m == 0) return 0;
    if (v[0] == v[m - 1]) { /* constant: below, at, above */
        cuts[0] = v[0];
        cuts[1] = nextafterf(v[0], INFINITY);
        return 2;
    }
    int n = 0;
    /* a point mass at the minimum of 10% or more (a 0/1 feature that is
     * mostly 0, a count that is mostly 0): its own bin, cut at the next value */
    if (v[(long)((double)m / 10.0)] == v[0]) {
        long lo = 0, hi = m; /* first index with v > v[0] */
        while (lo < hi) {
            long mid = lo + (hi - lo) / 2;
            if (v[mid] > v[0]) hi = mid;
            else lo = mid + 1;
        }
        cuts[n++] = v[lo]; /* lo < m: not constant */
    }
    for (int q = 1; q <= 9; q++) {
        long idx = (long)((double)q * (double)m / 10.0);
        if (idx >= m) idx = m - 1;
        float c = v[idx];
        if (c > v[0] && (n == 0 || c > cuts[n - 1])) cuts[n++] = c;
    }
    return n;
}

int sw_drift_reference(const sw_config *cfg, const sw_frame *fr, const long *rows, long n, int from, int to,
                       char **json, size_t *len, sw_error *err)
{
    *json = NULL;
    *len = 0;
    popdef p;
    pop_init(&p, cfg->min_minutes, cfg->min_quality);
    int nf = sw_feature_count();
    if (nf > SW_MONITOR_MAX_FEATURES) nf = SW_MONITOR_MAX_FEATURES;
    int n_games = 0;
    for (long i = 0; i < n; i++)
        if (sw_frame_meta_of(fr, rows[i])->game >= n_games) n_games = sw_frame_meta_of(fr, rows[i])->game + 1;
    long *keep = sw_alloc_array((size_t)n + 1, sizeof *keep);
    float *vals = sw_alloc_array((size_t)n + 1, sizeof *vals), *col = sw_alloc_array((size_t)n + 1, sizeof *col);
    int *ctg = sw_alloc_array(2 * (size_t)n + 2, sizeof *ctg), *cg = ctg ? ctg + n + 1 : NULL;
    double *tmp = sw_alloc_array(4 * (size_t)n_games + 4, sizeof *tmp);
    sw_jw *w = sw_jw_create(SW_JW_JSON);
    int rc = SW_OK;
    if (!keep || !vals || !col || !ctg || !tmp || !w) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto done;
    }
    long m = 0;
    for (long i = 0; i < n; i++)
        if (pop_base(fr, rows[i], &p) && sw_frame_meta_of(fr, rows[i])->quality >= p.min_quality) {
            const sw_frame_meta *mt = sw_frame_meta_of(fr, rows[i]);
            ctg[m] = 2 * mt->game + (mt->home != 0); /* a team's game */
            cg[m] = mt->game;
            keep[m++] = rows[i];
        }
    /* the tier mix: played rows of the window, before the quality filter */
    double tiers[5] = {0, 0, 0, 0, 0};
    long nt = 0;
    for (long i = 0; i < sw_frame_rows(fr); i++) {
        const sw_frame_meta *mt = sw_frame_meta_of(fr, i);
        if (mt->date < from || mt->date > to || !played(mt) || !pop_base(fr, i, &p)) continue;
        if ((unsigned)mt->tier < 5) tiers[mt->tier]++;
        nt++;
    }
    char a[11], b[11];
    sw_date_format(from, a);
    sw_date_format(to, b);
    sw_jw_shortest(w, 1);
    sw_jw_obj_begin(w);
    sw_jw_kstr(w, "format", "swish-drift-1");
    sw_jw_kstr(w, "feature_set", SW_FEATURE_SET);
    sw_jw_kstr(w, "from", a);
    sw_jw_kstr(w, "to", b);
    sw_jw_kint(w, "training_rows", n);
    sw_jw_kint(w, "rows", m);
    sw_jw_key(w, "population");
    sw_jw_obj_begin(w);
    sw_jw_kf64(w, "min_quality", p.min_quality);
    sw_jw_kf64(w, "min_minutes", p.min_minutes);
    sw_jw_kstr(w, "rule", "quality >= min_quality, not early season, minutes_avg_last_10 observed and >= min_minutes");
    sw_jw_obj_end(w);
    sw_jw_kint(w, "tier_rows", nt);
    sw_jw_key(w, "tiers");
    sw_jw_obj_begin(w);
    for (int t = 0; t < 5; t++) sw_jw_kf64(w, sw_tier_name((sw_tier)t), nt ? tiers[t] / (double)nt : 0.0);
    sw_jw_obj_end(w);
    sw_jw_key(w, "features");
    sw_jw_arr_begin(w);
    for (int c = 0; c < nf; c++) {
        long k = 0, nan = 0, miss = 0;
        for (long i = 0; i < m; i++) {
            float x = sw_frame_values(fr, keep[i])[c];
            col[i] = x;
            miss += src_missing(sw_frame_sources(fr, keep[i])[c]);
            if (isnan(x)) nan++;
            else vals[k++] = x;
        }
        qsort(vals, (size_t)k, sizeof *vals, cmp_float);
        float cuts[SW_DRIFT_MAX_BINS];
        int nc = make_cuts(vals, k, cuts);
        double props[SW_DRIFT_MAX_BINS];
        memset(props, 0, sizeof props);
        for (long i = 0; i < k; i++) props[sw_drift_bin(cuts, nc, vals[i])]++;
        props[nc + 1] = (double)nan;
        for (int j = 0; j < nc + 2; j++) props[j] = m ? props[j] / (double)m : 0.0;
        sw_jw_obj_begin(w);
        sw_jw_kstr(w, "name", sw_feature_name(c));
        sw_jw_kint(w, "n", k);
        sw_jw_kf64(w, "missing", m ? (double)miss / (double)m : 0.0);
        sw_jw_kf64(w, "nan", m ? (double)nan / (double)m : 0.0);
        double icc_tg, icc_g, n0;
        int G;
        long mm;
        anova_icc(col, ctg, m, 2 * n_games, tmp, &icc_tg, &n0, &G, &mm);
        anova_icc(col, cg, m, n_games, tmp, &icc_g, &n0, &G, &mm);
        sw_jw_kf64(w, "icc_team_game", icc_tg);
        sw_jw_kf64(w, "icc_game", icc_g);
        sw_jw_key(w, "cuts");
        sw_jw_f32s(w, cuts, (size_t)nc);
        sw_jw_key(w, "props");
        sw_jw_arr_begin(w);
        for (int j = 0; j < nc + 2; j++) sw_jw_f64(w, props[j]);
        sw_jw_arr_end(w);
        /* a deterministic subsample: the midpoints of SW_DRIFT_SAMPLE equal
         * slices of the sorted values (all of them when fewer) */
        long ns = k < SW_DRIFT_SAMPLE ? k : SW_DRIFT_SAMPLE;
        if (ns < k)
            for (long i = 0; i < ns; i++) vals[i] = vals[(long)(((double)i + 0.5) * (double)k / (double)ns)];
        sw_jw_key(w, "sample");
        sw_jw_f32s(w, vals, (size_t)ns);
        sw_jw_obj_end(w);
    }
    sw_jw_arr_end(w);
    sw_jw_obj_end(w);
    const char *data;
    size_t dl;
    if (sw_jw_finish(w, &data, &dl)) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto done;
    }
    if (!(*json = sw_malloc(dl + 1))) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto done;
    }
    memcpy(*json, data, dl);
    (*json)[dl] = 0;
    *len = dl;
done:
    sw_jw_free(w);
    sw_free(keep);
    sw_free(vals);
    sw_free(col);
    sw_free(ctg);
    sw_free(tmp);
    return rc;
}

static int jnum(const sw_json *d, sw_jnode o, const char *key, double *out)
{
    sw_jnode n = sw_json_get(d, o, key);
    return n == SW_JNONE ? SW_FORMAT : sw_json_f64(d, n, 0, out, NULL);
}

static int ascending(const float *v, long n)
{
    for (long i = 0; i < n; i++)
        if (!isfinite(v[i]) || (i && v[i] < v[i - 1])) return 0;
    return 1;
}

/* Parse drift.json; a document that is not one is SW_FORMAT with why. */
static int ref_parse(const unsigned char *data, size_t len, drift_ref *r, char *why, size_t cap)
{
    memset(r, 0, sizeof *r);
    sw_json *d = NULL;
    sw_error e;
    sw_error_clear(&e);
    if (sw_json_parse("drift.json", (const char *)data, len, &d, &e)) {
        snprintf(why, cap, "drift.json does not parse: %.300s", e.msg);
        return SW_FORMAT;
    }
    sw_jnode root = sw_json_root(d), pop = sw_json_get(d, root, "population"), tiers = sw_json_get(d, root, "tiers");
    sw_jnode feats = sw_json_get(d, root, "features");
    double rows = 0, trows = 0;
    int rc = SW_FORMAT;
    if (!sw_json_streq(d, sw_json_get(d, root, "format"), "swish-drift-1") || pop == SW_JNONE || tiers == SW_JNONE ||
        sw_json_type_of(d, feats) != SW_JSON_ARRAY || jnum(d, root, "rows", &rows) ||
        jnum(d, root, "training_rows", &trows) || jnum(d, pop, "min_minutes", &r->min_minutes) ||
        jnum(d, pop, "min_quality", &r->min_quality)) {
        snprintf(why, cap, "drift.json is not a swish-drift-1 reference");
        goto out;
    }
    r->rows = (long)rows;
    r->training_rows = (long)trows;
    const char *keys[2] = {"from", "to"};
    char *dst[2] = {r->from, r->to};
    for (int k = 0; k < 2; k++) {
        size_t l = 0;
        const char *s = sw_json_str(d, sw_json_get(d, root, keys[k]), &l);
        snprintf(dst[k], 11, "%.*s", s && l <= 10 ? (int)l : 0, s ? s : "");
    }
    for (int t = 0; t < 5; t++)
        if (jnum(d, tiers, sw_tier_name((sw_tier)t), &r->tiers[t])) {
            snprintf(why, cap, "drift.json: tier '%s' missing", sw_tier_name((sw_tier)t));
            goto out;
        }
    for (sw_jnode f = sw_json_first(d, feats); f != SW_JNONE && r->nf < SW_MONITOR_MAX_FEATURES;
         f = sw_json_next(d, f)) {
        ref_feature *rf = &r->f[r->nf];
        size_t l = 0;
        const char *name = sw_json_str(d, sw_json_get(d, f, "name"), &l);
        sw_jnode cuts = sw_json_get(d, f, "cuts"), props = sw_json_get(d, f, "props"), smp = sw_json_get(d, f, "sample");
        if (!name || l >= sizeof rf->name || cuts == SW_JNONE || props == SW_JNONE || smp == SW_JNONE ||
            jnum(d, f, "missing", &rf->missing) || jnum(d, f, "nan", &rf->nan) ||
            jnum(d, f, "icc_team_game", &rf->icc_tg) || jnum(d, f, "icc_game", &rf->icc_g)) {
            snprintf(why, cap, "drift.json: feature %d is incomplete", r->nf);
            goto out;
        }
        snprintf(rf->name, sizeof rf->name, "%.*s", (int)l, name);
        uint32_t nc = sw_json_len(d, cuts), np = sw_json_len(d, props), ns = sw_json_len(d, smp);
        if (nc > 10 || np != nc + 2 || ns > 1000000 || sw_json_read_f32s(d, cuts, rf->cuts, nc, NULL) ||
            sw_json_read_f64s(d, props, rf->props, np, NULL) || !ascending(rf->cuts, nc)) {
            snprintf(why, cap, "drift.json: feature '%s' has invalid bins", rf->name);
            goto out;
        }
        for (uint32_t k = 0; k < np; k++)
            if (!(rf->props[k] >= 0 && rf->props[k] <= 1)) {
                snprintf(why, cap, "drift.json: feature '%s' has invalid proportions", rf->name);
                goto out;
            }
        rf->icc_tg = rf->icc_tg > 0 ? fmin(rf->icc_tg, 1) : 0;
        rf->icc_g = rf->icc_g > 0 ? fmin(rf->icc_g, 1) : 0;
        rf->n_cuts = (int)nc;
        rf->n_sample = ns;
        r->nf++;
        if (!(rf->sample = sw_alloc_array((size_t)ns + 1, sizeof *rf->sample))) {
            rc = SW_NOMEM;
            snprintf(why, cap, "out of memory");
            goto out;
        }
        if (sw_json_read_f32s(d, smp, rf->sample, ns, NULL) || !ascending(rf->sample, ns)) {
            snprintf(why, cap, "drift.json: feature '%s' has an invalid sample", rf->name);
            goto out;
        }
        rf->col = sw_feature_find(rf->name);
    }
    rc = SW_OK;
out:
    if (rc) ref_free(r);
    sw_json_free(d);
    return rc;
}

/* ---- comparing a population with the reference ---- */

/* The 99.9% quantile of chi-square with df = 1..12 degrees of freedom. */
static const double chi2_999[13] = {0, 10.828, 13.816, 16.266, 18.467, 20.515, 22.458,
                                    24.322, 26.124, 27.877, 29.588, 31.264, 32.909};
#define KS_C999 1.9495 /* sqrt(-ln(0.0005) / 2): the two-sample KS critical constant at 0.1% */

/* Features whose distribution the calendar sets (the point of the season,
 * breaks, the schedule's density): they differ from a training window by
 * construction, so they are reported but never raise more than WATCH. */
static int calendar_feature(const char *name)
{
    static const char *const cal[] = {"games_in_last_7_days", "fatigue_score",     "usage_spike_score",
                                      "rest_advantage",       "back_to_back",      "games_vs_opponent",
                                      "early_season",         "playoff_game",      "pts_vs_season_zscore"};
    for (size_t i = 0; i < sizeof cal / sizeof cal[0]; i++)
        if (!strcmp(name, cal[i])) return 1;
    return 0;
}

static sw_level judge(const sw_config *cfg, double psi, double psi_crit, double ks, double ks_crit)
{
    if ((psi >= cfg->psi_alert && psi >= psi_crit) || (ks >= cfg->ks_alert && ks >= ks_crit)) return SW_LEVEL_ALERT;
    if (psi >= cfg->psi_watch && psi >= psi_crit) return SW_LEVEL_WATCH;
    return SW_LEVEL_OK;
}

/* PSI's sampling noise: about (1/n + 1/m) chi-square(bins - 1) for two
 * samples of one distribution; its 99.9% point. */
static double psi_critical(const double *ref, int nb, double n_eff, double m)
{
    int df = -1;
    for (int k = 0; k < nb; k++) df += ref[k] > 0;
    if (df < 1) df = 1;
    if (df > 12) df = 12;
    return (1.0 / n_eff + 1.0 / m) * chi2_999[df];
}

static void compare(const drift_ref *ref, const sw_frame *fr, const long *base, long nbase, const sw_config *cfg,
                    long *rows, float *buf, float *col, const clusters *k, sw_drift_cmp *c)
{
    memset(c, 0, sizeof *c);
    c->rows_all = nbase;
    long n = 0;
    for (long i = 0; i < nbase; i++) {
        const sw_frame_meta *m = sw_frame_meta_of(fr, base[i]);
        if ((unsigned)m->tier < 5) c->tier_now[m->tier]++;
        col[i] = (float)m->tier;
        k->team[i] = m->team;
        k->opp[i] = m->opp;
        k->game[i] = m->game;
        if (m->quality >= ref->min_quality) rows[n++] = base[i];
    }
    c->rows = n;
    double mref = ref->rows > 0 ? (double)ref->rows : 1.0;
    for (int t = 0; t < 5; t++) {
        c->tier_ref[t] = ref->tiers[t];
        c->tier_now[t] = nbase ? c->tier_now[t] / (double)nbase : 0.0;
    }
    c->tier_psi = NAN;
    if (nbase >= SW_DRIFT_MIN_ROWS) {
        c->tier_psi = sw_drift_psi(c->tier_ref, c->tier_now, 5);
        double ne = effective_n(col, nbase, k, 0, 0);
        if (ne >= SW_DRIFT_MIN_EFF_PSI)
            c->tier_level = judge(cfg, c->tier_psi, psi_critical(c->tier_ref, 5, ne, mref), NAN, INFINITY);
    }
    c->judged = n >= SW_DRIFT_MIN_ROWS;
    if (!c->judged)
        snprintf(c->note, sizeof c->note, "%ld rows after the filters (%ld before), fewer than %d: not judged", n,
                 nbase, SW_DRIFT_MIN_ROWS);
    for (long i = 0; i < n; i++) {
        const sw_frame_meta *m = sw_frame_meta_of(fr, rows[i]);
        k->team[i] = m->team;
        k->opp[i] = m->opp;
        k->game[i] = m->game;
    }
    for (int j = 0; j < ref->nf; j++) {
        const ref_feature *rf = &ref->f[j];
        if (rf->col < 0) continue;
        sw_drift_feature *f = &c->f[c->n_features++];
        snprintf(f->name, sizeof f->name, "%s", rf->name);
        f->missing_ref = rf->missing;
        f->nan_ref = rf->nan;
        f->psi = f->ks = f->missing_now = f->nan_now = f->n_eff = NAN;
        f->calendar = calendar_feature(rf->name);
        if (!n) continue;
        double props[SW_DRIFT_MAX_BINS];
        memset(props, 0, sizeof props);
        long nv = 0, nan = 0, miss = 0;
        for (long i = 0; i < n; i++) {
            float x = sw_frame_values(fr, rows[i])[rf->col];
            col[i] = x;
            miss += src_missing(sw_frame_sources(fr, rows[i])[rf->col]);
            props[sw_drift_bin(rf->cuts, rf->n_cuts, x)]++;
            if (isnan(x)) nan++;
            else buf[nv++] = x;
        }
        f->missing_now = (double)miss / (double)n;
        f->nan_now = (double)nan / (double)n;
        if (!c->judged) continue;
        for (int b = 0; b < rf->n_cuts + 2; b++) props[b] /= (double)n;
        f->psi = sw_drift_psi(rf->props, props, rf->n_cuts + 2);
        qsort(buf, (size_t)nv, sizeof *buf, cmp_float);
        f->ks = sw_drift_ks(rf->sample, rf->n_sample, buf, nv);
        if (isnan(f->ks)) f->ks = (rf->n_sample == 0) == (nv == 0) ? 0.0 : 1.0; /* all missing on one side only */
        /* independent values among the rows (all missing: every row is one) */
        f->n_eff = nv ? effective_n(col, n, k, rf->icc_tg, rf->icc_g) : (double)n;
        /* too few independent values for a test: never judged on noise */
        f->psi_crit = f->n_eff >= SW_DRIFT_MIN_EFF_PSI ? psi_critical(rf->props, rf->n_cuts + 2, f->n_eff, mref)
                                                       : INFINITY;
        f->ks_crit = nv > 0 && rf->n_sample > 0 && f->n_eff >= SW_DRIFT_MIN_EFF_KS
                         ? KS_C999 * sqrt(1.0 / f->n_eff + 1.0 / mref)
                         : INFINITY;
        f->level = judge(cfg, f->psi, f->psi_crit, f->ks, f->ks_crit);
        if (f->calendar && f->level > SW_LEVEL_WATCH) f->level = SW_LEVEL_WATCH;
        c->n_watch += f->level == SW_LEVEL_WATCH;
        c->n_alert += f->level == SW_LEVEL_ALERT;
        if (f->level > c->level) c->level = f->level;
    }
    if (c->tier_level > c->level) c->level = c->tier_level;
}

/* The newest box scores before the run date and the games since without
 * them.  sw_league_game_box_scores counts rows, so it is asked only about
 * the games of the candidate dates (a date whose games have team results but
 * no player rows is not fresh). */
static void fresh_box(const sw_config *cfg, const sw_league *lg, int date, sw_freshness *f)
{
    int ng = sw_league_n_games(lg), newest = -1, bound = date;
    f->run_games = 0;
    for (int g = 0; g < ng; g++) f->run_games += sw_league_game_date(lg, g) == date;
    for (;;) {
        int cand = -1;
        for (int g = 0; g < ng; g++) {
            int d = sw_league_game_date(lg, g);
            if (d < bound && d > cand && sw_league_game_played(lg, g)) cand = d;
        }
        if (cand < 0) break;
        for (int g = 0; g < ng && newest < 0; g++)
            if (sw_league_game_date(lg, g) == cand && sw_league_game_box_scores(lg, g) > 0) newest = cand;
        if (newest >= 0) break;
        bound = cand;
    }
    /* overdue: games at least stale_days before the run date (never the
     * run date's own) newer than the newest box scores */
    int due = date - (cfg->stale_days > 0 ? cfg->stale_days : 1);
    f->stale_days = cfg->stale_days;
    f->games_without_box = 0;
    for (int g = 0; g < ng; g++) {
        int d = sw_league_game_date(lg, g);
        if (d > newest && d <= due && (!sw_league_game_played(lg, g) || sw_league_game_box_scores(lg, g) == 0))
            f->games_without_box++;
    }
    f->box_newest[0] = 0;
    f->box_lag_days = -1;
    if (newest >= 0) {
        sw_date_format(newest, f->box_newest);
        f->box_lag_days = date - newest;
    }
    f->box_stale = f->games_without_box > 0;
}

int sw_monitor_drift(const sw_config *cfg, const sw_league *lg, const char *models, int date, sw_drift_report *d,
                     sw_freshness *fresh, sw_error *err)
{
    memset(d, 0, sizeof *d);
    if (!models) models = cfg->models;
    int from = date - cfg->drift_days, to = date - 1;
    sw_date_format(from, d->recent_from);
    sw_date_format(to, d->recent_to);
    sw_frame *fs = NULL, *fr = NULL;
    long *base = NULL, *rows = NULL;
    float *buf = NULL, *col = NULL;
    clusters cl;
    memset(&cl, 0, sizeof cl);
    drift_ref ref;
    memset(&ref, 0, sizeof ref);
    int rc;
    /* the reference of the gbdt version that serves the date */
    char tt[11], why[384] = "";
    int champ = 0;
    unsigned char *blob = NULL;
    size_t blen = 0;
    sw_error e;
    sw_error_clear(&e);
    if (sw_registry_exists(models, &e)) {
        snprintf(d->why, sizeof d->why, "no model store: %.300s", e.msg);
    } else if (sw_models_pick(models, "gbdt", date, d->version, tt, &champ, why, sizeof why, &e)) {
        snprintf(d->why, sizeof d->why, "no gbdt version serves the date%s%.300s", why[0] ? ": " : "", why);
        d->version[0] = 0;
    } else {
        sw_manifest m;
        if (sw_registry_manifest(models, "gbdt", d->version, &m, &e) ||
            sw_registry_read(models, &m, "drift", &blob, &blen, &e)) {
            if (e.code == SW_NOT_FOUND)
                snprintf(d->why, sizeof d->why,
                         "gbdt %s has no drift reference (registered before swish stored one, or added by hand)",
                         d->version);
            else
                snprintf(d->why, sizeof d->why, "gbdt %s: the drift reference cannot be read: %.250s", d->version, e.msg);
        } else if ((rc = ref_parse(blob, blen, &ref, why, sizeof why))) {
            if (rc == SW_NOMEM) {
                sw_free(blob);
                return sw_fail(err, SW_NOMEM, "out of memory");
            }
            snprintf(d->why, sizeof d->why, "gbdt %s: %.300s", d->version, why);
        } else {
            d->available = 1;
        }
        sw_free(blob);
    }
    if (!d->available && !fresh) return SW_OK;
    if (fresh) {
        memset(fresh, 0, sizeof *fresh);
        fresh_box(cfg, lg, date, fresh);
    }
    /* tonight's expected players, and the played games of the recent days */
    if ((rc = sw__build_frame(lg, cfg, 0, -1, date, &fs, err))) goto done;
    if ((rc = sw__build_frame(lg, cfg, from, to, -1, &fr, err))) goto done;
    long cap = sw_frame_rows(fs) > sw_frame_rows(fr) ? sw_frame_rows(fs) : sw_frame_rows(fr);
    base = sw_alloc_array((size_t)cap + 1, sizeof *base);
    rows = sw_alloc_array((size_t)cap + 1, sizeof *rows);
    buf = sw_alloc_array((size_t)cap + 1, sizeof *buf);
    col = sw_alloc_array((size_t)cap + 1, sizeof *col);
    cl.team = sw_alloc_array(3 * (size_t)cap + 3, sizeof *cl.team);
    cl.n_teams = sw_league_n_teams(lg);
    cl.n_games = sw_league_n_games(lg);
    cl.tmp = sw_alloc_array(2 * (size_t)(cl.n_teams > cl.n_games ? cl.n_teams : cl.n_games) + 2, sizeof *cl.tmp);
    if (!base || !rows || !buf || !col || !cl.team || !cl.tmp) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto done;
    }
    cl.opp = cl.team + cap + 1;
    cl.game = cl.opp + cap + 1;
    if (fresh) {
        int newest_line = -1;
        fresh->slate_rows = sw_frame_rows(fs);
        for (long i = 0; i < sw_frame_rows(fs); i++)
            if (isfinite(sw_frame_meta_of(fs, i)->line)) {
                fresh->slate_lined++;
                newest_line = date;
            }
        for (long i = 0; i < sw_frame_rows(fr); i++) {
            const sw_frame_meta *m = sw_frame_meta_of(fr, i);
            if (!isfinite(m->line)) continue;
            fresh->recent_lined++;
            if (m->date > newest_line) newest_line = m->date;
        }
        if (newest_line >= 0) sw_date_format(newest_line, fresh->line_newest);
        fresh->lines_stale = fresh->run_games > 0 && fresh->slate_rows > 0 && fresh->slate_lined == 0 &&
                             fresh->recent_lined > 0;
    }
    if (d->available) {
        snprintf(d->ref_from, sizeof d->ref_from, "%s", ref.from);
        snprintf(d->ref_to, sizeof d->ref_to, "%s", ref.to);
        d->ref_rows = ref.rows;
        d->min_minutes = ref.min_minutes;
        popdef p;
        pop_init(&p, ref.min_minutes, ref.min_quality);
        long nb = 0;
        for (long i = 0; i < sw_frame_rows(fs); i++)
            if (pop_base(fs, i, &p)) base[nb++] = i;
        compare(&ref, fs, base, nb, cfg, rows, buf, col, &cl, &d->slate);
        if (!sw_frame_rows(fs)) snprintf(d->slate.note, sizeof d->slate.note, "no games on the date");
        nb = 0;
        for (long i = 0; i < sw_frame_rows(fr); i++)
            if (played(sw_frame_meta_of(fr, i)) && pop_base(fr, i, &p)) base[nb++] = i;
        compare(&ref, fr, base, nb, cfg, rows, buf, col, &cl, &d->recent);
        d->level = d->slate.level > d->recent.level ? d->slate.level : d->recent.level;
    }
    rc = SW_OK;
done:
    ref_free(&ref);
    sw_frame_free(fs);
    sw_frame_free(fr);
    sw_free(base);
    sw_free(rows);
    sw_free(buf);
    sw_free(col);
    sw_free(cl.team);
    sw_free(cl.tmp);
    return rc;
}

/* ---- performance ---- */

/* The stored states into p->sys (prev, manual, since, evidence_from, reason). */
static int read_states(sw_store *st, sw_perf_report *p, sw_error *err)
{
    sw_store_sys_state *ss;
    int n;
    int rc = sw_store_monitor_states(st, &ss, &n, err);
    if (rc) return rc;
    for (int i = 0; i < n; i++) {
        int k = mon_system_find(ss[i].system);
        int s = sw_sys_state_find(ss[i].state);
        if (k < 0 || s < 0) continue;
        sw_perf_system *ps = &p->sys[k];
        ps->prev = ps->state = (sw_sys_state)s;
        ps->manual = ss[i].manual;
        snprintf(ps->since, sizeof ps->since, "%s", ss[i].since);
        snprintf(ps->evidence_from, sizeof ps->evidence_from, "%s", ss[i].evidence_from);
        snprintf(ps->reason, sizeof ps->reason, "%s", ss[i].reason);
    }
    sw_free(ss);
    return SW_OK;
}

typedef struct {
    long n, n_lined, calls, hits, n_brier;
    double ae, e, ae_lined, ae_line, brier;
} acc;

static void acc_add(acc *a, double pred, double line, double actual, double p_over, sw_call call)
{
    a->n++;
    a->ae += fabs(pred - actual);
    a->e += pred - actual;
    if (isfinite(line)) {
        a->n_lined++;
        a->ae_lined += fabs(pred - actual);
        a->ae_line += fabs(line - actual);
        if (actual != line) {
            if (sw_call_is_bet(call)) {
                a->calls++;
                a->hits += call == SW_CALL_OVER ? actual > line : actual < line;
            }
            if (isfinite(p_over)) {
                double y = actual > line;
                a->n_brier++;
                a->brier += (p_over - y) * (p_over - y);
            }
        }
    }
}

static void acc_finish(const acc *a, sw_perf_window *w)
{
    w->n = a->n;
    w->n_lined = a->n_lined;
    w->mae = a->n ? a->ae / (double)a->n : NAN;
    w->bias = a->n ? a->e / (double)a->n : NAN;
    w->mae_lined = a->n_lined ? a->ae_lined / (double)a->n_lined : NAN;
    w->line_mae = a->n_lined ? a->ae_line / (double)a->n_lined : NAN;
    w->ratio = a->n_lined && a->ae_line > 0 ? a->ae_lined / a->ae_line : NAN;
    w->calls = a->calls;
    w->hits = a->hits;
    w->hit_rate = a->calls ? (double)a->hits / (double)a->calls : NAN;
    sw_wilson(a->hits, a->calls, &w->hit_lo, &w->hit_hi);
    w->n_brier = a->n_brier;
    w->brier = a->n_brier ? a->brier / (double)a->n_brier : NAN;
}

typedef struct {
    int date;
    sw_perf_report *p;
    int evid[SW_MONITOR_SYSTEMS];
    acc win[SW_MONITOR_SYSTEMS][SW_PERF_WINDOWS], ver[SW_MONITOR_SYSTEMS][SW_MONITOR_VERSIONS];
} windows_ctx;

static int window_row(void *ctx, const sw_store_perf_row *r, sw_error *err)
{
    (void)err;
    windows_ctx *c = ctx;
    int day = r->date, k = mon_system_find(r->system);
    if (k < 0 || day < 0) return SW_OK;
    if (day < c->evid[k]) return SW_OK; /* before a person vouched for the system */
    for (int w = 0; w < SW_PERF_WINDOWS; w++)
        if (day >= c->date - sw_perf_days[w]) acc_add(&c->win[k][w], r->pred, r->line, r->actual, r->p_over, r->call);
    /* the 30-day window by version: the first SW_MONITOR_VERSIONS - 1
     * versions met (in date order), the rest summed in the last slot */
    sw_perf_system *ps = &c->p->sys[k];
    const char *vs = r->version;
    int v = 0;
    while (v < ps->n_versions && strcmp(ps->version[v], vs)) v++;
    if (v == ps->n_versions && v < SW_MONITOR_VERSIONS - 1) {
        snprintf(ps->version[v], sizeof ps->version[v], "%s", vs);
        ps->n_versions++;
    } else if (v == ps->n_versions || v == SW_MONITOR_VERSIONS - 1) {
        v = SW_MONITOR_VERSIONS - 1;
        snprintf(ps->version[v], sizeof ps->version[v], "(other versions)");
        ps->n_versions = SW_MONITOR_VERSIONS;
    }
    acc_add(&c->ver[k][v], r->pred, r->line, r->actual, r->p_over, r->call);
    return SW_OK;
}

static int load_windows(sw_store *st, int date, sw_perf_report *p, sw_error *err)
{
    windows_ctx wc, *c = &wc;
    memset(c, 0, sizeof *c);
    c->date = date;
    c->p = p;
    const char *systems[SW_MONITOR_SYSTEMS];
    for (int k = 0; k < SW_MONITOR_SYSTEMS; k++) {
        systems[k] = mon_system_name(k);
        c->evid[k] = -1;
        const char *ef = p->sys[k].evidence_from;
        if (ef[0]) sw_date_parse(ef, strlen(ef), &c->evid[k]);
    }
    int rc = sw_store_monitor_rows(st, systems, SW_MONITOR_SYSTEMS, date - sw_perf_days[SW_PERF_30], date - 1,
                                   window_row, c, err);
    if (!rc)
        for (int k = 0; k < SW_MONITOR_SYSTEMS; k++) {
            for (int w = 0; w < SW_PERF_WINDOWS; w++) acc_finish(&c->win[k][w], &p->sys[k].win[w]);
            for (int v = 0; v < p->sys[k].n_versions; v++) acc_finish(&c->ver[k][v], &p->sys[k].by_version[v]);
        }
    return rc;
}

/* The state the figures call for, and why (rules in monitor.h). */
static sw_sys_state target_state(const sw_perf_system *s, const sw_config *cfg, char *why, size_t cap)
{
    const sw_perf_window *w14 = &s->win[SW_PERF_14], *w30 = &s->win[SW_PERF_30];
    long N = cfg->perf_min_graded;
    int e14 = w14->n_lined >= N && isfinite(w14->ratio), e30 = w30->n_lined >= N && isfinite(w30->ratio);
    double r14 = w14->ratio, r30 = w30->ratio;
    if (!e14) {
        snprintf(why, cap, "insufficient data: %ld graded rows with a line in 14 days (%ld needed)", w14->n_lined, N);
        return SW_STATE_OK;
    }
    /* a block needs the 30-day window to hold enough rows of its own (older
     * than the 14 days): two periods of evidence, not the same days twice */
    if (e30 && w30->n_lined - w14->n_lined >= N && r14 >= cfg->mae_blocked && r30 >= cfg->mae_blocked) {
        snprintf(why, cap, "MAE %.3fx the line's over 14 days (%ld rows) and %.3fx over 30 days (%ld rows): both >= %g",
                 r14, w14->n_lined, r30, w30->n_lined, cfg->mae_blocked);
        return SW_STATE_BLOCKED;
    }
    if (r14 >= cfg->mae_degrading) {
        snprintf(why, cap, "MAE %.3fx the line's over 14 days (%ld rows) >= %g", r14, w14->n_lined, cfg->mae_degrading);
        return SW_STATE_DEGRADING;
    }
    if (e30 && r30 >= cfg->mae_watch && r14 > r30) {
        snprintf(why, cap, "MAE %.3fx the line's over 30 days (%ld rows) >= %g and rising (%.3fx over 14 days)", r30,
                 w30->n_lined, cfg->mae_watch, r14);
        return SW_STATE_DEGRADING;
    }
    if (r14 >= cfg->mae_watch) {
        snprintf(why, cap, "MAE %.3fx the line's over 14 days (%ld rows) >= %g", r14, w14->n_lined, cfg->mae_watch);
        return SW_STATE_WATCH;
    }
    snprintf(why, cap, "MAE %.3fx the line's over 14 days (%ld rows), under %g", r14, w14->n_lined, cfg->mae_watch);
    return SW_STATE_OK;
}

static void decide(sw_perf_system *s, const sw_config *cfg, int date)
{
    char why[384];
    sw_sys_state t = target_state(s, cfg, why, sizeof why);
    s->insufficient = s->win[SW_PERF_14].n_lined < cfg->perf_min_graded;
    s->changed = 0;
    char ds[11];
    sw_date_format(date, ds);
    if (s->prev == SW_STATE_BLOCKED && s->manual) {
        /* a person's block: only a person lifts it (the reason stays theirs) */
        return;
    }
    if (t > s->prev) {
        s->state = t;
        s->changed = 1;
    } else if (t < s->prev) {
        /* up only with enough rows and the 14-day ratio clearly inside the
         * level it moves to: under the threshold of the level above it by
         * SW_PERF_MARGIN (a ratio hovering at a threshold does not flap) */
        double above = t == SW_STATE_OK ? cfg->mae_watch : t == SW_STATE_WATCH ? cfg->mae_degrading : cfg->mae_blocked;
        double r14 = s->win[SW_PERF_14].ratio;
        if (!s->insufficient && isfinite(r14) && r14 < above - SW_PERF_MARGIN) {
            s->state = t;
            s->changed = 1;
            snprintf(s->reason, sizeof s->reason, "%s: %.360s", t == SW_STATE_OK ? "recovered" : "improved", why);
        } else {
            s->state = s->prev;
            snprintf(s->reason, sizeof s->reason,
                     "held %s: moving to %s needs the 14-day MAE under %gx the line's with %ld rows; %.200s",
                     sw_sys_state_name(s->prev), sw_sys_state_name(t), above - SW_PERF_MARGIN,
                     (long)cfg->perf_min_graded, why);
            return;
        }
    } else {
        s->state = t;
    }
    if (s->changed) {
        s->manual = 0;
        snprintf(s->since, sizeof s->since, "%s", ds);
        if (t > s->prev) snprintf(s->reason, sizeof s->reason, "%s", why);
    } else if (!(s->manual && s->state == SW_STATE_OK)) {
        snprintf(s->reason, sizeof s->reason, "%s", why);
    }
    if (!s->since[0]) snprintf(s->since, sizeof s->since, "%s", ds);
}

static void window_json(sw_jw *w, const sw_perf_window *x)
{
    sw_jw_obj_begin(w);
    sw_jw_kint(w, "n", x->n);
    sw_jw_kint(w, "n_lined", x->n_lined);
    sw_jw_kf64(w, "mae", x->mae);
    sw_jw_kf64(w, "bias", x->bias);
    sw_jw_kf64(w, "mae_lined", x->mae_lined);
    sw_jw_kf64(w, "line_mae", x->line_mae);
    sw_jw_kf64(w, "ratio", x->ratio);
    sw_jw_kint(w, "calls", x->calls);
    sw_jw_kint(w, "hits", x->hits);
    sw_jw_kf64(w, "hit_rate", x->hit_rate);
    sw_jw_kf64(w, "hit_lo", x->hit_lo);
    sw_jw_kf64(w, "hit_hi", x->hit_hi);
    sw_jw_kint(w, "n_brier", x->n_brier);
    sw_jw_kf64(w, "brier", x->brier);
    sw_jw_obj_end(w);
}

static void windows_json(sw_jw *w, const sw_perf_system *s)
{
    sw_jw_obj_begin(w);
    for (int k = 0; k < SW_PERF_WINDOWS; k++) {
        char key[8];
        snprintf(key, sizeof key, "%dd", sw_perf_days[k]);
        sw_jw_key(w, key);
        window_json(w, &s->win[k]);
    }
    sw_jw_obj_end(w);
}

/* Reads, measures and decides: the whole of a run but its writes. */
static int measure(sw_store *st, const sw_config *cfg, int date, sw_perf_report *p, sw_error *err)
{
    int out = read_states(st, p, err);
    if (!out) out = load_windows(st, date, p, err);
    if (!out)
        for (int k = 0; k < SW_MONITOR_SYSTEMS; k++) decide(&p->sys[k], cfg, date);
    return out;
}

typedef struct {
    sw_store *st;
    const sw_config *cfg;
    int date;
    sw_perf_report *p;
    sw_jw *fig[SW_MONITOR_SYSTEMS];
    sw_store_sys_update ups[SW_MONITOR_SYSTEMS];
} persist_ctx;

/* Inside the store's transaction: measure, decide, and the states to write
 * with their figures (the JSON of the windows). */
static int persist_decide(void *ctx, const sw_store_sys_update **ups, int *n, sw_error *err)
{
    persist_ctx *c = ctx;
    int out = measure(c->st, c->cfg, c->date, c->p, err);
    if (out) return out;
    for (int k = 0; k < SW_MONITOR_SYSTEMS; k++) {
        const sw_perf_system *s = &c->p->sys[k];
        sw_store_sys_update *u = &c->ups[k];
        sw_jw *w = c->fig[k] = sw_jw_create(SW_JW_JSON);
        if (!w) return sw_fail(err, SW_NOMEM, "out of memory");
        sw_jw_shortest(w, 1);
        windows_json(w, s);
        if (sw_jw_finish(w, &u->figures, &u->figures_len)) return sw_fail(err, SW_NOMEM, "out of memory");
        snprintf(u->s.system, sizeof u->s.system, "%s", mon_system_name(k));
        snprintf(u->s.state, sizeof u->s.state, "%s", sw_sys_state_name(s->state));
        snprintf(u->s.since, sizeof u->s.since, "%s", s->since);
        snprintf(u->s.evidence_from, sizeof u->s.evidence_from, "%s", s->evidence_from);
        snprintf(u->s.reason, sizeof u->s.reason, "%s", s->reason);
        u->s.manual = s->manual;
        u->from = s->changed ? sw_sys_state_name(s->prev) : NULL;
    }
    *ups = c->ups;
    *n = SW_MONITOR_SYSTEMS;
    return SW_OK;
}

int sw_monitor_performance(sw_store *st, const sw_config *cfg, int date, int persist, sw_perf_report *p,
                           sw_error *err)
{
    memset(p, 0, sizeof *p);
    for (int k = 0; k < SW_MONITOR_SYSTEMS; k++) snprintf(p->sys[k].system, sizeof p->sys[k].system, "%s", mon_system_name(k));
    int out;
    if (persist) {
        persist_ctx pc, *c = &pc;
        memset(c, 0, sizeof *c);
        c->st = st;
        c->cfg = cfg;
        c->date = date;
        c->p = p;
        out = sw_store_monitor_persist(st, date, persist_decide, c, err);
        for (int k = 0; k < SW_MONITOR_SYSTEMS; k++) sw_jw_free(c->fig[k]);
    } else {
        out = measure(st, cfg, date, p, err);
    }
    if (!out) p->available = 1;
    return out;
}

int sw_monitor_set_state(sw_store *st, const char *system, sw_sys_state state, int date, const char *reason,
                         sw_error *err)
{
    int k = mon_system_find(system);
    if (k < 0) {
        char list[256];
        int len = 0;
        for (int i = 0; i < SW_MONITOR_SYSTEMS; i++)
            len += snprintf(list + len, sizeof list - (size_t)len, "%s%s", i ? ", " : "", mon_system_name(i));
        return sw_fail(err, SW_ARG, "unknown system '%s' (one of %s)", system, list);
    }
    /* --enable: the rows graded before the date stop counting against the system */
    return sw_store_monitor_set(st, mon_system_name(k), sw_sys_state_name(state), date, reason, state == SW_STATE_OK,
                                err);
}

int sw_monitor_blocked(sw_store *st, int blocked[SW_SYS_COUNT + 1], sw_error *err)
{
    for (int k = 0; k <= SW_SYS_COUNT; k++) blocked[k] = 0;
    sw_store_sys_state *ss;
    int n;
    int rc = sw_store_monitor_states(st, &ss, &n, err);
    if (rc) return rc;
    for (int i = 0; i < n; i++) {
        int k = mon_system_find(ss[i].system);
        if (k >= 0 && !strcmp(ss[i].state, "BLOCKED")) blocked[k] = 1;
    }
    sw_free(ss);
    return SW_OK;
}

/* ---- the whole run ---- */

static void slate_deadline(const sw_config *cfg, sw_store *st, int date, long long now, sw_freshness *f)
{
    int hh, mm;
    char extra;
    if (!cfg->slate_deadline[0] || sscanf(cfg->slate_deadline, "%d:%d%c", &hh, &mm, &extra) != 2) return;
    if (!now) now = (long long)time(NULL);
    int today = (int)(now / 86400);
    long long sec = now % 86400;
    if (today != date || sec < (long long)(hh * 3600 + mm * 60) || !st) return;
    f->slate_checked = 1;
    long n;
    if (sw_store_monitor_runs(st, date, &n, NULL)) n = 0; /* unreadable: as if none were stored */
    f->slate_late = f->run_games > 0 && n == 0;
}

int sw_monitor_status(const sw_monitor_result *r)
{
    return r->degraded ? SW_DEGRADED : SW_OK;
}

int sw_monitor_run(const sw_monitor_opts *o, sw_monitor_result *r, sw_error *err)
{
    memset(r, 0, sizeof *r);
    double t0 = sw_clock_now();
    sw_date_format(o->date, r->date);
    int rc = sw_monitor_drift(o->cfg, o->lg, o->models, o->date, &r->drift, &r->fresh, err);
    if (rc) return rc;
    double t1 = sw_clock_now();
    r->t_drift = t1 - t0;
    if (o->store) {
        if ((rc = sw_monitor_performance(o->store, o->cfg, o->date, o->persist, &r->perf, err))) return rc;
        r->t_perf = sw_clock_now() - t1;
    } else {
        snprintf(r->perf.why, sizeof r->perf.why, "no database");
        for (int k = 0; k < SW_MONITOR_SYSTEMS; k++)
            snprintf(r->perf.sys[k].system, sizeof r->perf.sys[k].system, "%s", mon_system_name(k));
    }
    slate_deadline(o->cfg, o->store, o->date, o->now, &r->fresh);
    sw_freshness *f = &r->fresh;
    f->stale = f->box_stale || f->lines_stale || f->slate_late;
    int n = 0;
    if (f->box_stale)
        n += snprintf(f->note + n, sizeof f->note - (size_t)n,
                      "box scores stale: newest %s, %d days before the run date; %d games since, played at least "
                      "monitor.stale_days before it, have none; ",
                      f->box_newest[0] ? f->box_newest : "none", f->box_lag_days, f->games_without_box);
    if (f->lines_stale && n < (int)sizeof f->note)
        n += snprintf(f->note + n, sizeof f->note - (size_t)n,
                      "lines stale: none of the %ld expected players has a line (the last %d days had %ld); ",
                      f->slate_rows, o->cfg->drift_days, f->recent_lined);
    if (f->slate_late && n < (int)sizeof f->note)
        snprintf(f->note + n, sizeof f->note - (size_t)n, "no slate stored for the date by %s UTC; ",
                 o->cfg->slate_deadline);
    r->degraded = f->stale || (r->drift.available && r->drift.level == SW_LEVEL_ALERT);
    for (int k = 0; k < SW_MONITOR_SYSTEMS; k++)
        if (r->perf.sys[k].state >= SW_STATE_DEGRADING) r->degraded = 1;
    r->seconds = sw_clock_now() - t0;
    return SW_OK;
}

/* ---- writers ---- */

static void num(char *buf, size_t cap, const char *fmt, double v)
{
    if (isfinite(v)) snprintf(buf, cap, fmt, v);
    else snprintf(buf, cap, "-");
}

static void print_cmp(FILE *out, const char *what, const sw_drift_cmp *c)
{
    if (!c->judged) {
        fprintf(out, "  %-28s not judged: %s\n", what, c->note);
        return;
    }
    char tp[16];
    num(tp, sizeof tp, "%.3f", c->tier_psi);
    fprintf(out, "  %-28s %s: %ld rows (%ld before the filters), %d features WATCH, %d ALERT; tier mix PSI %s %s\n",
            what, sw_level_name(c->level), c->rows, c->rows_all, c->n_watch, c->n_alert, tp,
            sw_level_name(c->tier_level));
}

void sw_monitor_print(const sw_monitor_result *r, FILE *out)
{
    fprintf(out, "swish monitor %s: %s\n\n", r->date, r->degraded ? "DEGRADED (exit 1)" : "OK");
    const sw_drift_report *d = &r->drift;
    if (!d->available) {
        fprintf(out, "drift: unavailable: %s\n", d->why);
    } else {
        fprintf(out, "drift: %s against gbdt %s (reference %s to %s, %ld rows; quality >= min_quality, not early "
                     "season, minutes_avg_last_10 >= %g)\n",
                sw_level_name(d->level), d->version, d->ref_from, d->ref_to, d->ref_rows, d->min_minutes);
        char w1[64];
        snprintf(w1, sizeof w1, "slate %s", r->date);
        print_cmp(out, w1, &d->slate);
        snprintf(w1, sizeof w1, "played %s to %s", d->recent_from, d->recent_to);
        print_cmp(out, w1, &d->recent);
        int shown = 0;
        for (int i = 0; i < d->slate.n_features; i++) {
            const sw_drift_feature *a = &d->slate.f[i], *b = i < d->recent.n_features ? &d->recent.f[i] : NULL;
            if (a->level == SW_LEVEL_OK && (!b || b->level == SW_LEVEL_OK)) continue;
            if (!shown++)
                fprintf(out, "  %-26s %8s %8s %8s %8s %20s  %s\n", "FEATURE", "PSI-SLT", "KS-SLT", "PSI-RCT", "KS-RCT",
                        "MISSING REF/SLT/RCT", "STATE");
            char p1[16], k1[16], p2[16], k2[16], ms[40];
            num(p1, sizeof p1, "%.3f", a->psi);
            num(k1, sizeof k1, "%.3f", a->ks);
            num(p2, sizeof p2, "%.3f", b ? b->psi : NAN);
            num(k2, sizeof k2, "%.3f", b ? b->ks : NAN);
            snprintf(ms, sizeof ms, "%.0f%%/%.0f%%/%.0f%%", 100 * a->missing_ref,
                     isfinite(a->missing_now) ? 100 * a->missing_now : 0, b && isfinite(b->missing_now) ? 100 * b->missing_now : 0);
            sw_level lv = b && b->level > a->level ? b->level : a->level;
            fprintf(out, "  %-26s %8s %8s %8s %8s %20s  %s\n", a->name, p1, k1, p2, k2, ms, sw_level_name(lv));
        }
        if (!shown && (d->slate.judged || d->recent.judged)) fprintf(out, "  every feature OK\n");
    }
    fprintf(out, "\nperformance (graded rows; RATIO = MAE / the line's MAE on the rows with a line; windows end %s)\n",
            r->date);
    if (!r->perf.available) {
        fprintf(out, "  unavailable: %s\n", r->perf.why);
    } else {
        fprintf(out, "  %-15s %-9s %-10s %6s %6s %6s %6s %6s %6s %7s %7s %-22s %6s\n", "SYSTEM", "STATE", "SINCE", "N7",
                "RATIO7", "N14", "RAT14", "N30", "RAT30", "MAE30", "BIAS30", "HIT30 [95%]", "BRIER");
        for (int k = 0; k < SW_MONITOR_SYSTEMS; k++) {
            const sw_perf_system *s = &r->perf.sys[k];
            char r7[16], r14[16], r30[16], m30[16], b30[16], hit[40], br[16], st[16];
            const sw_perf_window *w30 = &s->win[SW_PERF_30];
            num(r7, sizeof r7, "%.3f", s->win[SW_PERF_7].ratio);
            num(r14, sizeof r14, "%.3f", s->win[SW_PERF_14].ratio);
            num(r30, sizeof r30, "%.3f", w30->ratio);
            num(m30, sizeof m30, "%.3f", w30->mae);
            num(b30, sizeof b30, "%+.2f", w30->bias);
            num(br, sizeof br, "%.4f", w30->brier);
            if (w30->calls)
                snprintf(hit, sizeof hit, "%.1f%% [%.1f,%.1f] %ld", 100 * w30->hit_rate, 100 * w30->hit_lo,
                         100 * w30->hit_hi, w30->calls);
            else
                snprintf(hit, sizeof hit, "-");
            snprintf(st, sizeof st, "%s%s", sw_sys_state_name(s->state), s->manual ? "*" : "");
            fprintf(out, "  %-15s %-9s %-10s %6ld %6s %6ld %6s %6ld %6s %7s %7s %-22s %6s\n", s->system, st, s->since,
                    s->win[SW_PERF_7].n_lined, r7, s->win[SW_PERF_14].n_lined, r14, w30->n_lined, r30, m30, b30, hit,
                    br);
        }
        for (int k = 0; k < SW_MONITOR_SYSTEMS; k++) {
            const sw_perf_system *s = &r->perf.sys[k];
            if (s->state == SW_STATE_OK && !s->changed && !s->manual) continue;
            fprintf(out, "  %s: %s%s%s\n", s->system, s->changed ? "now " : "", sw_sys_state_name(s->state),
                    s->manual ? " (set by a person)" : "");
            fprintf(out, "    %s\n", s->reason);
        }
        int manual = 0;
        for (int k = 0; k < SW_MONITOR_SYSTEMS; k++) manual |= r->perf.sys[k].manual;
        if (manual) fprintf(out, "  (* set by a person: swish monitor --block/--enable)\n");
    }
    const sw_freshness *f = &r->fresh;
    fprintf(out, "\nfreshness\n");
    if (f->box_newest[0])
        fprintf(out, "  box scores: newest %s, %d day%s before the run date: %s\n", f->box_newest, f->box_lag_days,
                f->box_lag_days == 1 ? "" : "s", f->box_stale ? "STALE" : "OK");
    else
        fprintf(out, "  box scores: none before the run date: %s\n", f->box_stale ? "STALE" : "OK");
    if (f->box_stale)
        fprintf(out, "    %d games since, scheduled at least monitor.stale_days (%d) before the run date, have none\n",
                f->games_without_box, f->stale_days);
    if (!f->run_games)
        fprintf(out, "  lines: no games on the run date\n");
    else
        fprintf(out, "  lines: %ld of %ld expected players have one (newest line %s): %s\n", f->slate_lined,
                f->slate_rows, f->line_newest[0] ? f->line_newest : "none", f->lines_stale ? "STALE" : "OK");
    if (f->slate_checked) fprintf(out, "  slate deadline: %s\n", f->slate_late ? "LATE: no run stored" : "OK");
    fprintf(out, "\n(%.3f s: drift and freshness %.3f s, performance %.3f s)\n", r->seconds, r->t_drift, r->t_perf);
}

static void cmp_json(sw_jw *w, const char *key, const sw_drift_cmp *c)
{
    sw_jw_key(w, key);
    sw_jw_obj_begin(w);
    sw_jw_kbool(w, "judged", c->judged);
    if (!c->judged) sw_jw_kstr(w, "note", c->note);
    sw_jw_kstr(w, "state", sw_level_name(c->level));
    sw_jw_kint(w, "rows", c->rows);
    sw_jw_kint(w, "rows_before_filters", c->rows_all);
    sw_jw_kint(w, "features_watch", c->n_watch);
    sw_jw_kint(w, "features_alert", c->n_alert);
    sw_jw_key(w, "tiers");
    sw_jw_obj_begin(w);
    sw_jw_kf64(w, "psi", c->tier_psi);
    sw_jw_kstr(w, "state", sw_level_name(c->tier_level));
    for (int t = 0; t < 5; t++) {
        sw_jw_key(w, sw_tier_name((sw_tier)t));
        sw_jw_obj_begin(w);
        sw_jw_kf64(w, "ref", c->tier_ref[t]);
        sw_jw_kf64(w, "now", c->tier_now[t]);
        sw_jw_obj_end(w);
    }
    sw_jw_obj_end(w);
    sw_jw_key(w, "features");
    sw_jw_arr_begin(w);
    for (int i = 0; i < c->n_features; i++) {
        const sw_drift_feature *f = &c->f[i];
        sw_jw_obj_begin(w);
        sw_jw_kstr(w, "name", f->name);
        sw_jw_kf64(w, "psi", f->psi);
        sw_jw_kf64(w, "ks", f->ks);
        sw_jw_kf64(w, "missing_ref", f->missing_ref);
        sw_jw_kf64(w, "missing_now", f->missing_now);
        sw_jw_kf64(w, "nan_ref", f->nan_ref);
        sw_jw_kf64(w, "nan_now", f->nan_now);
        sw_jw_kf64(w, "n_eff", f->n_eff);
        sw_jw_kf64(w, "psi_critical", f->psi_crit);
        sw_jw_kf64(w, "ks_critical", f->ks_crit);
        sw_jw_kbool(w, "calendar", f->calendar);
        sw_jw_kstr(w, "state", c->judged ? sw_level_name(f->level) : "not judged");
        sw_jw_obj_end(w);
    }
    sw_jw_arr_end(w);
    sw_jw_obj_end(w);
}

void sw_monitor_json(sw_jw *w, const sw_monitor_result *r)
{
    sw_jw_obj_begin(w);
    sw_jw_kstr(w, "date", r->date);
    sw_jw_kstr(w, "status", r->degraded ? "DEGRADED" : "OK");
    sw_jw_kf64(w, "seconds", r->seconds);
    sw_jw_kf64(w, "seconds_drift", r->t_drift);
    sw_jw_kf64(w, "seconds_performance", r->t_perf);
    const sw_drift_report *d = &r->drift;
    sw_jw_key(w, "drift");
    sw_jw_obj_begin(w);
    sw_jw_kbool(w, "available", d->available);
    if (!d->available) {
        sw_jw_kstr(w, "why", d->why);
        sw_jw_kstr(w, "version", d->version);
    } else {
        sw_jw_kstr(w, "state", sw_level_name(d->level));
        sw_jw_kstr(w, "version", d->version);
        sw_jw_kstr(w, "reference_from", d->ref_from);
        sw_jw_kstr(w, "reference_to", d->ref_to);
        sw_jw_kint(w, "reference_rows", d->ref_rows);
        sw_jw_kf64(w, "min_minutes", d->min_minutes);
        sw_jw_kstr(w, "recent_from", d->recent_from);
        sw_jw_kstr(w, "recent_to", d->recent_to);
        cmp_json(w, "slate", &d->slate);
        cmp_json(w, "recent", &d->recent);
    }
    sw_jw_obj_end(w);
    sw_jw_key(w, "performance");
    sw_jw_obj_begin(w);
    sw_jw_kbool(w, "available", r->perf.available);
    if (!r->perf.available) sw_jw_kstr(w, "why", r->perf.why);
    sw_jw_key(w, "systems");
    sw_jw_arr_begin(w);
    for (int k = 0; r->perf.available && k < SW_MONITOR_SYSTEMS; k++) {
        const sw_perf_system *s = &r->perf.sys[k];
        sw_jw_obj_begin(w);
        sw_jw_kstr(w, "system", s->system);
        sw_jw_kstr(w, "state", sw_sys_state_name(s->state));
        sw_jw_kstr(w, "previous", sw_sys_state_name(s->prev));
        sw_jw_kbool(w, "changed", s->changed);
        sw_jw_kbool(w, "manual", s->manual);
        sw_jw_kbool(w, "insufficient_data", s->insufficient);
        sw_jw_kstr(w, "since", s->since);
        if (s->evidence_from[0]) sw_jw_kstr(w, "evidence_from", s->evidence_from);
        sw_jw_kstr(w, "reason", s->reason);
        sw_jw_key(w, "windows");
        windows_json(w, s);
        sw_jw_key(w, "versions_30d");
        sw_jw_arr_begin(w);
        for (int v = 0; v < s->n_versions; v++) {
            sw_jw_obj_begin(w);
            sw_jw_kstr(w, "version", s->version[v]);
            sw_jw_key(w, "window");
            window_json(w, &s->by_version[v]);
            sw_jw_obj_end(w);
        }
        sw_jw_arr_end(w);
        sw_jw_obj_end(w);
    }
    sw_jw_arr_end(w);
    sw_jw_obj_end(w);
    const sw_freshness *f = &r->fresh;
    sw_jw_key(w, "freshness");
    sw_jw_obj_begin(w);
    sw_jw_kbool(w, "stale", f->stale);
    if (f->box_newest[0]) sw_jw_kstr(w, "box_scores_newest", f->box_newest);
    else sw_jw_knull(w, "box_scores_newest");
    sw_jw_kint(w, "box_scores_lag_days", f->box_lag_days);
    sw_jw_kint(w, "games_without_box_scores", f->games_without_box);
    sw_jw_kbool(w, "box_scores_stale", f->box_stale);
    sw_jw_kint(w, "run_date_games", f->run_games);
    if (f->line_newest[0]) sw_jw_kstr(w, "lines_newest", f->line_newest);
    else sw_jw_knull(w, "lines_newest");
    sw_jw_kint(w, "slate_players", f->slate_rows);
    sw_jw_kint(w, "slate_players_with_line", f->slate_lined);
    sw_jw_kint(w, "recent_rows_with_line", f->recent_lined);
    sw_jw_kbool(w, "lines_stale", f->lines_stale);
    sw_jw_kbool(w, "slate_deadline_checked", f->slate_checked);
    sw_jw_kbool(w, "slate_late", f->slate_late);
    if (f->note[0]) sw_jw_kstr(w, "note", f->note);
    sw_jw_obj_end(w);
    sw_jw_obj_end(w);
}

void sw_monitor_export(const sw_monitor_result *r, sw_monitor_emit emit, void *ctx)
{
    const char *v[3];
    const sw_drift_report *d = &r->drift;
    emit(ctx, "swish_monitor_degraded", "1 when the monitor's last run found something DEGRADING, BLOCKED, a drift "
         "alert or stale input", "", NULL, r->degraded);
    emit(ctx, "swish_monitor_drift_available", "1 when the serving gbdt version has a drift reference", "", NULL,
         d->available);
    if (d->available) {
        emit(ctx, "swish_monitor_drift_level", "overall drift: 0 OK, 1 WATCH, 2 ALERT", "", NULL, d->level);
        const sw_drift_cmp *cs[2] = {&d->slate, &d->recent};
        const char *names[2] = {"slate", "recent"};
        for (int c = 0; c < 2; c++) {
            if (!cs[c]->judged) continue;
            v[0] = names[c];
            emit(ctx, "swish_monitor_tier_psi", "PSI of the quality-tier mix against the training window", "against", v,
                 cs[c]->tier_psi);
            for (int i = 0; i < cs[c]->n_features; i++) {
                const sw_drift_feature *f = &cs[c]->f[i];
                v[0] = f->name;
                v[1] = names[c];
                emit(ctx, "swish_monitor_feature_psi", "PSI of a feature against the training window",
                     "feature,against", v, f->psi);
                emit(ctx, "swish_monitor_feature_ks", "KS statistic of a feature against the training window",
                     "feature,against", v, f->ks);
                emit(ctx, "swish_monitor_feature_missing", "share of rows whose feature is missing or a default",
                     "feature,against", v, f->missing_now);
            }
        }
    }
    for (int k = 0; r->perf.available && k < SW_MONITOR_SYSTEMS; k++) {
        const sw_perf_system *s = &r->perf.sys[k];
        v[0] = s->system;
        emit(ctx, "swish_monitor_system_state", "a system's state: 0 OK, 1 WATCH, 2 DEGRADING, 3 BLOCKED", "system", v,
             s->state);
        for (int w = 0; w < SW_PERF_WINDOWS; w++) {
            char win[8];
            snprintf(win, sizeof win, "%dd", sw_perf_days[w]);
            const sw_perf_window *x = &s->win[w];
            v[1] = win;
            emit(ctx, "swish_monitor_graded_rows", "graded rows with a line in the window", "system,window", v,
                 (double)x->n_lined);
            emit(ctx, "swish_monitor_mae", "MAE of the graded rows in the window", "system,window", v, x->mae);
            emit(ctx, "swish_monitor_mae_ratio", "MAE over the line's MAE on the same rows", "system,window", v, x->ratio);
            emit(ctx, "swish_monitor_bias", "mean prediction minus actual", "system,window", v, x->bias);
            emit(ctx, "swish_monitor_hit_rate", "hit rate of the system's OVER/UNDER calls", "system,window", v,
                 x->hit_rate);
            emit(ctx, "swish_monitor_brier", "Brier score of P(over)", "system,window", v, x->brier);
        }
    }
    const sw_freshness *f = &r->fresh;
    v[0] = "box_scores";
    emit(ctx, "swish_monitor_input_stale", "1 when an input is stale", "input", v, f->box_stale);
    v[0] = "lines";
    emit(ctx, "swish_monitor_input_stale", "1 when an input is stale", "input", v, f->lines_stale);
    v[0] = "slate";
    emit(ctx, "swish_monitor_input_stale", "1 when an input is stale", "input", v, f->slate_late);
    emit(ctx, "swish_monitor_box_scores_lag_seconds", "time from the newest box score's date to the run date (whole days)",
         "", NULL, f->box_lag_days < 0 ? NAN : 86400.0 * f->box_lag_days);
}
