/* cmd_export.c — `proftrace export --format chrome|html -o OUT DIR`: the trace as a timeline for
 * Perfetto / chrome://tracing, or as one self-contained HTML report.
 * Exit status: 0 written, 2 usage or input error (a damaged trace is still exported, everything
 * valid in it, then exits 2). The output is written to OUT.tmp and renamed, so a failed export
 * never leaves a half file under the name asked for; it is readable by whom the trace is readable
 * by, not by whom the umask allows (create_like). */
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

static void usage(FILE *out)
{
    fprintf(out,
            "usage: proftrace export --format chrome|html -o OUT [--no-symbols] [--no-disasm] DIR\n"
            "  chrome  Trace Event Format JSON for https://ui.perfetto.dev or chrome://tracing: a\n"
            "          track per process (exe, pid, login session, mount/IPC namespace), calls as\n"
            "          slices, holds as async spans, deletions and failures as instants, an arrow\n"
            "          from each finding's delete to the failure it caused\n"
            "  html    one self-contained file (no network): the findings with their narratives\n"
            "          and stacks, and an SVG timeline of every process\n"
            "  -o OUT  output file ('-' for standard output)\n"
            "  --no-symbols, --no-disasm  as for `proftrace report` (html)\n"
            "  exit status: 0 written, 2 usage or input error\n");
}

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
    struct stat st;
    if (stat(dir, &st) < 0) {
        fprintf(stderr, "proftrace %s: %s: %s\n", cmd, dir, strerror(errno));
        return 2;
    }
    if (!S_ISDIR(st.st_mode)) {
        fprintf(stderr, "proftrace %s: %s: not a trace directory\n", cmd, dir);
        return 2;
    }
    struct pt_timeline *tl = NULL;
    uint64_t damaged = 0;
    int rc = pt_timeline_read(dir, stderr, &tl, &damaged);
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
    if (!to_stdout) {
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
    if (!werr && !to_stdout && rename(tmp, outpath) < 0)
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

int pt_cmd_export(int argc, char **argv)
{
    const char *format = NULL, *outpath = NULL, *dir = NULL;
    struct pt_report_opts o = {1, 1};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--format") || !strcmp(arg, "-f") || !strcmp(arg, "-o")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "proftrace export: %s needs a value\n", arg);
                usage(stderr);
                return 2;
            }
            if (!strcmp(arg, "-o"))
                outpath = argv[++i];
            else
                format = argv[++i];
        } else if (!strncmp(arg, "--format=", 9)) {
            format = arg + 9;
        } else if (!strcmp(arg, "--no-symbols")) {
            o.symbolize = 0;
        } else if (!strcmp(arg, "--no-disasm")) {
            o.disassemble = 0;
        } else if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            usage(stdout);
            return 0;
        } else if (arg[0] == '-' && arg[1]) {
            fprintf(stderr, "proftrace export: unknown option '%s'\n", arg);
            usage(stderr);
            return 2;
        } else if (dir) {
            fprintf(stderr, "proftrace export: one trace directory only ('%s' and '%s')\n", dir,
                    arg);
            return 2;
        } else {
            dir = arg;
        }
    }
    if (!format || !outpath || !dir) {
        fprintf(stderr, "proftrace export: %s\n",
                !format    ? "--format is required"
                : !outpath ? "-o OUT is required"
                           : "no trace directory given");
        usage(stderr);
        return 2;
    }
    if (strcmp(format, "chrome") && strcmp(format, "html")) {
        fprintf(stderr, "proftrace export: unknown format '%s' (chrome or html)\n", format);
        return 2;
    }
    return pt__cmd_export_run("export", format, outpath, dir, &o, NULL);
}
