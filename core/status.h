/* status: one list of result codes for all of swish, and an error detail.
 *
 * Every fallible function returns an `int` status (SW_OK = 0) and optionally fills
 * an `sw_error` with a message and where the problem is (file, line, column or
 * byte offset).  The list below is the only place codes are defined: the enum,
 * the names and the messages are generated from it.
 *
 * Ownership: sw_error is a plain value owned by the caller; it holds no pointers.
 * Thread-safety: all functions are reentrant.
 */
#ifndef SW_STATUS_H
#define SW_STATUS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* X(NAME, exit_code, message).  exit_code is what the CLI returns for it; the
 * exit-code table of every `swish ... --help` and of README.md is generated
 * from this list (sw_status_write_exit_codes), so a code means one thing.
 * New statuses go at the end (the enum values are not stored anywhere, but
 * appending keeps every other value stable). */
#define SW_STATUS_LIST(X)                                                           \
    X(OK, 0, "success")                                                             \
    X(ARG, 2, "invalid argument")                                                   \
    X(NOMEM, 3, "out of memory")                                                    \
    X(IO, 4, "input/output error")                                                  \
    X(PARSE, 5, "malformed input")                                                  \
    X(FORMAT, 5, "invalid file format")                                             \
    X(UNSUPPORTED, 6, "unsupported feature")                                        \
    X(RANGE, 5, "value out of range")                                               \
    X(MISMATCH, 7, "mismatched shapes or names")                                    \
    X(NOT_FOUND, 13, "not found")                                                   \
    X(CORRUPT, 9, "corrupt or tampered data")                                       \
    X(DB, 10, "database error")                                                     \
    X(BUSY, 11, "resource busy or locked")                                          \
    X(INVALID_DATA, 12, "invalid data")                                             \
    X(INTERNAL, 70, "internal error")                                               \
    X(DEGRADED, 1, "done, but part of the work was left out (see the warnings)")    \
    X(NO_GAMES, 8, "no games on the date")                                         \
    X(NET, 14, "remote store unreachable or refused the request")                   \
    X(CONFLICT, 15, "changed by another writer meanwhile; nothing written")        \
    X(OFFLINE, 16, "done from the local cache: the model store was unreachable")   \
    X(AUTH, 17, "not authenticated: credentials missing, malformed or invalid")    \
    X(DENIED, 18, "authenticated, but not allowed")

typedef enum {
#define SW__STATUS_ENUM(name, code, msg) SW_##name,
    SW_STATUS_LIST(SW__STATUS_ENUM)
#undef SW__STATUS_ENUM
    SW_STATUS_COUNT
} sw_status;

/* Where and why something failed.  `line`, `col` are 1-based; 0 means unknown.
 * `offset` is a byte offset into `file`; -1 means unknown. */
typedef struct {
    int code;
    long line;
    long col;
    long long offset;
    char file[256];
    char msg[768];
} sw_error;

const char *sw_status_name(int code);    /* "PARSE"; "?" for unknown codes */
const char *sw_status_message(int code); /* "malformed input" */
int sw_status_exit_code(int code);       /* process exit code for a CLI */
/* The exit-code table: one line per distinct exit code, ascending, with the
 * messages of every status that maps to it ("  5    malformed input; ..."),
 * each line starting with `indent`. */
void sw_status_write_exit_codes(FILE *fp, const char *indent);

/* Reset an error to SW_OK with empty location. `err` may be NULL. */
void sw_error_clear(sw_error *err);

/* Fill `err` (may be NULL) and return `code`.  file may be NULL. */
int sw_error_set(sw_error *err, int code, const char *file, long line, long col,
                 long long offset, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
int sw_error_vset(sw_error *err, int code, const char *file, long line, long col,
                  long long offset, const char *fmt, va_list ap);

/* Shorthand: an error with no location. */
int sw_fail(sw_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prepend context to an existing message ("reading model: " + old message). */
void sw_error_prefix(sw_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One line: "file:line:col: message" (or "file: byte N: message"), no newline. */
void sw_error_format(const sw_error *err, char *buf, size_t size);

/* Invariants the code relies on (a byte cast that must not wrap, a partition
 * that must keep every row): a failure is a bug in swish, never bad input, and
 * aborts with file and line.  Checked in debug builds (-DSW_DEBUG: make asan,
 * ubsan, tsan, or make DEBUG=1); compiled out of release builds, as zstd's and
 * ggml's asserts are, where the condition is type-checked but never evaluated. */
void sw__assert_fail(const char *expr, const char *file, int line, const char *msg)
    __attribute__((noreturn));
#ifdef SW_DEBUG
#define SW_ASSERT(cond, msg)                                                        \
    do {                                                                            \
        if (!(cond)) sw__assert_fail(#cond, __FILE__, __LINE__, (msg));             \
    } while (0)
#else
#define SW_ASSERT(cond, msg)                                                        \
    do {                                                                            \
        (void)sizeof(!(cond));                                                      \
    } while (0)
#endif

/* Propagation helpers. */
#define SW_TRY(expr)                                                                \
    do {                                                                            \
        int sw__rc = (expr);                                                        \
        if (sw__rc != SW_OK) return sw__rc;                                         \
    } while (0)

#define SW_FAIL_IF(cond, err, code, ...)                                            \
    do {                                                                            \
        if (cond) return sw_fail((err), (code), __VA_ARGS__);                       \
    } while (0)

#endif
