/* prom: the metrics registry behind /metrics.
 *
 * Families live in fixed chunks of 64 pointers that never move, published by a
 * release store of the family count, so an update finds its family with one
 * acquire load and no lock while another thread registers a family.  Each
 * family has a writer-preferring rwlock over a hash table of its children
 * (linear probing on the FNV-1a hash of the label values) and a list in
 * creation order: lookups take it shared, creation and reset exclusively.
 *
 * A child's value: counters and gauges keep the bits of a double in one
 * atomic word (adds are a compare-and-swap loop: lock-free, never waiting on
 * another thread); a histogram child keeps non-cumulative bucket counts, sum
 * and count under its own mutex, held for a few instructions per observation
 * and for a copy during a render, which is what makes +Inf == _count in every
 * render.  A seqlock would save the reader's lock but needs the writers
 * serialised anyway (three fields change together), and readers that retry
 * are the spinning we avoid.
 */
#include "prom.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "num.h"

enum { K_COUNTER, K_GAUGE, K_HISTOGRAM };
enum { OP_NONE, OP_ADD, OP_SET, OP_OBSERVE };
static const char *const kind_name[] = {"counter", "gauge", "histogram"};

#define CHUNK_BITS 6
#define CHUNK (1 << CHUNK_BITS)
#define N_CHUNKS 256 /* 16384 families */

typedef struct fam fam;

struct sw_prom_child {
    fam *f;
    sw_prom_child *next; /* creation order */
    uint64_t hash;
    const char *key;     /* the label values, each followed by a NUL */
    size_t key_len;
    _Atomic uint64_t bits; /* counter or gauge: the double's bits */
    pthread_mutex_t mu;    /* histogram: guards sum, count, buckets */
    double sum;
    uint64_t count;
    uint64_t buckets[]; /* histogram: n_bounds + 1 (the last is +Inf), not cumulative */
};

struct fam {
    int kind;
    char *name, *help;
    int n_labels;
    char **labels;
    int n_bounds;
    double *bounds;
    char (*le)[SW_NUM_BUF]; /* bounds as text */
    int lock_ok;
    pthread_rwlock_t lock;
    sw_prom_child **table; /* cap slots, power of two; NULL while empty */
    size_t cap, n;
    sw_prom_child *first, *last;
};

struct sw_prom {
    pthread_mutex_t mu; /* registration */
    _Atomic int n_fam;
    fam **chunks[N_CHUNKS];
};

/* ---------------------------------------------------------------- values */

static double from_bits(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static uint64_t to_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

static void atomic_add_f64(_Atomic uint64_t *a, double v)
{
    uint64_t old = atomic_load_explicit(a, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(a, &old, to_bits(from_bits(old) + v), memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
}

/* ---------------------------------------------------------------- names */

static int is_name(const char *s, size_t n, int colon)
{
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || (colon && ch == ':') ||
                 (i > 0 && ch >= '0' && ch <= '9');
        if (!ok) return 0;
    }
    return 1;
}

/* Split "a, b,c" into fresh strings; -1 on a bad or repeated name or no memory. */
static int parse_labels(const char *labels, int histogram, char ***out, int *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (!labels) return 0;
    const char *s = labels;
    while (*s == ' ') s++;
    if (!*s) return 0;
    int n = 1;
    for (const char *q = labels; *q; q++) n += *q == ',';
    char **v = sw_calloc((size_t)n, sizeof *v);
    if (!v) return -1;
    int k = 0;
    for (const char *p = labels;; k++) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len && *p == ' ') p++, len--;
        while (len && p[len - 1] == ' ') len--;
        if (!is_name(p, len, 0) || (len >= 2 && p[0] == '_' && p[1] == '_') ||
            (histogram && len == 2 && memcmp(p, "le", 2) == 0))
            goto fail;
        for (int j = 0; j < k; j++)
            if (strlen(v[j]) == len && memcmp(v[j], p, len) == 0) goto fail;
        if (!(v[k] = sw_strndup(p, len))) goto fail;
        if (!e) break;
        p = e + 1;
    }
    *out = v;
    *n_out = n;
    return 0;
fail:
    for (int j = 0; j < n; j++) sw_free(v[j]);
    sw_free(v);
    return -1;
}

