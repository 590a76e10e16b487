/* tokspec_h5.c — TmlTokSpec <-> an HDF5 group (tokspec_h5.h): attributes for the kind, special ids
 * and normaliser settings; datasets for the pieces (UTF-8 strings in id order), unigram scores,
 * control ids and the precompiled character map. */
#include "data/tokspec_h5.h"

#include <stdlib.h>
#include <string.h>

int tml_tokspec_write_h5(hid_t loc, const char *name, const TmlTokSpec *s, TmlError *err) {
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return tml_fail(err, "HDF5: cannot create group '%s'", name);
    const struct {
        const char *name;
        int64_t v;
    } ints[] = {{"unk", s->unk},
                {"first", s->first},
                {"last", s->last},
                {"pad", s->pad},
                {"clean_text", s->clean_text},
                {"chinese_chars", s->chinese_chars},
                {"strip_accents", s->strip_accents},
                {"lowercase", s->lowercase},
                {"max_word_chars", s->max_word_chars},
                {"collapse_spaces", s->collapse_spaces}};
    int rc = tml_h5_attr_write_str(g, "kind", tml_tokkind_name(s->kind), err) ||
             tml_h5_attr_write_str(g, "prefix", s->prefix, err);
    for (size_t i = 0; rc == 0 && i < sizeof ints / sizeof ints[0]; i++)
        rc = tml_h5_attr_write_i64(g, ints[i].name, ints[i].v, err);
    if (rc == 0 && tml_h5_write_strs(g, "pieces", s->pieces, s->n_pieces))
        rc = tml_fail(err, "HDF5: cannot write %s/pieces", name);
    hsize_t d;
    if (rc == 0 && s->scores && (d = (hsize_t)s->n_pieces, tml_h5_write(g, "scores", H5T_NATIVE_DOUBLE, 1, &d, s->scores, 1)))
        rc = tml_fail(err, "HDF5: cannot write %s/scores", name);
    if (rc == 0 && s->n_control > 0 &&
        (d = (hsize_t)s->n_control, tml_h5_write(g, "control", H5T_NATIVE_INT32, 1, &d, s->control, 0)))
        rc = tml_fail(err, "HDF5: cannot write %s/control", name);
    if (rc == 0 && s->charsmap && s->charsmap_len &&
        (d = (hsize_t)s->charsmap_len, tml_h5_write(g, "charsmap", H5T_NATIVE_UINT8, 1, &d, s->charsmap, 1)))
        rc = tml_fail(err, "HDF5: cannot write %s/charsmap", name);
    H5Gclose(g);
    return rc ? -1 : 0;
}

int tml_tokspec_read_h5(hid_t loc, const char *name, TmlTokSpec *s, const char *where, TmlError *err) {
    memset(s, 0, sizeof *s);
    if (!tml_h5_exists(loc, name))
        return tml_fail(err, "%s: the tokenizer (group '%s') is missing; a model file written before tokenizers were "
                        "stored names its model folder instead", where, name);
    hid_t g = H5Gopen2(loc, name, H5P_DEFAULT);
    if (g < 0) return tml_fail(err, "%s: cannot open group '%s'", where, name);
    int rc = -1;
    char *kind = tml_h5_attr_read_str(g, "kind", err), *prefix = kind ? tml_h5_attr_read_str(g, "prefix", err) : NULL;
    if (!prefix) goto done;
    s->kind = tml_tokkind_parse(kind);
    if (strlen(prefix) >= sizeof s->prefix) {
        tml_fail(err, "%s: tokenizer prefix is too long", where);
        goto done;
    }
    strcpy(s->prefix, prefix);
    {
        const char *names[] = {"unk", "first", "last", "pad", "clean_text", "chinese_chars", "strip_accents",
                               "lowercase", "max_word_chars", "collapse_spaces"};
        int32_t *i32[] = {&s->unk, &s->first, &s->last, &s->pad};
        int *flags[] = {&s->clean_text, &s->chinese_chars, &s->strip_accents, &s->lowercase, &s->max_word_chars,
                        &s->collapse_spaces};
        for (int i = 0; i < 10; i++) {
            int64_t v;
            if (tml_h5_attr_read_i64(g, names[i], &v, err)) goto done;
            if (v < -1 || v > INT32_MAX) {
                tml_fail(err, "%s: tokenizer attribute %s = %lld is out of range", where, names[i], (long long)v);
                goto done;
            }
            if (i < 4)
                *i32[i] = (int32_t)v;
            else
                *flags[i - 4] = (int)v;
        }
    }
    int64_t n = 0;
    s->pieces = tml_h5_read_strs(g, "pieces", &n);
    if (s->pieces && n > 0 && n <= INT32_MAX) s->n_pieces = (int32_t)n;
    if (!s->pieces || s->n_pieces == 0) {
        if (s->pieces && n <= 0) free(s->pieces), s->pieces = NULL; /* no strings to free */
        tml_fail(err, "%s: cannot read %s/pieces", where, name);
        goto done;
    }
    if (tml_h5_exists(g, "scores")) {
        if (tml_h5_size(g, "scores", NULL) != n || !(s->scores = malloc(sizeof(double) * (size_t)n)) ||
            tml_h5_read(g, "scores", H5T_NATIVE_DOUBLE, s->scores)) {
            tml_fail(err, "%s: cannot read %s/scores (one per piece)", where, name);
            goto done;
        }
    }
    if (tml_h5_exists(g, "control")) {
        int64_t nc = tml_h5_size(g, "control", NULL);
        if (nc <= 0 || nc > n || !(s->control = malloc(sizeof(int32_t) * (size_t)nc)) ||
            tml_h5_read(g, "control", H5T_NATIVE_INT32, s->control)) {
            tml_fail(err, "%s: cannot read %s/control", where, name);
            goto done;
        }
        s->n_control = (int32_t)nc;
    }
    if (tml_h5_exists(g, "charsmap")) {
        int64_t nb = tml_h5_size(g, "charsmap", NULL);
        if (nb <= 0 || !(s->charsmap = malloc((size_t)nb)) || tml_h5_read(g, "charsmap", H5T_NATIVE_UINT8, s->charsmap)) {
            tml_fail(err, "%s: cannot read %s/charsmap", where, name);
            goto done;
        }
        s->charsmap_len = (size_t)nb;
    }
    rc = tml_tokspec_check(s, where, err);
done:
    free(kind);
    free(prefix);
    H5Gclose(g);
    if (rc) tml_tokspec_free(s);
    return rc;
}
