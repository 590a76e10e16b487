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
    double mark_x, mark_y;  /* a highlighted point, NaN for none */
    const char *mark_label;
    int n_series;
    const TmlSvgSeries *series;
} TmlSvgChart;

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

/* "#rrggbb" mixing white toward (r, g, b) by a in [0, 1]; out has 8 bytes. */
void tml_svg_mix(char out[8], double a, int r, int g, int b);

#endif
