/* cmd_export.c — `proftrace export --format chrome|html -o OUT [DIR]`: the trace as a timeline for
 * Perfetto / chrome://tracing, or as one self-contained HTML report.
 * Exit status: 0 written, 2 usage or input error (a damaged trace is still exported, everything
 * valid in it, then exits 2). The output is written to OUT.tmp and renamed, so a failed export
 * never leaves a half file under the name asked for; it is readable by whom the trace is readable
 * by, not by whom the umask allows (create_like); a device or FIFO (/dev/null) is written into. */
#define _GNU_SOURCE /* asprintf, open_memstream, strerrorname_np */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzer/export.h"
#include "cmds/cmd_export.h"
#include "cmds/commands.h"
#include "cmds/diag_stream.h"
#include "cmds/trace_dir.h"

/* Create `path` for writing, readable by no one the trace directory (whose stat is *dir) keeps
 * out: an export holds what the trace holds. Group and others may read it only when they may
 * enter and list the directory (a private 0700 trace gives 0600, a PROFTRACE_GROUP 02750 one
 * 0640 with the directory's group), and never more than the umask lets. A file left at `path`
 * (an export that died) is replaced, not reused with its old mode. */
static FILE *create_like(const char *path, const struct stat *dir)
{
    mode_t mode = S_IRUSR | S_IWUSR;
    if ((dir->st_mode & (S_IRGRP | S_IXGRP)) == (S_IRGRP | S_IXGRP))
        mode |= S_IRGRP;
    if ((dir->st_mode & (S_IROTH | S_IXOTH)) == (S_IROTH | S_IXOTH))
        mode |= S_IROTH;
    if (unlink(path) < 0 && errno != ENOENT)
        return NULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return NULL;
    struct stat st;
    /* the group that may read the trace may read the export: the directory's group */
    if ((mode & S_IRGRP) && fstat(fd, &st) == 0 && st.st_gid != dir->st_gid &&
        fchown(fd, (uid_t)-1, dir->st_gid) < 0)
        (void)fchmod(fd, mode & ~(mode_t)S_IRGRP);
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        unlink(path);
        errno = e;
    }
    return f;
}

int pt__cmd_export_run(const char *cmd, const char *format, const char *outpath, const char *dir,
                       const struct pt_report_opts *o, unsigned *nfindings)
{
    if (nfindings)
        *nfindings = 0;
    if (pt__trace_dir_check(cmd, dir))
        return 2;
    struct stat st; /* the export is readable by whom the trace is */
    if (stat(dir, &st) < 0) {
        fprintf(stderr, "proftrace %s: %s: %s\n", cmd, dir, strerror(errno));
        return 2;
    }
    struct pt_timeline *tl = NULL;
    uint64_t damaged = 0;
    FILE *diag = pt__diag_stream(cmd); /* the reader's messages with our prefix */
    int rc = pt_timeline_read(dir, diag ? diag : stderr, &tl, &damaged);
    if (diag)
        fclose(diag);
    if (rc < 0) {
        fprintf(stderr, "proftrace %s: %s: not a readable trace%s%s\n", cmd, dir,
                rc == -ENOMEM || rc == -ENOSYS ? ": " : "",
                rc == -ENOMEM || rc == -ENOSYS ? strerror(-rc) : "");
        return 2;
    }
    if (damaged && !pt_timeline_nevents(tl)) {
        fprintf(stderr, "proftrace %s: %s: no valid event in the trace\n", cmd, dir);
        pt_timeline_free(tl);
        return 2;
    }
    int to_stdout = !strcmp(outpath, "-");
    char *tmp = NULL;
    FILE *out = stdout;
    struct stat ost;
    if (!to_stdout && stat(outpath, &ost) == 0 && !S_ISREG(ost.st_mode)) {
        /* A device or a FIFO (/dev/null, /dev/stdout) is written into: renaming a file over it
         * would replace it. */
        if (!(out = fopen(outpath, "w"))) {
            fprintf(stderr, "proftrace %s: %s: %s\n", cmd, outpath, strerror(errno));
            pt_timeline_free(tl);
            return 2;
        }
    } else if (!to_stdout) {
        if (asprintf(&tmp, "%s.tmp", outpath) < 0 || !(out = create_like(tmp, &st))) {
            fprintf(stderr, "proftrace %s: %s: %s\n", cmd, tmp ? tmp : outpath, strerror(errno));
            free(tmp);
            pt_timeline_free(tl);
            return 2;
        }
    }
    rc = !strcmp(format, "chrome") ? pt_export_chrome(out, tl) : pt_export_html(out, tl, o);
    if (nfindings)
        *nfindings = pt_timeline_nfindings(tl);
    pt_timeline_free(tl);
    int werr = rc < 0 ? -rc : 0;
    if (fflush(out) && !werr)
        werr = errno;
    if (!to_stdout && fclose(out) && !werr)
        werr = errno;
    if (!werr && tmp && rename(tmp, outpath) < 0)
        werr = errno;
    if (werr) {
        fprintf(stderr, "proftrace %s: writing %s: %s\n", cmd, to_stdout ? "the output" : outpath,
                strerror(werr));
        if (tmp)
            unlink(tmp);
        free(tmp);
        return 2;
    }
    free(tmp);
    if (damaged) {
        fprintf(stderr,
                "proftrace %s: %s: %llu damaged place(s) in the trace; the export covers what was "
                "valid\n",
                cmd, dir, (unsigned long long)damaged);
        return 2;
    }
    return 0;
}

