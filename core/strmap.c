/* strmap: linear probing over a power-of-two table, grown at 70% load. */
#include "strmap.h"

#include <stdint.h>
#include <string.h>

#include "alloc.h"

typedef struct {
    char *key;
    size_t len;
    uint64_t hash;
    int value;
} slot;

struct sw_strmap {
    slot *slots;
    size_t cap, n;
};

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h ? h : 1;
}

sw_strmap *sw_strmap_create(size_t expected)
{
    sw_strmap *m = sw_calloc(1, sizeof *m);
    if (!m) return NULL;
    size_t cap = 16;
    while (cap < expected * 2) cap *= 2;
    m->slots = sw_calloc(cap, sizeof *m->slots);
    if (!m->slots) {
        sw_free(m);
        return NULL;
    }
    m->cap = cap;
    return m;
}

void sw_strmap_free(sw_strmap *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->cap; i++) sw_free(m->slots[i].key);
    sw_free(m->slots);
    sw_free(m);
}

size_t sw_strmap_size(const sw_strmap *m) { return m->n; }

int sw_strmap_get(const sw_strmap *m, const char *key, size_t len)
{
    uint64_t h = fnv(key, len);
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        const slot *s = &m->slots[i];
        if (!s->key) return -1;
        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0) return s->value;
    }
}

static int grow(sw_strmap *m)
{
    size_t nc = m->cap * 2;
    slot *ns = sw_calloc(nc, sizeof *ns);
    if (!ns) return -1;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].key) continue;
        size_t j = m->slots[i].hash & (nc - 1);
        while (ns[j].key) j = (j + 1) & (nc - 1);
        ns[j] = m->slots[i];
    }
    sw_free(m->slots);
    m->slots = ns;
    m->cap = nc;
    return 0;
}

int sw_strmap_put(sw_strmap *m, const char *key, size_t len, int value)
{
    if ((m->n + 1) * 10 > m->cap * 7 && grow(m)) return -1;
    uint64_t h = fnv(key, len);
    size_t i = h & (m->cap - 1);
    for (;; i = (i + 1) & (m->cap - 1)) {
        slot *s = &m->slots[i];
        if (!s->key) break;
        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0) {
            s->value = value;
            return 0;
        }
    }
    char *k = sw_strndup(key, len);
    if (!k) return -1;
    m->slots[i] = (slot){k, len, h, value};
    m->n++;
    return 0;
}
