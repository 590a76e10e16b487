/* cmd_compare.c — `ticketml compare`: placeholder until its issue (#5) lands; says so and fails. */
#include <stdio.h>

#include "cli/commands.h"

int cmd_compare(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "ticketml compare: not yet implemented\n");
    return 2;
}
