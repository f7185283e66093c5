/* split: split gains and the split search, numeric and categorical, and the
 * level scores of oblivious trees.
 *
 * Split gain, weights, L1/L2, min_child_weight, max_delta_step and monotone
 * bounds follow XGBoost's param.h and TreeEvaluator; a split is made when its
 * loss change exceeds both 1e-6 and gamma (min_split_loss).  The cut scans are
 * generic vectors with one clone per ISA (the reference); split_avx2.c is
 * scan_cuts with AVX2 intrinsics, with the same result.
 */
#include "grow_impl.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"

/* ------------------------------------------------------ XGBoost's formulas */

static inline double threshold_l1(double g, double alpha)
{
    if (g > alpha) return g - alpha;
    if (g < -alpha) return g + alpha;
    return 0.0;
}

static double calc_weight(const sw_train_params *p, double G, double H)
{
    if (H < p->min_child_weight || H <= 0.0) return 0.0;
    double dw = -threshold_l1(G, p->alpha) / (H + p->lambda);
    if (p->max_delta_step != 0.0 && fabs(dw) > p->max_delta_step) dw = copysign(p->max_delta_step, dw);
    return dw;
}

static inline double gain_given_weight(const sw_train_params *p, double G, double H, double w)
{
    return -(2.0 * G * w + (H + p->lambda) * w * w);
}

/* Gain of a node with sums (G, H) whose weight is bounded by [lo, hi]. */
double sw__node_gain(const sw__grower *g, double G, double H, double lo, double hi)
{
    const sw_train_params *p = g->p;
    if (H <= 0.0) return 0.0;
    if (p->max_delta_step == 0.0 && !g->has_constraint) {
        double t = threshold_l1(G, p->alpha);
        return t * t / (H + p->lambda);
    }
    double w = calc_weight(p, G, H);
    if (w < lo) w = lo;
    if (w > hi) w = hi;
    return gain_given_weight(p, G, H, w);
}

double sw__bounded_weight(const sw_train_params *p, double G, double H, double lo, double hi)
{
    double w = calc_weight(p, G, H);
    if (w < lo) w = lo;
    if (w > hi) w = hi;
    return w;
}

/* XGBoost's TreeEvaluator::CalcSplitGain. */
static double split_gain(const sw__grower *g, const sw__gnode *nd, int feat, double GL, double HL, double GR,
                         double HR)
{
    const sw_train_params *p = g->p;
    if (!g->has_constraint && p->max_delta_step == 0.0) {
        double tl = threshold_l1(GL, p->alpha), tr = threshold_l1(GR, p->alpha);
        double a = HL > 0.0 ? tl * tl / (HL + p->lambda) : 0.0;
        double b = HR > 0.0 ? tr * tr / (HR + p->lambda) : 0.0;
        return a + b;
    }
    double wl = sw__bounded_weight(p, GL, HL, nd->lower, nd->upper);
    double wr = sw__bounded_weight(p, GR, HR, nd->lower, nd->upper);
    double gain = (HL > 0.0 ? gain_given_weight(p, GL, HL, wl) : 0.0) +
                  (HR > 0.0 ? gain_given_weight(p, GR, HR, wr) : 0.0);
    int c = feat < p->n_monotone ? p->monotone[feat] : 0;
    if (c > 0 && wl > wr) return -INFINITY;
    if (c < 0 && wl < wr) return -INFINITY;
    return gain;
}

/* --------------------------------------------------------- split search */

