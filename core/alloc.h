/* alloc: the one allocation hook of swish.
 *
 * All heap memory in the library goes through sw_malloc / sw_calloc / sw_realloc /
 * sw_free (and the aligned variants), so tests can replace the allocator and fail
 * the N-th allocation to walk every error path (as SQLite's test_malloc does).
 *
 * Sizes are checked for overflow: sw_alloc_array(n, size) fails rather than wraps.
 * Functions return NULL on failure; callers turn that into SW_NOMEM.
 * Thread-safety: the hook is process-wide; set it before any other thread runs.
 * Memory from sw_aligned_alloc must be released with sw_aligned_free.
 */
#ifndef SW_ALLOC_H
#define SW_ALLOC_H

#include <stddef.h>

typedef struct {
    void *(*malloc_fn)(size_t size, void *ctx);
    void *(*realloc_fn)(void *p, size_t size, void *ctx);
    void (*free_fn)(void *p, void *ctx);
    void *ctx;
} sw_allocator;

/* Install a hook (NULL restores the C library's allocator). */
void sw_alloc_set_hook(const sw_allocator *hook);

void *sw_malloc(size_t size);
void *sw_calloc(size_t n, size_t size);          /* zeroed; overflow-checked */
void *sw_realloc(void *p, size_t size);
void sw_free(void *p);                           /* sw_free(NULL) is a no-op */
void *sw_alloc_array(size_t n, size_t size);     /* malloc(n*size), overflow-checked */
void *sw_realloc_array(void *p, size_t n, size_t size);
char *sw_strdup(const char *s);
char *sw_strndup(const char *s, size_t n);

/* 64-byte aligned memory for SIMD buffers. */
void *sw_aligned_alloc(size_t size);
void sw_aligned_free(void *p);

/* Grow *buf (element size `elem`) so it holds at least `need` elements; *cap is
 * updated.  Returns 0 on success, -1 on allocation failure (buffer untouched). */
int sw_grow(void **buf, size_t *cap, size_t need, size_t elem);

/* Test support: make the allocation after `n` more successful ones fail, and
 * every one after it (n < 0 disables).  Counts the allocations of all threads
 * (atomically).  Returns the number of allocations since the last call. */
long sw_alloc_fail_after(long n);

#endif
