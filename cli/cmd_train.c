/* cmd_train.c — `ticketml train`: placeholder until its issue (#4) lands; says so and fails. */
#include <stdio.h>

#include "cli/commands.h"

int cmd_train(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "ticketml train: not yet implemented\n");
    return 2;
}
