/* alloc: the replaceable allocation hook, overflow-checked helpers and a
 * countdown used by tests to make a chosen allocation fail. */
#include "alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static sw_allocator g_hook; /* zero = C library */
/* Atomic: OpenMP workers allocate too, and a countdown must span all threads.
 * Relaxed order: the counters order nothing else. */
static _Atomic long g_fail_countdown = -1;
static _Atomic long g_alloc_count;

void sw_alloc_set_hook(const sw_allocator *hook)
{
    if (hook) {
        g_hook = *hook;
    } else {
        memset(&g_hook, 0, sizeof g_hook);
    }
}

long sw_alloc_fail_after(long n)
{
    long c = atomic_exchange_explicit(&g_alloc_count, 0, memory_order_relaxed);
    atomic_store_explicit(&g_fail_countdown, n, memory_order_relaxed);
    return c;
}

static int injected_failure(void)
{
    atomic_fetch_add_explicit(&g_alloc_count, 1, memory_order_relaxed);
    long c = atomic_load_explicit(&g_fail_countdown, memory_order_relaxed);
    /* count down by one unless disabled (< 0) or exhausted (0: every later
     * allocation fails) */
    while (c > 0 &&
           !atomic_compare_exchange_weak_explicit(&g_fail_countdown, &c, c - 1, memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
    return c == 0;
}

void *sw_malloc(size_t size)
{
    if (injected_failure()) return NULL;
    if (size == 0) size = 1;
    if (g_hook.malloc_fn) return g_hook.malloc_fn(size, g_hook.ctx);
    return malloc(size);
}

void *sw_realloc(void *p, size_t size)
{
    if (injected_failure()) return NULL;
    if (size == 0) size = 1;
    if (g_hook.realloc_fn) return g_hook.realloc_fn(p, size, g_hook.ctx);
    return realloc(p, size);
}

void sw_free(void *p)
{
    if (!p) return;
    if (g_hook.free_fn) {
        g_hook.free_fn(p, g_hook.ctx);
    } else {
        free(p);
    }
}

void *sw_alloc_array(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) return NULL;
    return sw_malloc(n * size);
}

void *sw_calloc(size_t n, size_t size)
{
    void *p = sw_alloc_array(n, size);
    if (p) memset(p, 0, (n && size) ? n * size : 1);
    return p;
}

void *sw_realloc_array(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) return NULL;
    return sw_realloc(p, n * size);
}

char *sw_strndup(const char *s, size_t n)
{
    char *d = sw_malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *sw_strdup(const char *s)
{
    return sw_strndup(s, strlen(s));
}

/* Aligned blocks keep the distance to the raw pointer just below the result. */
void *sw_aligned_alloc(size_t size)
{
    if (size > SIZE_MAX - 64 - sizeof(void *)) return NULL;
    char *raw = sw_malloc(size + 64 + sizeof(void *));
    if (!raw) return NULL;
    uintptr_t a = ((uintptr_t)raw + sizeof(void *) + 63) & ~(uintptr_t)63;
    ((void **)a)[-1] = raw;
    return (void *)a;
}

void sw_aligned_free(void *p)
{
    if (!p) return;
    sw_free(((void **)p)[-1]);
}

int sw_grow(void **buf, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 16;
    while (nc < need) {
        if (nc > SIZE_MAX / 2) return -1;
        nc *= 2;
    }
    void *p = sw_realloc_array(*buf, nc, elem);
    if (!p) return -1;
    *buf = p;
    *cap = nc;
    return 0;
}
