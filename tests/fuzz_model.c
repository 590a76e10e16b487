/* fuzz_model.c — libFuzzer target: any bytes as a model or checkpoint file must load or fail with a
 * message naming the file; never crash, leak or read out of bounds. The first byte picks the mode:
 * even: the bytes as they are (the checksum refuses almost every change); odd: the checksum block
 * is stamped for the bytes first, as a careless or hostile writer would, so HDF5 and every
 * family's reader see the changed bytes. A model that loads is then used: scored on one row and
 * exported (the checks a served model goes through). Built by scripts/fuzz.sh. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "data/file.h"
#include "data/h5.h"
#include "serve/export_model.h"
#include "trainer/modelfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static TmlBackend *g_be;

static void use_model(TmlLoadedModel *lm) {
    TmlError err;
    const TmlFeatures *f = lm->features;
    TmlDataset d = {.kind = f->kind, .n_rows = 1};
    int64_t *off = NULL;
    int32_t *ids = NULL;
    float *w = NULL, *dense = NULL;
    char *texts[1] = {"my card was stolen, refund 42 please"};
    if (f->kind == TML_DATA_TEXT) {
        if (tml_features_text(f, texts[0], &off, &ids, &w, &err) < 0) goto done;
        d.offsets = off, d.ids = ids, d.w = w, d.texts = texts;
    } else {
        if (f->dim < 0 || f->dim > (1 << 20) || !(dense = calloc((size_t)f->dim + 1, sizeof *dense))) goto done;
        d.dim = (int)f->dim, d.dense = dense;
    }
    float *p = tml_model_score_new(lm->model, &d, 16, &err);
    free(p);
    TmlExport *e = tml_export_new();
    if (e) {
        if (tml_model_export(lm->model, e, &err) == 0) (void)tml_export_validate(e, "fuzz", &err);
        tml_export_free(e);
    }
done:
    free(off), free(ids), free(w), free(dense);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g_be) {
        TmlError e0;
        tml_h5_quiet();
        if (!(g_be = tml_backend_create(TML_DEVICE_CPU, 1, &e0))) abort();
    }
    if (size < 1) return 0;
    int stamp = data[0] & 1;
    data++, size--;
    unsigned char *b = malloc(size + 1);
    if (!b) return 0;
    memcpy(b, data, size);
    if (stamp && size > TML_H5_USERBLOCK) {
        char head[TML_H5_USERBLOCK] = {0};
        snprintf(head, sizeof head, "ticketml-checksum 1\ncrc32c %08x\nbytes %llu\n",
                 (unsigned)tml_crc32c(0, b + TML_H5_USERBLOCK, size - TML_H5_USERBLOCK),
                 (unsigned long long)(size - TML_H5_USERBLOCK));
        memcpy(b, head, sizeof head);
    }
    int fd = memfd_create("tml_fuzz_model", 0);
    if (fd < 0) abort();
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, b + off, size - off);
        if (w <= 0) abort();
        off += (size_t)w;
    }
    free(b);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    TmlError err = {{0}};
    TmlLoadedModel *lm = tml_modelfile_load(path, g_be, 1, &err);
    if (lm) {
        use_model(lm);
        tml_loaded_model_free(lm);
    } else if (!strstr(err.msg, path)) {
        abort(); /* every error names the file */
    }
    close(fd);
    return 0;
}
