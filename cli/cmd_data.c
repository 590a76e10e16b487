/* cmd_data.c — `ticketml data`: placeholder until its issue (#3) lands; says so and fails. */
#include <stdio.h>

#include "cli/commands.h"

int cmd_data(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "ticketml data: not yet implemented\n");
    return 2;
}
