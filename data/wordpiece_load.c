/* wordpiece_load.c — builds a TmlWordpiece from a model folder: vocab.txt, then the settings of
 * tokenizer.json (normalizer, model, post-processor) or tokenizer_config.json (do_lower_case, ...). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/wordpiece.h"

void tml_wordpiece_free(TmlWordpiece *wp) {
    if (!wp) return;
    tml_strmap_free(&wp->vocab);
    free(wp);
}

/* Adds piece (id) to the vocabulary and tracks the longest match length. 0 ok, -1 out of memory. */
static int add_piece(TmlWordpiece *wp, const char *s, size_t n, int32_t id) {
    if (tml_strmap_put(&wp->vocab, s, n, id) < 0) return -1;
    size_t m = n;
    if (n >= wp->nprefix && wp->nprefix && memcmp(s, wp->prefix, wp->nprefix) == 0) m = n - wp->nprefix;
    if ((int)m > wp->max_piece_bytes) wp->max_piece_bytes = (int)m;
    if (id >= wp->vocab_size) wp->vocab_size = id + 1;
    return 0;
}

static TmlWordpiece *new_default(size_t expect) {
    TmlWordpiece *wp = calloc(1, sizeof *wp);
    if (!wp) return NULL;
    if (tml_strmap_init(&wp->vocab, expect) != 0) {
        free(wp);
        return NULL;
    }
    wp->clean_text = wp->chinese_chars = wp->strip_accents = wp->lowercase = 1;
    wp->max_word_chars = 100;
    strcpy(wp->prefix, "##");
    wp->nprefix = 2;
    return wp;
}

/* Resolves the special-token names to ids; [UNK] must exist. 0 ok, -1 with err set. */
static int resolve_specials(TmlWordpiece *wp, const char *where, const char *unk, const char *cls, const char *sep,
                            const char *pad, TmlError *err) {
    wp->unk = tml_strmap_get(&wp->vocab, unk, strlen(unk));
    wp->cls = tml_strmap_get(&wp->vocab, cls, strlen(cls));
    wp->sep = tml_strmap_get(&wp->vocab, sep, strlen(sep));
    wp->pad = tml_strmap_get(&wp->vocab, pad, strlen(pad));
    const char *miss = wp->unk < 0 ? unk : wp->cls < 0 ? cls : wp->sep < 0 ? sep : NULL;
    if (miss) return tml_fail(err, "%s: the special token %s is not in the vocabulary; is this a BERT vocab.txt?", where, miss);
    if (wp->pad < 0) wp->pad = 0;
    return 0;
}

TmlWordpiece *tml_wordpiece_from_vocab(const char *const *pieces, int n, TmlError *err) {
    TmlWordpiece *wp = new_default((size_t)n);
    if (!wp) {
        tml_fail(err, "wordpiece: out of memory");
        return NULL;
    }
    for (int i = 0; i < n; i++)
        if (add_piece(wp, pieces[i], strlen(pieces[i]), i) != 0) {
            tml_fail(err, "wordpiece: out of memory");
            tml_wordpiece_free(wp);
            return NULL;
        }
    if (resolve_specials(wp, "wordpiece vocabulary", "[UNK]", "[CLS]", "[SEP]", "[PAD]", err) != 0) {
        tml_wordpiece_free(wp);
        return NULL;
    }
    return wp;
}

