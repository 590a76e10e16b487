/* cmd_export.c — `ticketml export`: placeholder until its issue (#7) lands; says so and fails. */
#include <stdio.h>

#include "cli/commands.h"

int cmd_export(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "ticketml export: not yet implemented\n");
    return 2;
}