enum { OPT_NO_SYMBOLS = PT__CLI_LONG, OPT_NO_DISASM };

static const struct pt__cli_opt export_opts[] = {
    {'f', "format", "chrome|html", "the format (required)"},
    {'o', "output", "OUT", "the file to write, '-' for standard output (required)"},
    {OPT_NO_SYMBOLS, "no-symbols", NULL, "html: raw stack addresses, as for proftrace report"},
    {OPT_NO_DISASM, "no-disasm", NULL, "html: no disassembly at the deleting call site"},
    {0},
};

static const struct pt__cli_section export_sections[] = {
    {"Exit status", "0 written; 2 usage error, DIR is not a readable trace, the output cannot be "
                    "written, or the trace is damaged (exported all the same, everything valid in "
                    "it, and the damage named on stderr)."},
    {0},
};

const struct pt__cli_doc pt_cmd_export_doc = {
    .name = "export",
    .summary = "timeline for Perfetto / chrome://tracing, or a self-contained HTML report",
    .usage = "--format=chrome|html -o OUT [OPTION...] [DIR]",
    .description =
        "Writes the trace in DIR (default " PT_DEFAULT_DIR ") as a timeline.\n"
        "\n"
        "chrome: Trace Event Format JSON for Perfetto (ui.perfetto.dev) or chrome://tracing: a "
        "track per process (program, pid, login session, mount and IPC namespaces), calls as "
        "slices, holds as async spans, deletions and failures as instants, an arrow from each "
        "finding's delete to each failure it caused, in any process (fields: export-chrome.md in "
        "the documentation).\n"
        "\n"
        "html: one self-contained file (no network; prints well): the findings with their story "
        "and evidence, then an SVG timeline of every process grouped by login session and "
        "namespaces.\n"
        "\n"
        "OUT is written as OUT.tmp and renamed, so a failed export never leaves half a file "
        "under the name asked for.",
    .opts = export_opts,
    .sections = export_sections,
};

int pt_cmd_export(int argc, char **argv)
{
    static const char *const formats[] = {"chrome", "html", NULL};
    const char *outpath = NULL;
    int format = -1, c;
    struct pt_report_opts o = {1, 1};
    struct pt__cli cli;
    pt__cli_start(&cli, &pt_cmd_export_doc, argc, argv);
    while ((c = pt__cli_next(&cli)) > 0) {
        switch (c) {
        case 'f':
            if (pt__cli_choice(&cli, formats, &format) < 0)
                return 2;
            break;
        case 'o':
            outpath = cli.arg;
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
    if (format < 0)
        return pt__cli_usage_error(&cli, "--format is required (chrome or html)");
    if (!outpath)
        return pt__cli_usage_error(&cli, "-o OUT is required");
    const char *dir = pt__cli_dir_operand(&cli);
    if (!dir)
        return cli.status;
    return pt__cmd_export_run("export", formats[format], outpath, dir, &o, NULL);
}