/* The sample names a family writes: its name, and a histogram's three suffixes. */
static int sample_names(const char *name, int kind, char out[4][256])
{
    snprintf(out[0], 256, "%s", name);
    if (kind != K_HISTOGRAM) return 1;
    snprintf(out[1], 256, "%s_bucket", name);
    snprintf(out[2], 256, "%s_sum", name);
    snprintf(out[3], 256, "%s_count", name);
    return 4;
}

/* ---------------------------------------------------------------- label values */

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when invalid. */
static int utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80 ? 4 : 0;
    }
    return 0;
}

static int utf8_valid(const char *s)
{
    for (const unsigned char *u = (const unsigned char *)s; *u;) {
        int n = utf8_len(u);
        if (!n) return 0;
        u += n;
    }
    return 1;
}

/* A copy with each byte that starts no valid sequence replaced by U+FFFD. */
static char *utf8_clean(const char *s)
{
    size_t n = strlen(s);
    if (n > (SIZE_MAX - 1) / 3) return NULL;
    char *o = sw_malloc(3 * n + 1), *w = o;
    if (!o) return NULL;
    for (const unsigned char *u = (const unsigned char *)s; *u;) {
        int k = utf8_len(u);
        if (k) {
            memcpy(w, u, (size_t)k);
            w += k;
            u += k;
        } else {
            memcpy(w, "\xEF\xBF\xBD", 3);
            w += 3;
            u++;
        }
    }
    *w = 0;
    return o;
}

/* The label values of one lookup: the caller's, or cleaned copies. */
typedef struct {
    const char *const *v;
    char **owned; /* n_labels cleaned copies, or NULL */
    int n;
    uint64_t hash;
    size_t key_len;
} lookup;

static void lookup_done(lookup *k)
{
    if (!k->owned) return;
    for (int i = 0; i < k->n; i++) sw_free(k->owned[i]);
    sw_free(k->owned);
}

/* 0, or -1 for missing values or no memory.  The hash separates values with
 * 0xFF, a byte that UTF-8 never contains. */
static int lookup_init(lookup *k, const fam *f, const char *const *values)
{
    memset(k, 0, sizeof *k);
    k->n = f->n_labels;
    if (k->n && !values) return -1;
    int valid = 1;
    for (int i = 0; i < k->n; i++) {
        if (!values[i]) return -1;
        valid &= utf8_valid(values[i]);
    }
    k->v = values;
    if (!valid) {
        if (!(k->owned = sw_calloc((size_t)k->n, sizeof *k->owned))) return -1;
        for (int i = 0; i < k->n; i++) {
            if (!(k->owned[i] = utf8_clean(values[i]))) {
                lookup_done(k);
                return -1;
            }
        }
        k->v = (const char *const *)k->owned;
    }
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < k->n; i++) {
        const unsigned char *s = (const unsigned char *)k->v[i];
        size_t j = 0;
        for (; s[j]; j++) h = (h ^ s[j]) * 1099511628211ULL;
        h = (h ^ 0xFF) * 1099511628211ULL;
        k->key_len += j + 1;
    }
    k->hash = h;
    return 0;
}

static int key_eq(const sw_prom_child *c, const lookup *k)
{
    if (c->hash != k->hash || c->key_len != k->key_len) return 0;
    const char *s = c->key;
    for (int i = 0; i < k->n; i++) {
        size_t n = strlen(k->v[i]) + 1;
        if (memcmp(s, k->v[i], n) != 0) return 0;
        s += n;
    }
    return 1;
}

/* ---------------------------------------------------------------- children */

static sw_prom_child *find(const fam *f, const lookup *k)
{
    if (!f->cap) return NULL;
    for (size_t i = k->hash & (f->cap - 1);; i = (i + 1) & (f->cap - 1)) {
        sw_prom_child *c = f->table[i];
        if (!c || key_eq(c, k)) return c;
    }
}

static void child_free(sw_prom_child *c)
{
    if (c->f->kind == K_HISTOGRAM) pthread_mutex_destroy(&c->mu);
    sw_free(c);
}

