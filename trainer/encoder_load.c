/* encoder_load.c — reads a Hugging Face model folder into a TmlEncoder: config.json (jansson) for
 * the shape, and model.safetensors (a small reader of its own: 8-byte little-endian header length,
 * a JSON header mapping tensor names to dtype, shape and byte range, then the raw data) for the
 * weights. Q, K and V are stacked into the encoder's one (3C, C) matrix per layer. */
#define _FILE_OFFSET_BITS 64
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer/encoder.h"

/* ---- config.json ----------------------------------------------------------------------------- */
static int json_int(json_t *root, const char *key, int dflt, int *out, const char *path, TmlError *err) {
    json_t *v = json_object_get(root, key);
    if (!v) {
        if (dflt < 0) return tml_fail(err, "%s: key \"%s\" is missing; is this a BERT-family config.json?", path, key);
        *out = dflt;
        return 0;
    }
    if (!json_is_integer(v)) return tml_fail(err, "%s: \"%s\" is not an integer", path, key);
    json_int_t x = json_integer_value(v);
    if (x < 0 || x > 1 << 30) return tml_fail(err, "%s: \"%s\" = %lld is out of range", path, key, (long long)x);
    *out = (int)x;
    return 0;
}

static int json_float(json_t *root, const char *key, double dflt, float *out, const char *path, TmlError *err) {
    json_t *v = json_object_get(root, key);
    if (!v || json_is_null(v)) {
        *out = (float)dflt;
        return 0;
    }
    if (!json_is_number(v)) return tml_fail(err, "%s: \"%s\" is not a number", path, key);
    *out = (float)json_number_value(v);
    return 0;
}

int tml_encoder_config_from_hf(const char *dir, TmlEncoderConfig *cfg, TmlError *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        FILE *f = fopen(path, "rb");
        if (!f) return tml_fail(err, "%s: cannot open; model.pretrained must name a Hugging Face model folder "
                                "(for MiniLM run `make models`)", path);
        fclose(f);
        return tml_fail(err, "%s:%d: not valid JSON (%s)", path, je.line, je.text);
    }
    int rc = -1;
    if (!json_is_object(root)) {
        tml_fail(err, "%s: not a JSON object", path);
        goto done;
    }
    const char *type = json_string_value(json_object_get(root, "model_type"));
    const char *act = json_string_value(json_object_get(root, "hidden_act"));
    const char *pet = json_string_value(json_object_get(root, "position_embedding_type"));
    if (!type || (strcmp(type, "bert") && strcmp(type, "xlm-roberta") && strcmp(type, "roberta"))) {
        tml_fail(err, "%s: model_type \"%s\" is not supported; use a BERT or XLM-RoBERTa encoder", path,
                 type ? type : "(missing)");
        goto done;
    }
    if (act && strcmp(act, "gelu")) {
        tml_fail(err, "%s: hidden_act \"%s\" is not supported (only the exact erf \"gelu\")", path, act);
        goto done;
    }
    if (pet && strcmp(pet, "absolute")) {
        tml_fail(err, "%s: position_embedding_type \"%s\" is not supported (only \"absolute\")", path, pet);
        goto done;
    }
    int is_bert = !strcmp(type, "bert");
    if (json_int(root, "vocab_size", -1, &cfg->vocab_size, path, err) ||
        json_int(root, "max_position_embeddings", -1, &cfg->max_positions, path, err) ||
        json_int(root, "type_vocab_size", 2, &cfg->type_vocab, path, err) ||
        json_int(root, "hidden_size", -1, &cfg->hidden, path, err) ||
        json_int(root, "num_hidden_layers", -1, &cfg->layers, path, err) ||
        json_int(root, "num_attention_heads", -1, &cfg->heads, path, err) ||
        json_int(root, "intermediate_size", -1, &cfg->intermediate, path, err) ||
        json_int(root, "pad_token_id", is_bert ? 0 : 1, &cfg->pad_id, path, err) ||
        json_float(root, "layer_norm_eps", is_bert ? 1e-12 : 1e-5, &cfg->ln_eps, path, err) ||
        json_float(root, "hidden_dropout_prob", 0.1, &cfg->hidden_dropout, path, err) ||
        json_float(root, "attention_probs_dropout_prob", 0.1, &cfg->attn_dropout, path, err))
        goto done;
    /* RoBERTa-style position ids start after the padding index (fairseq's convention) */
    cfg->pos_offset = is_bert ? 0 : cfg->pad_id + 1;
    cfg->cls_dropout = cfg->hidden_dropout;
    json_t *cd = json_object_get(root, "classifier_dropout");
    if (cd && json_is_number(cd)) cfg->cls_dropout = (float)json_number_value(cd);
    rc = 0;
