/* table.c — TmlReader dispatch (CSV or JSONL by extension, over the reader core in reader.c) and
 * TmlTable: a whole file in memory with every cell's text in one block (one allocation for
 * millions of cells instead of one each). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data/reader_internal.h"

/* ---- reader ---------------------------------------------------------------------------------- */

static TmlFileFormat format_from_path(const char *path) {
    const char *dot = strrchr(path, '.');
    if (dot && (strcasecmp(dot, ".jsonl") == 0 || strcasecmp(dot, ".json") == 0 || strcasecmp(dot, ".ndjson") == 0))
        return TML_FORMAT_JSONL;
    return TML_FORMAT_CSV;
}

TmlReader *tml_reader_open(const char *path, TmlFileFormat format, TmlError *err) {
    TmlReader *r = calloc(1, sizeof *r);
    if (!r) return tml_fail(err, "%s: out of memory", path), NULL;
    r->path = strdup(path);
    r->buf = malloc(TML_READ_CHUNK);
    if (!r->path || !r->buf) {
        tml_fail(err, "%s: out of memory", path);
        goto fail;
    }
    r->format = format == TML_FORMAT_AUTO ? format_from_path(path) : format;
    r->line = 1;
    r->rec_line = 1;
    r->fp = fopen(path, "rb");
    if (!r->fp) {
        tml_fail(err, "%s: cannot open: %s; check the path (relative paths start at the current directory)", path,
                 strerror(errno));
        goto fail;
    }
    if ((r->format == TML_FORMAT_JSONL ? tml_jsonl_open(r, err) : tml_csv_open(r, err)) < 0) goto fail;
    return r;
fail:
    tml_reader_close(r);
    return NULL;
}

void tml_reader_close(TmlReader *r) {
    if (!r) return;
    if (r->fp) fclose(r->fp);
    if (r->col_names)
        for (int i = 0; i < r->n_cols; i++) free(r->col_names[i]);
    free(r->col_names);
    if (r->col_indexed) tml_strmap_free(&r->col_index);
    free(r->path);
    free(r->buf);
    free(r->rec);
    free(r->rec_off);
    free(r->fields);
    free(r->linebuf);
    free(r);
}

int tml_reader_n_cols(const TmlReader *r) { return r->n_cols; }
const char *tml_reader_col_name(const TmlReader *r, int col) { return r->col_names[col]; }
int64_t tml_reader_line(const TmlReader *r) { return r->rec_line; }
const char *tml_reader_path(const TmlReader *r) { return r->path; }

int tml_reader_find_col(const TmlReader *r, const char *name) {
    return r->col_indexed ? tml_strmap_get(&r->col_index, name, strlen(name)) : -1;
}

int tml_reader_next(TmlReader *r, const char *const **fields, TmlError *err) {
    int rc = r->format == TML_FORMAT_JSONL ? tml_jsonl_next(r, err) : tml_csv_next(r, err);
    if (rc == 1) *fields = r->fields;
    return rc;
}

/* ---- whole-file table ------------------------------------------------------------------------ */

/* A name -> column index over one col_names array (tml_table_col checks it is that array). */
typedef struct ColIndex {
    char **names;
    int n;
    TmlStrMap map;
} ColIndex;

static void free_index(void *p) {
    ColIndex *ix = p;
    if (!ix) return;
    tml_strmap_free(&ix->map);
    free(ix);
}

static ColIndex *index_names(char **names, int n) {
    ColIndex *ix = calloc(1, sizeof *ix);
    if (!ix || tml_strmap_init(&ix->map, (size_t)n) < 0) {
        free(ix);
        return NULL;
    }
    ix->names = names;
    ix->n = n;
    for (int c = 0; c < n; c++)
        if (tml_strmap_put(&ix->map, names[c], strlen(names[c]), c) < 0) {
            free_index(ix);
            return NULL;
        }
    return ix;
}

/* While reading, cells[] holds offsets into the text block (which moves as it grows); they become
 * pointers once the block is final. cells[0] is then the block's start, which tml_table_free frees. */
