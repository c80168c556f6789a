/* cmd_live.c — `proftrace live`. Not built yet: see the open issues. */
#include <stdio.h>

#include "cmds/commands.h"

int pt_cmd_live(int argc, char **argv)
{
    fprintf(stderr, "proftrace live: not implemented yet\n");
    return 2;
}
