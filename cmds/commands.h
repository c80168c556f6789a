/* commands.h — the subcommands of `proftrace`, one file each (cmds/cmd_NAME.c). */
#ifndef PT_CMDS_COMMANDS_H
#define PT_CMDS_COMMANDS_H

#include "cmds/cli.h"

/* In the order `proftrace --help` lists them. */
#define PT_COMMANDS(CMD)                                                                           \
    CMD(record)                                                                                    \
    CMD(collect)                                                                                   \
    CMD(report)                                                                                    \
    CMD(events)                                                                                    \
    CMD(export)                                                                                    \
    CMD(live)                                                                                      \
    CMD(core)                                                                                      \
    CMD(help)                                                                                      \
    CMD(version)

/* Each command returns the process exit status (0 success, 2 usage or input error; report: 1
 * findings; record: the command's) and describes itself in its doc (cli.h): its summary, usage,
 * options, --help and manual page. */
#define PT_CMD_DECL(name)                                                                          \
    int pt_cmd_##name(int argc, char **argv);                                                      \
    extern const struct pt__cli_doc pt_cmd_##name##_doc;
PT_COMMANDS(PT_CMD_DECL)
#undef PT_CMD_DECL

struct pt__command {
    const char *name;
    int (*run)(int argc, char **argv);
    const struct pt__cli_doc *doc;
};

/* The table of PT_COMMANDS (main.c); ends with a NULL name. */
extern const struct pt__command pt__commands[];

#endif
