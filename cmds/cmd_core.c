/* cmd_core.c — `proftrace core`. Not built yet: see the open issues. */
#include <stdio.h>

#include "cmds/commands.h"

int pt_cmd_core(int argc, char **argv)
{
    fprintf(stderr, "proftrace core: not implemented yet\n");
    return 2;
}
