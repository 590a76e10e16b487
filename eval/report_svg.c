/* report_svg.c — inline SVG chart primitives for report.html. Everything is drawn in absolute
 * pixel coordinates with a fixed font stack so the page needs no fonts, CSS files or script. */
#include "eval/report_svg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval/report_util.h"

#define SVG_FONT "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\""
#define SVG_LABEL_MAX 40 /* bytes of a class name drawn in a chart; the hover title has it all */

void tml_svg_mix(char out[8], double a, int r, int g, int b) {
    if (!(a >= 0)) a = 0;
    if (a > 1) a = 1;
    snprintf(out, 8, "#%02x%02x%02x", (int)lround(255 - (255 - r) * a), (int)lround(255 - (255 - g) * a),
             (int)lround(255 - (255 - b) * a));
}

void tml_svg_chart_init(TmlSvgChart *c, const char *title, const char *xlabel, const char *ylabel) {
    memset(c, 0, sizeof *c);
    c->title = title;
    c->xlabel = xlabel;
    c->ylabel = ylabel;
    c->x1 = c->y1 = 1;
    c->width = 380;
    c->height = 320;
    c->hline = c->mark_x = c->mark_y = NAN;
}

/* Plot area of a chart: margins for the title, tick labels and axis captions. */
typedef struct {
    double left, top, w, h;
    double x0, x1, y0, y1;
} Plot;

static double px(const Plot *p, double x) { return p->left + (x - p->x0) / (p->x1 - p->x0) * p->w; }
static double py(const Plot *p, double y) { return p->top + p->h - (y - p->y0) / (p->y1 - p->y0) * p->h; }

void tml_svg_open(FILE *f, int w, int h, const char *title) {
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" " SVG_FONT
               " font-size=\"12\" role=\"img\" aria-label=\"",
            w, h, w, h);
    tml_report_put_html(f, title ? title : "chart");
    fputs("\">\n", f);
}

/* Frame, grid, ticks, title and axis captions. */
/* Tick labels with as many digits as the range needs (0.9286 and 0.9291 must not both read 0.93). */
static int tick_digits(double lo, double hi) {
    double step = fabs(hi - lo) / 5, mag = fmax(fabs(lo), fabs(hi));
    /* significant digits: those of the magnitude down to the step's decimal */
    int d = step > 0 && mag > 0 ? (int)ceil(log10(mag / step)) + 1 : 2;
    return d < 2 ? 2 : d > 6 ? 6 : d;
}

/* Left margin that fits the y tick labels and, left of them, the rotated axis caption. */
static double left_margin(double y0, double y1) {
    char b[32];
    double w = 0;
    for (int i = 0; i <= 5; i++) {
        snprintf(b, sizeof b, "%.*g", tick_digits(y0, y1), y0 + (y1 - y0) * i / 5.0);
        w = fmax(w, tml_svg_text_width(b, 11, 32));
    }
    return fmax(52, w + 30);
}

static void draw_axes(FILE *f, const Plot *p, const char *title, const char *xlabel, const char *ylabel) {
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fcfcfd\" stroke=\"#c8ccd2\"/>\n",
            p->left, p->top, p->w, p->h);
    for (int i = 0; i <= 5; i++) {
        double xv = p->x0 + (p->x1 - p->x0) * i / 5.0, yv = p->y0 + (p->y1 - p->y0) * i / 5.0;
        double X = px(p, xv), Y = py(p, yv);
        if (i > 0 && i < 5) {
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eceef1\"/>\n", X, p->top, X,
                    p->top + p->h);
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eceef1\"/>\n", p->left, Y,
                    p->left + p->w, Y);
        }
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555\" font-size=\"11\">%.*g</text>\n", X,
                p->top + p->h + 14, tick_digits(p->x0, p->x1), xv);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\" font-size=\"11\">%.*g</text>\n",
                p->left - 4, Y + 4, tick_digits(p->y0, p->y1), yv);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"16\" font-weight=\"600\" font-size=\"13\">", p->left);
    tml_report_put_html(f, title);
    fprintf(f, "</text>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#333\">", p->left + p->w / 2,
            p->top + p->h + 32);
    tml_report_put_html(f, xlabel);
    fprintf(f, "</text>\n<text transform=\"translate(13 %.1f) rotate(-90)\" text-anchor=\"middle\" fill=\"#333\">",
            p->top + p->h / 2);
    tml_report_put_html(f, ylabel);
    fputs("</text>\n", f);
}

