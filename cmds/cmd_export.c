/* cmd_export.c — `proftrace export`. Not built yet: see the open issues. */
#include <stdio.h>

#include "cmds/commands.h"

int pt_cmd_export(int argc, char **argv)
{
    fprintf(stderr, "proftrace export: not implemented yet\n");
    return 2;
}
