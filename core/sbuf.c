/* sbuf: a growable text buffer (sbuf.h). */
#include <string.h>

#include "alloc.h"
#include "sbuf.h"

void sw_sbuf_putn(sw_sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (sw_grow((void **)&b->p, &b->cap, b->len + n + 1, 1) != 0) {
        b->oom = 1;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void sw_sbuf_puts(sw_sbuf *b, const char *s) { sw_sbuf_putn(b, s, strlen(s)); }
