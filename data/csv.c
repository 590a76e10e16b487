/* csv.c — the RFC 4180 half of TmlReader: quoted fields with commas, doubled quotes and embedded
 * line breaks; CRLF, LF or lone CR line ends; blank lines between records skipped. Strict where a
 * lenient guess would silently shift columns (text after a closing quote, wrong field counts). */
#include <stdlib.h>
#include <string.h>

#include "data/reader_internal.h"

/* Consumes one line end (CRLF, LF or CR) if one is next. */
static void csv_eat_eol(TmlReader *r) {
    int c = tml_rd_peek(r);
    if (c == '\r') {
        r->pos++;
        if (tml_rd_peek(r) == '\n') r->pos++;
        r->line++;
    } else if (c == '\n') {
        r->pos++;
        r->line++;
    }
}

static int csv_oom(TmlReader *r, TmlError *err) {
    return tml_fail(err, "%s:%lld: out of memory while reading a record", r->path, (long long)r->rec_line);
}

static int csv_nul(TmlReader *r, TmlError *err) {
    return tml_fail(err, "%s:%lld: NUL byte in the data; this looks like a binary or UTF-16 file, save it as "
                    "UTF-8 CSV", r->path, (long long)r->line);
}

/* Reads a quoted field after its opening quote. 0 ok, -1 error. */
static int csv_quoted(TmlReader *r, TmlError *err) {
    int64_t start_line = r->line;
    for (;;) {
        /* fast path: copy the run of ordinary bytes in the current chunk */
        if (tml_rd_peek(r) < 0) break;
        size_t i = r->pos;
        while (i < r->len && r->buf[i] != '"' && r->buf[i] != '\n' && r->buf[i] != '\r' && r->buf[i] != 0) i++;
        if (i > r->pos) {
            if (tml_rd_rec_puts(r, (const char *)r->buf + r->pos, i - r->pos) < 0) return csv_oom(r, err);
            r->pos = i;
            continue;
        }
        int c = tml_rd_get(r);
        if (c == 0) return csv_nul(r, err);
        if (c == '"') {
            if (tml_rd_peek(r) != '"') return 0;
            r->pos++;
        } else if (c == '\n') {
            r->line++;
        } else if (c == '\r') {
            if (tml_rd_peek(r) != '\n') r->line++;
        }
        if (tml_rd_rec_putc(r, (char)c) < 0) return csv_oom(r, err);
    }
    if (tml_rd_check_io(r, err) < 0) return -1;
    return tml_fail(err, "%s:%lld: unterminated quoted field starting here; close the quote or double any quote "
                    "inside the field (\"\")", r->path, (long long)start_line);
}

/* Reads an unquoted field up to (not including) the next comma, line end or end of file. */
static int csv_unquoted(TmlReader *r, TmlError *err) {
    for (;;) {
        if (tml_rd_peek(r) < 0) return 0;
        size_t i = r->pos;
        while (i < r->len && r->buf[i] != ',' && r->buf[i] != '\n' && r->buf[i] != '\r' && r->buf[i] != 0) i++;
        if (i > r->pos) {
            if (tml_rd_rec_puts(r, (const char *)r->buf + r->pos, i - r->pos) < 0) return csv_oom(r, err);
            r->pos = i;
        }
        if (i < r->len) {
            if (r->buf[i] == 0) return csv_nul(r, err);
            return 0;
        }
    }
}

/* Reads one record into r->rec. 1 record, 0 end of file, -1 error. */
static int csv_record(TmlReader *r, TmlError *err) {
    tml_rd_rec_reset(r);
    int c;
    while ((c = tml_rd_peek(r)) == '\n' || c == '\r') csv_eat_eol(r); /* blank lines */
    if (c < 0) return tml_rd_check_io(r, err) < 0 ? -1 : 0;
    r->rec_line = r->line;
    for (;;) {
        c = tml_rd_peek(r);
        if (c == '"') {
            r->pos++;
            if (csv_quoted(r, err) < 0) return -1;
            c = tml_rd_peek(r);
            if (c >= 0 && c != ',' && c != '\n' && c != '\r')
                return tml_fail(err, "%s:%lld: text after the closing quote of field %d; quote the whole field "
                                "and double the quotes inside it (\"say \"\"hi\"\" now\")",
                                r->path, (long long)r->line, r->rec_nf + 1);
        } else {
            if (csv_unquoted(r, err) < 0) return -1;
            c = tml_rd_peek(r);
        }
        if (tml_rd_rec_end_field(r) < 0) return csv_oom(r, err);
        if (c == ',') {
            r->pos++;
            continue;
        }
        if (c < 0 && tml_rd_check_io(r, err) < 0) return -1;
        csv_eat_eol(r);
        return 1;
    }
}

int tml_csv_open(TmlReader *r, TmlError *err) {
    /* UTF-8 byte order mark (Excel writes one) */
    if (tml_rd_peek(r) == 0xEF && r->len - r->pos >= 3 && r->buf[r->pos + 1] == 0xBB && r->buf[r->pos + 2] == 0xBF)
        r->pos += 3;
    int rc = csv_record(r, err);
    if (rc < 0) return -1;
    if (rc == 0)
        return tml_fail(err, "%s: empty file; expected a header row with column names, then one row per record",
                        r->path);
    if (tml_rd_rec_publish(r) < 0) return csv_oom(r, err);
    r->n_cols = r->rec_nf;
    r->col_names = calloc((size_t)r->n_cols, sizeof *r->col_names);
    if (!r->col_names) return csv_oom(r, err);
    for (int i = 0; i < r->n_cols; i++)
        if (!(r->col_names[i] = strdup(r->fields[i]))) return csv_oom(r, err);
    int a, b, dup = tml_rd_index_cols(r, &a, &b);
    if (dup < 0) return csv_oom(r, err);
    if (dup)
        return tml_fail(err, "%s:%lld: column \"%s\" appears twice in the header (columns %d and %d); rename one",
                        r->path, (long long)r->rec_line, r->col_names[b], a + 1, b + 1);
    return 0;
}

int tml_csv_next(TmlReader *r, TmlError *err) {
    int rc = csv_record(r, err);
    if (rc <= 0) return rc;
    if (r->rec_nf != r->n_cols)
        return tml_fail(err, "%s:%lld: %d field%s, header has %d; quote fields that contain commas (\"a, b\") "
                        "or fix the row's number of fields", r->path, (long long)r->rec_line, r->rec_nf,
                        r->rec_nf == 1 ? "" : "s", r->n_cols);
    if (tml_rd_rec_publish(r) < 0) return csv_oom(r, err);
    return 1;
}