/* Create and insert (the family's lock held exclusively); NULL out of memory. */
static sw_prom_child *child_new(fam *f, const lookup *k)
{
    if ((f->n + 1) * 2 > f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        sw_prom_child **t = sw_calloc(cap, sizeof *t);
        if (!t) return NULL;
        for (sw_prom_child *c = f->first; c; c = c->next) {
            size_t i = c->hash & (cap - 1);
            while (t[i]) i = (i + 1) & (cap - 1);
            t[i] = c;
        }
        sw_free(f->table);
        f->table = t;
        f->cap = cap;
    }
    size_t nb = f->kind == K_HISTOGRAM ? (size_t)f->n_bounds + 1 : 0;
    sw_prom_child *c = sw_calloc(1, sizeof *c + nb * sizeof(uint64_t) + k->key_len);
    if (!c) return NULL;
    c->f = f;
    c->hash = k->hash;
    c->key_len = k->key_len;
    char *key = (char *)(c->buckets + nb);
    for (int i = 0; i < k->n; i++) {
        size_t n = strlen(k->v[i]) + 1;
        memcpy(key, k->v[i], n);
        key += n;
    }
    c->key = (const char *)(c->buckets + nb);
    atomic_init(&c->bits, to_bits(0.0));
    if (f->kind == K_HISTOGRAM && pthread_mutex_init(&c->mu, NULL) != 0) {
        sw_free(c);
        return NULL;
    }
    size_t i = c->hash & (f->cap - 1);
    while (f->table[i]) i = (i + 1) & (f->cap - 1);
    f->table[i] = c;
    f->n++;
    if (f->last) {
        f->last->next = c;
    } else {
        f->first = c;
    }
    f->last = c;
    return c;
}

static void children_free(fam *f)
{
    for (sw_prom_child *c = f->first, *n; c; c = n) {
        n = c->next;
        child_free(c);
    }
    if (f->table) memset(f->table, 0, f->cap * sizeof *f->table);
    f->n = 0;
    f->first = f->last = NULL;
}

/* The zero child of a family without labels. */
static void child_default(fam *f)
{
    if (f->n_labels) return;
    lookup k;
    if (lookup_init(&k, f, NULL) == 0) child_new(f, &k);
}

/* ---------------------------------------------------------------- updates */

static void update(sw_prom_child *c, int op, double v)
{
    if (!c) return;
    int kind = c->f->kind;
    if (op == OP_ADD) {
        if (kind == K_COUNTER && !(v >= 0)) return;
        if (kind == K_COUNTER || kind == K_GAUGE) atomic_add_f64(&c->bits, v);
    } else if (op == OP_SET) {
        if (kind == K_GAUGE) atomic_store_explicit(&c->bits, to_bits(v), memory_order_relaxed);
    } else if (op == OP_OBSERVE && kind == K_HISTOGRAM) {
        /* the first bound >= v; NaN compares false and lands in +Inf */
        const double *b = c->f->bounds;
        int lo = 0, hi = c->f->n_bounds;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (v <= b[mid]) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        pthread_mutex_lock(&c->mu);
        c->buckets[lo]++;
        c->sum += v;
        c->count++;
        pthread_mutex_unlock(&c->mu);
    }
}

void sw_prom_add(sw_prom_child *c, double v) { update(c, OP_ADD, v); }
void sw_prom_set(sw_prom_child *c, double v) { update(c, OP_SET, v); }
void sw_prom_observe(sw_prom_child *c, double v) { update(c, OP_OBSERVE, v); }

static fam *fam_get(sw_prom *p, int id)
{
    if (!p || id < 0 || id >= atomic_load_explicit(&p->n_fam, memory_order_acquire)) return NULL;
    return p->chunks[id >> CHUNK_BITS][id & (CHUNK - 1)];
}

