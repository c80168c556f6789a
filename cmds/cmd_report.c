/* cmd_report.c — `proftrace report [--json] DIR`: findings with their evidence, then a summary.
 * Exit status: 0 no findings, 1 findings, 2 usage or input error (a damaged trace still gets the
 * report of everything valid in it, then exits 2). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "analyzer/analyzer.h"
#include "cmds/cmd_export.h"
#include "cmds/commands.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: proftrace report [--json] [--no-symbols] [--no-disasm] DIR\n"
            "  Reads the trace in DIR and reports every resource deleted while another live\n"
            "  process held it (cross-namespace-purge, deleted-while-held) and every profile at\n"
            "  risk (latent-purge-hazard), with both identities, stacks and a remedy.\n"
            "  --json        one JSON object: {\"findings\": [...], \"summary\": {...}}\n"
            "  --no-symbols  show raw stack addresses (do not open module files)\n"
            "  --no-disasm   no disassembly at the deleting call site\n"
            "  --html OUT    write the self-contained HTML report (findings and timeline) to OUT\n"
            "                instead (as `proftrace export --format html -o OUT DIR`)\n"
            "  exit status: 0 no findings, 1 findings, 2 usage or input error\n");
}

int pt_cmd_report(int argc, char **argv)
{
    int json = 0;
    struct pt_report_opts o = {1, 1};
    const char *dir = NULL, *html = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--html") && i + 1 < argc)
            html = argv[++i];
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--no-symbols"))
            o.symbolize = 0;
        else if (!strcmp(argv[i], "--no-disasm"))
            o.disassemble = 0;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "proftrace report: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        } else if (dir) {
            fprintf(stderr, "proftrace report: one trace directory only ('%s' and '%s')\n", dir,
                    argv[i]);
            return 2;
        } else {
            dir = argv[i];
        }
    }
    if (!dir) {
        usage(stderr);
        return 2;
    }
    if (html) {
        unsigned nf = 0;
        int st = pt__cmd_export_run("report", "html", html, dir, &o, &nf);
        return st ? st : nf ? 1 : 0;
    }
    struct stat st;
    if (stat(dir, &st) < 0) {
        fprintf(stderr, "proftrace report: %s: %s\n", dir, strerror(errno));
        return 2;
    }
    if (!S_ISDIR(st.st_mode)) {
        fprintf(stderr, "proftrace report: %s: not a trace directory\n", dir);
        return 2;
    }
    struct pt_analyzer *a = NULL;
    uint64_t damaged = 0;
    int rc = pt_analyze_dir(dir, stderr, &a, &damaged);
    if (rc < 0) {
        /* the reader has already said why on stderr */
        fprintf(stderr, "proftrace report: %s: not a readable trace%s%s\n", dir,
                rc == -ENOMEM || rc == -ENOSYS ? ": " : "",
                rc == -ENOMEM || rc == -ENOSYS ? strerror(-rc) : "");
        return 2;
    }
    if (damaged && !pt_analyzer_nevents(a)) {
        fprintf(stderr, "proftrace report: %s: no valid event in the trace\n", dir);
        pt_analyzer_free(a);
        return 2;
    }
    rc = json ? pt_report_json(stdout, a, &o) : pt_report_text(stdout, a, &o);
    unsigned n = pt_analyzer_nfindings(a);
    pt_analyzer_free(a);
    if (fflush(stdout) || rc < 0) {
        fprintf(stderr, "proftrace report: writing the report: %s\n",
                strerror(rc < 0 ? -rc : errno));
        return 2;
    }
    if (damaged) {
        fprintf(stderr,
                "proftrace report: %s: %llu damaged place(s) in the trace; the report covers what "
                "was valid\n",
                dir, (unsigned long long)damaged);
        return 2;
    }
    return n ? 1 : 0;
}