/* The candidate scan of sw__eval_feature without monotone constraints or
 * max_delta_step, four cut points at a time.  The left sums GL, HL of cuts
 * i+1..i+4 come from bins i..i+3: an in-register prefix sum (two shifted
 * adds) plus the running total, so the serial chain is one add per four bins.
 * For each cut s (1..ncuts) and missing-value direction, gain =
 * (T(GL)^2 (HR+lambda) + T(GR)^2 (HL+lambda)) / ((HL+lambda)(HR+lambda))
 * (T = L1 soft threshold), candidates below min_child_weight excluded; the
 * first maximum in (s, direction) order wins: each lane keeps its first
 * maximum (comparing fractions by cross multiplication), then the lanes' gains
 * are compared.  GCC vector types with one clone per ISA: the same IEEE
 * operations in every clone (no contraction in ISO C), so the model never
 * depends on the CPU.  GLs/HLs receive the left sums (the chosen cut's are
 * read back). */
typedef double v4d __attribute__((vector_size(32)));
typedef long long v4l __attribute__((vector_size(32)));
typedef float v8f __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));

/* T(g)^2 = (|g| - alpha)^2 when positive, else 0 (the sign drops out) */
#define SOFT_SQ(g, t)                                  \
    ((t) = (v4d)((v4l)(g) & absm) - alpha,             \
     (t) = (v4d)((v4l)(t) & ((t) > 0.0)), (t) * (t))

/* one direction's candidates for four lanes into one accumulator (bn/bd: the
 * lane's best gain as a fraction, bk: its key 2s + dir) */
#define SCAN_DIR(gl, hl, sv, dirbit, in, bn, bd, bk)                                           \
    do {                                                                                      \
        v4d gr_ = G - (gl), hr_ = H - (hl);                                                   \
        v4l ok_ = (in) & ~((hl) < mcw) & ~(hr_ < mcw);                                        \
        v4d a_ = (hl) + lambda, b_ = hr_ + lambda;                                            \
        v4d tl_, tr_;                                                                         \
        v4d num_ = SOFT_SQ((gl), tl_) * b_ + SOFT_SQ(gr_, tr_) * a_;                          \
        v4d den_ = a_ * b_;                                                                   \
        /* num / den > bn / bd  <=>  num bd > bn den  (den, bd > 0): no division per cut */   \
        v4l take_ = ok_ & (num_ * bd > bn * den_);                                            \
        bn = (v4d)(((v4l)num_ & take_) | ((v4l)bn & ~take_));                                 \
        bd = (v4d)(((v4l)den_ & take_) | ((v4l)bd & ~take_));                                 \
        bk = (((sv) + (sv) + (dirbit)) & take_) | (bk & ~take_);                              \
    } while (0)

