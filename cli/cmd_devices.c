/* cmd_devices.c — `ticketml devices`: which backends this binary carries and which devices exist. */
#include <stdio.h>

#include "cli/commands.h"
#include "data/h5.h"
#include "kernels/backend.h"

int cmd_devices(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        printf("usage: ticketml devices\n\nLists the compute backends built into this binary and the devices present.\n"
               "`--device auto` picks CUDA when a device is listed, else the CPU.\n");
        return 0;
    }
    char buf[2048];
    tml_backend_describe_build(buf, sizeof buf);
    fputs(buf, stdout);
    tml_h5_describe(buf, sizeof buf);
    fputs(buf, stdout);
    tml_backend_describe_devices(buf, sizeof buf);
    fputs(buf, stdout);
    return 0;
}
