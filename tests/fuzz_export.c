/* fuzz_export.c — libFuzzer target: any bytes as an export must load through the serving library or
 * fail with a message naming the file; never crash, leak or read out of bounds. The first byte
 * picks the format: bit 0 clear: the bytes are model.h5 (bit 1 set: its checksum block stamped for
 * the bytes first, so HDF5 and the export reader see the changed bytes, as from a hostile writer);
 * bit 0 set: the next 4 bytes (little-endian) are the length of model.json, the rest
 * model.safetensors. A loaded export predicts one text or one row.
 * Built by scripts/fuzz.sh. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/file.h"
#include "ticketml/serve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char g_dir[64];

static void put(const char *name, const uint8_t *b, size_t n) {
    char p[128];
    snprintf(p, sizeof p, "%s/%s", g_dir, name);
    FILE *f = fopen(p, "wb");
    if (!f) abort();
    if (n && fwrite(b, 1, n, f) != n) abort();
    fclose(f);
}

static void drop(const char *name) {
    char p[128];
    snprintf(p, sizeof p, "%s/%s", g_dir, name);
    unlink(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g_dir[0]) {
        snprintf(g_dir, sizeof g_dir, "/tmp/tml-fuzz-export-%ld", (long)getpid());
        mkdir(g_dir, 0700);
    }
    if (size < 1) return 0;
    int st = data[0] & 1, stamp = data[0] & 2;
    data++, size--;
    drop("model.h5"), drop("model.json"), drop("model.safetensors");
    if (!st) {
        unsigned char *b = malloc(size + 1);
        if (!b) return 0;
        memcpy(b, data, size);
        if (stamp && size > 512) {
            char head[512] = {0};
            snprintf(head, sizeof head, "ticketml-checksum 1\ncrc32c %08x\nbytes %llu\n",
                     (unsigned)tml_crc32c(0, b + 512, size - 512), (unsigned long long)(size - 512));
            memcpy(b, head, sizeof head);
        }
        put("model.h5", b, size);
        free(b);
    } else {
        if (size < 4) return 0;
        size_t jn = (size_t)data[0] | (size_t)data[1] << 8 | (size_t)data[2] << 16 | (size_t)data[3] << 24;
        data += 4, size -= 4;
        if (jn > size) jn = size;
        put("model.json", data, jn);
        put("model.safetensors", data + jn, size - jn);
    }
    TmlError err = {{0}};
    TmlServeModel *m = tml_serve_load(g_dir, &err);
    if (!m) {
        if (!strstr(err.msg, g_dir)) abort(); /* every error names the export */
        return 0;
    }
    int C = tml_serve_n_labels(m);
    float *p = malloc(sizeof(float) * (size_t)(C > 0 ? C : 1));
    if (p) {
        if (tml_serve_is_text(m)) {
            (void)tml_serve_predict_text(m, "my card was stolen, refund 42 please", p, NULL, &err);
        } else {
            const char *names[2] = {"tenure", "contract"}, *values[2] = {"12", "Month-to-month"};
            (void)tml_serve_predict_row(m, names, values, 2, p, NULL, &err);
        }
    }
    free(p);
    tml_serve_free(m);
    return 0;
}
