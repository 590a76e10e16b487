/* cmd_explain.c — `ticketml explain`: placeholder until its issue (#6) lands; says so and fails. */
#include <stdio.h>

#include "cli/commands.h"

int cmd_explain(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "ticketml explain: not yet implemented\n");
    return 2;
}
