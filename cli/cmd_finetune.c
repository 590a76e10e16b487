/* cmd_finetune.c — `ticketml finetune`: placeholder until its issue (#4) lands; says so and fails. */
#include <stdio.h>

#include "cli/commands.h"

int cmd_finetune(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "ticketml finetune: not yet implemented\n");
    return 2;
}