done:
    json_decref(root);
    return rc;
}

/* ---- model.safetensors ----------------------------------------------------------------------- */
typedef struct StFile {
    const char *path;
    FILE *f;
    json_t *header;
    long long data_start, file_size;
    const char *prefix; /* "", "bert.", ... : what every tensor name starts with */
} StFile;

static int st_open(StFile *s, const char *path, TmlError *err) {
    memset(s, 0, sizeof *s);
    s->path = path;
    s->f = fopen(path, "rb");
    if (!s->f) return tml_fail(err, "%s: cannot open; the model folder needs its model.safetensors", path);
    unsigned char len8[8];
    if (fseeko(s->f, 0, SEEK_END) || (s->file_size = ftello(s->f)) < 8 || fseeko(s->f, 0, SEEK_SET) ||
        fread(len8, 1, 8, s->f) != 8)
        return tml_fail(err, "%s: too short to be a safetensors file", path);
    unsigned long long n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | len8[i];
    if (n == 0 || n > (unsigned long long)s->file_size - 8 || n > (1u << 30))
        return tml_fail(err, "%s: header length %llu does not fit the %lld-byte file; not a safetensors file", path, n,
                        s->file_size);
    char *text = malloc(n + 1);
    if (!text) return tml_fail(err, "%s: out of memory reading the header", path);
    if (fread(text, 1, n, s->f) != n) {
        free(text);
        return tml_fail(err, "%s: truncated header", path);
    }
    text[n] = '\0';
    json_error_t je;
    s->header = json_loads(text, 0, &je);
    free(text);
    if (!s->header || !json_is_object(s->header))
        return tml_fail(err, "%s: the header is not a JSON object (%s); the file is damaged", path, je.text);
    s->data_start = 8 + (long long)n;
    static const char *prefixes[] = {"", "bert.", "roberta.", "model."};
    char name[256];
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0] && !s->prefix; i++) {
        snprintf(name, sizeof name, "%sembeddings.word_embeddings.weight", prefixes[i]);
        if (json_object_get(s->header, name)) s->prefix = prefixes[i];
    }
    if (!s->prefix)
        return tml_fail(err, "%s: no tensor embeddings.word_embeddings.weight (with or without a bert./roberta. "
                        "prefix); not a BERT-family encoder", path);
    return 0;
}

static void st_close(StFile *s) {
    if (s->f) fclose(s->f);
    json_decref(s->header);
}

/* Reads tensor `name` (prefix added), which must be float32 of shape (d0) or (d0, d1) (d1 = 0 for a
 * vector), into the device range dst; `host` is a scratch buffer of at least d0*max(d1,1) floats. */
static int st_read(StFile *s, TmlBackend *be, const char *name, int d0, int d1, float *dst, float *host,
                   TmlError *err) {
    char full[256];
    snprintf(full, sizeof full, "%s%s", s->prefix, name);
    json_t *t = json_object_get(s->header, full);
    if (!t) return tml_fail(err, "%s: tensor %s is missing; does config.json match the weights?", s->path, full);
    const char *dtype = json_string_value(json_object_get(t, "dtype"));
    json_t *shape = json_object_get(t, "shape"), *offs = json_object_get(t, "data_offsets");
    if (!dtype || strcmp(dtype, "F32"))
        return tml_fail(err, "%s: tensor %s has dtype %s; only F32 is read (convert the weights to float32)", s->path,
                        full, dtype ? dtype : "(none)");
    size_t want_rank = d1 ? 2 : 1;
    if (!json_is_array(shape) || json_array_size(shape) != want_rank ||
        json_integer_value(json_array_get(shape, 0)) != d0 ||
        (d1 && json_integer_value(json_array_get(shape, 1)) != d1))
    {
        char want[64];
        if (d1) snprintf(want, sizeof want, "(%d, %d)", d0, d1);
        else snprintf(want, sizeof want, "(%d)", d0);
        return tml_fail(err, "%s: tensor %s does not have the shape %s that config.json implies", s->path, full, want);
    }
    size_t n = (size_t)d0 * (d1 ? (size_t)d1 : 1);
    long long b0 = json_integer_value(json_array_get(offs, 0)), b1 = json_integer_value(json_array_get(offs, 1));
    if (!json_is_array(offs) || b1 - b0 != (long long)(n * 4) || b0 < 0 || s->data_start + b1 > s->file_size)
        return tml_fail(err, "%s: tensor %s has a byte range [%lld, %lld) that does not fit the file", s->path, full,
                        b0, b1);
    if (fseeko(s->f, s->data_start + b0, SEEK_SET) || fread(host, 4, n, s->f) != n)
        return tml_fail(err, "%s: cannot read tensor %s", s->path, full);
    /* safetensors is little-endian, like every machine ticketml runs on */
    tml_upload(be, dst, host, n * 4);
    return 0;
}

