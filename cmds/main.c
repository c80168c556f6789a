/* main.c — `proftrace`: dispatches to one subcommand per file. */
#include <stdio.h>
#include <string.h>

#include "cmds/commands.h"

struct command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
#define PT_CMD_ROW(name, summary) {#name, summary, pt_cmd_##name},
    PT_COMMANDS(PT_CMD_ROW)
#undef PT_CMD_ROW
};

static void usage(FILE *out)
{
    fprintf(out, "usage: proftrace COMMAND [OPTIONS] ...\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\nenvironment of traced processes (the shim, libproftrace.so):\n"
            "  PROFTRACE_DIR     trace directory the ring goes to; unset: the shim stays inert\n"
            "  PROFTRACE_STACKS  which events get a stack (default: deletions, MAPI calls, failures)\n"
            "  PROFTRACE_BREAK   raise SIGTRAP at a finding-worthy event when a debugger is attached\n"
            "\n`proftrace COMMAND --help` describes a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "proftrace: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
