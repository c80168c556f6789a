/* cmd_help.c — `proftrace help [--man] [COMMAND]`, and proftrace's own page (`proftrace --help`,
 * proftrace(1)): what it is, its commands, the environment of traced processes, its files. The
 * installed manual pages are this command's --man output, so they say what --help says. */
#include <string.h>

#include "cmds/commands.h"
#include "cmds/help.h"
#include "proftrace/env.h"

static const char pt__help_description[] =
    "proftrace catches a resource deleted out from under a live process by another process whose "
    "check of who still uses it could not see that process, because the two lived in different "
    "namespaces: a profile purged by a process impersonating another account or running in "
    "another login session, shared memory removed at logout, a file or socket deleted by a "
    "cleaner in another mount namespace. It tracks who holds each resource by its physical "
    "identity (device and inode, SysV id and IPC namespace, registry hive and key) and flags the "
    "process that deletes a resource another live process still holds, naming the split that "
    "made its check blind and the failure it caused later.\n"
    "\n"
    "A shim preloaded into the traced processes (libproftrace.so) records their calls into "
    "per-process rings under the trace directory; record or collect drain the rings into a CTF "
    "trace; report, events, export and live read it. Every reader defaults to the trace "
    "directory " PT_DEFAULT_DIR " in the current directory, and record keeps the previous trace "
    "as " PT_DEFAULT_DIR ".old, so a session is:\n"
    "  proftrace record -- ./service --once\n"
    "  proftrace report\n"
    "Options take their value as --name=value or --name value. Messages start with "
    "proftrace COMMAND:, naming the file and what is wrong.";

static const char pt__help_environment[] =
    "Read by the shim in every traced process. A value it does not understand is named once on "
    "stderr and its default used instead; record checks them before it starts the command, so "
    "that a bad value is named once for the whole trace.";

void pt__help_main(FILE *f, enum pt__doc_format fmt)
{
    struct pt__doc d;
    pt__doc_begin(&d, f, fmt, "proftrace",
                  "catch resources deleted out from under live processes across namespaces",
                  "COMMAND [OPTION...] [ARG...]");
    pt__doc_description(&d, pt__help_description);
    pt__doc_section(&d, "Commands");
    for (const struct pt__command *c = pt__commands; c->name; c++)
        pt__doc_item(&d, c->name, c->doc->summary);
    pt__doc_text(&d, "proftrace COMMAND --help, proftrace help COMMAND and the manual page "
                     "proftrace-COMMAND(1) describe a command.");
    pt__doc_section(&d, "Options");
    pt__doc_item(&d, "--version", "the version, as proftrace version prints it");
    pt__doc_item(&d, "-h, --help", "this help");
    pt__doc_section(&d, "Environment");
    pt__doc_text(&d, pt__help_environment);
#define PT__HELP_ENV(name, kind, value, def, help)                                                 \
    pt__doc_item(&d, #name "=" value, def[0] ? help " Default: " def "." : help);
    PT_ENV_VARS(PT__HELP_ENV)
#undef PT__HELP_ENV
    pt__doc_section(&d, "Files");
    pt__doc_text(&d, "PREFIX is where proftrace is installed: /usr for the Debian package.");
    pt__doc_item(&d, PT_DEFAULT_DIR,
                 "the trace: CTF 1.8 (metadata and a stream file per process), which babeltrace2 "
                 "reads as it is; rings not drained yet are in rings/");
    pt__doc_item(&d, PT_DEFAULT_DIR ".old", "the trace before, kept by record");
    pt__doc_item(&d, "PREFIX/lib/proftrace/libproftrace.so",
                 "the shim, found from the directory of the proftrace executable "
                 "(../lib/proftrace/, or ../lib/ in a build tree)");
    pt__doc_item(&d, "PREFIX/share/proftrace/gdb/proftrace.py",
                 "the gdb commands proftrace-events and proftrace-holds: source it in gdb. "
                 "Installed under /usr, it is loaded by gdb itself in a process with the shim");
    pt__doc_item(&d, "PREFIX/lib/proftrace/demo/",
                 "the bundled reproduction of the case proftrace was built around, its programs "
                 "and scenarios: proftrace record -- "
                 "PREFIX/lib/proftrace/demo/scenarios/bug2-session.sh, then proftrace report");
    pt__doc_item(&d, "PREFIX/share/doc/proftrace/",
                 "the documentation: the case, the fields of report --json and of the chrome "
                 "export, debugging, security");
    pt__doc_section(&d, "Exit status");
    pt__doc_item(&d, "0", "success; report: no findings");
    pt__doc_item(&d, "1", "report: findings");
    pt__doc_item(&d, "2",
                 "usage error; input error (not a trace, a damaged trace); a trace in "
                 "which nothing could be recorded");
    pt__doc_item(&d, "126", "record: the command cannot be executed");
    pt__doc_item(&d, "127", "record: the command was not found");
    pt__doc_text(&d, "record otherwise exits with its command's status. Each command's page "
                     "says more.");
    char see[1024] = "";
    size_t n = 0;
    for (const struct pt__command *c = pt__commands; c->name && n < sizeof see - 64; c++)
        n += (size_t)snprintf(see + n, sizeof see - n, "proftrace-%s(1), ", c->name);
    snprintf(see + n, sizeof see - n, "babeltrace2(1), gdb(1)");
    pt__doc_end(&d, see);
}

enum { OPT_MAN = PT__CLI_LONG };

static const struct pt__cli_opt help_opts[] = {
    {OPT_MAN, "man", NULL,
     "write the manual page (roff) instead: the installed proftrace(1) and "
     "proftrace-COMMAND(1) are made this way"},
    {0},
};

static const struct pt__cli_section help_sections[] = {
    {"Exit status", "0; 2 usage error or an unknown command."},
    {0},
};

const struct pt__cli_doc pt_cmd_help_doc = {
    .name = "help",
    .summary = "describe proftrace or one of its commands",
    .usage = "[--man] [COMMAND]",
    .description = "Prints the help of COMMAND, as proftrace COMMAND --help does, or of "
                   "proftrace itself, as proftrace --help does.",
    .opts = help_opts,
    .sections = help_sections,
};

int pt_cmd_help(int argc, char **argv)
{
    enum pt__doc_format fmt = PT__DOC_TEXT;
    struct pt__cli cli;
    int c;
    pt__cli_start(&cli, &pt_cmd_help_doc, argc, argv);
    while ((c = pt__cli_next(&cli)) > 0)
        if (c == OPT_MAN)
            fmt = PT__DOC_MAN;
    if (c < 0)
        return cli.status;
    if (cli.noperands > 1)
        return pt__cli_usage_error(&cli, "one command at a time");
    if (cli.noperands == 0) {
        pt__help_main(stdout, fmt);
        return fflush(stdout) ? 2 : 0;
    }
    for (const struct pt__command *cmd = pt__commands; cmd->name; cmd++)
        if (!strcmp(cmd->name, cli.operands[0])) {
            pt__doc_command(stdout, cmd->doc, fmt);
            return fflush(stdout) ? 2 : 0;
        }
    return pt__cli_usage_error(&cli, "unknown command '%s'", cli.operands[0]);
}
