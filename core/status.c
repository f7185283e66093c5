/* status: names, messages and exit codes generated from SW_STATUS_LIST, and the
 * error-detail helpers.  Kept free of allocation so that an out-of-memory error
 * can always be reported. */
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {
#define SW__NAME(name, code, msg) #name,
    SW_STATUS_LIST(SW__NAME)
#undef SW__NAME
};

static const char *const status_messages[] = {
#define SW__MSG(name, code, msg) msg,
    SW_STATUS_LIST(SW__MSG)
#undef SW__MSG
};

static const int status_exit[] = {
#define SW__EXIT(name, code, msg) code,
    SW_STATUS_LIST(SW__EXIT)
#undef SW__EXIT
};

const char *sw_status_name(int code)
{
    if (code < 0 || code >= SW_STATUS_COUNT) return "?";
    return status_names[code];
}

const char *sw_status_message(int code)
{
    if (code < 0 || code >= SW_STATUS_COUNT) return "unknown status";
    return status_messages[code];
}

int sw_status_exit_code(int code)
{
    if (code < 0 || code >= SW_STATUS_COUNT) return 70;
    return status_exit[code];
}

void sw_status_write_exit_codes(FILE *fp, const char *indent)
{
    int last = -1;
    for (;;) {
        int next = -1; /* the smallest exit code above the last one printed */
        for (int c = 0; c < SW_STATUS_COUNT; c++)
            if (status_exit[c] > last && (next < 0 || status_exit[c] < next)) next = status_exit[c];
        if (next < 0) break;
        fprintf(fp, "%s%-4d", indent ? indent : "", next);
        int first = 1;
        for (int c = 0; c < SW_STATUS_COUNT; c++)
            if (status_exit[c] == next) {
                fprintf(fp, "%s%s", first ? " " : "; ", status_messages[c]);
                first = 0;
            }
        fputc('\n', fp);
        last = next;
    }
}

void sw_error_clear(sw_error *err)
{
    if (!err) return;
    err->code = SW_OK;
    err->line = 0;
    err->col = 0;
    err->offset = -1;
    err->file[0] = '\0';
    err->msg[0] = '\0';
}

int sw_error_vset(sw_error *err, int code, const char *file, long line, long col,
                  long long offset, const char *fmt, va_list ap)
{
    if (!err) return code;
    err->code = code;
    err->line = line;
    err->col = col;
    err->offset = offset;
    if (file) {
        snprintf(err->file, sizeof err->file, "%s", file);
    } else {
        err->file[0] = '\0';
    }
    if (fmt) {
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    } else {
        snprintf(err->msg, sizeof err->msg, "%s", sw_status_message(code));
    }
    return code;
}

int sw_error_set(sw_error *err, int code, const char *file, long line, long col,
                 long long offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sw_error_vset(err, code, file, line, col, offset, fmt, ap);
    va_end(ap);
    return code;
}

int sw_fail(sw_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sw_error_vset(err, code, NULL, 0, 0, -1, fmt, ap);
    va_end(ap);
    return code;
}

void sw_error_prefix(sw_error *err, const char *fmt, ...)
{
    if (!err) return;
    char head[256];
    char old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t hl = strlen(head);
    if (hl >= sizeof err->msg) hl = sizeof err->msg - 1;
    memcpy(err->msg, head, hl);
    size_t ol = strnlen(old, sizeof old - 1);
    if (ol > sizeof err->msg - 1 - hl) ol = sizeof err->msg - 1 - hl;
    memcpy(err->msg + hl, old, ol);
    err->msg[hl + ol] = '\0';
}

void sw_error_format(const sw_error *err, char *buf, size_t size)
{
    if (!err || size == 0) return;
    const char *msg = err->msg[0] ? err->msg : sw_status_message(err->code);
    if (err->file[0] && err->line > 0 && err->col > 0) {
        snprintf(buf, size, "%s:%ld:%ld: %s", err->file, err->line, err->col, msg);
    } else if (err->file[0] && err->line > 0) {
        snprintf(buf, size, "%s:%ld: %s", err->file, err->line, msg);
    } else if (err->file[0] && err->offset >= 0) {
        snprintf(buf, size, "%s: byte %lld: %s", err->file, err->offset, msg);
    } else if (err->file[0]) {
        snprintf(buf, size, "%s: %s", err->file, msg);
    } else if (err->offset >= 0) {
        snprintf(buf, size, "byte %lld: %s", err->offset, msg);
    } else {
        snprintf(buf, size, "%s", msg);
    }
}

void sw__assert_fail(const char *expr, const char *file, int line, const char *msg)
{
    fprintf(stderr, "swish: internal assertion failed at %s:%d: %s (%s)\n", file, line,
            msg ? msg : "", expr);
    abort();
}