void tml_svg_line_chart(FILE *f, const TmlSvgChart *c) {
    /* named series get a legend row between the title and the plot, where no line can cross it */
    int legend = 0;
    for (int s = 0; s < c->n_series; s++) legend |= c->series[s].name != NULL;
    double top = legend ? 42 : 26;
    double left = left_margin(c->y0, c->y1);
    Plot p = {left, top, c->width - left - 14, c->height - top - 42, c->x0, c->x1, c->y0, c->y1};
    tml_svg_open(f, c->width, c->height, c->title);
    draw_axes(f, &p, c->title, c->xlabel, c->ylabel);
    if (c->diagonal) {
        double lo = fmax(c->x0, c->y0), hi = fmin(c->x1, c->y1);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>\n",
                px(&p, lo), py(&p, lo), px(&p, hi), py(&p, hi));
    }
    if (isfinite(c->hline) && c->hline >= c->y0 && c->hline <= c->y1) {
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#b0651f\" stroke-dasharray=\"5 3\"/>\n",
                p.left, py(&p, c->hline), p.left + p.w, py(&p, c->hline));
        if (c->hline_label) {
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" fill=\"#b0651f\" font-size=\"11\">",
                    c->hline_left ? p.left + 4 : p.left + p.w - 4, py(&p, c->hline) - 4, c->hline_left ? "start" : "end");
            tml_report_put_html(f, c->hline_label);
            fputs("</text>\n", f);
        }
    }
    for (int s = 0; s < c->n_series; s++) {
        const TmlSvgSeries *se = &c->series[s];
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" stroke-linejoin=\"round\" points=\"",
                se->color);
        for (int i = 0; i < se->n; i++) {
            if (!isfinite(se->x[i]) || !isfinite(se->y[i])) continue;
            double x = fmin(fmax(se->x[i], c->x0), c->x1), y = fmin(fmax(se->y[i], c->y0), c->y1);
            fprintf(f, "%.1f,%.1f ", px(&p, x), py(&p, y));
        }
        fputs("\"/>\n", f);
        if (se->name) {
            double x = p.left;
            for (int k = 0; k < s; k++)
                if (c->series[k].name) x += 26 + tml_svg_text_width(c->series[k].name, 11, 60);
            fprintf(f, "<rect x=\"%.1f\" y=\"28\" width=\"14\" height=\"3\" fill=\"%s\"/><text x=\"%.1f\" y=\"33\" "
                       "fill=\"%s\" font-size=\"11\">",
                    x, se->color, x + 18, se->color);
            tml_report_put_html(f, se->name);
            fputs("</text>\n", f);
        }
    }
    if (isfinite(c->mark_x) && isfinite(c->mark_y)) {
        double X = px(&p, c->mark_x), Y = py(&p, c->mark_y);
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#d9480f\" stroke=\"#fff\" stroke-width=\"1.5\"/>\n",
                X, Y);
        if (c->mark_label) {
            int right = X > p.left + p.w * 0.6;
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" fill=\"#d9480f\" font-size=\"11\">",
                    right ? X - 8 : X + 8, Y + 16, right ? "end" : "start");
            tml_report_put_html(f, c->mark_label);
            fputs("</text>\n", f);
        }
    }
    fputs("</svg>\n", f);
}

void tml_svg_reliability(FILE *f, const TmlReliabilityBin *bins, int n_bins, double ece) {
    char title[64];
    if (isfinite(ece)) snprintf(title, sizeof title, "Reliability (ECE %.4f)", ece);
    else snprintf(title, sizeof title, "Reliability");
    Plot p = {52, 26, 380 - 52 - 14, 320 - 26 - 42, 0, 1, 0, 1};
    tml_svg_open(f, 380, 320, title);
    draw_axes(f, &p, title, "confidence (probability of the predicted class)", "accuracy");
    int64_t total = 0;
    for (int b = 0; b < n_bins; b++) total += bins[b].count;
    for (int b = 0; b < n_bins; b++) {
        const TmlReliabilityBin *bin = &bins[b];
        if (bin->count == 0) continue;
        double x = px(&p, bin->lo) + 1, w = px(&p, bin->hi) - px(&p, bin->lo) - 2, y = py(&p, bin->accuracy);
        /* Opacity grows with the bin's share of rows, so near-empty bins do not dominate the eye. */
        double share = total ? (double)bin->count / (double)total : 0;
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#1f5fa8\" fill-opacity=\"%.2f\">"
                   "<title>confidence %.3f-%.3f: %lld rows, mean confidence %.3f, accuracy %.3f</title></rect>\n",
                x, y, w > 0 ? w : 0.5, p.top + p.h - y, 0.35 + 0.65 * fmin(1.0, share * n_bins / 2.0), bin->lo,
                bin->hi, (long long)bin->count, bin->confidence, bin->accuracy);
        double cy = py(&p, bin->confidence);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d9480f\" stroke-width=\"2\"/>\n", x,
                cy, x + w, cy);
    }
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>\n",
            px(&p, 0), py(&p, 0), px(&p, 1), py(&p, 1));
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#1f5fa8\" font-size=\"11\">bars: accuracy</text>\n", p.left + 6,
            p.top + 14);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#d9480f\" font-size=\"11\">red: mean confidence</text>\n",
            p.left + 6, p.top + 28);
    fputs("</svg>\n", f);
}

