/* fuzz_util.h — shared body of the reader fuzz targets: the input becomes a memfd file (the
 * readers take paths), is read whole with tml_table_read, and every outcome is checked for the
 * invariants the contract promises (rectangular table, lines increasing, errors name the file). */
#ifndef TICKETML_TESTS_FUZZ_UTIL_H
#define TICKETML_TESTS_FUZZ_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "data/table.h"

static inline int tml_fuzz_read(const uint8_t *data, size_t size, TmlFileFormat fmt) {
    int fd = memfd_create("tml_fuzz", 0);
    if (fd < 0) abort();
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) abort();
        off += (size_t)w;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    TmlError err = {{0}};
    TmlTable *t = tml_table_read(path, fmt, &err);
    if (t) {
        if (t->n_rows <= 0 || t->n_cols <= 0) abort();
        for (int64_t r = 0; r < t->n_rows; r++) {
            if (r > 0 && t->lines[r] <= t->lines[r - 1]) abort();
            for (int c = 0; c < t->n_cols; c++) (void)strlen(tml_table_cell(t, r, c));
        }
        (void)tml_table_col(t, "no such column", &err);
        tml_table_free(t);
    } else if (!strstr(err.msg, path)) {
        abort(); /* every error names the file */
    }
    close(fd);
    return 0;
}

#endif
