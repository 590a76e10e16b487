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

/* BERT-uncased settings, no pieces yet. */
static void spec_defaults(TmlTokSpec *s) {
    memset(s, 0, sizeof *s);
    s->kind = TML_TOK_WORDPIECE;
    s->clean_text = s->chinese_chars = s->strip_accents = s->lowercase = 1;
    s->max_word_chars = 100;
    strcpy(s->prefix, "##");
}

/* Id of the first piece equal to name (the one the vocabulary map keeps), or -1. */
static int32_t find_piece(const TmlTokSpec *s, const char *name) {
    for (int32_t i = 0; i < s->n_pieces; i++)
        if (strcmp(s->pieces[i], name) == 0) return i;
    return -1;
}

/* Resolves the special-token names to ids; [UNK], [CLS] and [SEP] must exist, [PAD] defaults to 0.
 * 0 ok, -1 with err set. */
static int resolve_specials(TmlTokSpec *s, const char *where, const char *unk, const char *cls, const char *sep,
                            const char *pad, TmlError *err) {
    s->unk = find_piece(s, unk);
    s->first = find_piece(s, cls);
    s->last = find_piece(s, sep);
    s->pad = find_piece(s, pad);
    const char *miss = s->unk < 0 ? unk : s->first < 0 ? cls : s->last < 0 ? sep : NULL;
    if (miss) return tml_fail(err, "%s: the special token %s is not in the vocabulary; is this a BERT vocab.txt?", where, miss);
    if (s->pad < 0) s->pad = 0;
    return 0;
}

TmlWordpiece *tml_wordpiece_from_spec(const TmlTokSpec *s, TmlError *err) {
    if (tml_tokspec_check(s, "wordpiece", err)) return NULL;
    if (s->kind != TML_TOK_WORDPIECE) {
        tml_fail(err, "wordpiece: the tokenizer spec is %s", tml_tokkind_name(s->kind));
        return NULL;
    }
    TmlWordpiece *wp = new_default((size_t)s->n_pieces);
    if (!wp) {
        tml_fail(err, "wordpiece: out of memory");
        return NULL;
    }
    wp->clean_text = s->clean_text, wp->chinese_chars = s->chinese_chars;
    wp->strip_accents = s->strip_accents, wp->lowercase = s->lowercase;
    wp->max_word_chars = s->max_word_chars;
    strcpy(wp->prefix, s->prefix);
    wp->nprefix = strlen(s->prefix);
    for (int32_t i = 0; i < s->n_pieces; i++)
        if (add_piece(wp, s->pieces[i], strlen(s->pieces[i]), i) != 0) {
            tml_fail(err, "wordpiece: out of memory");
            tml_wordpiece_free(wp);
            return NULL;
        }
    if (s->n_pieces > wp->vocab_size) wp->vocab_size = s->n_pieces;
    wp->unk = s->unk, wp->cls = s->first, wp->sep = s->last, wp->pad = s->pad;
    return wp;
}

TmlWordpiece *tml_wordpiece_from_vocab(const char *const *pieces, int n, TmlError *err) {
    TmlTokSpec s;
    spec_defaults(&s);
    s.pieces = (char **)pieces; /* borrowed: not freed below */
    s.n_pieces = n;
    TmlWordpiece *wp = NULL;
    if (resolve_specials(&s, "wordpiece vocabulary", "[UNK]", "[CLS]", "[SEP]", "[PAD]", err) == 0)
        wp = tml_wordpiece_from_spec(&s, err);
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

/* Reads vocab.txt into s->pieces: one piece per line (trailing \r and \n removed), id = line index. */
static int read_vocab(TmlTokSpec *s, const char *path, TmlError *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return tml_fail(err, "%s: cannot open (%s)", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0, pcap = 0;
    ssize_t n;
    int rc = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
        if ((size_t)s->n_pieces == pcap) {
            size_t nc = pcap ? 2 * pcap : 32768;
            char **p = realloc(s->pieces, nc * sizeof *p);
            if (!p) {
                rc = tml_fail(err, "%s: out of memory", path);
                break;
            }
            s->pieces = p, pcap = nc;
        }
        if (!(s->pieces[s->n_pieces] = strndup(line, (size_t)n))) {
            rc = tml_fail(err, "%s: out of memory", path);
            break;
        }
        s->n_pieces++;
    }
    if (rc == 0 && ferror(f)) rc = tml_fail(err, "%s: read error (%s)", path, strerror(errno));
    if (rc == 0 && s->n_pieces == 0) rc = tml_fail(err, "%s: empty vocabulary", path);
    free(line);
    fclose(f);
    return rc;
}

int tml_wordpiece_read_spec(const char *model_dir, TmlTokSpec *spec, TmlError *err) {
    char path[4096];
    struct stat st;
    spec_defaults(spec);
    if (stat(model_dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return tml_fail(err, "%s: no such model folder; %s", model_dir, tml_models_missing_hint(model_dir));
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
            spec->clean_text = jbool(norm, "clean_text", 1);
            spec->chinese_chars = jbool(norm, "handle_chinese_chars", 1);
            spec->lowercase = jbool(norm, "lowercase", 1);
            spec->strip_accents = jbool(norm, "strip_accents", spec->lowercase); /* null follows lowercase */
        }
        unk = jstr(model, "unk_token", unk);
        json_t *mx = json_object_get(model, "max_input_chars_per_word");
        if (json_is_integer(mx)) spec->max_word_chars = (int)json_integer_value(mx);
        const char *pre = jstr(model, "continuing_subword_prefix", "##");
        if (strlen(pre) >= sizeof spec->prefix) {
            tml_fail(err, "%s: continuing_subword_prefix is too long", path);
            goto fail;
        }
        strcpy(spec->prefix, pre);
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
            spec->lowercase = jbool(root, "do_lower_case", 1);
            spec->strip_accents = jbool(root, "strip_accents", spec->lowercase);
            spec->chinese_chars = jbool(root, "tokenize_chinese_chars", 1);
            unk = jstr(root, "unk_token", unk);
            cls = jstr(root, "cls_token", cls);
            sep = jstr(root, "sep_token", sep);
            pad = jstr(root, "pad_token", pad);
        }
    }
    snprintf(path, sizeof path, "%s/vocab.txt", model_dir);
    if (read_vocab(spec, path, err) != 0) {
        if (err && access(path, F_OK) != 0) {
            size_t m = strlen(err->msg);
            snprintf(err->msg + m, sizeof err->msg - m, "; %s", tml_models_missing_hint(model_dir));
        }
        goto fail;
    }
    if (resolve_specials(spec, path, unk, cls, sep, pad, err) != 0) goto fail;
    json_decref(root);
    return 0;
fail:
    json_decref(root);
    tml_tokspec_free(spec);
    return -1;
}

TmlWordpiece *tml_wordpiece_load(const char *model_dir, TmlError *err) {
    TmlTokSpec s;
    if (tml_wordpiece_read_spec(model_dir, &s, err)) return NULL;
    TmlWordpiece *wp = tml_wordpiece_from_spec(&s, err);
    tml_tokspec_free(&s);
    return wp;
}