/* An order of the classes in which classes confused with each other sit together: a greedy chain
 * that starts at the most confused class and each time appends the unplaced class most confused
 * (both directions, as shares of the two supports) with the last two placed; when nothing left is
 * confused with them, the most confused class left starts a new run. Deterministic. */
static void confusion_order(const int64_t *cm, int C, int *order) {
    double *sim = calloc((size_t)C * (size_t)C, sizeof *sim), *tot = calloc((size_t)C, sizeof *tot);
    char *placed = calloc((size_t)C, 1);
    if (!sim || !tot || !placed) {
        for (int c = 0; c < C; c++) order[c] = c;
        free(sim), free(tot), free(placed);
        return;
    }
    for (int t = 0; t < C; t++) {
        int64_t sup = 0;
        for (int p = 0; p < C; p++) sup += cm[(int64_t)t * C + p];
        for (int p = 0; p < C; p++)
            if (p != t && sup) {
                double v = (double)cm[(int64_t)t * C + p] / (double)sup;
                sim[(size_t)t * C + p] += v;
                sim[(size_t)p * C + t] += v;
            }
    }
    for (int a = 0; a < C; a++)
        for (int b = 0; b < C; b++) tot[a] += sim[(size_t)a * C + b];
    for (int k = 0; k < C; k++) {
        int best = -1;
        double bv = 0;
        for (int c = 0; c < C && k > 0; c++) {
            if (placed[c]) continue;
            double v = sim[(size_t)order[k - 1] * C + c] + (k > 1 ? 0.5 * sim[(size_t)order[k - 2] * C + c] : 0);
            if (v > bv) bv = v, best = c;
        }
        if (best < 0) /* a new run: the most confused class left (lowest index on ties) */
            for (int c = 0; c < C; c++)
                if (!placed[c] && (best < 0 || tot[c] > tot[best])) best = c;
        order[k] = best;
        placed[best] = 1;
    }
    free(sim), free(tot), free(placed);
}

void tml_svg_heatmap(FILE *f, const int64_t *confusion, int C, const char *const *names) {
    int *ord = malloc(sizeof *ord * (size_t)C);
    if (!ord) return;
    confusion_order(confusion, C, ord);
    /* the widest label decides the margins; the cells take what is left of ~1290 px */
    /* many classes: a smaller font and names cut a little earlier (hover shows them whole), so the
     * cells keep room for their counts */
    double fs = C <= 30 ? 12 : C <= 50 ? 11 : 10;
    int cut = C <= 50 ? SVG_LABEL_MAX : 34;
    double lw = 0;
    for (int c = 0; c < C; c++) lw = fmax(lw, tml_svg_text_width(names[c], fs, cut));
    lw += 8;
    int cell = (int)((1290 - lw - 20 - lw * 0.5 - 12) / C);
    if (cell > 40) cell = 40;
    if (cell < 11) cell = 11;
    /* Column labels slant at -60 degrees; neighbours then sit cell * sin(60) apart, which at narrow
     * cells is less than a line of text and the names run into each other (77 classes: 12 px cells,
     * 10.4 px apart), so narrow cells stand their labels upright (-90: a full cell apart). */
    int upright = cell * 0.866 < fs * 1.3;
    double left = lw + 20, top = (upright ? lw : lw * 0.87) + 34;
    /* Slanted column labels reach lw/2 past their column; the caption needs ~130 px. */
    int W = (int)(left + fmax(C * cell + (upright ? 0 : lw * 0.5) + 12, 140)), H = (int)(top + C * cell + 24);
    tml_svg_open(f, W, H, "confusion matrix");
    fprintf(f, "<text x=\"%.1f\" y=\"14\" fill=\"#333\">predicted label &#8594;</text>\n", left);
    fprintf(f, "<text transform=\"translate(12 %.1f) rotate(-90)\" text-anchor=\"end\" fill=\"#333\">true label "
               "&#8594;</text>\n",
            top);
    for (int k = 0; k < C; k++) {
        int c = ord[k];
        double y = top + k * cell + cell / 2.0 + fs * 0.35, x = left + k * cell + cell / 2.0;
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"%.0f\">", left - 4, y, fs);
        tml_svg_put_cut(f, names[c], cut);
        fputs("<title>", f);
        tml_report_put_html(f, names[c]);
        fprintf(f, "</title></text>\n<text transform=\"translate(%.1f %.1f) rotate(%d)\" font-size=\"%.0f\">",
                x + fs * (upright ? 0.35 : 0.3), top - 4, upright ? -90 : -60, fs);
        tml_svg_put_cut(f, names[c], cut);
        fputs("<title>", f);
        tml_report_put_html(f, names[c]);
        fputs("</title></text>\n", f);
    }
    for (int i = 0; i < C; i++) {
        int t = ord[i];
        int64_t support = 0;
        for (int p = 0; p < C; p++) support += confusion[(int64_t)t * C + p];
        for (int j = 0; j < C; j++) {
            int p = ord[j];
            int64_t n = confusion[(int64_t)t * C + p];
            double share = support ? (double)n / (double)support : 0;
            char col[8];
            if (n == 0) snprintf(col, sizeof col, "#f6f7f9");
            /* sqrt lifts small confusions off white: a 2% confusion in a big class is still worth seeing. */
            else if (t == p) tml_svg_mix(col, 0.15 + 0.85 * share, 0x1f, 0x5f, 0xa8);
            else tml_svg_mix(col, 0.12 + 0.88 * sqrt(share), 0xd9, 0x48, 0x0f);
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"#fff\" "
                       "stroke-width=\"%.1f\"><title>true ",
                    left + j * cell, top + i * cell, cell, cell, col, cell >= 16 ? 1.0 : 0.5);
            tml_report_put_html(f, names[t]);
            fputs(" &#8594; predicted ", f);
            tml_report_put_html(f, names[p]);
            fprintf(f, ": %lld of %lld (%.1f%%)</title></rect>\n", (long long)n, (long long)support, 100 * share);
            if (n > 0) {
                /* every count is written: the font shrinks to fit the digits in the cell */
                int digits = n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : 5;
                double nf = fmin(11, fmin(cell * 0.72, (cell - 2) / (0.6 * digits)));
                fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"%.1f\" fill=\"%s\">%lld</text>\n",
                        left + j * cell + cell / 2.0, top + i * cell + cell / 2.0 + nf * 0.36, nf,
                        (t == p ? share > 0.5 : sqrt(share) > 0.6) ? "#fff" : "#222", (long long)n);
            }
        }
    }
    fputs("</svg>\n", f);
    free(ord);
}

