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
/* tu_run of a printf-formatted command (output may be NULL). */
int tu_sh(char **output, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The store's database for a test, fresh: the SQLite file <dir>/<name>.db (dir NULL:
 * tu_tmpdir()), or under tests/pg/run.sh (SW_TEST_PG: the server's admin
 * URL) a new PostgreSQL database, its URL.  Into out; returns out. */
const char *tu_db(char *out, size_t cap, const char *dir, const char *name);
/* The same, a copy of the database `from` (PostgreSQL: from as a template,
 * which nothing may be connected to). */
const char *tu_db_copy(const char *from, char *out, size_t cap, const char *dir, const char *name);
/* Hold the store's write lock from a connection of another process's kind
 * (SQLite: BEGIN IMMEDIATE; PostgreSQL: the store's advisory lock and every
 * table in EXCLUSIVE mode) until tu_db_unlock: the store's writers wait their
 * busy timeout, then SW_BUSY; readers go on. */
void *tu_db_lock(const char *db);
void tu_db_unlock(const char *db, void *h);
/* The store tests run on PostgreSQL (SW_TEST_PG is set). */
int tu_db_pg(void);
/* The integer the first row of a query on the database (a SQLite file or a
 * postgresql:// URL) gives; fails the test otherwise. */
long tu_sql_long(const char *db, const char *sql);
/* Set LC_NUMERIC to a locale with a decimal comma (de_DE or fr_FR; compiled
 * with localedef into the test's folder when none is installed) and return
 * its name, or NULL (and LC_NUMERIC "C") when there is none to be had. */
const char *tu_comma_locale(void);
/* Run SQL on the database through a connection of its own; 0 when it worked
 * (SQLite's status for a file). */
int tu_sql_exec(const char *db, const char *sql);
/* rm -r, without a shell. */
void tu_remove_tree(const char *dir);
/* Every row of a query on the database, one line each, columns joined by '|'
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

/* S3 test servers (tests/s3): "fake" is tests/s3/fake_s3.py (strict SigV4 /
 * GOOG4 verification, fault injection, request log; objects in memory, or
 * under `dir` when not NULL), "s3rver" the real @20minutes/s3rver 4.0.4 (node;
 * `dir` required).  Both listen on 127.0.0.1 on a free port, serve `bucket`
 * path-style and accept only key/secret.  A server dies with the test process
 * (PR_SET_PDEATHSIG) and should be stopped with tu_s3_stop.  A missing
 * python3, node or npm package fails the test, saying to run `make deps`. */
typedef struct {
    int port;
    int pid;
    int out_fd;          /* the server's stdout (kept open) */
    char which[8];
    char endpoint[64];   /* "http://127.0.0.1:PORT" */
} tu_server;
/* Returns the port. */
int tu_s3_start(const char *which, const char *dir, const char *bucket, const char *key, const char *secret,
                tu_server *out);
/* The same with more arguments for the server (NULL-terminated; may be NULL),
 * e.g. {"--session-token", "T", NULL} for the fake. */
int tu_s3_start_ex(const char *which, const char *dir, const char *bucket, const char *key, const char *secret,
                   const char *const *extra, tu_server *out);
void tu_s3_stop(tu_server *s);
/* The fake only: queue a fault ({"status":503,"count":2}, {"delay":1.5},
 * {"truncate":true}, {"corrupt":true}, {"drop":true}; "method":"GET" limits
 * it), read its request log (JSON text, malloc'd), forget the log, count the
 * logged requests of a method (NULL: all). */
void tu_s3_fault(const tu_server *s, const char *json);
char *tu_s3_log(const tu_server *s);
void tu_s3_log_clear(const tu_server *s);
int tu_s3_log_count(const tu_server *s, const char *method);
/* A loopback port nothing listens on (bound, then closed). */
int tu_free_port(void);

/* The webhook receiver, tests/tools/webhook_receiver.py (its docstring lists
 * the answers by path), on a loopback port; it exits on its own after 120 s. */
typedef struct {
    int pid, port;
    char base[64]; /* http://127.0.0.1:PORT */
} tu_receiver;
void tu_recv_start(tu_receiver *r);
void tu_recv_stop(tu_receiver *r);
/* The requests a path received (NULL: every path), parsed; their array; their count. */
sw_json *tu_recv_log(const tu_receiver *r, const char *path);
sw_jnode tu_recv_requests(const sw_json *doc);
int tu_recv_count(const tu_receiver *r, const char *path);
/* The body of the i-th request of a path (malloc'd); the arrival times. */
char *tu_recv_body(const tu_receiver *r, const char *path, int i);
int tu_recv_times(const tu_receiver *r, const char *path, double *t, int max);

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
Suite *objstore_suite(void);
Suite *modelstore_suite(void);
Suite *rollout_suite(void);

#endif
