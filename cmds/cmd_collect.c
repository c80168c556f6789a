/* cmd_collect.c — `proftrace collect`. Not built yet: see the open issues. */
#include <stdio.h>

#include "cmds/commands.h"

int pt_cmd_collect(int argc, char **argv)
{
    fprintf(stderr, "proftrace collect: not implemented yet\n");
    return 2;
}
