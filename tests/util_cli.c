/* util_cli.c — see util_cli.h. */
#include "tests/util_cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int tu_cli_setup(TuCli *c, const char *name) {
    memset(c, 0, sizeof *c);
    const char *bin = getenv("TICKETML");
    if (!bin) bin = "./ticketml";
    if (!realpath(bin, c->bin)) c->bin[0] = '\0';
    snprintf(c->dir, sizeof c->dir, "/tmp/%s-XXXXXX", name);
    return mkdtemp(c->dir) ? 0 : -1;
}

void tu_cli_teardown(TuCli *c) {
    if (!c->dir[0]) return;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", c->dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", c->dir);
}

int tu_cli_have_binary(const TuCli *c) {
    if (c->bin[0] && access(c->bin, X_OK) == 0) return 1;
    printf("ticketml binary not found: CLI tests not run\n");
    return 0;
}

int tu_run(const TuCli *c, const char *fmt, ...) {
    char cmd[6000], line[6400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "cd %s && ( %s ) >out.txt 2>&1", c->dir, cmd);
    int st = system(line);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

const char *tu_path(const TuCli *c, const char *name, char *buf, size_t n) {
    snprintf(buf, n, "%s/%s", c->dir, name);
    return buf;
}

char *tu_slurp(const TuCli *c, const char *name, size_t *n) {
    char path[512];
    FILE *f = fopen(tu_path(c, name, path, sizeof path), "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = calloc(1, (size_t)len + 1);
    if (s && fread(s, 1, (size_t)len, f) != (size_t)len) len = 0;
    fclose(f);
    if (n) *n = (size_t)len;
    return s;
}

int tu_exists(const TuCli *c, const char *name) {
    char path[512];
    struct stat sb;
    return stat(tu_path(c, name, path, sizeof path), &sb) == 0;
}

void tu_write(const TuCli *c, const char *name, const char *text) {
    char path[512];
    FILE *f = fopen(tu_path(c, name, path, sizeof path), "w");
    if (!f) {
        fprintf(stderr, "cannot write %s\n", path);
        abort();
    }
    fputs(text, f);
    fclose(f);
}

int tu_output_has(const TuCli *c, const char *needle) {
    char *out = tu_slurp(c, "out.txt", NULL);
    int ok = out && strstr(out, needle);
    if (!ok) fprintf(stderr, "expected '%s' in the output:\n%s\n", needle, out ? out : "(none)");
    free(out);
    return ok;
}

int tu_output_lacks(const TuCli *c, const char *needle) {
    char *out = tu_slurp(c, "out.txt", NULL);
    int ok = !out || !strstr(out, needle);
    if (!ok) fprintf(stderr, "did not expect '%s' in the output:\n%s\n", needle, out);
    free(out);
    return ok;
}
