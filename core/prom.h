/* prom: a thread-safe Prometheus metrics registry and its text exposition
 * format (version 0.0.4), for `swish serve`'s /metrics.
 *
 * A registry holds families (counter, gauge, histogram), each with fixed label
 * names; a family has one child per combination of label values, created on
 * first use.  The hot path looks a child up once and then updates it without
 * allocating: counters and gauges are one atomic double (a compare-and-swap
 * loop for adds), a histogram child has a short mutex around its buckets, sum
 * and count, so one render always shows them consistent (+Inf == _count).
 * Nothing spins: a contended lock sleeps (futex), and the compare-and-swap
 * retries only when another thread's add has just landed.
 *
 * Ownership: the registry owns families and children.  A child pointer stays
 * valid until sw_prom_free or sw_prom_reset of its family; do not keep child
 * pointers of a family that is ever reset (use the *_l calls for those: they
 * look the child up under the family's lock).  sw_prom_render's text is the
 * caller's (sw_free).
 * Thread-safety: every function may be called from any thread concurrently
 * with any other, except sw_prom_free.  Update calls accept a NULL child (a
 * failed lookup) and do nothing; an update of the wrong kind (observe on a
 * counter, set on a counter, add on a histogram) does nothing either.
 */
#ifndef SW_PROM_H
#define SW_PROM_H

#include <stddef.h>

/* The Content-Type of sw_prom_render's text. */
#define SW_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct sw_prom sw_prom;
typedef struct sw_prom_child sw_prom_child; /* one label-value combination of a family */

sw_prom *sw_prom_new(void); /* NULL out of memory */
void sw_prom_free(sw_prom *p); /* NULL is a no-op */

/* Families.  `labels`: comma-separated label names (spaces around a name are
 * ignored; "" or NULL: none).  `help` may be NULL or "" (no # HELP line).
 * Returns a family id >= 0, or -1 for: an invalid metric name
 * ([a-zA-Z_:][a-zA-Z0-9_:]*), an invalid label name ([a-zA-Z_][a-zA-Z0-9_]*,
 * not starting with "__"; "le" in a histogram), a label named twice, a name
 * whose samples collide with another family's (a histogram "x" writes x_bucket,
 * x_sum and x_count), more than 16384 families, or out of memory.
 * A family without labels has its one child from the start (its value 0 shows
 * before the first update, and again right after a reset). */
int sw_prom_counter(sw_prom *p, const char *name, const char *help, const char *labels);
int sw_prom_gauge(sw_prom *p, const char *name, const char *help, const char *labels);
/* bounds: n_bounds >= 0 strictly increasing finite upper bounds (le); the
 * registry adds +Inf. */
int sw_prom_histogram(sw_prom *p, const char *name, const char *help, const char *labels, const double *bounds,
                      int n_bounds);

/* The child for these label values (as many as the family has labels; `values`
 * may be NULL for a family without labels), created on first use; the same
 * pointer for the same values.  Values are any UTF-8 text (escaped on output);
 * invalid UTF-8 bytes are replaced by U+FFFD first, so such values share the
 * child of their cleaned text.  NULL: wrong family id, NULL values for a family
 * with labels, a NULL value, or out of memory.  Allocates only on creation. */
sw_prom_child *sw_prom_child_of(sw_prom *p, int family, const char *const *values);
void sw_prom_add(sw_prom_child *c, double v);     /* counters (v >= 0; negative or NaN ignored) and gauges */
void sw_prom_set(sw_prom_child *c, double v);     /* gauges */
void sw_prom_observe(sw_prom_child *c, double v); /* histograms (NaN counts in +Inf; the sum turns NaN) */

/* Lookup and update in one call, under the family's read lock (safe against a
 * concurrent sw_prom_reset). */
void sw_prom_inc_l(sw_prom *p, int family, const char *const *values, double v);
void sw_prom_set_l(sw_prom *p, int family, const char *const *values, double v);
void sw_prom_observe_l(sw_prom *p, int family, const char *const *values, double v);

/* Drop every child of a family (an info gauge replaced on reload).  The child
 * pointers handed out for it before are freed: callers must not keep them
 * across a reset.  A family without labels gets a fresh zero child at once
 * (unless out of memory: then on its next update). */
void sw_prom_reset(sw_prom *p, int family);

/* Read back (tests, /readyz): a counter's or gauge's value, a histogram's
 * count.  NaN when the family or child does not exist (never creates one). */
double sw_prom_value(sw_prom *p, int family, const char *const *values);

/* The whole registry in the text format: # HELP and # TYPE per family
 * (families and children in creation order); histograms as cumulative
 * _bucket{...,le="..."} lines (+Inf equal to _count), then _sum and _count.
 * Numbers read back exactly: counts as integers, other values as the shortest
 * decimal that round-trips, +Inf, -Inf and NaN as Prometheus spells them.
 * Label values escape backslash, double quote and newline; HELP escapes
 * backslash and newline (the format defines no other escapes there).
 * Returns the text (NUL-terminated; *len its length when len is not NULL),
 * to sw_free; NULL out of memory. */
char *sw_prom_render(sw_prom *p, size_t *len);

#endif
