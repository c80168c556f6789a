/* cmd_report.c — `proftrace report`. Not built yet: see the open issues. */
#include <stdio.h>

#include "cmds/commands.h"

int pt_cmd_report(int argc, char **argv)
{
    fprintf(stderr, "proftrace report: not implemented yet\n");
    return 2;
}
