/* util_cli.h — helpers for tests that drive the `ticketml` binary end to end (linked into every test
 * like util_test.c): a scratch folder, running a command line there with its output captured, and
 * reading back what it wrote. */
#ifndef TICKETML_UTIL_CLI_H
#define TICKETML_UTIL_CLI_H

#include <stddef.h>

typedef struct TuCli {
    char dir[256];   /* scratch folder (made by tu_cli_setup, removed by tu_cli_teardown) */
    char bin[512];   /* absolute path of the binary; "" when absent (tests skip) */
} TuCli;

/* Finds the binary ($TICKETML, else ./ticketml) and makes a scratch folder /tmp/NAME-XXXXXX. 0 / -1. */
int tu_cli_setup(TuCli *c, const char *name);
void tu_cli_teardown(TuCli *c);
/* 1 when the binary exists (else prints why and the caller skips). */
int tu_cli_have_binary(const TuCli *c);
/* Runs a shell command line in c->dir with stdout+stderr in c->dir/out.txt; the exit code (-1 on a
 * signal). */
int tu_run(const TuCli *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* The file's bytes (NUL-terminated; *n gets the length when n is non-NULL), NULL when absent. Caller frees. */
char *tu_slurp(const TuCli *c, const char *name, size_t *n);
int tu_exists(const TuCli *c, const char *name);
void tu_write(const TuCli *c, const char *name, const char *text);
/* 1 when out.txt of the last tu_run contains needle; prints the output when not. */
int tu_output_has(const TuCli *c, const char *needle);
/* 1 when out.txt of the last tu_run does not contain needle; prints the output when it does. */
int tu_output_lacks(const TuCli *c, const char *needle);
/* c->dir/name into buf. */
const char *tu_path(const TuCli *c, const char *name, char *buf, size_t n);

/* A test program with one scratch folder for all its cases defines TU_CLI_FIXTURE before including
 * this header: it gets `g_cli` and short names for the calls on it (cmocka must be included first). */
#ifdef TU_CLI_FIXTURE
static TuCli g_cli;
#define run(...) tu_run(&g_cli, __VA_ARGS__)
#define slurp(name) tu_slurp(&g_cli, (name), NULL)
#define exists(name) tu_exists(&g_cli, (name))
#define write_file(name, text) tu_write(&g_cli, (name), (text))
#define expect_output(needle) \
    do { if (!tu_output_has(&g_cli, (needle))) fail(); } while (0)
#define TU_NEED_BINARY() \
    do { if (!tu_cli_have_binary(&g_cli)) skip(); } while (0)
#endif

#endif