/* Eight cuts per step, in two vectors; each (vector, direction) has its own
 * accumulator so that the compare-and-keep chains run side by side.  Every
 * lane still meets its cuts in ascending order, so keeping each lane's first
 * maximum and breaking ties between lanes by the smaller key finds the first
 * maximum overall. */
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) static void
scan_cuts(const sw__gpair *h, int ncuts, double G_, double H_, double Gm, double Hm, int ndir, double lambda_,
          double alpha_, double mcw_, double *GLs, double *HLs, double *gains, long long *keys)
{
    const long long none = 0x7fffffffffffffffLL;
    const v4l absm = (v4l){0} + 0x7fffffffffffffffLL;
    const v4d G = (v4d){0} + G_, H = (v4d){0} + H_, lambda = (v4d){0} + lambda_, alpha = (v4d){0} + alpha_;
    const v4d mcw = (v4d){0} + mcw_, vGm = (v4d){0} + Gm, vHm = (v4d){0} + Hm, zero = {0};
    const v4d ninf = (v4d){0} - INFINITY, one = (v4d){0} + 1.0;
    const v4l vnone = (v4l){0} + none;
    v4d bn0 = ninf, bn1 = ninf, bn2 = ninf, bn3 = ninf, bd0 = one, bd1 = one, bd2 = one, bd3 = one;
    v4l bk0 = vnone, bk1 = vnone, bk2 = vnone, bk3 = vnone;
    v4l sva = {1, 2, 3, 4}, svb = {5, 6, 7, 8};
    v4d sda = {1, 2, 3, 4}, sdb = {5, 6, 7, 8};
    const v4d nc = (v4d){0} + (double)ncuts;
    v4d cg = zero, ch = zero; /* running totals, broadcast */
    for (int i = 0; i < ncuts; i += 8, sva += 8, svb += 8, sda += 8.0, sdb += 8.0) {
        /* g, h of bins i..i+7 (lanes past ncuts are masked off below) */
        v4f x0, x1, x2, x3;
        memcpy(&x0, h + i, sizeof x0);
        memcpy(&x1, h + i + 2, sizeof x1);
        memcpy(&x2, h + i + 4, sizeof x2);
        memcpy(&x3, h + i + 6, sizeof x3);
        v4d d0 = __builtin_convertvector(x0, v4d), d1 = __builtin_convertvector(x1, v4d);
        v4d d2 = __builtin_convertvector(x2, v4d), d3 = __builtin_convertvector(x3, v4d);
        v4d pga = __builtin_shufflevector(d0, d1, 0, 2, 4, 6), pha = __builtin_shufflevector(d0, d1, 1, 3, 5, 7);
        v4d pgb = __builtin_shufflevector(d2, d3, 0, 2, 4, 6), phb = __builtin_shufflevector(d2, d3, 1, 3, 5, 7);
        /* in-register inclusive prefix sums of each four, then of the eight */
        pga += __builtin_shufflevector(zero, pga, 0, 4, 5, 6);
        pha += __builtin_shufflevector(zero, pha, 0, 4, 5, 6);
        pgb += __builtin_shufflevector(zero, pgb, 0, 4, 5, 6);
        phb += __builtin_shufflevector(zero, phb, 0, 4, 5, 6);
        pga += __builtin_shufflevector(zero, pga, 0, 1, 4, 5);
        pha += __builtin_shufflevector(zero, pha, 0, 1, 4, 5);
        pgb += __builtin_shufflevector(zero, pgb, 0, 1, 4, 5);
        phb += __builtin_shufflevector(zero, phb, 0, 1, 4, 5);
        pgb += __builtin_shufflevector(pga, pga, 3, 3, 3, 3);
        phb += __builtin_shufflevector(pha, pha, 3, 3, 3, 3);
        v4d gla = cg + pga, hla = ch + pha, glb = cg + pgb, hlb = ch + phb;
        cg = __builtin_shufflevector(glb, glb, 3, 3, 3, 3);
        ch = __builtin_shufflevector(hlb, hlb, 3, 3, 3, 3);
        memcpy(GLs + i, &gla, sizeof gla);
        memcpy(HLs + i, &hla, sizeof hla);
        memcpy(GLs + i + 4, &glb, sizeof glb);
        memcpy(HLs + i + 4, &hlb, sizeof hlb);
        v4l ina = sda <= nc, inb = sdb <= nc;
        /* dir 0: missing goes right (XGBoost's forward pass), 1: left */
        SCAN_DIR(gla, hla, sva, 0, ina, bn0, bd0, bk0);
        SCAN_DIR(glb, hlb, svb, 0, inb, bn1, bd1, bk1);
        if (ndir > 1) {
            v4d gla1 = gla + vGm, hla1 = hla + vHm, glb1 = glb + vGm, hlb1 = hlb + vHm;
            SCAN_DIR(gla1, hla1, sva, 1, ina, bn2, bd2, bk2);
            SCAN_DIR(glb1, hlb1, svb, 1, inb, bn3, bd3, bk3);
        }
    }
    v4d g4[4] = {bn0 / bd0, bn1 / bd1, bn2 / bd2, bn3 / bd3};
    v4l k4[4] = {bk0, bk1, bk2, bk3};
    memcpy(gains, g4, sizeof g4);
    memcpy(keys, k4, sizeof k4);
}

