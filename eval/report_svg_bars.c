/* report_svg_bars.c — the drift report's charts: paired reference/current bars, a two-sample
 * histogram and a trend over periods. Sizes come from the text they hold (tml_svg_text_width), so
 * no label is cut by its chart's edge; the tests check that in Chromium. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval/report_svg.h"
#include "eval/report_util.h"

#define LABEL_MAX 48 /* characters of a name drawn; the hover title has it all */
#define REF_COLOR "#9aa3ae"
#define CUR_COLOR "#1f5fa8"

double tml_svg_text_width(const char *s, double fs, int max_chars) {
    double em = 0;
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p && n < max_chars; p++) {
        if ((*p & 0xC0) == 0x80) continue; /* continuation byte */
        n++;
        if (*p >= 0xE0) em += 1.0;          /* 3- and 4-byte characters: CJK, symbols, emoji */
        else if (*p >= 0x80) em += 0.65;
        else if (*p >= 'A' && *p <= 'Z') em += 0.68;
        else if (*p == 'm' || *p == 'w' || *p == 'M' || *p == 'W' || *p == '@') em += 0.85;
        else if (*p == 'i' || *p == 'l' || *p == 'j' || *p == '.' || *p == ',' || *p == '\'' || *p == '|') em += 0.3;
        else em += 0.58;
    }
    if (n == max_chars && s && strlen(s) > (size_t)max_chars) em += 1.0; /* the "…" */
    return em * fs;
}

void tml_svg_put_cut(FILE *f, const char *s, int max_chars) {
    size_t b = 0;
    int n = 0;
    while (s[b] && n < max_chars) {
        b++;
        while ((s[b] & 0xC0) == 0x80) b++;
        n++;
    }
    tml_report_put_html_cut(f, s, s[b] ? b : 0);
}

static double max_width(const char *const *names, int n, double fs) {
    double w = 0;
    for (int i = 0; i < n; i++) w = fmax(w, tml_svg_text_width(names[i], fs, LABEL_MAX));
    return w;
}

static void legend(FILE *f, double x, double y) {
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"8\" fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" "
               "font-size=\"11\" fill=\"#444\">reference</text>\n",
            x, y - 8, REF_COLOR, x + 16, y);
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"8\" fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" "
               "font-size=\"11\" fill=\"#444\">current</text>\n",
            x + 86, y - 8, CUR_COLOR, x + 102, y);
}

static void pct(char *b, size_t n, double v) {
    if (!isfinite(v)) snprintf(b, n, "n/a");
    else if (v > 0 && v < 0.001) snprintf(b, n, "%.3f%%", 100 * v);
    else snprintf(b, n, "%.1f%%", 100 * v);
}

void tml_svg_paired_bars(FILE *f, const char *title, int n, const char *const *names, const double *ref,
                         const double *cur, const int *order) {
    double fs = 12, lw = max_width(names, n, fs) + 12, barw = 380, row = 22, top = 40;
    double hi = 0;
    for (int i = 0; i < n; i++) hi = fmax(hi, fmax(isfinite(ref[i]) ? ref[i] : 0, isfinite(cur[i]) ? cur[i] : 0));
    if (hi <= 0) hi = 1;
    double textw = tml_svg_text_width("100.000% → 100.000%", 11, 64) + 12;
    double tw = tml_svg_text_width(title, 13, 200);
    int W = (int)fmax(lw + barw + textw + 10, fmax(tw + 20, 260)), H = (int)(top + n * row + 10);
    tml_svg_open(f, W, H, title);
    fputs("<text x=\"4\" y=\"16\" font-weight=\"600\" font-size=\"13\">", f);
    tml_report_put_html(f, title);
    fputs("</text>\n", f);
    legend(f, 4, 32);
    for (int k = 0; k < n; k++) {
        int i = order ? order[k] : k;
        double y = top + k * row, a = isfinite(ref[i]) ? ref[i] : 0, b = isfinite(cur[i]) ? cur[i] : 0;
        char ra[32], cb[32];
        pct(ra, sizeof ra, ref[i]);
        pct(cb, sizeof cb, cur[i]);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"%.0f\">", lw - 6, y + 14, fs);
        tml_svg_put_cut(f, names[i], LABEL_MAX);
        fputs("<title>", f);
        tml_report_put_html(f, names[i]);
        fputs("</title></text>\n", f);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"7\" fill=\"%s\"><title>reference %s</title></rect>\n",
                lw, y + 3, fmax(0.5, barw * a / hi), REF_COLOR, ra);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"7\" fill=\"%s\"><title>current %s</title></rect>\n",
                lw, y + 11, fmax(0.5, barw * b / hi), CUR_COLOR, cb);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#333\">%s &#8594; %s</text>\n", lw + barw + 8,
                y + 14, ra, cb);
    }
    fputs("</svg>\n", f);
}

