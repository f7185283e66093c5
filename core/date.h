/* date: calendar dates as day numbers and UTC timestamps, without the C
 * library's time zone or locale.  Day 0 is 1970-01-01 (proleptic Gregorian).
 * Thread-safety: pure functions. */
#ifndef SW_DATE_H
#define SW_DATE_H

#include <stddef.h>
#include <stdint.h>

/* "YYYY-MM-DD" (exactly) to a day number; -1 on anything else, including
 * impossible dates (2025-02-30). */
int sw_date_parse(const char *s, size_t len, int *day);
/* Day number to "YYYY-MM-DD" (buf of 11 bytes). */
void sw_date_format(int day, char buf[11]);
void sw_date_civil(int day, int *y, int *m, int *d);
int sw_date_from_civil(int y, int m, int d);
/* NBA season of a date: its starting year (October-December: that year;
 * January-September: the year before). */
int sw_date_season(int day);
/* "YYYY-MM-DDTHH:MM:SSZ" (or with a space, or "+00:00") to seconds since the
 * epoch; -1 on error. */
int sw_datetime_parse(const char *s, size_t len, int64_t *secs);
void sw_datetime_format(int64_t secs, char buf[21]);

#endif
