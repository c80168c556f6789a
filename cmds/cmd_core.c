/* cmd_core.c — `proftrace core CORE [-o DIR]`: the rings of a dumped process into a trace
 * directory. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmds/commands.h"
#ifdef PT_HAVE_CORE
#include "proftrace/core.h"
#endif

static const struct pt__cli_opt core_opts[] = {
    {'o', "output", "DIR", "the trace directory to write (default " PT_DEFAULT_DIR ")"},
    {0},
};

static const struct pt__cli_section core_sections[] = {
    {"Exit status", "0 recovered; 2 usage error, a core that cannot be read, or a core without "
                    "ring bytes (the message says how to get them next time)."},
    {0},
};

const struct pt__cli_doc pt_cmd_core_doc = {
    .name = "core",
    .summary = "recover the ring of a crashed process from its core dump",
    .usage = "[-o DIR] CORE",
    .description =
        "Recovers the proftrace ring(s) of the process dumped in CORE (by gcore, or by a crash "
        "with a core_pattern) into the trace directory DIR; proftrace report DIR and proftrace "
        "events DIR then read them. A ring is in a core only when the process's "
        "coredump_filter has bit 3 (file-backed shared mappings) set; the shim sets it when the "
        "process starts.",
    .opts = core_opts,
    .sections = core_sections,
};

int pt_cmd_core(int argc, char **argv)
{
    const char *out = PT_DEFAULT_DIR;
    int c;
    struct pt__cli cli;
    pt__cli_start(&cli, &pt_cmd_core_doc, argc, argv);
    while ((c = pt__cli_next(&cli)) > 0)
        if (c == 'o')
            out = cli.arg;
    if (c < 0)
        return cli.status;
    if (cli.noperands != 1)
        return pt__cli_usage_error(&cli, cli.noperands ? "one core only" : "no core given");
    const char *core = cli.operands[0];
#ifndef PT_HAVE_CORE
    fprintf(stderr, "proftrace core: built without libelf: core dumps cannot be read\n");
    (void)out;
    return 2;
#else
    struct pt_core_result res;
    int rc = pt_core_recover(core, out, stderr, &res);
    if (rc < 0) {
        if (rc == -ENODATA)
            fprintf(stderr,
                    "proftrace core: %s: no ring bytes in the dump; set bit 3 of "
                    "/proc/PID/coredump_filter (the shim does it at start) and dump again\n",
                    core);
        return 2;
    }
    printf("%s: pid %u%s%s, %u ring%s recovered (%llu bytes) into %s\n", core, res.core_pid,
           res.signo ? ", killed by " : "", res.signo ? strsignal(res.signo) : "", res.rings,
           res.rings == 1 ? "" : "s", (unsigned long long)res.bytes, out);
    return 0;
#endif
}
