/* table.h — reading ticket and customer files (CSV per RFC 4180, or JSONL) into rows of named
 * string fields. Streaming (TmlReader) for files larger than memory; TmlTable loads a whole file. */
#ifndef TICKETML_DATA_TABLE_H
#define TICKETML_DATA_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "ticketml/error.h"

typedef enum TmlFileFormat { TML_FORMAT_AUTO = 0, TML_FORMAT_CSV, TML_FORMAT_JSONL } TmlFileFormat;

/* Streaming reader. CSV: header row gives column names; quoted fields with commas, doubled quotes
 * and embedded newlines; CRLF or LF; a UTF-8 BOM is skipped. JSONL: one object per line; the
 * column set is the keys of the first object (later objects may omit keys: blank field); numbers
 * and booleans are kept as their JSON text; nested values are an error.
 * Every error message names the file, the 1-based line where the record starts, and a fix. */
typedef struct TmlReader TmlReader;

/* Opens path; format AUTO picks by extension (.jsonl/.json/.ndjson -> JSONL, else CSV).
 * Returns NULL with err set on failure. Caller frees with tml_reader_close. */
TmlReader *tml_reader_open(const char *path, TmlFileFormat format, TmlError *err);
void tml_reader_close(TmlReader *r);
int tml_reader_n_cols(const TmlReader *r);
const char *tml_reader_col_name(const TmlReader *r, int col);
/* Column index by exact name, or -1. */
int tml_reader_find_col(const TmlReader *r, const char *name);
/* Reads the next record. Returns 1 and fills fields[0..n_cols) (NUL-terminated UTF-8, owned by
 * the reader, valid until the next call), 0 at end of file, -1 on error (err set). A CSV record
 * with the wrong number of fields is an error. */
int tml_reader_next(TmlReader *r, const char *const **fields, TmlError *err);
/* 1-based line on which the record last returned starts. */
int64_t tml_reader_line(const TmlReader *r);
const char *tml_reader_path(const TmlReader *r);

/* A whole file in memory: n_rows x n_cols cells, row-major. */
typedef struct TmlTable {
    char *path;
    int n_cols;
    char **col_names;   /* (n_cols) */
    int64_t n_rows;
    char **cells;       /* (n_rows * n_cols); cell (r, c) = cells[r * n_cols + c]; all cell text is
                         * one block starting at cells[0], freed by tml_table_free: never free or
                         * realloc a single cell */
    int64_t *lines;     /* (n_rows) 1-based source line of each record, for error messages */
    void *col_index;    /* tml_table_read's name -> column hash index, valid only for the col_names
                         * array it was built over (a table copied and widened falls back to a scan) */
} TmlTable;

/* Reads the whole file. An empty file (no header, or header and no rows) is an error.
 * Returns NULL with err set. Caller frees with tml_table_free. */
TmlTable *tml_table_read(const char *path, TmlFileFormat format, TmlError *err);
void tml_table_free(TmlTable *t);
/* Column index by name; when absent returns -1 and, if err is non-NULL, sets an error naming the
 * file, the missing column and the columns that do exist. */
int tml_table_col(const TmlTable *t, const char *name, TmlError *err);
/* The next name of a comma-separated list ("subject, body"): its start with *len its length, blanks
 * around it and empty names skipped; NULL at the end. *p advances past it. */
const char *tml_table_next_name(const char **p, size_t *len);
/* Column indices of the comma-separated names in spec ("subject, body"; blanks around names
 * ignored) into cols: returns the number of names. When that is 0 or more than max nothing is
 * looked up (the caller says what it accepts); a missing column is -1 with err set as
 * tml_table_col sets it. */
int tml_table_cols(const TmlTable *t, const char *spec, int *cols, int max, TmlError *err);
/* Cells cols[0..n) of row r joined with single spaces, empty cells skipped: how ticketml turns
 * several text columns into one ticket text (training, evaluation and serving alike). Returns a
 * malloc'd string (caller frees), NULL when out of memory. */
char *tml_table_join_cells(const TmlTable *t, int64_t r, const int *cols, int n);
static inline const char *tml_table_cell(const TmlTable *t, int64_t row, int col) {
    return t->cells[row * t->n_cols + col];
}

#endif
