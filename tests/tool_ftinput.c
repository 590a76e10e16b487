/* tool_ftinput.c — writes the train and test splits of a text config in fastText's input format, for
 * the side-by-side benchmark (scripts/bench_train.sh): the same rows ticketml trains and tests on
 * (its split, by data.seed), each as `__label__<label> <token> <token> ...` with the tokens ticketml's
 * tokenizer makes (normalized, placeholders, CJK characters and bigrams), so both tools see the same
 * words and count the same words per second. Label spaces become '_'.
 * Usage: tool_ftinput CONFIG.ini TRAIN.txt TEST.txt [section.key=value ...] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "trainer/options.h"

static int write_split(const TmlFeatures *f, const TmlDataset *d, const char *path, int64_t *tokens) {
    FILE *out = fopen(path, "w");
    if (!out) {
        perror(path);
        return -1;
    }
    const TmlTextConfig *tc = tml_textfeat_config(f->text);
    for (int64_t i = 0; i < d->n_rows; i++) {
        char **tok = NULL;
        TmlError err;
        int n = tml_textfeat_tokenize(tc, d->texts[i], &tok, &err);
        if (n < 0) {
            fprintf(stderr, "%s: row %lld: %s\n", path, (long long)i, err.msg);
            fclose(out);
            return -1;
        }
        fputs("__label__", out);
        for (const char *c = d->raw_labels[i]; *c; c++) fputc(*c == ' ' || *c == '\t' ? '_' : *c, out);
        for (int k = 0; k < n; k++) {
            fputc(' ', out);
            fputs(tok[k], out);
        }
        fputc('\n', out);
        *tokens += n;
        tml_textfeat_tokens_free(tok, n);
    }
    return fclose(out);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: tool_ftinput CONFIG.ini TRAIN.txt TEST.txt [section.key=value ...]\n");
        return 2;
    }
    TmlError err;
    TmlConfig *cfg = tml_options_load(argv[1], (const char *const *)argv + 4, argc - 4, &err);
    if (!cfg) {
        fprintf(stderr, "tool_ftinput: %s\n", err.msg);
        return 2;
    }
    TmlFeatures *f = NULL;
    TmlDataset *train = NULL, *valid = NULL, *test = NULL;
    if (tml_features_fit(cfg, &f, &train, &valid, &test, &err) < 0) {
        fprintf(stderr, "tool_ftinput: %s\n", err.msg);
        return 2;
    }
    if (f->kind != TML_DATA_TEXT || !test) {
        fprintf(stderr, "tool_ftinput: needs a text config with a test split (data.test_frac > 0)\n");
        return 2;
    }
    int64_t tok_train = 0, tok_test = 0;
    int rc = write_split(f, train, argv[2], &tok_train) || write_split(f, test, argv[3], &tok_test);
    if (rc == 0)
        printf("train %lld rows, %lld tokens; test %lld rows, %lld tokens\n", (long long)train->n_rows,
               (long long)tok_train, (long long)test->n_rows, (long long)tok_test);
    tml_dataset_free(train), tml_dataset_free(valid), tml_dataset_free(test);
    tml_features_free(f);
    tml_config_free(cfg);
    return rc ? 1 : 0;
}