/* Look up (creating on first use) and apply op under the family's lock. */
static sw_prom_child *with_child(sw_prom *p, int family, const char *const *values, int op, double v)
{
    fam *f = fam_get(p, family);
    lookup k;
    if (!f || lookup_init(&k, f, values) != 0) return NULL;
    pthread_rwlock_rdlock(&f->lock);
    sw_prom_child *c = find(f, &k);
    if (c) update(c, op, v);
    pthread_rwlock_unlock(&f->lock);
    if (!c) {
        pthread_rwlock_wrlock(&f->lock);
        if (!(c = find(f, &k))) c = child_new(f, &k);
        update(c, op, v);
        pthread_rwlock_unlock(&f->lock);
    }
    lookup_done(&k);
    return c;
}

sw_prom_child *sw_prom_child_of(sw_prom *p, int family, const char *const *values)
{
    return with_child(p, family, values, OP_NONE, 0);
}

void sw_prom_inc_l(sw_prom *p, int family, const char *const *values, double v)
{
    with_child(p, family, values, OP_ADD, v);
}

void sw_prom_set_l(sw_prom *p, int family, const char *const *values, double v)
{
    with_child(p, family, values, OP_SET, v);
}

void sw_prom_observe_l(sw_prom *p, int family, const char *const *values, double v)
{
    with_child(p, family, values, OP_OBSERVE, v);
}

void sw_prom_reset(sw_prom *p, int family)
{
    fam *f = fam_get(p, family);
    if (!f) return;
    pthread_rwlock_wrlock(&f->lock);
    children_free(f);
    child_default(f);
    pthread_rwlock_unlock(&f->lock);
}

double sw_prom_value(sw_prom *p, int family, const char *const *values)
{
    fam *f = fam_get(p, family);
    lookup k;
    if (!f || lookup_init(&k, f, values) != 0) return NAN;
    double r = NAN;
    pthread_rwlock_rdlock(&f->lock);
    sw_prom_child *c = find(f, &k);
    if (c && f->kind == K_HISTOGRAM) {
        pthread_mutex_lock(&c->mu);
        r = (double)c->count;
        pthread_mutex_unlock(&c->mu);
    } else if (c) {
        r = from_bits(atomic_load_explicit(&c->bits, memory_order_relaxed));
    }
    pthread_rwlock_unlock(&f->lock);
    lookup_done(&k);
    return r;
}

/* ---------------------------------------------------------------- registry */

static void fam_free(fam *f)
{
    if (!f) return;
    children_free(f);
    sw_free(f->table);
    if (f->lock_ok) pthread_rwlock_destroy(&f->lock);
    for (int i = 0; i < f->n_labels; i++) sw_free(f->labels[i]);
    sw_free(f->labels);
    sw_free(f->bounds);
    sw_free(f->le);
    sw_free(f->name);
    sw_free(f->help);
    sw_free(f);
}

sw_prom *sw_prom_new(void)
{
    sw_prom *p = sw_calloc(1, sizeof *p);
    if (!p) return NULL;
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        sw_free(p);
        return NULL;
    }
    atomic_init(&p->n_fam, 0);
    return p;
}

void sw_prom_free(sw_prom *p)
{
    if (!p) return;
    int n = atomic_load(&p->n_fam);
    for (int i = 0; i < n; i++) fam_free(p->chunks[i >> CHUNK_BITS][i & (CHUNK - 1)]);
    for (int i = 0; i < N_CHUNKS; i++) sw_free(p->chunks[i]);
    pthread_mutex_destroy(&p->mu);
    sw_free(p);
}

/* Does a new family's sample names meet an existing family's?  (p->mu held) */
static int collides(sw_prom *p, const char *name, int kind)
{
    char mine[4][256], theirs[4][256];
    int nm = sample_names(name, kind, mine);
    int n = atomic_load_explicit(&p->n_fam, memory_order_relaxed);
    for (int i = 0; i < n; i++) {
        const fam *f = p->chunks[i >> CHUNK_BITS][i & (CHUNK - 1)];
        int nt = sample_names(f->name, f->kind, theirs);
        for (int a = 0; a < nm; a++)
            for (int b = 0; b < nt; b++)
                if (strcmp(mine[a], theirs[b]) == 0) return 1;
    }
    return 0;
}