/* The top of a y axis with 4 intervals: the smallest 4 * step >= hi with step 1, 1.5, 2, 2.5, 3, 4,
 * 5, 6 or 8 times a power of ten, so the ticks read 0, 15, 30, 45, 60 % rather than 0, 14, 28, 41,
 * 55 % (ticks at a quarter of the largest bar). */
static double nice_top(double hi) {
    static const double m[] = {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10};
    if (!(hi > 0) || !isfinite(hi)) return 1;
    double raw = hi / 4, p = pow(10, floor(log10(raw)));
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (m[i] * p >= raw * (1 - 1e-9)) return 4 * m[i] * p;
    return 40 * p;
}

void tml_svg_histogram(FILE *f, const char *title, const char *xlabel, int n, const double *edges,
                       const char *const *value_names, const double *ref, const double *cur) {
    double left = 52, top = 44, ph = 170, slot = n <= 12 ? 36 : n <= 30 ? 22 : 14;
    double pw = fmax(n * slot, 300);
    /* value labels are rotated when they do not fit their slot */
    double lab = 0;
    for (int i = 0; value_names && i < n; i++) lab = fmax(lab, tml_svg_text_width(value_names[i], 11, 24));
    int rotate = value_names && lab > slot - 2;
    double below = rotate ? lab * 0.72 + 18 : 22;
    double tw = tml_svg_text_width(title, 13, 200);
    int W = (int)fmax(left + pw + 24 + (rotate ? lab * 0.7 : 0), tw + 20), H = (int)(top + ph + below + 24);
    tml_svg_open(f, W, H, title);
    fputs("<text x=\"4\" y=\"16\" font-weight=\"600\" font-size=\"13\">", f);
    tml_report_put_html(f, title);
    fputs("</text>\n", f);
    legend(f, left, 34);
    double hi = 0;
    for (int i = 0; i < n; i++) hi = fmax(hi, fmax(ref[i], cur[i]));
    hi = nice_top(hi);
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fcfcfd\" stroke=\"#c8ccd2\"/>\n", left,
            top, pw, ph);
    for (int t = 0; t <= 4; t++) {
        double v = hi * t / 4, y = top + ph - ph * t / 4;
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"10\" fill=\"#555\">%.3g%%</text>\n",
                left - 4, y + 3, 100 * v);
    }
    double bw = pw / n;
    for (int i = 0; i < n; i++) {
        double x = left + i * bw, hr = ph * ref[i] / hi, hc = ph * cur[i] / hi;
        char a[32], b[32];
        pct(a, sizeof a, ref[i]);
        pct(b, sizeof b, cur[i]);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>reference %s</title></rect>\n",
                x + bw * 0.1, top + ph - hr, bw * 0.4, hr, REF_COLOR, a);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>current %s</title></rect>\n",
                x + bw * 0.5, top + ph - hc, bw * 0.4, hc, CUR_COLOR, b);
        if (value_names) {
            if (rotate)
                fprintf(f, "<text transform=\"translate(%.1f %.1f) rotate(45)\" font-size=\"11\">", x + bw / 2 - 3,
                        top + ph + 10);
            else
                fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">", x + bw / 2,
                        top + ph + 14);
            tml_svg_put_cut(f, value_names[i], 24);
            fputs("</text>\n", f);
        }
    }
    if (edges) {
        int step = n > 10 ? (n + 5) / 6 : 1;
        for (int i = 0; i <= n; i += step)
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\" fill=\"#555\">%.3g</text>\n",
                    left + i * bw, top + ph + 13, edges[i]);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#333\" font-size=\"12\">", left + pw / 2,
            (double)H - 6);
    tml_report_put_html(f, xlabel);
    fputs("</text>\n</svg>\n", f);
}

