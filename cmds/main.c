/* main.c — `proftrace`: dispatches to one subcommand per file (commands.h). */
#include <stdio.h>
#include <string.h>

#include "cmds/commands.h"
#include "cmds/help.h"

const struct pt__command pt__commands[] = {
#define PT_CMD_ROW(name) {#name, pt_cmd_##name, &pt_cmd_##name##_doc},
    PT_COMMANDS(PT_CMD_ROW)
#undef PT_CMD_ROW
        {0},
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        pt__help_main(stderr, PT__DOC_TEXT);
        return 2;
    }
    const char *a = argv[1];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
        pt__help_main(stdout, PT__DOC_TEXT);
        return fflush(stdout) ? 2 : 0;
    }
    if (!strcmp(a, "--version"))
        return pt_cmd_version(1, (char *[]){"version", NULL});
    for (const struct pt__command *c = pt__commands; c->name; c++)
        if (!strcmp(a, c->name))
            return c->run(argc - 1, argv + 1);
    fprintf(stderr, "proftrace: unknown %s '%s'\n", a[0] == '-' ? "option" : "command", a);
    fprintf(stderr, "usage: proftrace COMMAND [OPTION...] [ARG...]\n"
                    "`proftrace --help` lists the commands.\n");
    return 2;
}