typedef struct {
    double f1;
    int c;
} BarKey;

static int bar_cmp(const void *a, const void *b) {
    const BarKey *x = a, *y = b;
    if (x->f1 != y->f1) return x->f1 < y->f1 ? -1 : 1;
    return x->c - y->c;
}

void tml_svg_class_bars(FILE *f, const TmlClassMetrics *per_class, int C, const char *const *names) {
    BarKey *order = malloc(sizeof *order * (size_t)C);
    if (!order) return;
    for (int c = 0; c < C; c++) order[c] = (BarKey){per_class[c].f1, c};
    qsort(order, (size_t)C, sizeof *order, bar_cmp);
    double fs = 12, lw = 0, row = 18, barw = 420;
    for (int c = 0; c < C; c++) lw = fmax(lw, tml_svg_text_width(names[c], fs, SVG_LABEL_MAX));
    lw += 8;
    double left = lw + 10, top = 26;
    int W = (int)(left + barw + 260), H = (int)(top + C * row + 24);
    tml_svg_open(f, W, H, "per-class F1");
    fprintf(f, "<text x=\"%.1f\" y=\"16\" font-weight=\"600\" font-size=\"13\">F1 per class, worst first</text>\n", left);
    for (int i = 1; i < 5; i++)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eceef1\"/>\n", left + barw * i / 5,
                top, left + barw * i / 5, top + C * row);
    for (int i = 0; i < C; i++) {
        const TmlClassMetrics *k = &per_class[order[i].c];
        double y = top + i * row;
        char col[8];
        /* Red for weak classes, blue for strong, so the eye lands on the ones to fix. */
        if (k->f1 < 0.5) snprintf(col, sizeof col, "#d9480f");
        else if (k->f1 < 0.8) snprintf(col, sizeof col, "#e8a33d");
        else snprintf(col, sizeof col, "#1f5fa8");
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", left - 6, y + 13);
        tml_svg_put_cut(f, names[order[i].c], SVG_LABEL_MAX);
        fputs("<title>", f);
        tml_report_put_html(f, names[order[i].c]);
        fputs("</title></text>\n", f);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>F1 %.4f, precision "
                   "%.4f, recall %.4f, support %lld</title></rect>\n",
                left, y + 3, fmax(0.5, barw * k->f1), row - 5, col, k->f1, k->precision, k->recall,
                (long long)k->support);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#333\">%.3f</text>\n", left + barw * k->f1 + 5, y + 13, k->f1);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#777\" font-size=\"11\">P %.2f  R %.2f  n=%lld</text>\n",
                left + barw + 50, y + 13, k->precision, k->recall, (long long)k->support);
    }
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n", left, top, left, top + C * row);
    fputs("</svg>\n", f);
    free(order);
}