/* The best of the scan's 16 lanes: the largest gain, the smallest key on ties. */
static double scan_best(const double *gains, const long long *keys, long long *best_key)
{
    const long long none = 0x7fffffffffffffffLL;
    double best = -INFINITY;
    long long key = none;
    for (int l = 0; l < 16; l++) {
        if (keys[l] == none) continue;
        if (gains[l] > best || (gains[l] == best && keys[l] < key)) {
            best = gains[l];
            key = keys[l];
        }
    }
    *best_key = key;
    return best;
}

/* A categorical cut with left (gl, hl) and right (gr, hr): whether both
 * sides reach min_child_weight and its gain beats *best (then *best is it). */
static inline int cut_better(const sw__grower *g, const sw__gnode *nd, int f, double gl, double hl, double gr,
                             double hr, double *best)
{
    double mcw = g->p->min_child_weight;
    if (hl < mcw || hr < mcw) return 0;
    double gain = split_gain(g, nd, f, gl, hl, gr, hr);
    if (!(gain > *best)) return 0;
    *best = gain;
    return 1;
}

/* Best split of node nd on categorical feature position k, as XGBoost 1.7's
 * enable_categorical enumerates them.  Bins are categories; the feature's
 * categories are those of the training rows (g->c->seen, XGBoost's cut
 * values).  Fewer than max_cat_to_onehot of them: each category (one
 * without rows in this node too) against the rest, missing on either side.
 * Otherwise all of them (those without rows in
 * this node too) sorted by their leaf weight, -T(G)/(H + lambda) (0 under
 * min_child_weight; ties by category), and a prefix of that order is the set
 * that goes right: its length 1 .. t - 1 with missing values left (forward),
 * then all but 1 .. t - 1 with missing values right (backward), t =
 * min(max_cat_threshold, categories).  Unseen categories go left. */
static void eval_categorical(const sw__grower *g, const sw__gnode *nd, int k, struct sw__cand *out)
{
    const sw_train_params *p = g->p;
    int f = g->tree_feats[k];
    int nb = g->c->ncuts[f] + 1;
    const uint32_t *seen = g->c->seen + (size_t)f * 8;
    const sw__gpair *h = g->hbuf[nd->hist] + (size_t)k * SW__HB;
    double Gm = h[SW__MISSING_BIN].g, Hm = h[SW__MISSING_BIN].h;
    int ndir = (Hm > 0.0 || Gm != 0.0) ? 2 : 1;
    double mcw = p->min_child_weight;
    int ord[256], m = 0;
    double wt[256];
    for (int c = 0; c < nb; c++)
        if ((seen[c >> 5] >> (c & 31)) & 1u) {
            ord[m++] = c;
            wt[c] = h[c].h < mcw || h[c].h <= 0.0 ? 0.0 : -threshold_l1(h[c].g, p->alpha) / (h[c].h + p->lambda);
        }
    out->valid = 0;
    out->cat = 1;
    double best = -INFINITY;
    int bi = -1, bdl = 0;
    if (m < p->max_cat_to_onehot) {
        /* one category c right, the rest left; missing left (dir 1) or right (dir 0) */
        for (int q = 0; q < m; q++) {
            int c = ord[q]; /* one without rows here too: with missing right, it splits off the missing values */
            for (int dir = 0; dir < ndir; dir++) {
                double gr = h[c].g + (dir ? 0.0 : Gm), hr = h[c].h + (dir ? 0.0 : Hm);
                if (cut_better(g, nd, f, nd->G - gr, nd->H - hr, gr, hr, &best)) {
                    bi = q;
                    bdl = dir;
                }
            }
        }
        if (bi < 0) return;
        int c = ord[bi];
        memset(out->cset, 0, sizeof out->cset);
        out->cset[c >> 5] |= 1u << (c & 31);
        out->dl = bdl;
        out->GL = nd->G - h[c].g - (bdl ? 0.0 : Gm);
        out->HL = nd->H - h[c].h - (bdl ? 0.0 : Hm);
    } else {
        /* insertion sort by (weight, category): at most 255 categories */
        for (int i = 1; i < m; i++) {
            int v = ord[i], j = i - 1;
            while (j >= 0 && wt[ord[j]] > wt[v]) {
                ord[j + 1] = ord[j];
                j--;
            }
            ord[j + 1] = v;
        }
        int t = p->max_cat_threshold < m ? p->max_cat_threshold : m;
        double ag = 0, ah = 0; /* forward: the prefix (right), missing left */
        for (int i = 1; i < t; i++) {
            ag += h[ord[i - 1]].g;
            ah += h[ord[i - 1]].h;
            if (cut_better(g, nd, f, nd->G - ag, nd->H - ah, ag, ah, &best)) {
                bi = i;
                bdl = 1;
            }
        }
        ag = ah = 0; /* backward: the suffix (left), missing right with the prefix */
        for (int j = 1; j < t; j++) {
            ag += h[ord[m - j]].g;
            ah += h[ord[m - j]].h;
            if (cut_better(g, nd, f, ag, ah, nd->G - ag, nd->H - ah, &best)) {
                bi = m - j;
                bdl = 0;
            }
        }
        if (bi < 0) return;
        memset(out->cset, 0, sizeof out->cset);
        double gr = 0, hr = 0;
        for (int q = 0; q < bi; q++) {
            out->cset[ord[q] >> 5] |= 1u << (ord[q] & 31);
            gr += h[ord[q]].g;
            hr += h[ord[q]].h;
        }
        if (!bdl) {
            gr += Gm;
            hr += Hm;
        }
        out->dl = bdl;
        out->GL = nd->G - gr;
        out->HL = nd->H - hr;
    }
    out->valid = 1;
    out->loss_chg = best - nd->root_gain;
    out->bin = 0;
}

