/* cmd_events.c — `proftrace events`. Not built yet: see the open issues. */
#include <stdio.h>

#include "cmds/commands.h"

int pt_cmd_events(int argc, char **argv)
{
    fprintf(stderr, "proftrace events: not implemented yet\n");
    return 2;
}