static int add_family(sw_prom *p, int kind, const char *name, const char *help, const char *labels,
                      const double *bounds, int n_bounds)
{
    /* names longer than 200 bytes are refused so sample names fit sample_names' buffers */
    if (!p || !name || strlen(name) > 200 || !is_name(name, strlen(name), 1)) return -1;
    if (kind == K_HISTOGRAM) {
        if (n_bounds < 0 || (n_bounds > 0 && !bounds)) return -1;
        for (int i = 0; i < n_bounds; i++)
            if (!isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1]))) return -1;
    }
    fam *f = sw_calloc(1, sizeof *f);
    if (!f) return -1;
    f->kind = kind;
    if (parse_labels(labels, kind == K_HISTOGRAM, &f->labels, &f->n_labels) != 0) goto fail;
    if (!(f->name = sw_strdup(name)) || !(f->help = sw_strdup(help ? help : ""))) goto fail;
    if (kind == K_HISTOGRAM && n_bounds > 0) {
        f->bounds = sw_alloc_array((size_t)n_bounds, sizeof *f->bounds);
        f->le = sw_alloc_array((size_t)n_bounds, sizeof *f->le);
        if (!f->bounds || !f->le) goto fail;
        memcpy(f->bounds, bounds, (size_t)n_bounds * sizeof *bounds);
        for (int i = 0; i < n_bounds; i++) sw_format_f64_short(f->le[i], bounds[i]);
    }
    f->n_bounds = n_bounds;
    pthread_rwlockattr_t attr;
    if (pthread_rwlockattr_init(&attr) != 0) goto fail;
    /* glibc's default lets a steady stream of readers starve child creation */
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    f->lock_ok = pthread_rwlock_init(&f->lock, &attr) == 0;
    pthread_rwlockattr_destroy(&attr);
    if (!f->lock_ok) goto fail;
    child_default(f);
    if (!f->n_labels && !f->first) goto fail;

    pthread_mutex_lock(&p->mu);
    int id = atomic_load_explicit(&p->n_fam, memory_order_relaxed);
    if (id >= N_CHUNKS * CHUNK || collides(p, name, kind) ||
        (!p->chunks[id >> CHUNK_BITS] && !(p->chunks[id >> CHUNK_BITS] = sw_calloc(CHUNK, sizeof(fam *))))) {
        pthread_mutex_unlock(&p->mu);
        goto fail;
    }
    p->chunks[id >> CHUNK_BITS][id & (CHUNK - 1)] = f;
    atomic_store_explicit(&p->n_fam, id + 1, memory_order_release);
    pthread_mutex_unlock(&p->mu);
    return id;
fail:
    fam_free(f);
    return -1;
}

int sw_prom_counter(sw_prom *p, const char *name, const char *help, const char *labels)
{
    return add_family(p, K_COUNTER, name, help, labels, NULL, 0);
}

int sw_prom_gauge(sw_prom *p, const char *name, const char *help, const char *labels)
{
    return add_family(p, K_GAUGE, name, help, labels, NULL, 0);
}

int sw_prom_histogram(sw_prom *p, const char *name, const char *help, const char *labels, const double *bounds,
                      int n_bounds)
{
    return add_family(p, K_HISTOGRAM, name, help, labels, bounds, n_bounds);
}

/* ---------------------------------------------------------------- render */

typedef struct {
    char *p;
    size_t n, cap;
    int oom;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n + 1) cap *= 2;
        char *q = sw_realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

/* Escape backslash and newline, and double quote when `quote`. */
static void put_escaped(buf *b, const char *s, int quote)
{
    const char *run = s;
    for (; *s; s++) {
        const char *e = *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" : quote && *s == '"' ? "\\\"" : NULL;
        if (!e) continue;
        put(b, run, (size_t)(s - run));
        put(b, e, 2);
        run = s + 1;
    }
    put(b, run, (size_t)(s - run));
}

static void put_u64(buf *b, uint64_t v)
{
    char t[24];
    put(b, t, (size_t)snprintf(t, sizeof t, "%llu", (unsigned long long)v));
}