/* Best split of node nd on tree feature position k.  Without monotone
 * constraints or max_delta_step the gain is XGBoost's
 * T(GL)^2/(HL+lambda) + T(GR)^2/(HR+lambda) (T = L1 soft threshold), computed
 * over one division; bins that add nothing repeat the previous split and are
 * skipped. */
void sw__eval_feature(const sw__grower *g, const sw__gnode *nd, int k, struct sw__cand *out)
{
    const sw_train_params *p = g->p;
    int f = g->tree_feats[k];
    if (f < p->n_categorical && p->categorical[f]) {
        eval_categorical(g, nd, k, out);
        return;
    }
    out->cat = 0;
    int ncuts = g->c->ncuts[f];
    const sw__gpair *h = g->hbuf[nd->hist] + (size_t)k * SW__HB;
    double Gm = h[SW__MISSING_BIN].g, Hm = h[SW__MISSING_BIN].h;
    int ndir = (Hm > 0.0 || Gm != 0.0) ? 2 : 1;
    int simple = !g->has_constraint && p->max_delta_step == 0.0;
    double lambda = p->lambda, alpha = p->alpha, mcw = p->min_child_weight;
    double best = -INFINITY, bGL = 0, bHL = 0;
    int bbin = 0, bdl = 0;
    double GL = 0, HL = 0;
    if (simple) {
        double GLs[SW__HB + 8], HLs[SW__HB + 8];
        long long key;
        double lg[16];
        long long lk[16];
        if (g->scan_avx2)
            sw__scan_cuts_avx2(h, ncuts, nd->G, nd->H, Gm, Hm, ndir, lambda, alpha, mcw, GLs, HLs, lg, lk);
        else
            scan_cuts(h, ncuts, nd->G, nd->H, Gm, Hm, ndir, lambda, alpha, mcw, GLs, HLs, lg, lk);
        best = scan_best(lg, lk, &key);
        if (best > -INFINITY) {
            bbin = (int)(key / 2);
            bdl = (int)(key % 2);
            bGL = bdl ? GLs[bbin - 1] + Gm : GLs[bbin - 1];
            bHL = bdl ? HLs[bbin - 1] + Hm : HLs[bbin - 1];
        }
    }
    for (int s = 1; s <= ncuts && !simple; s++) {
        GL += h[s - 1].g;
        HL += h[s - 1].h;
        if (h[s - 1].h == 0.0 && h[s - 1].g == 0.0 && s > 1) continue; /* same split as s-1 */
        for (int dir = 0; dir < ndir; dir++) {
            /* dir 0: missing goes right (XGBoost's forward pass), 1: left */
            double gl = dir ? GL + Gm : GL, hl = dir ? HL + Hm : HL;
            double gr = nd->G - gl, hr = nd->H - hl;
            if (hl < mcw || hr < mcw) continue;
            double gain = split_gain(g, nd, f, gl, hl, gr, hr);
            if (gain > best) {
                best = gain;
                bGL = gl;
                bHL = hl;
                bbin = s;
                bdl = dir;
            }
        }
    }
    out->valid = best > -INFINITY;
    out->loss_chg = best - nd->root_gain;
    out->GL = bGL;
    out->HL = bHL;
    out->bin = bbin;
    out->dl = bdl;
}

