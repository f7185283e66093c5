/* testutil: helpers shared by the Check suites. */
#ifndef SW_TESTUTIL_H
#define SW_TESTUTIL_H

#include <check.h>
#include <stddef.h>

/* ../shared (SWISH_SHARED).  The shared data is required: a missing folder
 * fails the test that needs it rather than skipping it. */
const char *tu_shared(void);
/* SWISH_SHARED/<rel> into buf; fails the current test if it does not exist. */
const char *tu_shared_path(char *buf, size_t size, const char *rel);
/* Path of the swish binary under test (SWISH_BIN, default build/swish). */
const char *tu_swish_bin(void);
/* A fresh temporary directory for this test (removed at exit of the process). */
const char *tu_tmpdir(void);
/* Write a file; returns its path (in tu_tmpdir). */
const char *tu_write(const char *name, const void *data, size_t len);
/* Run a shell command; return its exit status and capture stderr+stdout (malloc'd). */
int tu_run(const char *cmd, char **output);
/* rm -r, without a shell. */
void tu_remove_tree(const char *dir);
/* Every row of a query on a SQLite file, one line each, columns joined by '|'
 * (NULL for null); malloc'd.  Fails the test on a bad query. */
char *tu_sql_dump(const char *db, const char *sql);
/* Read a whole file (malloc'd, NUL-terminated), NULL if unreadable. */
char *tu_slurp(const char *path, size_t *len);

/* Parse JSON text, failing the test (naming `what`) when it does not parse. */
#include "core/json.h"
sw_json *tu_json_parse(const char *what, const char *text);
/* A member of an object as an integer / a number; fails the test otherwise. */
long long tu_jint(const sw_json *doc, sw_jnode obj, const char *key);
double tu_jf64(const sw_json *doc, sw_jnode obj, const char *key);

/* Suites. */
Suite *core_suite(void);
Suite *gbdt_suite(void);
Suite *io_suite(void);
Suite *cli_suite(void);
Suite *train_suite(void);
Suite *score_suite(void);
Suite *features_suite(void);
Suite *simulate_suite(void);
Suite *pipeline_suite(void);
Suite *explain_suite(void);
Suite *evaluate_suite(void);

#endif
