/* report_util.c — shared helpers of the report writers: input checks, UTF-8 cleaning, escaping,
 * number formatting, example picking and directory creation. */
#include "eval/report_util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <utf8proc.h>

int tml_report_check_input(const TmlReportInput *in, TmlError *err) {
    if (!in || !in->metrics) return tml_fail(err, "report: no metrics given; compute them with tml_metrics_compute first");
    if (!in->label_names) return tml_fail(err, "report: no label names given (need %d)", in->metrics->n_classes);
    int C = in->metrics->n_classes;
    for (int c = 0; c < C; c++) {
        if (!in->label_names[c] || !in->label_names[c][0])
            return tml_fail(err, "report: label name %d is empty; every class needs a name", c);
        /* per_class in report.json is keyed by name, so names must be distinct. */
        for (int d = 0; d < c; d++)
            if (!strcmp(in->label_names[c], in->label_names[d]))
                return tml_fail(err, "report: label name '%s' appears twice (classes %d and %d)", in->label_names[c], d, c);
    }
    if ((in->probs || in->labels || in->texts) && in->n_rows <= 0)
        return tml_fail(err, "report: per-row data given but n_rows = %lld", (long long)in->n_rows);
    if ((in->probs != NULL) != (in->labels != NULL))
        return tml_fail(err, "report: per-row probs and labels go together (one of them is NULL)");
    for (int i = 0; i < in->n_explanations; i++) {
        const TmlReportExplanation *e = &in->explanations[i];
        if (e->label < 0 || e->label >= C)
            return tml_fail(err, "report: explanation %d: label %d outside [0, %d)", i, e->label, C);
        if (e->n_words < 0 || (e->n_words > 0 && (!e->words || !e->weights)))
            return tml_fail(err, "report: explanation %d: %d words but no words/weights arrays", i, e->n_words);
        for (int w = 0; w < e->n_words; w++)
            if (!e->words[w] || !isfinite(e->weights[w]))
                return tml_fail(err, "report: explanation %d: word %d is NULL or its weight is not finite", i, w);
    }
    return 0;
}

/* Appends one code point as UTF-8; b has room (callers size for 3 bytes per input byte + 4). */
static size_t put_cp(char *b, int32_t cp) {
    return (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)b);
}

char *tml_report_clean_text(const char *s, size_t max_bytes) {
    if (!s) return NULL;
    size_t n = strlen(s);
    char *out = malloc(n * 3 + 8); /* an invalid byte (1) becomes U+FFFD (3) */
    if (!out) return NULL;
    size_t o = 0, i = 0;
    while (i < n) {
        int32_t cp;
        utf8proc_ssize_t len = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (len <= 0) {
            cp = 0xFFFD;
            len = 1;
        } else if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xFFFE || cp == 0xFFFF) {
            cp = 0xFFFD;
        }
        char tmp[4];
        size_t w = put_cp(tmp, cp);
        if (max_bytes && o + w > max_bytes) {
            o += put_cp(out + o, 0x2026); /* … */
            break;
        }
        memcpy(out + o, tmp, w);
        o += w;
        i += (size_t)len;
    }
    out[o] = 0;
    return out;
}

void tml_report_put_html_cut(FILE *f, const char *s, size_t max_bytes) {
    char *c = tml_report_clean_text(s ? s : "", max_bytes);
    if (!c) return;
    for (const char *p = c; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*p, f);
        }
    }
    free(c);
}

void tml_report_put_html(FILE *f, const char *s) { tml_report_put_html_cut(f, s, 0); }

void tml_report_put_md(FILE *f, const char *s) {
    char *c = tml_report_clean_text(s ? s : "", 0);
    if (!c) return;
    for (const char *p = c; *p; p++) {
        switch (*p) {
        case '|': fputs("\\|", f); break;
        case '\n': case '\r': case '\t': fputc(' ', f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        default: fputc(*p, f);
        }
    }
    free(c);
}

const char *tml_report_fmt(char *buf, double v, int digits) {
    if (!isfinite(v)) snprintf(buf, 32, "n/a");
    else snprintf(buf, 32, "%.*f", digits, v);
    return buf;
}

const char *tml_report_row_text(const TmlReportInput *in, int64_t row) {
    if (!in->texts || row < 0 || row >= in->n_rows) return NULL;
    return in->texts[row];
}

int tml_report_pick_examples(const TmlReportInput *in, int truth, int predicted, int64_t *rows, int max) {
    if (!in->probs || !in->labels || max <= 0) return 0;
    const TmlMetrics *m = in->metrics;
    int C = m->n_classes, n = 0;
    /* Keep the max most confident so far in rows[], sorted by confidence descending (max is small). */
    float conf[64];
    if (max > 64) max = 64;
    for (int64_t i = 0; i < in->n_rows; i++) {
        if (in->labels[i] != truth) continue;
        const float *row = in->probs + i * C;
        if (tml_metrics_predict(m, row) != predicted) continue;
        float c = row[predicted];
        if (n == max && c <= conf[n - 1]) continue;
        int at = n < max ? n++ : max - 1;
        while (at > 0 && conf[at - 1] < c) {
            conf[at] = conf[at - 1];
            rows[at] = rows[at - 1];
            at--;
        }
        conf[at] = c;
        rows[at] = i;
    }
    return n;
}

int tml_report_mkdirs(const char *dir, TmlError *err) {
    if (!dir || !dir[0]) return tml_fail(err, "report: empty output folder name");
    size_t n = strlen(dir);
    char *p = malloc(n + 1);
    if (!p) return tml_fail(err, "report: out of memory");
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != 0) continue;
        char keep = p[i];
        p[i] = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            int e = errno;
            tml_fail(err, "%s: cannot create folder: %s", p, strerror(e));
            free(p);
            return -1;
        }
        p[i] = keep;
    }
    struct stat st;
    int ok = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
    free(p);
    if (!ok) return tml_fail(err, "%s: exists and is not a folder; pick another --report path", dir);
    return 0;
}

/* Largest importance first, then the lower index (the feature order) on ties. */
static _Thread_local const double *t_imp; /* qsort has no context argument */
static int by_importance(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    if (t_imp[x] != t_imp[y]) return t_imp[x] < t_imp[y] ? 1 : -1;
    return (x > y) - (x < y);
}

int *tml_report_importance_order(const TmlReportInput *in) {
    if (in->n_importance <= 0) return NULL;
    int *ord = malloc(sizeof *ord * (size_t)in->n_importance);
    if (!ord) return NULL;
    for (int i = 0; i < in->n_importance; i++) ord[i] = i;
    t_imp = in->importance;
    qsort(ord, (size_t)in->n_importance, sizeof *ord, by_importance);
    t_imp = NULL;
    return ord;
}
