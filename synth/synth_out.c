/* synth_out.c — buffered RFC 4180 CSV output for the generator (1 MiB buffer, one fwrite per MiB,
 * no allocation per row), written to name.tmp and renamed on commit; plus civil-date helpers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "synth/synth_internal.h"

#define SYNTH_OUT_BUF (1u << 20)

static char *path_join(const char *dir, const char *name, const char *suffix) {
    size_t n = strlen(dir) + strlen(name) + strlen(suffix) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s%s", dir, name, suffix);
    return p;
}

int tml_synth_out_open(SynthOut *o, const char *dir, const char *name, TmlError *err) {
    memset(o, 0, sizeof *o);
    o->final_path = path_join(dir, name, "");
    o->tmp_path = path_join(dir, name, ".tmp");
    o->buf = malloc(SYNTH_OUT_BUF);
    if (!o->final_path || !o->tmp_path || !o->buf) {
        tml_synth_out_abort(o);
        return tml_fail(err, "synth: out of memory opening %s/%s", dir, name);
    }
    o->f = fopen(o->tmp_path, "wb");
    if (!o->f) {
        int e = errno;
        tml_fail(err, "%s: cannot write (%s); check that the output directory is writable",
                 o->tmp_path, strerror(e));
        tml_synth_out_abort(o);
        return -1;
    }
    return 0;
}

static void flush_buf(SynthOut *o) {
    if (o->n && !o->failed && fwrite(o->buf, 1, o->n, o->f) != o->n) o->failed = errno ? errno : EIO;
    o->n = 0;
}

void tml_synth_out_bytes(SynthOut *o, const char *s, size_t n) {
    o->bytes += (int64_t)n;
    while (n) {
        size_t room = SYNTH_OUT_BUF - o->n;
        size_t k = n < room ? n : room;
        memcpy(o->buf + o->n, s, k);
        o->n += k;
        s += k;
        n -= k;
        if (o->n == SYNTH_OUT_BUF) flush_buf(o);
    }
}

void tml_synth_out_str(SynthOut *o, const char *s) { tml_synth_out_bytes(o, s, strlen(s)); }

void tml_synth_out_char(SynthOut *o, char c) {
    if (o->n == SYNTH_OUT_BUF) flush_buf(o);
    o->buf[o->n++] = c;
    o->bytes++;
}

void tml_synth_out_int(SynthOut *o, int64_t v) {
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) tmp[n++] = '-';
    char s[24];
    for (int i = 0; i < n; i++) s[i] = tmp[n - 1 - i];
    tml_synth_out_bytes(o, s, (size_t)n);
}

void tml_synth_out_cents(SynthOut *o, int64_t cents) {
    if (cents < 0) {
        tml_synth_out_char(o, '-');
        cents = -cents;
    }
    tml_synth_out_int(o, cents / 100);
    char s[3] = {'.', (char)('0' + cents % 100 / 10), (char)('0' + cents % 10)};
    tml_synth_out_bytes(o, s, 3);
}

void tml_synth_out_field(SynthOut *o, const char *s, size_t n) {
    int quote = 0;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        tml_synth_out_bytes(o, s, n);
        return;
    }
    tml_synth_out_char(o, '"');
    size_t start = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '"') {
            tml_synth_out_bytes(o, s + start, i + 1 - start); /* the quote itself, then its double */
            tml_synth_out_char(o, '"');
            start = i + 1;
        }
    tml_synth_out_bytes(o, s + start, n - start);
    tml_synth_out_char(o, '"');
}

int tml_synth_out_commit(SynthOut *o, TmlError *err) {
    flush_buf(o);
    int e = o->failed;
    if (!e && fflush(o->f)) e = errno ? errno : EIO;
    if (!e && fsync(fileno(o->f))) e = errno ? errno : EIO;
    if (fclose(o->f) && !e) e = errno ? errno : EIO;
    o->f = NULL;
    if (!e && rename(o->tmp_path, o->final_path)) e = errno ? errno : EIO;
    if (e) {
        tml_fail(err, "%s: write failed (%s); check free disk space and permissions", o->tmp_path,
                 strerror(e));
        tml_synth_out_abort(o);
        return -1;
    }
    free(o->tmp_path);
    free(o->final_path);
    free(o->buf);
    memset(o, 0, sizeof *o);
    return 0;
}

void tml_synth_out_abort(SynthOut *o) {
    if (o->f) fclose(o->f);
    if (o->tmp_path) remove(o->tmp_path);
    free(o->tmp_path);
    free(o->final_path);
    free(o->buf);
    memset(o, 0, sizeof *o);
}

int tml_synth_parse_date(const char *s, int64_t *day) {
    int64_t z;
    if (!s || strlen(s) != 10 || tml_date_parse_iso(s, &z) < 0 || z < 0) return -1;
    *day = z;
    return 0;
}
