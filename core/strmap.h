/* strmap: a string -> int map (open addressing, FNV-1a), for ids. Keys are
 * copied.  Not thread-safe for writes; concurrent reads are fine. */
#ifndef SW_STRMAP_H
#define SW_STRMAP_H

#include <stddef.h>

typedef struct sw_strmap sw_strmap;

sw_strmap *sw_strmap_create(size_t expected);
void sw_strmap_free(sw_strmap *m);
/* Value of key, or -1. */
int sw_strmap_get(const sw_strmap *m, const char *key, size_t len);
/* Insert (or overwrite); 0 on success, -1 out of memory. */
int sw_strmap_put(sw_strmap *m, const char *key, size_t len, int value);
size_t sw_strmap_size(const sw_strmap *m);

#endif