int sw__ensure_cands(sw__grower *g, size_t n)
{
    if (n <= g->cap_cands) return SW_OK;
    struct sw__cand *c = sw_realloc_array(g->cands, n, sizeof *c);
    if (!c) return SW_NOMEM;
    g->cands = c;
    g->cap_cands = n;
    return SW_OK;
}

/* Node `node`'s feature subset (colsample_bynode) as a mask over the nl level
 * positions; tmp holds nl ints. */
void sw__node_features(const sw__grower *g, const sw_train_params *p, int node, int nl, int *tmp, uint8_t *u)
{
    if (p->colsample_bynode >= 1.0) {
        memset(u, 1, (size_t)nl);
        return;
    }
    memset(u, 0, (size_t)nl);
    for (int j = 0; j < nl; j++) tmp[j] = j;
    int kk = sw__sample_subset(tmp, nl, p->colsample_bynode, p->seed, (uint64_t)g->round,
                               0x4E4F4445ULL + (uint64_t)node);
    for (int j = 0; j < kk; j++) u[tmp[j]] = 1;
}

/* Evaluate the best split of each node in ids (feature subsets by level/node). */
int sw__eval_splits(sw__grower *g, const int *ids, int cnt)
{
    const sw_train_params *p = g->p;
    int nl = g->nlevel;
    SW_TRY(sw__ensure_cands(g, (size_t)cnt * (size_t)nl + 1));
    /* node feature subsets (colsample_bynode) as masks over level positions */
    uint8_t *use = sw_alloc_array((size_t)cnt * (size_t)nl + 1, 1);
    int *tmp = sw_alloc_array((size_t)nl + 1, sizeof *tmp);
    if (!use || !tmp) {
        sw_free(use);
        sw_free(tmp);
        return SW_NOMEM;
    }
    for (int i = 0; i < cnt; i++) sw__node_features(g, p, ids[i], nl, tmp, use + (size_t)i * nl);
    sw_free(tmp);
    int work = cnt * nl;
#pragma omp parallel for num_threads(g->nthread) schedule(dynamic, 4) if (g->nthread > 1 && work > 4)
    for (int wi = 0; wi < work; wi++) {
        int i = wi / nl, j = wi % nl;
        if (!use[wi] || !sw__splittable(g, &g->nodes[ids[i]])) {
            g->cands[wi].valid = 0;
            continue;
        }
        sw__eval_feature(g, &g->nodes[ids[i]], g->level_pos[j], &g->cands[wi]);
    }
    sw__pick_splits(g, ids, cnt);
    sw_free(use);
    return SW_OK;
}

