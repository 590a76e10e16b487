/* reader_internal.h — the TmlReader state and the reader core (reader.c: chunked input, record
 * buffer) that csv.c and jsonl.c fill and table.c dispatches between. Private to data/: nothing
 * outside the reader files includes it.
 * The file is read in fixed chunks (TML_READ_CHUNK) so files larger than memory stream. */
#ifndef TICKETML_DATA_READER_INTERNAL_H
#define TICKETML_DATA_READER_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "data/strmap.h"
#include "data/table.h"

/* Fuzz builds shrink the chunk (-DTML_READ_CHUNK=7) so small inputs cross many chunk boundaries;
 * it must stay >= 3 so the UTF-8 BOM check sees the first three bytes at once. */
#ifndef TML_READ_CHUNK
#define TML_READ_CHUNK (1 << 20)
#endif

struct TmlReader {
    char *path;
    FILE *fp;
    TmlFileFormat format;
    /* input chunk: bytes buf[pos..len) not yet consumed; eof once fread returned short */
    unsigned char *buf;
    size_t pos, len;
    int eof;
    int64_t line;        /* 1-based line of the next unread byte */
    int64_t rec_line;    /* line where the record last returned starts */
    /* header */
    int n_cols;
    char **col_names;
    TmlStrMap col_index; /* column name -> index: header checks and lookups in constant time */
    int col_indexed;
    /* current record: text of all fields back to back (each NUL-terminated) in rec[0..rec_len),
     * field i starting at rec_off[i]; fields[] points into rec once the record is complete */
    char *rec;
    size_t rec_len, rec_cap;
    size_t *rec_off;
    int rec_nf, rec_off_cap;
    const char **fields;
    /* JSONL: the current line */
    char *linebuf;
    size_t line_len, line_cap;
    int jsonl_first_ready; /* open() published the first object as the pending first record */
};

/* Refills buf when exhausted. Returns the next byte without consuming it, or -1 at end of file or
 * on a read error (r->fp's error flag tells which). */
static inline int tml_rd_peek(TmlReader *r) {
    if (r->pos == r->len) {
        if (r->eof) return -1;
        r->len = fread(r->buf, 1, TML_READ_CHUNK, r->fp);
        r->pos = 0;
        if (r->len < TML_READ_CHUNK) r->eof = 1;
        if (r->len == 0) return -1;
    }
    return r->buf[r->pos];
}

static inline int tml_rd_get(TmlReader *r) {
    int c = tml_rd_peek(r);
    if (c >= 0) r->pos++;
    return c;
}

/* Record-buffer helpers (reader.c). Return -1 on allocation failure. */
int tml_rd_rec_putc(TmlReader *r, char c);
int tml_rd_rec_puts(TmlReader *r, const char *s, size_t n);
int tml_rd_rec_end_field(TmlReader *r);  /* NUL-terminates the current field, starts the next */
void tml_rd_rec_reset(TmlReader *r);
/* Points r->fields at the rec_nf completed fields; -1 on allocation failure. */
int tml_rd_rec_publish(TmlReader *r);
/* Indexes r->col_names (a hash set: a header of a million columns is checked in well under a
 * second). A name seen before is a duplicate: *first and *second get the two 0-based columns and
 * the result is 1. 0 ok, -1 out of memory. */
int tml_rd_index_cols(TmlReader *r, int *first, int *second);
/* Checks the first read for a read error; fills err with "path: read error: ..." and returns -1. */
int tml_rd_check_io(TmlReader *r, TmlError *err);

/* Format-specific halves (csv.c, jsonl.c), called by table.c only. open_* reads the header (CSV) or the first object's keys (JSONL) and
 * leaves the reader positioned so next_* returns the first record. */
int tml_csv_open(TmlReader *r, TmlError *err);
int tml_csv_next(TmlReader *r, TmlError *err);
int tml_jsonl_open(TmlReader *r, TmlError *err);
int tml_jsonl_next(TmlReader *r, TmlError *err);

#endif
