/* args.c — the shared option parser of the ticketml subcommands. */
#include "cli/args.h"

#include <stdio.h>
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
