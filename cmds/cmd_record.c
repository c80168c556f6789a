/* cmd_record.c — `proftrace record`. Not built yet: see the open issues. */
#include <stdio.h>

#include "cmds/commands.h"

int pt_cmd_record(int argc, char **argv)
{
    fprintf(stderr, "proftrace record: not implemented yet\n");
    return 2;
}