int tml_encoder_load_hf(TmlEncoder *m, const char *dir, TmlError *err) {
    const TmlEncoderConfig *c = &m->cfg;
    TmlBackend *be = m->be;
    char path[4096];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    StFile s;
    int rc = -1;
    size_t C = (size_t)c->hidden, F = (size_t)c->intermediate;
    size_t biggest = m->sizes[TML_ENC_WTE] > m->sizes[TML_ENC_WPE] ? m->sizes[TML_ENC_WTE] : m->sizes[TML_ENC_WPE];
    if (biggest < F * C) biggest = F * C;
    float *host = malloc(sizeof(float) * biggest);
    if (!host) return tml_fail(err, "out of host memory loading %s", path);
    if (st_open(&s, path, err)) goto done;
    if (st_read(&s, be, "embeddings.word_embeddings.weight", c->vocab_size, c->hidden, m->p[TML_ENC_WTE], host, err) ||
        st_read(&s, be, "embeddings.position_embeddings.weight", c->max_positions, c->hidden, m->p[TML_ENC_WPE], host,
                err) ||
        st_read(&s, be, "embeddings.token_type_embeddings.weight", c->type_vocab, c->hidden, m->p[TML_ENC_WTT], host,
                err) ||
        st_read(&s, be, "embeddings.LayerNorm.weight", c->hidden, 0, m->p[TML_ENC_LNE_W], host, err) ||
        st_read(&s, be, "embeddings.LayerNorm.bias", c->hidden, 0, m->p[TML_ENC_LNE_B], host, err))
        goto done;
    for (int l = 0; l < c->layers; l++) {
        static const char *qkv[3] = {"query", "key", "value"};
        char name[256];
        for (int k = 0; k < 3; k++) {
            snprintf(name, sizeof name, "encoder.layer.%d.attention.self.%s.weight", l, qkv[k]);
            if (st_read(&s, be, name, c->hidden, c->hidden, m->p[TML_ENC_QKVW] + ((size_t)l * 3 + k) * C * C, host, err))
                goto done;
            snprintf(name, sizeof name, "encoder.layer.%d.attention.self.%s.bias", l, qkv[k]);
            if (st_read(&s, be, name, c->hidden, 0, m->p[TML_ENC_QKVB] + ((size_t)l * 3 + k) * C, host, err)) goto done;
        }
        const struct {
            const char *fmt;
            TmlEncTensor t;
            int d0, d1;
        } rest[] = {
            {"encoder.layer.%d.attention.output.dense.weight", TML_ENC_ATTPROJW, c->hidden, c->hidden},
            {"encoder.layer.%d.attention.output.dense.bias", TML_ENC_ATTPROJB, c->hidden, 0},
            {"encoder.layer.%d.attention.output.LayerNorm.weight", TML_ENC_LN1W, c->hidden, 0},
            {"encoder.layer.%d.attention.output.LayerNorm.bias", TML_ENC_LN1B, c->hidden, 0},
            {"encoder.layer.%d.intermediate.dense.weight", TML_ENC_FCW, c->intermediate, c->hidden},
            {"encoder.layer.%d.intermediate.dense.bias", TML_ENC_FCB, c->intermediate, 0},
            {"encoder.layer.%d.output.dense.weight", TML_ENC_FCPROJW, c->hidden, c->intermediate},
            {"encoder.layer.%d.output.dense.bias", TML_ENC_FCPROJB, c->hidden, 0},
            {"encoder.layer.%d.output.LayerNorm.weight", TML_ENC_LN2W, c->hidden, 0},
            {"encoder.layer.%d.output.LayerNorm.bias", TML_ENC_LN2B, c->hidden, 0},
        };
        for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++) {
            size_t per = (size_t)rest[i].d0 * (rest[i].d1 ? (size_t)rest[i].d1 : 1);
            snprintf(name, sizeof name, rest[i].fmt, l);
            if (st_read(&s, be, name, rest[i].d0, rest[i].d1, m->p[rest[i].t] + (size_t)l * per, host, err)) goto done;
        }
    }
    tml_sync(be); /* the host buffer is freed next; uploads from pageable memory are staged, but be safe */
    rc = 0;
done:
    st_close(&s);
    free(host);
    return rc;
}
