/* args.c — the shared option parser of the ticketml subcommands. */
#include "cli/args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_parse(const char *cmd, int argc, char **argv, const CliOpt *opts, int n_opts, const char **pos, int max_pos,
              int *n_pos) {
    *n_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == '\0') {
            if (*n_pos >= max_pos) {
                fprintf(stderr, "ticketml %s: unexpected argument '%s' (see --help)\n", cmd, a);
                return -1;
            }
            pos[(*n_pos)++] = a;
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        const CliOpt *o = NULL;
        for (int k = 0; k < n_opts; k++)
            if (strlen(opts[k].name) == len && !strncmp(opts[k].name, a, len)) o = &opts[k];
        if (!o) {
            fprintf(stderr, "ticketml %s: unknown option '%.*s' (see --help)\n", cmd, (int)len, a);
            return -1;
        }
        if (o->flag) {
            if (eq) {
                fprintf(stderr, "ticketml %s: option %s takes no value\n", cmd, o->name);
                return -1;
            }
            *o->flag = 1;
            continue;
        }
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!v) {
            fprintf(stderr, "ticketml %s: option %s needs a value\n", cmd, o->name);
            return -1;
        }
        if (o->list) {
            if (*o->n_list >= o->max_list) {
                fprintf(stderr, "ticketml %s: too many %s options (at most %d)\n", cmd, o->name, o->max_list);
                return -1;
            }
            o->list[(*o->n_list)++] = v;
        } else {
            *o->value = v;
        }
    }
    return 0;
}

char *cli_text_arg(const char *cmd, const char *value) {
    if (strcmp(value, "-") != 0) {
        char *t = strdup(value);
        if (!t) fprintf(stderr, "ticketml %s: out of memory\n", cmd);
        return t;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, stdin);
        n += got;
        if (got == 0) break;
    }
    if (!buf || ferror(stdin)) {
        fprintf(stderr, "ticketml %s: --text -: %s\n", cmd, buf ? "cannot read standard input" : "out of memory");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (strlen(buf) != n) {
        fprintf(stderr, "ticketml %s: --text -: the input holds a NUL byte; pass plain UTF-8 text\n", cmd);
        free(buf);
        return NULL;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = '\0'; /* echo's newline */
    return buf;
}
