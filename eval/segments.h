/* segments.h — metrics per segment of the evaluated rows: per value of a column the data carries
 * ([eval] segments = lang,channel, or --segments), and for text models per script of the ticket
 * (Latin only, CJK only, CJK and Latin), so English, Chinese and mixed tickets are seen apart. */
#ifndef TICKETML_EVAL_SEGMENTS_H
#define TICKETML_EVAL_SEGMENTS_H

#include <stdint.h>

#include "data/dataset.h"
#include "data/table.h"
#include "eval/metrics.h"

#define TML_SEGMENT_MAX_VALUES 12 /* values of one column shown; the rest are pooled as "(other)" */

typedef struct TmlSegment {
    char *column;       /* "lang", or "script" (derived from the text) */
    char *value;        /* "en", "(other)", ... */
    int64_t rows;       /* rows of the segment (known labels or not) */
    TmlMetrics *metrics; /* over its rows with known labels; NULL when it has none */
} TmlSegment;

typedef struct TmlSegments {
    int n;
    TmlSegment *s; /* (n) by column, then rows descending */
} TmlSegments;

/* Segments of the evaluated rows: per value of each comma-separated column of spec (NULL or "":
 * none) in table t, and per script when ds has texts. probs (n_rows, C) and ds->labels as for
 * tml_metrics_compute. Returns a new set (caller frees with tml_segments_free), or NULL with err
 * set: a column t does not have (bad input: *bad_input = 1), or out of memory. */
TmlSegments *tml_segments_compute(const char *spec, const TmlTable *t, const TmlDataset *ds, const float *probs,
                                  int C, int positive, const TmlMetricsOptions *opt, int *bad_input, TmlError *err);
void tml_segments_free(TmlSegments *s);

#endif
