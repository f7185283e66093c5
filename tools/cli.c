/* cli: option parsing, usage text and error printing for the swish commands. */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/num.h"

#define USAGE_WIDTH 100

void cli_usage_line(const cli_args *a, FILE *fp)
{
    /* continuation lines start under the first option: after "usage: swish CMD " */
    const char *u = a->usage;
    const char *sp = strchr(u, ' ');
    sp = sp ? strchr(sp + 1, ' ') : NULL;
    int indent = 7 + (sp ? (int)(sp - u) + 1 : (int)strlen(u) + 1);
    if (indent > 40) indent = 8;
    int col = fprintf(fp, "usage: %s", u);
    /* required options first, then the others, each group in table order */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < a->n_opts; i++) {
            const cli_opt *o = &a->opts[i];
            int req = (o->flags & CLI_REQUIRED) != 0;
            if (req != (pass == 0)) continue;
            char tok[128];
            snprintf(tok, sizeof tok, "%s%s%s%s%s%s", req ? "" : "[", o->name, o->metavar ? " " : "",
                     o->metavar ? o->metavar : "", req ? "" : "]", o->flags & CLI_REPEAT ? "..." : "");
            int len = (int)strlen(tok);
            if (col + 1 + len > USAGE_WIDTH && col > indent) {
                col = fprintf(fp, "\n%*s", indent, "") - 1;
                col += fprintf(fp, "%s", tok);
            } else {
                col += fprintf(fp, " %s", tok);
            }
        }
    fputc('\n', fp);
}

void cli_print_exit_codes(FILE *fp)
{
    fprintf(fp, "\nexit codes:\n");
    sw_status_write_exit_codes(fp, "  ");
}

void cli_help(const cli_args *a, FILE *fp)
{
    cli_usage_line(a, fp);
    fprintf(fp, "\n%s\n", a->summary);
    if (a->n_opts) fprintf(fp, "\noptions:\n");
    for (int i = 0; i < a->n_opts; i++) {
        const cli_opt *o = &a->opts[i];
        char head[64];
        snprintf(head, sizeof head, "%s%s%s", o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
        fprintf(fp, "  %-26s %s%s%s\n", head, o->help, o->flags & CLI_REQUIRED ? " (required)" : "",
                o->flags & CLI_REPEAT ? " (repeatable)" : "");
    }
    fprintf(fp, "  %-26s %s\n", "--help", "show this help");
    cli_print_exit_codes(fp);
}

static int find(const cli_args *a, const char *name)
{
    for (int i = 0; i < a->n_opts; i++)
        if (strcmp(a->opts[i].name, name) == 0) return i;
    return -1;
}

int cli_parse(cli_args *a, int argc, char **argv)
{
    memset(a->value, 0, sizeof a->value);
    memset(a->count, 0, sizeof a->count);
    a->n_pos = 0;
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            cli_help(a, stdout);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0 || strlen(arg) == 2) {
            if (a->n_pos >= 16) return cli_failf(SW_ARG, "too many arguments");
            a->pos[a->n_pos++] = arg;
            continue;
        }
        char name[64];
        const char *val = NULL;
        const char *eq = strchr(arg, '=');
        size_t nl = eq ? (size_t)(eq - arg) : strlen(arg);
        if (nl >= sizeof name) nl = sizeof name - 1;
        memcpy(name, arg, nl);
        name[nl] = 0;
        int k = find(a, name);
        if (k < 0) {
            fprintf(stderr, "swish: unknown option %s; valid:", name);
            for (int j = 0; j < a->n_opts; j++) fprintf(stderr, " %s", a->opts[j].name);
            fprintf(stderr, " --help\n");
            return sw_status_exit_code(SW_ARG);
        }
        const cli_opt *o = &a->opts[k];
        if (o->metavar) {
            if (eq) {
                val = eq + 1;
            } else if (i + 1 < argc) {
                val = argv[++i];
            } else {
                return cli_failf(SW_ARG, "option %s needs a value (%s)", name, o->metavar);
            }
        } else {
            if (eq) return cli_failf(SW_ARG, "option %s takes no value", name);
            val = "1";
        }
        if (a->count[k] && !(o->flags & CLI_REPEAT))
            return cli_failf(SW_ARG, "option %s given more than once", name);
        if (a->count[k] >= CLI_MAX_REPEAT) return cli_failf(SW_ARG, "option %s repeated too often", name);
        a->values[k][a->count[k]++] = val;
        a->value[k] = val;
    }
    for (int k = 0; k < a->n_opts; k++)
        if ((a->opts[k].flags & CLI_REQUIRED) && !a->count[k])
            return cli_failf(SW_ARG, "missing required option %s (see --help)", a->opts[k].name);
    return 0;
}

const char *cli_get(const cli_args *a, const char *name)
{
    int k = find(a, name);
    return k < 0 ? NULL : a->value[k];
}

int cli_has(const cli_args *a, const char *name) { return cli_get(a, name) != NULL; }

const char *const *cli_all(const cli_args *a, const char *name, int *n)
{
    int k = find(a, name);
    *n = k < 0 ? 0 : a->count[k];
    return k < 0 ? NULL : a->values[k];
}

const char *cli_need(const cli_args *a, const char *name)
{
    const char *v = cli_get(a, name);
    if (!v) cli_failf(SW_ARG, "missing required option %s (see --help)", name);
    return v;
}

int cli_int(const cli_args *a, const char *name, long def, long lo, long hi, long *out)
{
    const char *v = cli_get(a, name);
    if (!v) {
        *out = def;
        return 0;
    }
    long long x;
    if (sw_parse_i64(v, strlen(v), &x) != 0 || x < lo || x > hi)
        return cli_failf(SW_ARG, "option %s: expected an integer in %ld..%ld, got '%s'", name, lo, hi, v);
    *out = (long)x;
    return 0;
}

int cli_double(const cli_args *a, const char *name, double def, double *out)
{
    const char *v = cli_get(a, name);
    if (!v) {
        *out = def;
        return 0;
    }
    if (sw_parse_f64(v, strlen(v), out) != 0)
        return cli_failf(SW_ARG, "option %s: expected a number, got '%s'", name, v);
    return 0;
}

int cli_threads(const cli_args *a, long def, int *out)
{
    long t;
    int rc = cli_int(a, "--threads", def, 0, SW_THREADS_MAX, &t);
    if (rc) return rc;
    *out = sw_threads_resolve(t);
    sw_threads_set_default(*out);
    return 0;
}

int cli_fail(const sw_error *err)
{
    char buf[1200];
    sw_error_format(err, buf, sizeof buf);
    fprintf(stderr, "swish: %s\n", buf);
    return sw_status_exit_code(err->code ? err->code : SW_INTERNAL);
}

int cli_failf(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "swish: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return sw_status_exit_code(code);
}

int cli_print_json(sw_jw *w)
{
    const char *text;
    size_t len;
    int rc = w ? sw_jw_finish(w, &text, &len) : SW_NOMEM;
    if (rc == SW_OK && (fwrite(text, 1, len, stdout) != len || fputc('\n', stdout) == EOF)) rc = SW_IO;
    sw_jw_free(w);
    if (rc == SW_IO) return cli_failf(rc, "cannot write to the standard output");
    if (rc == SW_NOMEM) return cli_failf(rc, "out of memory");
    return rc ? cli_failf(rc, "unbalanced JSON output") : 0;
}