void tml_svg_trend(FILE *f, const char *title, const char *ylabel, int n, const char *const *xlabels,
                   const TmlSvgTrendSeries *series, int n_series, double limit, const char *limit_label) {
    double left = 58, top = 44, ph = 180, step = n > 1 ? fmax(8, fmin(48, 900.0 / n)) : 48;
    double pw = fmax(step * (n > 1 ? n - 1 : 1), 300);
    double lab = tml_svg_text_width("2025-12-31", 10, 16);
    int every = (int)ceil((lab * 0.75 + 4) / step);
    if (every < 1) every = 1;
    double tw = tml_svg_text_width(title, 13, 200);
    int W = (int)fmax(left + pw + fmax(40, lab * 0.75 + 12), tw + 20), H = (int)(top + ph + lab * 0.72 + 40);
    double hi = isfinite(limit) ? limit * 1.25 : 0, lo = 0;
    for (int s = 0; s < n_series; s++)
        for (int i = 0; i < n; i++)
            if (isfinite(series[s].y[i])) hi = fmax(hi, series[s].y[i]);
    hi = nice_top(hi * 1.02); /* a point at the maximum stays off the frame */
    tml_svg_open(f, W, H, title);
    fputs("<text x=\"4\" y=\"16\" font-weight=\"600\" font-size=\"13\">", f);
    tml_report_put_html(f, title);
    fputs("</text>\n", f);
    double lx = left;
    for (int s = 0; s < n_series; s++) {
        fprintf(f, "<rect x=\"%.1f\" y=\"26\" width=\"14\" height=\"3\" fill=\"%s\"/><text x=\"%.1f\" y=\"32\" "
                   "font-size=\"11\" fill=\"#444\">",
                lx, series[s].color, lx + 18);
        tml_report_put_html(f, series[s].name);
        fputs("</text>\n", f);
        lx += 30 + tml_svg_text_width(series[s].name, 11, 80);
    }
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fcfcfd\" stroke=\"#c8ccd2\"/>\n", left,
            top, pw, ph);
#define TX(i) (left + (n > 1 ? pw * (i) / (n - 1) : pw / 2))
#define TY(v) (top + ph - ph * ((v) - lo) / (hi - lo))
    for (int t = 0; t <= 4; t++) {
        double v = lo + (hi - lo) * t / 4;
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"10\" fill=\"#555\">%.3g</text>\n",
                left - 4, TY(v) + 3, v);
    }
    fprintf(f, "<text transform=\"translate(13 %.1f) rotate(-90)\" text-anchor=\"middle\" fill=\"#333\" font-size=\"11\">",
            top + ph / 2);
    tml_report_put_html(f, ylabel);
    fputs("</text>\n", f);
    if (isfinite(limit)) {
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d9480f\" stroke-dasharray=\"5 3\"/>\n",
                left, TY(limit), left + pw, TY(limit));
        if (limit_label) {
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"10\" fill=\"#d9480f\">", left + pw - 4,
                    TY(limit) - 4);
            tml_report_put_html(f, limit_label);
            fputs("</text>\n", f);
        }
    }
    for (int s = 0; s < n_series; s++) {
        int open = 0;
        for (int i = 0; i < n; i++) {
            double v = series[s].y[i];
            if (!isfinite(v)) {
                if (open) fputs("\"/>\n", f);
                open = 0;
                continue;
            }
            if (!open)
                fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", series[s].color);
            open = 1;
            fprintf(f, "%.1f,%.1f ", TX(i), TY(v));
        }
        if (open) fputs("\"/>\n", f);
        for (int i = 0; i < n; i++)
            if (isfinite(series[s].y[i])) {
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"><title>", TX(i), TY(series[s].y[i]),
                        series[s].color);
                tml_report_put_html(f, series[s].name);
                fprintf(f, " ");
                tml_report_put_html(f, xlabels[i]);
                fprintf(f, ": %.4g</title></circle>\n", series[s].y[i]);
            }
    }
    for (int i = 0; i < n; i += every) {
        fprintf(f, "<text transform=\"translate(%.1f %.1f) rotate(45)\" font-size=\"10\" fill=\"#555\">", TX(i) - 2,
                top + ph + 10);
        tml_report_put_html(f, xlabels[i]);
        fputs("</text>\n", f);
    }
#undef TX
#undef TY
    fputs("</svg>\n", f);
}
