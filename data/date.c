/* date.c — days since 1970-01-01 <-> civil dates (Howard Hinnant's algorithms) and the ISO-8601
 * date parser the history features and the corpus generator share; see date.h. */
#include "data/date.h"

#include <ctype.h>

int64_t tml_date_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void tml_date_to_civil(int64_t z, int *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int tml_date_weekday(int64_t day) { return (int)(((day % 7) + 7 + 3) % 7); }

static int digits(const char *s, int n, int *v) {
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return -1;
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

int tml_date_parse_iso(const char *s, int64_t *day) {
    while (isspace((unsigned char)*s)) s++;
    int y, m, d;
    if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &m) || s[7] != '-' || digits(s + 8, 2, &d)) return -1;
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) return -1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 2 && d == 29 && !leap) return -1;
    const char *p = s + 10;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        /* time of day: HH:MM[:SS[.fff]] then Z or +HH[:]MM / -HH[:]MM; validated, then ignored */
        int hh, mm, ss;
        p++;
        if (digits(p, 2, &hh) || p[2] != ':' || digits(p + 3, 2, &mm) || hh > 23 || mm > 59) return -1;
        p += 5;
        if (*p == ':') {
            if (digits(p + 1, 2, &ss) || ss > 60) return -1;
            p += 3;
            if (*p == '.' || *p == ',') {
                p++;
                if (!isdigit((unsigned char)*p)) return -1;
                while (isdigit((unsigned char)*p)) p++;
            }
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om;
            if (digits(p + 1, 2, &oh) || oh > 23) return -1;
            p += 3;
            if (*p == ':') p++;
            if (digits(p, 2, &om) || om > 59) return -1;
            p += 2;
        }
    }
    while (isspace((unsigned char)*p)) p++;
    if (*p) return -1;
    *day = tml_date_from_civil(y, m, d);
    return 0;
}
