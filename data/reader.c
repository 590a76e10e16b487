/* reader.c — the reader core both formats fill (csv.c, jsonl.c): the record buffer (fields back
 * to back, NUL-terminated) and the read-error check. The chunked input lives in reader_internal.h
 * as inline functions (hot path). table.c dispatches between the formats on top of this. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "data/reader_internal.h"

/* ---- the header ------------------------------------------------------------------------------ */

int tml_rd_index_cols(TmlReader *r, int *first, int *second) {
    if (tml_strmap_init(&r->col_index, (size_t)r->n_cols) < 0) return -1;
    r->col_indexed = 1;
    for (int i = 0; i < r->n_cols; i++) {
        const char *name = r->col_names[i];
        size_t n = strlen(name);
        int32_t seen = tml_strmap_get(&r->col_index, name, n);
        if (seen >= 0) {
            *first = seen;
            *second = i;
            return 1;
        }
        if (tml_strmap_put(&r->col_index, name, n, i) < 0) return -1;
    }
    return 0;
}

/* ---- record buffer --------------------------------------------------------------------------- */

static int rec_reserve(TmlReader *r, size_t extra) {
    if (r->rec_len + extra <= r->rec_cap) return 0;
    size_t cap = r->rec_cap ? r->rec_cap : 1024;
    while (cap < r->rec_len + extra) cap *= 2;
    char *nb = realloc(r->rec, cap);
    if (!nb) return -1;
    r->rec = nb;
    r->rec_cap = cap;
    return 0;
}

int tml_rd_rec_putc(TmlReader *r, char c) {
    if (rec_reserve(r, 1) < 0) return -1;
    r->rec[r->rec_len++] = c;
    return 0;
}

int tml_rd_rec_puts(TmlReader *r, const char *s, size_t n) {
    if (n == 0) return 0; /* rec may still be NULL: no pointer arithmetic on it */
    if (rec_reserve(r, n) < 0) return -1;
    memcpy(r->rec + r->rec_len, s, n);
    r->rec_len += n;
    return 0;
}

void tml_rd_rec_reset(TmlReader *r) {
    r->rec_len = 0;
    r->rec_nf = 0;
}

int tml_rd_rec_end_field(TmlReader *r) {
    if (tml_rd_rec_putc(r, 0) < 0) return -1;
    if (r->rec_nf + 1 >= r->rec_off_cap) {
        int cap = r->rec_off_cap ? r->rec_off_cap * 2 : 64;
        size_t *no = realloc(r->rec_off, (size_t)cap * sizeof *no);
        if (!no) return -1;
        const char **nf = realloc(r->fields, (size_t)cap * sizeof *nf);
        if (!nf) {
            r->rec_off = no;
            return -1;
        }
        r->rec_off = no;
        r->fields = nf;
        r->rec_off_cap = cap;
    }
    /* rec_off[i] = start of field i; the next field starts after this NUL */
    r->rec_off[r->rec_nf + 1] = r->rec_len;
    if (r->rec_nf == 0) r->rec_off[0] = 0;
    r->rec_nf++;
    return 0;
}

int tml_rd_rec_publish(TmlReader *r) {
    for (int i = 0; i < r->rec_nf; i++) r->fields[i] = r->rec + r->rec_off[i];
    return 0;
}

int tml_rd_check_io(TmlReader *r, TmlError *err) {
    if (ferror(r->fp)) return tml_fail(err, "%s: read error: %s", r->path, strerror(errno ? errno : EIO));
    return 0;
}