/* Each node's best candidate (the first of the largest gain, in level order). */
void sw__pick_splits(sw__grower *g, const int *ids, int cnt)
{
    const sw_train_params *p = g->p;
    int nl = g->nlevel;
    for (int i = 0; i < cnt; i++) {
        sw__gnode *nd = &g->nodes[ids[i]];
        nd->has_split = 0;
        nd->loss_chg = -INFINITY;
        for (int j = 0; j < nl; j++) {
            const struct sw__cand *c = &g->cands[(size_t)i * nl + j];
            if (!c->valid || !(c->loss_chg > nd->loss_chg)) continue;
            nd->loss_chg = c->loss_chg;
            nd->feat = g->tree_feats[g->level_pos[j]];
            nd->bin = c->bin;
            nd->dl = c->dl;
            nd->GL = c->GL;
            nd->HL = c->HL;
            nd->cat = c->cat;
            if (c->cat) memcpy(nd->cset, c->cset, sizeof nd->cset);
            nd->has_split = 1;
        }
        /* XGBoost's ExpandEntry::IsValid: a real gain, not below gamma, both sides non-empty */
        if (nd->has_split && (!(nd->loss_chg > SW__RT_EPS) || nd->loss_chg < p->gamma || nd->HL <= 0.0 ||
                              nd->H - nd->HL <= 0.0))
            nd->has_split = 0;
    }
}

/* ----------------------------------------------- oblivious level scores */

/* One node's part of an oblivious level's scores, four cuts at a time:
 * acc[s] += gain(s) - root_gain for cuts s = 1..ncuts whose sides both reach
 * min_child_weight, missing values on the left (bit 0).  gain is XGBoost's
 * T(GL)^2/(HL+lambda) + T(GR)^2/(HR+lambda) (T = L1 soft threshold; a side
 * without hessian adds 0, which needs a test only when min_child_weight is 0).
 * The left sums: an in-register prefix sum of four bins plus the running total
 * (from the missing bin's sums).  acc[ncuts + 1 .. ncuts + 3] receive
 * don't-care values.  Generic vectors with one clone per ISA, the same IEEE
 * operations in each. */
static inline __attribute__((always_inline)) void
scan_level_body(const sw__gpair *h, const sw__gpair *next, int ncuts, double G_, double H_, double root_gain,
                double lambda_, double alpha_, double mcw_, double *acc, int empty_side_test)
{
    if (next) __builtin_prefetch(next + SW__MISSING_BIN);
    const v4l absm = (v4l){0} + 0x7fffffffffffffffLL;
    const v4d G = (v4d){0} + G_, H = (v4d){0} + H_, lambda = (v4d){0} + lambda_, alpha = (v4d){0} + alpha_;
    const v4d mcw = (v4d){0} + mcw_, rg = (v4d){0} + root_gain, zero = {0};
    v4d cg = (v4d){0} + (double)h[SW__MISSING_BIN].g, ch = (v4d){0} + (double)h[SW__MISSING_BIN].h;
    for (int i = 0; i < ncuts; i += 4) {
        v4f x0, x1;
        if (next) __builtin_prefetch(next + i);
        memcpy(&x0, h + i, sizeof x0);
        memcpy(&x1, h + i + 2, sizeof x1);
        v4d d0 = __builtin_convertvector(x0, v4d), d1 = __builtin_convertvector(x1, v4d);
        v4d pg = __builtin_shufflevector(d0, d1, 0, 2, 4, 6), ph = __builtin_shufflevector(d0, d1, 1, 3, 5, 7);
        pg += __builtin_shufflevector(zero, pg, 0, 4, 5, 6);
        ph += __builtin_shufflevector(zero, ph, 0, 4, 5, 6);
        pg += __builtin_shufflevector(zero, pg, 0, 1, 4, 5);
        ph += __builtin_shufflevector(zero, ph, 0, 1, 4, 5);
        v4d gl = cg + pg, hl = ch + ph;
        cg = __builtin_shufflevector(gl, gl, 3, 3, 3, 3);
        ch = __builtin_shufflevector(hl, hl, 3, 3, 3, 3);
        v4d gr = G - gl, hr = H - hl, tl, tr;
        v4l ok = ~(hl < mcw) & ~(hr < mcw);
        v4d a = SOFT_SQ(gl, tl) / (hl + lambda), b = SOFT_SQ(gr, tr) / (hr + lambda);
        if (empty_side_test) {
            a = (v4d)((v4l)a & (hl > 0.0));
            b = (v4d)((v4l)b & (hr > 0.0));
        }
        v4d add = (v4d)((v4l)((a + b) - rg) & ok);
        v4d cur;
        memcpy(&cur, acc + i + 1, sizeof cur);
        cur += add;
        memcpy(acc + i + 1, &cur, sizeof cur);
    }
}

