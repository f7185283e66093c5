/* sbuf: a growable NUL-terminated text buffer whose out-of-memory is sticky
 * (checked once, at the end).  Ownership: the caller frees p (sw_free).
 * Thread-safety: one buffer per thread. */
#ifndef SW_SBUF_H
#define SW_SBUF_H

#include <stddef.h>

typedef struct {
    char *p;
    size_t len, cap;
    int oom; /* an append failed: p holds what came before it */
} sw_sbuf;

void sw_sbuf_putn(sw_sbuf *b, const char *s, size_t n);
void sw_sbuf_puts(sw_sbuf *b, const char *s);

#endif
