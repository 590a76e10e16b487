/* report_svg.h — the inline SVG charts of report.html: line charts (ROC, PR, coverage-accuracy),
 * the reliability diagram, the confusion heatmap and per-class bars. Plain SVG 1.1, no script, so
 * the page opens offline anywhere; the output is well-formed XML. Internal to eval/report*.c. */
#ifndef TICKETML_EVAL_REPORT_SVG_H
#define TICKETML_EVAL_REPORT_SVG_H

#include <stdint.h>
#include <stdio.h>

#include "eval/metrics.h"

typedef struct TmlSvgSeries {
    const double *x, *y; /* (n); NaN points are skipped */
    int n;
    const char *color;   /* CSS colour, e.g. "#1f5fa8" */
    const char *name;    /* legend text, or NULL */
} TmlSvgSeries;

typedef struct TmlSvgChart {
    const char *title, *xlabel, *ylabel;
    double x0, x1, y0, y1;  /* axis ranges */
    int width, height;      /* whole SVG in px */
    int diagonal;           /* dashed y = x line (ROC, reliability) */
    double hline;           /* dashed horizontal line at this y, NaN for none */
    const char *hline_label;
    int hline_left;         /* its label at the left end (default: the right end) */
    double mark_x, mark_y;  /* a highlighted point, NaN for none */
    const char *mark_label;
    int n_series;
    const TmlSvgSeries *series;
} TmlSvgChart;

/* Opens an <svg> of w x h px (viewBox the same) with the report's font and an aria-label. */
void tml_svg_open(FILE *f, int w, int h, const char *title);

/* A chart with a defaults-filled struct: 0..1 axes, 380 x 320 px, no lines or marks. */
void tml_svg_chart_init(TmlSvgChart *c, const char *title, const char *xlabel, const char *ylabel);
void tml_svg_line_chart(FILE *f, const TmlSvgChart *c);

/* Reliability diagram: accuracy per confidence bin as bars against the diagonal. */
void tml_svg_reliability(FILE *f, const TmlReliabilityBin *bins, int n_bins, double ece);

/* Confusion heatmap, rows = true class, columns = predicted; colour by share of the row (blue on
 * the diagonal, red off it). Cells shrink with the number of classes (12 px at 77) and column
 * labels are rotated, so a 77-class matrix stays readable; every cell has a hover title. */
void tml_svg_heatmap(FILE *f, const int64_t *confusion, int C, const char *const *names);

/* Per-class F1 bars, worst first, with precision, recall and support as text. */
void tml_svg_class_bars(FILE *f, const TmlClassMetrics *per_class, int C, const char *const *names);

/* ---- report_svg_bars.c: the drift report's charts (any report may use them) ---------------------- */

/* Width in px of s drawn at font size fs: about 0.62 em per narrow character, 1 em per wide (CJK)
 * one; at most max_chars characters are counted (the drawn text is cut there). */
double tml_svg_text_width(const char *s, double fs, int max_chars);

/* Writes s HTML-escaped, cut after max_chars characters (with "…"), as tml_svg_text_width counts. */
void tml_svg_put_cut(FILE *f, const char *s, int max_chars);

/* Horizontal paired bars, one row per item: reference (grey) and current (blue) share side by side,
 * with "ref -> cur" as text; items drawn in the given order (order NULL: index order). */
void tml_svg_paired_bars(FILE *f, const char *title, int n, const char *const *names, const double *ref,
                         const double *cur, const int *order);

/* A histogram of two samples over the same bins: n bins with edges (n + 1) or named values (n). */
void tml_svg_histogram(FILE *f, const char *title, const char *xlabel, int n, const double *edges,
                       const char *const *value_names, const double *ref, const double *cur);

/* A trend over periods: x = the period labels (dates), one line per series; a series value NaN
 * leaves a gap; limit (NaN: none) is drawn dashed. */
typedef struct TmlSvgTrendSeries {
    const double *y; /* (n) */
    const char *color, *name;
} TmlSvgTrendSeries;
void tml_svg_trend(FILE *f, const char *title, const char *ylabel, int n, const char *const *xlabels,
                   const TmlSvgTrendSeries *series, int n_series, double limit, const char *limit_label);

/* "#rrggbb" mixing white toward (r, g, b) by a in [0, 1]; out has 8 bytes. */
void tml_svg_mix(char out[8], double a, int r, int g, int b);

#endif
