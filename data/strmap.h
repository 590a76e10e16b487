/* strmap.h — byte-string -> int32 hash map for tokenizer vocabularies: open addressing over one
 * key arena, FNV-1a hashes that callers can extend byte by byte (so a tokenizer can look up every
 * prefix of a word while hashing it once), no allocation on lookup. */
#ifndef TICKETML_DATA_STRMAP_H
#define TICKETML_DATA_STRMAP_H

#include <stddef.h>
#include <stdint.h>

#define TML_STRMAP_SEED 2166136261u

typedef struct TmlStrMapEntry {
    uint32_t off;   /* key bytes at arena + off */
    uint32_t len;
    uint32_t hash;
    int32_t value;
} TmlStrMapEntry;

typedef struct TmlStrMap {
    char *arena;          /* owned key bytes */
    size_t arena_len, arena_cap;
    TmlStrMapEntry *ent;  /* owned, n entries */
    size_t n, cap;
    uint32_t *slot;       /* owned; entry index + 1, 0 = empty */
    uint32_t mask;
} TmlStrMap;

/* FNV-1a over n bytes, continuing from h (start with TML_STRMAP_SEED). */
static inline uint32_t tml_strmap_hash(uint32_t h, const void *p, size_t n) {
    const unsigned char *s = (const unsigned char *)p;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 16777619u;
    return h;
}

/* Empty map sized for about `expect` keys. 0 ok, -1 out of memory. Free with tml_strmap_free. */
int tml_strmap_init(TmlStrMap *m, size_t expect);
void tml_strmap_free(TmlStrMap *m);

/* Adds key -> value unless the key is present (then leaves it). Returns the index of the key's
 * entry, or -1 out of memory (or a key longer than 4 GiB). The key bytes are copied. */
long tml_strmap_put(TmlStrMap *m, const void *key, size_t len, int32_t value);

/* Entry index of the key whose bytes are pre[0..npre) followed by s[0..n) and whose hash (over those
 * same bytes, from TML_STRMAP_SEED) is h, or -1. pre may be NULL with npre 0. */
long tml_strmap_find2(const TmlStrMap *m, uint32_t h, const char *pre, size_t npre, const char *s, size_t n);

/* Value of key s[0..n), or -1 when absent. */
int32_t tml_strmap_get(const TmlStrMap *m, const char *s, size_t n);

#endif
