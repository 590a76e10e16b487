/* tool_tokenize.c — test helper for scripts/check_wordpiece.py and scripts/check_unigram.py: reads
 * NUL-separated UTF-8 texts from stdin, tokenizes each with the tokenizer of MODEL_DIR, and prints
 * one line of space-separated ids per text (or, with --normalize, the unigram normalizer's output).
 * Usage: tool_tokenize MODEL_DIR [--max-len N] [--normalize] < texts   (N default: no limit) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/tokenizer.h"
#include "data/unigram.h"

/* Reads all of stdin into a NUL-terminated buffer; *n gets its length. Exits on failure. */
static char *slurp(size_t *n) {
    size_t cap = 1 << 20, len = 0;
    char *b = malloc(cap + 1);
    size_t r;
    while (b && (r = fread(b + len, 1, cap - len, stdin)) > 0) {
        len += r;
        if (len == cap && !(b = realloc(b, (cap *= 2) + 1))) break;
    }
    if (!b) {
        fprintf(stderr, "tool_tokenize: out of memory\n");
        exit(1);
    }
    b[len] = 0;
    *n = len;
    return b;
}

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fprintf(stderr, "usage: tool_tokenize MODEL_DIR [--max-len N] [--normalize] < NUL-separated texts\n");
        return argc < 2 ? 2 : 0;
    }
    int max_len = 0, normalize = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--max-len") == 0 && i + 1 < argc) max_len = atoi(argv[++i]);
        else if (strcmp(argv[i], "--normalize") == 0) normalize = 1;
        else {
            fprintf(stderr, "tool_tokenize: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    TmlError err = {{0}};
    TmlTokenizer *t = tml_tokenizer_load(argv[1], &err);
    if (!t) {
        fprintf(stderr, "tool_tokenize: %s\n", err.msg);
        return 1;
    }
    size_t n;
    char *all = slurp(&n);
    TmlTokScratch scratch = {{0}, {0}};
    int32_t *ids = NULL;
    size_t idcap = 0;
    TmlUnigram *u = normalize ? tml_unigram_load(argv[1], &err) : NULL;
    if (normalize && !u) {
        fprintf(stderr, "tool_tokenize: %s\n", err.msg);
        return 1;
    }
    for (size_t a = 0; a < n;) { /* every text ends with a NUL */
        size_t len = strlen(all + a);
        const char *text = all + a;
        if (normalize) {
            size_t need = tml_unigram_normalize(u, text, len, NULL, 0);
            char *o = malloc(need + 1);
            if (!o) return 1;
            fwrite(o, 1, tml_unigram_normalize(u, text, len, o, need), stdout);
            putchar('\n');
            free(o);
        } else {
            int ml = max_len > 0 ? max_len : (int)(32 * len + 8);
            if ((size_t)ml > idcap && !(ids = realloc(ids, (idcap = (size_t)ml) * sizeof *ids))) return 1;
            int k = tml_tokenizer_encode(t, text, len, ml, ids, &scratch);
            if (k < 0) {
                fprintf(stderr, "tool_tokenize: out of memory\n");
                return 1;
            }
            for (int i = 0; i < k; i++) printf(i ? " %d" : "%d", ids[i]);
            putchar('\n');
        }
        a += len + 1;
    }
    tml_unigram_free(u);
    free(ids);
    free(all);
    tml_tokscratch_free(&scratch);
    tml_tokenizer_free(t);
    return 0;
}
