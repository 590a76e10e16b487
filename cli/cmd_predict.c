/* cmd_predict.c — `ticketml predict`: placeholder until its issue (#7) lands; says so and fails. */
#include <stdio.h>

#include "cli/commands.h"

int cmd_predict(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "ticketml predict: not yet implemented\n");
    return 2;
}
