/* commands.h — the subcommands of `proftrace`, one file each (cmds/cmd_NAME.c). */
#ifndef PT_CMDS_COMMANDS_H
#define PT_CMDS_COMMANDS_H

/* CMD(name, one-line summary) */
#define PT_COMMANDS(CMD)                                                                          \
    CMD(record, "run a command and its descendants with the shim (-p: attach to running "      \
                "processes), write a trace")                                                    \
    CMD(collect, "system-wide: drain the rings of every traced process until SIGINT/SIGTERM "   \
                 "(--attach PID: running ones too)")                                            \
    CMD(report, "findings with their evidence, then a summary (--json)")                        \
    CMD(events, "every event, one line each, time-ordered across processes")                    \
    CMD(export, "timeline for Perfetto / chrome://tracing, or a self-contained HTML report")     \
    CMD(live, "follow a running collection: events and findings as they happen")               \
    CMD(core, "recover the ring of a crashed process from its core dump")

/* Each returns the process exit status: 0 success, 1 findings (report), 2 usage or input error. */
#define PT_CMD_DECL(name, summary) int pt_cmd_##name(int argc, char **argv);
PT_COMMANDS(PT_CMD_DECL)
#undef PT_CMD_DECL

#endif