__attribute__((target_clones("arch=x86-64-v3", "default"))) static void
scan_level(const sw__gpair *h, const sw__gpair *next, int ncuts, double G_, double H_, double root_gain,
           double lambda_, double alpha_, double mcw_, double *acc)
{
    /* with min_child_weight > 0 a side that passes has hessian */
    if (mcw_ > 0.0) scan_level_body(h, next, ncuts, G_, H_, root_gain, lambda_, alpha_, mcw_, acc, 0);
    else scan_level_body(h, next, ncuts, G_, H_, root_gain, lambda_, alpha_, mcw_, acc, 1);
}

/* The multiversioned function stays static: clang resolves target_clones
 * only for calls inside its own file. */
void sw__scan_level(const sw__gpair *h, const sw__gpair *next, int ncuts, double G_, double H_, double root_gain,
                    double lambda_, double alpha_, double mcw_, double *acc)
{
    scan_level(h, next, ncuts, G_, H_, root_gain, lambda_, alpha_, mcw_, acc);
}

/* score[k][s] = the sum over nodes[0..cnt) (in list order) of cut s's gain on
 * the level's tree feature positions k, missing values on bit 0. */
void sw__score_level(sw__grower *g, const int *nodes, int cnt, double *score)
{
    const sw_train_params *p = g->p;
    int simple = !g->has_constraint && p->max_delta_step == 0.0;
#pragma omp parallel for num_threads(g->nthread) schedule(dynamic) if (g->nthread > 1)
    for (int j = 0; j < g->nlevel; j++) {
        int k = g->level_pos[j], f = g->tree_feats[k], ncuts = g->c->ncuts[f];
        double *sc = score + (size_t)k * SW__HB;
        for (int s = 0; s <= ncuts; s++) sc[s] = 0.0;
        if (simple) {
            double acc[SW__HB + 8];
            for (int s = 0; s < SW__HB + 8; s++) acc[s] = 0.0;
            for (int i = 0; i < cnt; i++) {
                const sw__gnode *nd = &g->nodes[nodes[i]];
                if (!sw__splittable(g, nd)) continue; /* would add 0 to every cut */
                const sw__gpair *nx = i + 1 < cnt ? g->hbuf[g->nodes[nodes[i + 1]].hist] + (size_t)k * SW__HB : NULL;
                scan_level(g->hbuf[nd->hist] + (size_t)k * SW__HB, nx, ncuts, nd->G, nd->H, nd->root_gain,
                           p->lambda, p->alpha, p->min_child_weight, acc);
            }
            for (int s = 1; s <= ncuts; s++) sc[s] = acc[s];
            continue;
        }
        for (int i = 0; i < cnt; i++) {
            const sw__gnode *nd = &g->nodes[nodes[i]];
            const sw__gpair *h = g->hbuf[nd->hist] + (size_t)k * SW__HB;
            double GL = h[SW__MISSING_BIN].g, HL = h[SW__MISSING_BIN].h;
            for (int s = 1; s <= ncuts; s++) {
                GL += h[s - 1].g;
                HL += h[s - 1].h;
                double GR = nd->G - GL, HR = nd->H - HL;
                if (HL < p->min_child_weight || HR < p->min_child_weight) continue;
                sc[s] += split_gain(g, nd, f, GL, HL, GR, HR) - nd->root_gain;
            }
        }
    }
}
