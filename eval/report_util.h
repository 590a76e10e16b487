/* report_util.h — what the three report writers share: input checks, text cleaning and escaping
 * (HTML/XML, Markdown), number formatting, example-ticket picking and temp-then-rename files.
 * Internal to eval/report*.c. */
#ifndef TICKETML_EVAL_REPORT_UTIL_H
#define TICKETML_EVAL_REPORT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "eval/report.h"

/* 0 when in holds what every writer needs (metrics, label names, consistent row arrays), else -1
 * with err naming the field. */
int tml_report_check_input(const TmlReportInput *in, TmlError *err);

/* s as valid UTF-8: invalid bytes, C0 controls other than tab/newline/CR and U+FFFE/U+FFFF become
 * U+FFFD, so JSON and XML parsers accept it. max_bytes > 0 cuts at a character boundary and adds
 * "…". NULL in -> NULL out. Caller frees. */
char *tml_report_clean_text(const char *s, size_t max_bytes);

/* Writes s (cleaned as above) HTML/XML-escaped: & < > " ' become entities. */
void tml_report_put_html(FILE *f, const char *s);
/* Same, cut to max_bytes (0: no limit). */
void tml_report_put_html_cut(FILE *f, const char *s, size_t max_bytes);
/* Writes s for a Markdown table cell: | escaped, newlines as spaces, < > & as entities. */
void tml_report_put_md(FILE *f, const char *s);

/* "0.8123" (digits after the point), or "n/a" for NaN/inf. buf needs 32 bytes. */
const char *tml_report_fmt(char *buf, double v, int digits);

/* The text to show for row (NULL when no texts were given or row is out of range). */
const char *tml_report_row_text(const TmlReportInput *in, int64_t row);

/* The style sheet every report page inlines (report_html.c). */
extern const char *const tml_report_css;

/* Creates dir and its parents (mode 0777 minus umask); 0 or -1 with err. */
int tml_report_mkdirs(const char *dir, TmlError *err);

#endif
