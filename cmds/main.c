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
            "  PROFTRACE_DIR       trace directory the ring goes to; unset: the shim stays inert\n"
            "  PROFTRACE_STACKS    which events get a stack: categories (REG,MAP,IMP,MAPI,SHM,FILE,\n"
            "                      PROC,CRED,NS) and delete, fail, all, none; default delete,MAPI,fail\n"
            "  PROFTRACE_BREAK     delete-held,key-deleted[,delete]: SIGTRAP there only with a\n"
            "                      debugger attached, else a breakpoint event\n"
            "  PROFTRACE_HOLDS     0: keep this process out of the shared holds table\n"
            "  PROFTRACE_BUFSIZE   bytes per thread buffer (k/m suffixes)\n"
            "  PROFTRACE_THREADS   thread buffers carved when the process starts\n"
            "  PROFTRACE_OVERWRITE 1: flight recorder, keep the newest events instead of counting\n"
            "                      the newest as lost\n"
            "  PROFTRACE_INLINE    auto (default): hook the profile API inline where interposition\n"
            "                      is blind (static, -Bsymbolic); all; off; ',verbose' lists hooks\n"
            "  PROFTRACE_HOOKS     lib:function[,...]: entry/exit `hook` events for extra functions,\n"
            "                      static ones included (lib may be empty: the executable first)\n"
            "  PROFTRACE_REDACT    1: command lines reduced to argv[0] and a count of what was left\n"
            "                      out (value data is never recorded)\n"
            "  PROFTRACE_GROUP     group G may read the trace (directories 02750, files 0640)\n"
            "  PROFTRACE_ALLOW_UIDS users (names, uids, *) allowed to write rings into the trace\n"
            "  PROFTRACE_GPID      set by the shim for an exec (gpid:pid:start_time:depth): the\n"
            "                      global pid carried into the new image; not for users\n"
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