/* A string member of obj, or dflt. */
static const char *jstr(json_t *obj, const char *key, const char *dflt) {
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

/* A boolean member: true/false, or dflt when absent or null. */
static int jbool(json_t *obj, const char *key, int dflt) {
    json_t *v = json_object_get(obj, key);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* The first and last special tokens of a TemplateProcessing "single" template or a BertProcessing
 * cls/sep pair; leaves the defaults when the post-processor is of neither kind. */
static void post_specials(json_t *post, const char **cls, const char **sep) {
    const char *type = jstr(post, "type", "");
    if (strcmp(type, "BertProcessing") == 0 || strcmp(type, "RobertaProcessing") == 0) {
        json_t *c = json_object_get(post, "cls"), *s = json_object_get(post, "sep");
        if (json_is_array(c) && json_is_string(json_array_get(c, 0))) *cls = json_string_value(json_array_get(c, 0));
        if (json_is_array(s) && json_is_string(json_array_get(s, 0))) *sep = json_string_value(json_array_get(s, 0));
    } else if (strcmp(type, "TemplateProcessing") == 0) {
        json_t *single = json_object_get(post, "single");
        size_t n = json_array_size(single);
        json_t *first = json_object_get(json_array_get(single, 0), "SpecialToken");
        json_t *last = n ? json_object_get(json_array_get(single, n - 1), "SpecialToken") : NULL;
        if (first) *cls = jstr(first, "id", *cls);
        if (last) *sep = jstr(last, "id", *sep);
    }
}

/* Reads vocab.txt: one piece per line (trailing \r and \n removed), id = line index. */
static int read_vocab(TmlWordpiece *wp, const char *path, TmlError *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return tml_fail(err, "%s: cannot open (%s)", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int32_t id = 0;
    int rc = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
        if (add_piece(wp, line, (size_t)n, id++) != 0) {
            rc = tml_fail(err, "%s: out of memory", path);
            break;
        }
    }
    if (rc == 0 && ferror(f)) rc = tml_fail(err, "%s: read error (%s)", path, strerror(errno));
    if (rc == 0 && id == 0) rc = tml_fail(err, "%s: empty vocabulary", path);
    free(line);
    fclose(f);
    return rc;
}

TmlWordpiece *tml_wordpiece_load(const char *model_dir, TmlError *err) {
    char path[4096];
    struct stat st;
    if (stat(model_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        tml_fail(err, "%s: no such model folder; %s", model_dir, tml_models_missing_hint(model_dir));
        return NULL;
    }
    TmlWordpiece *wp = new_default(32768);
    if (!wp) {
        tml_fail(err, "%s: out of memory", model_dir);
        return NULL;
    }
    const char *unk = "[UNK]", *cls = "[CLS]", *sep = "[SEP]", *pad = "[PAD]";
    json_t *root = NULL;
    json_error_t je;
    snprintf(path, sizeof path, "%s/tokenizer.json", model_dir);
    if (access(path, R_OK) == 0) {
        if (!(root = json_load_file(path, 0, &je))) {
            tml_fail(err, "%s:%d: not valid JSON (%s)", path, je.line, je.text);
            goto fail;
        }
        json_t *norm = json_object_get(root, "normalizer"), *model = json_object_get(root, "model");
        if (strcmp(jstr(model, "type", "WordPiece"), "WordPiece") != 0) {
            tml_fail(err, "%s: model type %s is not WordPiece", path, jstr(model, "type", "?"));
            goto fail;
        }
        if (json_is_object(norm)) {
            if (strcmp(jstr(norm, "type", ""), "BertNormalizer") != 0) {
                tml_fail(err, "%s: normalizer %s is not supported (BertNormalizer is)", path, jstr(norm, "type", "?"));
                goto fail;
            }
            wp->clean_text = jbool(norm, "clean_text", 1);
            wp->chinese_chars = jbool(norm, "handle_chinese_chars", 1);
            wp->lowercase = jbool(norm, "lowercase", 1);
            wp->strip_accents = jbool(norm, "strip_accents", wp->lowercase); /* null follows lowercase */
        }
        unk = jstr(model, "unk_token", unk);
        json_t *mx = json_object_get(model, "max_input_chars_per_word");
        if (json_is_integer(mx)) wp->max_word_chars = (int)json_integer_value(mx);
        const char *pre = jstr(model, "continuing_subword_prefix", "##");
        if (strlen(pre) >= sizeof wp->prefix) {
            tml_fail(err, "%s: continuing_subword_prefix is too long", path);
            goto fail;
        }
        strcpy(wp->prefix, pre);
        wp->nprefix = strlen(pre);
        post_specials(json_object_get(root, "post_processor"), &cls, &sep);
        json_t *padding = json_object_get(root, "padding");
        pad = jstr(padding, "pad_token", pad);
    } else {
        snprintf(path, sizeof path, "%s/tokenizer_config.json", model_dir);
        if (access(path, R_OK) == 0) {
            if (!(root = json_load_file(path, 0, &je))) {
                tml_fail(err, "%s:%d: not valid JSON (%s)", path, je.line, je.text);
                goto fail;
            }
            wp->lowercase = jbool(root, "do_lower_case", 1);
            wp->strip_accents = jbool(root, "strip_accents", wp->lowercase);
            wp->chinese_chars = jbool(root, "tokenize_chinese_chars", 1);
            unk = jstr(root, "unk_token", unk);
            cls = jstr(root, "cls_token", cls);
            sep = jstr(root, "sep_token", sep);
            pad = jstr(root, "pad_token", pad);
        }
    }
    snprintf(path, sizeof path, "%s/vocab.txt", model_dir);
    if (read_vocab(wp, path, err) != 0) {
        if (err && access(path, F_OK) != 0) {
            size_t m = strlen(err->msg);
            snprintf(err->msg + m, sizeof err->msg - m, "; %s", tml_models_missing_hint(model_dir));
        }
        goto fail;
    }
    if (resolve_specials(wp, path, unk, cls, sep, pad, err) != 0) goto fail;
    json_decref(root);
    return wp;
fail:
    json_decref(root);
    tml_wordpiece_free(wp);
    return NULL;
}
