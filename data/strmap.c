/* strmap.c — the vocabulary hash map of strmap.h: linear probing over a power-of-two slot table kept
 * at most half full, keys in one growing arena (no allocation per key beyond amortized growth). */
#include "data/strmap.h"

#include <stdlib.h>
#include <string.h>

int tml_strmap_init(TmlStrMap *m, size_t expect) {
    memset(m, 0, sizeof *m);
    size_t slots = 16;
    while (slots < 2 * expect + 2) slots *= 2;
    m->slot = calloc(slots, sizeof *m->slot);
    m->cap = expect > 8 ? expect : 8;
    m->ent = malloc(m->cap * sizeof *m->ent);
    m->arena_cap = 16 * m->cap;
    m->arena = malloc(m->arena_cap);
    if (!m->slot || !m->ent || !m->arena) {
        tml_strmap_free(m);
        return -1;
    }
    m->mask = (uint32_t)(slots - 1);
    return 0;
}

void tml_strmap_free(TmlStrMap *m) {
    free(m->arena);
    free(m->ent);
    free(m->slot);
    memset(m, 0, sizeof *m);
}

long tml_strmap_find2(const TmlStrMap *m, uint32_t h, const char *pre, size_t npre, const char *s, size_t n) {
    for (uint32_t i = h & m->mask;; i = (i + 1) & m->mask) {
        uint32_t e = m->slot[i];
        if (!e) return -1;
        const TmlStrMapEntry *x = &m->ent[e - 1];
        if (x->hash == h && x->len == npre + n && (npre == 0 || memcmp(m->arena + x->off, pre, npre) == 0) &&
            (n == 0 || memcmp(m->arena + x->off + npre, s, n) == 0))
            return (long)e - 1;
    }
}

int32_t tml_strmap_get(const TmlStrMap *m, const char *s, size_t n) {
    long e = tml_strmap_find2(m, tml_strmap_hash(TML_STRMAP_SEED, s, n), NULL, 0, s, n);
    return e < 0 ? -1 : m->ent[e].value;
}

/* Doubles the slot table and re-inserts every entry. 0 ok, -1 out of memory. */
static int rehash(TmlStrMap *m) {
    size_t slots = ((size_t)m->mask + 1) * 2;
    uint32_t *s = calloc(slots, sizeof *s);
    if (!s) return -1;
    for (size_t k = 0; k < m->n; k++) {
        uint32_t i = m->ent[k].hash & (uint32_t)(slots - 1);
        while (s[i]) i = (i + 1) & (uint32_t)(slots - 1);
        s[i] = (uint32_t)k + 1;
    }
    free(m->slot);
    m->slot = s;
    m->mask = (uint32_t)(slots - 1);
    return 0;
}

long tml_strmap_put(TmlStrMap *m, const void *key, size_t len, int32_t value) {
    if (len > UINT32_MAX || m->arena_len + len > UINT32_MAX || m->n + 1 >= UINT32_MAX) return -1;
    uint32_t h = tml_strmap_hash(TML_STRMAP_SEED, key, len);
    long have = tml_strmap_find2(m, h, NULL, 0, key, len);
    if (have >= 0) return have;
    if (2 * (m->n + 1) > (size_t)m->mask + 1 && rehash(m) != 0) return -1;
    if (m->n == m->cap) {
        TmlStrMapEntry *e = realloc(m->ent, 2 * m->cap * sizeof *e);
        if (!e) return -1;
        m->ent = e;
        m->cap *= 2;
    }
    if (m->arena_len + len > m->arena_cap) {
        size_t c = m->arena_cap * 2;
        while (c < m->arena_len + len) c *= 2;
        char *a = realloc(m->arena, c);
        if (!a) return -1;
        m->arena = a;
        m->arena_cap = c;
    }
    memcpy(m->arena + m->arena_len, key, len);
    m->ent[m->n] = (TmlStrMapEntry){(uint32_t)m->arena_len, (uint32_t)len, h, value};
    m->arena_len += len;
    uint32_t i = h & m->mask;
    while (m->slot[i]) i = (i + 1) & m->mask;
    m->slot[i] = (uint32_t)m->n + 1;
    return (long)m->n++;
}