/* Integers plainly, others as the shortest decimal that reads back. */
static void put_f64(buf *b, double v)
{
    char t[SW_NUM_BUF];
    if (isnan(v)) {
        puts_(b, "NaN");
    } else if (isinf(v)) {
        puts_(b, v > 0 ? "+Inf" : "-Inf");
    } else if (v == floor(v) && fabs(v) < 1e15 && (v != 0 || !signbit(v))) {
        put(b, t, (size_t)snprintf(t, sizeof t, "%lld", (long long)v));
    } else {
        put(b, t, (size_t)sw_format_f64_short(t, v));
    }
}

/* name suffix{l1="v1",...,le="x"} and a space. */
static void put_series(buf *b, const fam *f, const sw_prom_child *c, const char *suffix, const char *le)
{
    puts_(b, f->name);
    puts_(b, suffix);
    if (!f->n_labels && !le) {
        put(b, " ", 1);
        return;
    }
    put(b, "{", 1);
    const char *v = c->key;
    for (int i = 0; i < f->n_labels; i++) {
        if (i) put(b, ",", 1);
        puts_(b, f->labels[i]);
        put(b, "=\"", 2);
        put_escaped(b, v, 1);
        put(b, "\"", 1);
        v += strlen(v) + 1;
    }
    if (le) {
        if (f->n_labels) put(b, ",", 1);
        put(b, "le=\"", 4);
        puts_(b, le);
        put(b, "\"", 1);
    }
    put(b, "} ", 2);
}

static void render_family(buf *b, fam *f, uint64_t *scratch)
{
    if (f->help[0]) {
        put(b, "# HELP ", 7);
        puts_(b, f->name);
        put(b, " ", 1);
        put_escaped(b, f->help, 0);
        put(b, "\n", 1);
    }
    put(b, "# TYPE ", 7);
    puts_(b, f->name);
    put(b, " ", 1);
    puts_(b, kind_name[f->kind]);
    put(b, "\n", 1);
    pthread_rwlock_rdlock(&f->lock);
    for (sw_prom_child *c = f->first; c && !b->oom; c = c->next) {
        if (f->kind != K_HISTOGRAM) {
            put_series(b, f, c, "", NULL);
            put_f64(b, from_bits(atomic_load_explicit(&c->bits, memory_order_relaxed)));
            put(b, "\n", 1);
            continue;
        }
        pthread_mutex_lock(&c->mu);
        memcpy(scratch, c->buckets, ((size_t)f->n_bounds + 1) * sizeof *scratch);
        double sum = c->sum;
        uint64_t count = c->count;
        pthread_mutex_unlock(&c->mu);
        uint64_t cum = 0;
        for (int i = 0; i <= f->n_bounds; i++) {
            cum += scratch[i];
            put_series(b, f, c, "_bucket", i < f->n_bounds ? f->le[i] : "+Inf");
            put_u64(b, cum);
            put(b, "\n", 1);
        }
        put_series(b, f, c, "_sum", NULL);
        put_f64(b, sum);
        put(b, "\n", 1);
        put_series(b, f, c, "_count", NULL);
        put_u64(b, count);
        put(b, "\n", 1);
    }
    pthread_rwlock_unlock(&f->lock);
}

char *sw_prom_render(sw_prom *p, size_t *len)
{
    if (len) *len = 0;
    if (!p) return NULL;
    int n = atomic_load_explicit(&p->n_fam, memory_order_acquire);
    int nb = 0;
    for (int i = 0; i < n; i++) {
        const fam *f = p->chunks[i >> CHUNK_BITS][i & (CHUNK - 1)];
        if (f->n_bounds > nb) nb = f->n_bounds;
    }
    uint64_t *scratch = sw_alloc_array((size_t)nb + 1, sizeof *scratch);
    buf b = {0};
    if (!scratch) return NULL;
    put(&b, "", 0); /* "" for an empty registry */
    for (int i = 0; i < n && !b.oom; i++) render_family(&b, p->chunks[i >> CHUNK_BITS][i & (CHUNK - 1)], scratch);
    sw_free(scratch);
    if (b.oom) {
        sw_free(b.p);
        return NULL;
    }
    if (len) *len = b.n;
    return b.p;
}
