/* cmd_eval.c — `ticketml eval`: placeholder until its issue (#5) lands; says so and fails. */
#include <stdio.h>

#include "cli/commands.h"

int cmd_eval(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "ticketml eval: not yet implemented\n");
    return 2;
}