TmlTable *tml_table_read(const char *path, TmlFileFormat format, TmlError *err) {
    TmlReader *r = tml_reader_open(path, format, err);
    if (!r) return NULL;
    TmlTable *t = calloc(1, sizeof *t);
    char *text = NULL;
    size_t text_len = 0, text_cap = 0;
    int64_t rows_cap = 0;
    if (!t) goto oom;
    t->path = strdup(path);
    t->n_cols = r->n_cols;
    t->col_names = calloc((size_t)r->n_cols, sizeof *t->col_names);
    if (!t->path || !t->col_names) goto oom;
    for (int c = 0; c < r->n_cols; c++)
        if (!(t->col_names[c] = strdup(r->col_names[c]))) goto oom;
    const char *const *f;
    int rc;
    while ((rc = tml_reader_next(r, &f, err)) == 1) {
        if (t->n_rows == rows_cap) {
            rows_cap = rows_cap ? rows_cap * 2 : 1024;
            char **nc = realloc(t->cells, (size_t)rows_cap * (size_t)t->n_cols * sizeof *nc);
            if (!nc) goto oom;
            t->cells = nc;
            int64_t *nl = realloc(t->lines, (size_t)rows_cap * sizeof *nl);
            if (!nl) goto oom;
            t->lines = nl;
        }
        /* the record's fields lie back to back in r->rec, NULs included */
        size_t n = r->rec_len;
        if (text_len + n > text_cap) {
            size_t cap = text_cap ? text_cap : 1 << 16;
            while (cap < text_len + n) cap *= 2;
            char *nt = realloc(text, cap);
            if (!nt) goto oom;
            text = nt;
            text_cap = cap;
        }
        memcpy(text + text_len, r->rec, n);
        for (int c = 0; c < t->n_cols; c++)
            t->cells[t->n_rows * t->n_cols + c] = (char *)(uintptr_t)(text_len + r->rec_off[c]);
        text_len += n;
        t->lines[t->n_rows++] = r->rec_line;
    }
    if (rc < 0) goto fail;
    if (t->n_rows == 0) {
        tml_fail(err, "%s: no records after the header; the file needs at least one data row", path);
        goto fail;
    }
    for (int64_t i = 0; i < t->n_rows * t->n_cols; i++) t->cells[i] = text + (uintptr_t)t->cells[i];
    tml_reader_close(r);
    t->col_index = index_names(t->col_names, t->n_cols); /* NULL (out of memory): lookups scan */
    return t;
oom:
    tml_fail(err, "%s: out of memory reading the file", path);
fail:
    free(text);
    if (t) {
        t->n_rows = 0; /* cells hold offsets, not pointers: nothing in them to free */
        tml_table_free(t);
    }
    tml_reader_close(r);
    return NULL;
}

void tml_table_free(TmlTable *t) {
    if (!t) return;
    free_index(t->col_index);
    if (t->n_rows > 0 && t->n_cols > 0 && t->cells) free(t->cells[0]);
    if (t->col_names)
        for (int c = 0; c < t->n_cols; c++) free(t->col_names[c]);
    free(t->col_names);
    free(t->cells);
    free(t->lines);
    free(t->path);
    free(t);
}

int tml_table_col(const TmlTable *t, const char *name, TmlError *err) {
    const ColIndex *ix = t->col_index;
    if (ix && ix->names == t->col_names && ix->n == t->n_cols) {
        int32_t c = tml_strmap_get(&ix->map, name, strlen(name));
        if (c >= 0) return c;
    } else {
        for (int c = 0; c < t->n_cols; c++)
            if (strcmp(t->col_names[c], name) == 0) return c;
    }
    if (err) {
        char list[TML_ERROR_MSG_MAX / 2];
        size_t n = 0;
        list[0] = 0;
        for (int c = 0; c < t->n_cols && n + 8 < sizeof list; c++) {
            int w = snprintf(list + n, sizeof list - n, "%s%s", c ? ", " : "", t->col_names[c]);
            if (w < 0 || (size_t)w >= sizeof list - n) {
                snprintf(list + n, sizeof list - n, ", ...");
                break;
            }
            n += (size_t)w;
        }
        tml_fail(err, "%s: no column \"%s\"; the file has: %s; fix the name in the config or the file's header",
                 t->path, name, list);
    }
    return -1;
}

char *tml_table_join_cells(const TmlTable *t, int64_t r, const int *cols, int n) {
    if (n == 1) return strdup(tml_table_cell(t, r, cols[0]));
    size_t len = 1;
    for (int i = 0; i < n; i++) len += strlen(tml_table_cell(t, r, cols[i])) + 1;
    char *s = malloc(len), *o = s;
    if (!s) return NULL;
    for (int i = 0; i < n; i++) {
        const char *cell = tml_table_cell(t, r, cols[i]);
        if (!cell[0]) continue;
        if (o > s) *o++ = ' ';
        size_t l = strlen(cell);
        memcpy(o, cell, l);
        o += l;
    }
    *o = '\0';
    return s;
}

const char *tml_table_next_name(const char **p, size_t *len) {
    while (**p) {
        const char *e = strchr(*p, ',');
        if (!e) e = *p + strlen(*p);
        const char *a = *p, *b = e;
        while (a < b && isspace((unsigned char)*a)) a++;
        while (b > a && isspace((unsigned char)b[-1])) b--;
        *p = *e ? e + 1 : e;
        if (b > a) {
            *len = (size_t)(b - a);
            return a;
        }
    }
    return NULL;
}

int tml_table_cols(const TmlTable *t, const char *spec, int *cols, int max, TmlError *err) {
    int n = 0;
    const char *p = spec ? spec : "", *name;
    size_t len;
    while (tml_table_next_name(&p, &len)) n++;
    if (n == 0 || n > max) return n; /* count first: a too long list is reported as such */
    p = spec;
    for (int k = 0; (name = tml_table_next_name(&p, &len)); k++) {
        char buf[256];
        snprintf(buf, sizeof buf, "%.*s", (int)len, name);
        if ((cols[k] = tml_table_col(t, buf, err)) < 0) return -1;
    }
    return n;
}
