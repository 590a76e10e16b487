/* cmd_synth.c — `ticketml synth`: placeholder until its issue (#3) lands; says so and fails. */
#include <stdio.h>

#include "cli/commands.h"

int cmd_synth(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "ticketml synth: not yet implemented\n");
    return 2;
}
