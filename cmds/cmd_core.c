/* cmd_core.c — `proftrace core CORE [-o DIR]`: the rings of a dumped process into a trace
 * directory. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmds/commands.h"
#ifdef PT_HAVE_CORE
#include "proftrace/core.h"
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "usage: proftrace core CORE [-o DIR]\n"
            "  Recovers the proftrace ring(s) of the process dumped in CORE (gcore, or a crash\n"
            "  with a core_pattern) into DIR (default proftrace.data); then `proftrace report\n"
            "  DIR` and `proftrace events DIR` read them. The ring is in a core only when the\n"
            "  process's coredump_filter has bit 3 (file-backed shared) set; the shim sets it.\n");
}

int pt_cmd_core(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {0}};
    const char *out = "proftrace.data";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    const char *core = argv[optind];
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
