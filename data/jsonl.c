/* jsonl.c — the JSON Lines half of TmlReader (jansson): one object per line; the first object's keys
 * are the columns. Strings as given, numbers and booleans as JSON text, null -> blank; nested
 * values, duplicate keys and keys the first object lacks are errors (nothing is dropped silently). */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/reader_internal.h"

static int jsonl_oom(TmlReader *r, TmlError *err) {
    return tml_fail(err, "%s:%lld: out of memory while reading a record", r->path, (long long)r->rec_line);
}

/* Reads the next non-blank line into r->linebuf (without its line end). 1 line, 0 eof, -1 error. */
static int jsonl_line(TmlReader *r, TmlError *err) {
    for (;;) {
        r->line_len = 0;
        if (tml_rd_peek(r) < 0) return tml_rd_check_io(r, err) < 0 ? -1 : 0;
        r->rec_line = r->line;
        int ended = 0;
        while (!ended) {
            if (tml_rd_peek(r) < 0) break;
            size_t i = r->pos;
            while (i < r->len && r->buf[i] != '\n') i++;
            size_t n = i - r->pos;
            if (r->line_len + n + 1 > r->line_cap) {
                size_t cap = r->line_cap ? r->line_cap : 4096;
                while (cap < r->line_len + n + 1) cap *= 2;
                char *nb = realloc(r->linebuf, cap);
                if (!nb) return jsonl_oom(r, err);
                r->linebuf = nb;
                r->line_cap = cap;
            }
            memcpy(r->linebuf + r->line_len, r->buf + r->pos, n);
            r->line_len += n;
            r->pos = i;
            if (i < r->len) {
                r->pos++; /* the '\n' */
                ended = 1;
            }
        }
        if (tml_rd_check_io(r, err) < 0) return -1;
        r->line++;
        if (r->line_len > 0 && r->linebuf[r->line_len - 1] == '\r') r->line_len--;
        r->linebuf[r->line_len] = 0;
        size_t k = 0;
        while (k < r->line_len && (r->linebuf[k] == ' ' || r->linebuf[k] == '\t' || r->linebuf[k] == '\r')) k++;
        if (k < r->line_len) return 1;
    }
}

/* Parses r->linebuf as one object. Returns a new reference or NULL with err set. */
static json_t *jsonl_parse(TmlReader *r, TmlError *err) {
    json_error_t je;
    json_t *o = json_loadb(r->linebuf, r->line_len, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return tml_fail(err, "%s:%lld: invalid JSON at column %d: %s; each line must be one complete JSON object",
                        r->path, (long long)r->rec_line, je.column, je.text), NULL;
    if (!json_is_object(o)) {
        const char *kind = json_is_array(o) ? "array" : json_is_string(o) ? "string" : "scalar";
        json_decref(o);
        return tml_fail(err, "%s:%lld: line is a JSON %s, not an object; write each record as {\"column\": value, ...}",
                        r->path, (long long)r->rec_line, kind), NULL;
    }
    return o;
}

/* Appends value v as field text. Numbers: integers exactly, reals in the shortest form that reads
 * back to the same double. -1 with err set on nested values. */
static int jsonl_put_value(TmlReader *r, const char *key, json_t *v, TmlError *err) {
    char tmp[64];
    const char *s = "";
    size_t n = 0;
    switch (json_typeof(v)) {
    case JSON_STRING:
        s = json_string_value(v);
        n = json_string_length(v);
        break;
    case JSON_INTEGER:
        n = (size_t)snprintf(tmp, sizeof tmp, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        s = tmp;
        break;
    case JSON_REAL: {
        double d = json_real_value(v);
        for (int prec = 15; prec <= 17; prec++) {
            n = (size_t)snprintf(tmp, sizeof tmp, "%.*g", prec, d);
            if (strtod(tmp, NULL) == d) break;
        }
        s = tmp;
        break;
    }
    case JSON_TRUE: s = "true"; n = 4; break;
    case JSON_FALSE: s = "false"; n = 5; break;
    case JSON_NULL: break;
    default:
        return tml_fail(err, "%s:%lld: field \"%s\" holds a nested %s; flatten it into plain string or number "
                        "fields", r->path, (long long)r->rec_line, key, json_is_array(v) ? "array" : "object");
    }
    if (tml_rd_rec_puts(r, s, n) < 0) return jsonl_oom(r, err);
    return 0;
}

/* Fills r->rec from object o in column order. */
static int jsonl_fill(TmlReader *r, json_t *o, TmlError *err) {
    tml_rd_rec_reset(r);
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        if (tml_strmap_get(&r->col_index, key, strlen(key)) < 0)
            return tml_fail(err, "%s:%lld: key \"%s\" is not among the columns, which come from the first line's "
                            "keys; add \"%s\": null to the first line", r->path, (long long)r->rec_line, key, key);
        if (json_is_object(v) || json_is_array(v)) return jsonl_put_value(r, key, v, err);
    }
    for (int c = 0; c < r->n_cols; c++) {
        v = json_object_get(o, r->col_names[c]);
        if (v && jsonl_put_value(r, r->col_names[c], v, err) < 0) return -1;
        if (tml_rd_rec_end_field(r) < 0) return jsonl_oom(r, err);
    }
    if (tml_rd_rec_publish(r) < 0) return jsonl_oom(r, err);
    return 0;
}

int tml_jsonl_open(TmlReader *r, TmlError *err) {
    if (tml_rd_peek(r) == 0xEF && r->len - r->pos >= 3 && r->buf[r->pos + 1] == 0xBB && r->buf[r->pos + 2] == 0xBF)
        r->pos += 3;
    int rc = jsonl_line(r, err);
    if (rc < 0) return -1;
    if (rc == 0) return tml_fail(err, "%s: empty file; expected one JSON object per line", r->path);
    json_t *o = jsonl_parse(r, err);
    if (!o) return -1;
    r->n_cols = (int)json_object_size(o);
    if (r->n_cols == 0) {
        json_decref(o);
        return tml_fail(err, "%s:%lld: the first object has no keys; its keys name the columns", r->path,
                        (long long)r->rec_line);
    }
    r->col_names = calloc((size_t)r->n_cols, sizeof *r->col_names);
    if (!r->col_names) {
        json_decref(o);
        return jsonl_oom(r, err);
    }
    int c = 0;
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        r->col_names[c] = strdup(key);
        if (!r->col_names[c++]) {
            json_decref(o);
            return jsonl_oom(r, err);
        }
    }
    int a, b; /* an object's keys are distinct: no duplicate to report */
    if (tml_rd_index_cols(r, &a, &b) < 0) {
        json_decref(o);
        return jsonl_oom(r, err);
    }
    /* the first object is also the first record: publish it now, next() hands it out */
    rc = jsonl_fill(r, o, err);
    json_decref(o);
    if (rc < 0) return -1;
    r->jsonl_first_ready = 1;
    return 0;
}

int tml_jsonl_next(TmlReader *r, TmlError *err) {
    if (r->jsonl_first_ready) {
        r->jsonl_first_ready = 0;
        return 1; /* fields of the first object were published by open */
    }
    int rc = jsonl_line(r, err);
    if (rc <= 0) return rc;
    json_t *o = jsonl_parse(r, err);
    if (!o) return -1;
    rc = jsonl_fill(r, o, err);
    json_decref(o);
    return rc < 0 ? -1 : 1;
}
