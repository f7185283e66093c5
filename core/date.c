/* date: days from civil dates and back (Howard Hinnant's algorithms). */
#include "date.h"

#include <stdio.h>
#include <string.h>

int sw_date_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int)doe - 719468;
}

void sw_date_civil(int z, int *y, int *m, int *d)
{
    z += 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int yy = (int)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yy + (*m <= 2);
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return dm[m - 1];
}

int sw_date_parse(const char *s, size_t len, int *day)
{
    int y, m, d;
    if (len != 10 || s[4] != '-' || s[7] != '-') return -1;
    if (digits(s, 4, &y) || digits(s + 5, 2, &m) || digits(s + 8, 2, &d)) return -1;
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m) || y < 1900 || y > 2200) return -1;
    *day = sw_date_from_civil(y, m, d);
    return 0;
}

void sw_date_format(int day, char buf[11])
{
    int y, m, d;
    sw_date_civil(day, &y, &m, &d);
    snprintf(buf, 11, "%04d-%02d-%02d", y, m, d);
}

int sw_date_season(int day)
{
    int y, m, d;
    sw_date_civil(day, &y, &m, &d);
    return m >= 10 ? y : y - 1;
}

int sw_datetime_parse(const char *s, size_t len, int64_t *secs)
{
    int day, hh, mm, ss = 0;
    if (len < 16 || sw_date_parse(s, 10, &day)) return -1;
    if ((s[10] != 'T' && s[10] != ' ') || s[13] != ':') return -1;
    if (digits(s + 11, 2, &hh) || digits(s + 14, 2, &mm)) return -1;
    size_t p = 16;
    if (p < len && s[p] == ':') {
        if (len < 19 || digits(s + 17, 2, &ss)) return -1;
        p = 19;
        if (p < len && s[p] == '.') { /* fractions ignored */
            p++;
            while (p < len && s[p] >= '0' && s[p] <= '9') p++;
        }
    }
    if (p < len) {
        if (s[p] == 'Z' && p + 1 == len) {
        } else if (len - p == 6 && strncmp(s + p, "+00:00", 6) == 0) {
        } else {
            return -1;
        }
    }
    if (hh > 23 || mm > 59 || ss > 60) return -1;
    *secs = (int64_t)day * 86400 + hh * 3600 + mm * 60 + ss;
    return 0;
}

void sw_datetime_format(int64_t secs, char buf[21])
{
    int64_t day = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rem = secs - day * 86400;
    char d[11];
    sw_date_format((int)day, d);
    unsigned h = (unsigned)(rem / 3600) % 24u, mi = (unsigned)(rem / 60 % 60), se = (unsigned)(rem % 60);
    memcpy(buf, d, 10);
    char t[12] = {'T', (char)('0' + h / 10), (char)('0' + h % 10), ':', (char)('0' + mi / 10), (char)('0' + mi % 10),
                  ':', (char)('0' + se / 10), (char)('0' + se % 10), 'Z', 0, 0};
    memcpy(buf + 10, t, 11);
}
