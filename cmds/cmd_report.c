/* cmd_report.c — `proftrace report [--json] [DIR]`: findings with their evidence, then a summary.
 * Exit status: 0 no findings, 1 findings, 2 usage or input error (a damaged trace still gets the
 * report of everything valid in it, then exits 2). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "analyzer/analyzer.h"
#include "cmds/cmd_export.h"
#include "cmds/commands.h"
#include "cmds/diag_stream.h"
#include "cmds/trace_dir.h"

enum { OPT_JSON = PT__CLI_LONG, OPT_HTML, OPT_NO_SYMBOLS, OPT_NO_DISASM };

static const struct pt__cli_opt report_opts[] = {
    {OPT_JSON, "json", NULL,
     "one JSON object instead of text: schema, findings, summary (fields: report-json.md in the "
     "documentation)"},
    {OPT_HTML, "html", "OUT",
     "write the self-contained HTML report (findings and timeline) to OUT instead ('-': "
     "standard output), as proftrace export --format=html does"},
    {OPT_NO_SYMBOLS, "no-symbols", NULL, "show raw stack addresses (do not open module files)"},
    {OPT_NO_DISASM, "no-disasm", NULL, "no disassembly at the deleting call site"},
    {0},
};

static const struct pt__cli_section report_sections[] = {
    {"Exit status", "  0  no findings\n"
                    "  1  findings\n"
                    "  2  usage error; DIR is not a readable trace; or the trace is damaged:\n"
                    "     the report of everything valid in it is printed all the same, and\n"
                    "     the damage named on stderr"},
    {0},
};

const struct pt__cli_doc pt_cmd_report_doc = {
    .name = "report",
    .summary = "findings with their evidence, then a summary",
    .usage = "[--json] [--html=OUT] [--no-symbols] [--no-disasm] [DIR]",
    .description =
        "Reads the trace in DIR (default " PT_DEFAULT_DIR ") and reports every resource deleted "
        "while another live process held it, and every profile at risk, with both processes' "
        "identities side by side, the stacks, the code at the delete and a remedy; then a "
        "summary. The rules:\n"
        "  cross-namespace-purge  a profile deleted by a process whose in-use view\n"
        "                         differs from that of a live holder\n"
        "  deleted-while-held     any named resource removed while another live\n"
        "                         process holds it\n"
        "  latent-purge-hazard    the bug has not struck yet, but will\n"
        "Findings shadowed by lost events are marked uncertain. A damaged trace (a killed "
        "collector, a full disk) is reported as far as it is valid, and the damage is named on "
        "stderr: the file, the offset, what is wrong.",
    .opts = report_opts,
    .sections = report_sections,
};

int pt_cmd_report(int argc, char **argv)
{
    int json = 0, c;
    struct pt_report_opts o = {1, 1};
    const char *html = NULL;
    struct pt__cli cli;
    pt__cli_start(&cli, &pt_cmd_report_doc, argc, argv);
    while ((c = pt__cli_next(&cli)) > 0) {
        switch (c) {
        case OPT_JSON:
            json = 1;
            break;
        case OPT_HTML:
            html = cli.arg;
            break;
        case OPT_NO_SYMBOLS:
            o.symbolize = 0;
            break;
        case OPT_NO_DISASM:
            o.disassemble = 0;
            break;
        }
    }
    if (c < 0)
        return cli.status;
    const char *dir = pt__cli_dir_operand(&cli);
    if (!dir)
        return cli.status;
    if (pt__trace_dir_check("report", dir))
        return 2;
    if (html) {
        unsigned nf = 0;
        int st = pt__cmd_export_run("report", "html", html, dir, &o, &nf);
        return st ? st : nf ? 1 : 0;
    }
    struct pt_analyzer *a = NULL;
    uint64_t damaged = 0;
    FILE *diag = pt__diag_stream("report"); /* the reader's messages with our prefix */
    int rc = pt_analyze_dir(dir, diag ? diag : stderr, &a, &damaged);
    if (diag)
        fclose(diag);
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
