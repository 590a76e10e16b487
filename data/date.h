/* date.h — calendar days as integers (days since 1970-01-01, proleptic Gregorian), shared by the
 * ticket-history features (data/history.c) and the corpus generator (synth/): one conversion, one
 * ISO-8601 parser. */
#ifndef TICKETML_DATA_DATE_H
#define TICKETML_DATA_DATE_H

#include <stdint.h>

/* Days from 1970-01-01 to y-m-d (H. Hinnant's days_from_civil); no range check. */
int64_t tml_date_from_civil(int64_t y, int m, int d);
/* The inverse (civil_from_days). */
void tml_date_to_civil(int64_t day, int *y, int *m, int *d);
/* 0 = Monday .. 6 = Sunday (1970-01-01 was a Thursday). */
int tml_date_weekday(int64_t day);
/* Days since 1970-01-01 of an ISO-8601 date ("2025-03-01" or "2025-03-01T10:00:00[Z|+HH:MM]",
 * blanks around it allowed; the time of day is checked, then ignored). 0, or -1 on anything else
 * (including days that do not exist, e.g. 2025-02-29). */
int tml_date_parse_iso(const char *s, int64_t *day);

#endif
