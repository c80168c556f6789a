/* cmd_record.c — `proftrace record`: runs a command and all its descendants with the shim, drains
 * their rings while they run, and writes the trace directory; or, with -p, attaches to running
 * processes (cmds/attached.c) and drains their rings until they exit or it is stopped.
 *
 * record makes itself a child subreaper, so every descendant — daemonized or orphaned — ends up
 * as its child: it learns each one's end (exit status or fatal signal) with waitid, hands it to the
 * collector for the `reaped` event, and returns when the last descendant is gone.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmds/attached.h"
#include "cmds/commands.h"
#include "cmds/diag_stream.h"
#include "cmds/rotation.h"
#include "cmds/trace_dir.h"
#include "proftrace/env.h"
#include "proftrace/ring.h"
#include "tracer/collector.h"
#include "tracer/perm.h"
#include "tracer/placement.h"
#include "tracer/witness.h"

static volatile sig_atomic_t child_pid;
static volatile sig_atomic_t stop_attached;

static void forward_signal(int sig)
{
    if (child_pid > 0)
        kill(child_pid, sig);
}

static void on_stop(int sig)
{
    (void)sig;
    stop_attached = 1;
    pt_attach_cancel(); /* an attach under way gives up (the process is given back) */
}

enum { OPT_OVERWRITE = PT__CLI_LONG, OPT_NO_LOSS, OPT_BUFFER_SIZE, OPT_INTERVAL };

static const struct pt__cli_opt record_opts[] = {
    {'o', "output", "DIR", "the trace directory (default " PT_DEFAULT_DIR ")"},
    {'p', "pid", "PID,...",
     "attach to these running processes (a comma-separated list of pids) instead of running a "
     "command; repeatable"},
    {OPT_OVERWRITE, "overwrite", NULL,
     "flight recorder: each thread buffer keeps its newest events, overwriting the oldest, "
     "instead of counting the newest as lost; the summary says how many were overwritten "
     "(PROFTRACE_OVERWRITE=1 for the shim)"},
    {OPT_NO_LOSS, "no-loss", "[MS]",
     "a thread whose buffer is full waits for the collector instead of losing events, at most MS "
     "milliseconds without progress, from 1 to 600000 (default 1000); then it loses and counts "
     "them until the collector drains again, so a dead or stuck collector never hangs the "
     "program (PROFTRACE_NOLOSS=MS for the shim). Not with --overwrite"},
    {OPT_BUFFER_SIZE, "buffer-size", "SIZE",
     "bytes per thread buffer, from 16k to 1g (k, m and g suffixes; default 4m, backed on disk "
     "as the thread fills it): PROFTRACE_BUFSIZE for the shim"},
    {OPT_INTERVAL, "interval", "MS",
     "drain the rings at least every MS milliseconds, from 1 to 10000 (default 10); writers "
     "also wake the collector when their buffers fill"},
    PT__ROTATE_OPT_MAX_SIZE,
    PT__ROTATE_OPT_MAX_AGE,
    {0},
};

static const struct pt__cli_section record_sections[] = {
    {"Exit status",
     "The command's exit status, or 128+N when signal N killed it; else:\n"
     "  2    usage error; a command that cannot be traced (static, setuid, setgid);\n"
     "       the shim missing; DIR refused; nothing could be recorded (said why)\n"
     "  125  the trace could not be written whole (its disk is full): what was\n"
     "       not written stays in DIR/rings, where every proftrace reader finds\n"
     "       it; the last line says so, and how the command ended\n"
     "  126  CMD was found but cannot be executed\n"
     "  127  CMD was not found\n"
     "\n"
     "With -p: 0, 125 as above, or 2 when a process cannot be attached (the reason is said) or "
     "DIR is refused."},
    {"Environment",
     "PROFTRACE_ATTACH_VERBOSE=1 (with -p): a line per attach saying how long the process's "
     "threads were stopped, how many GOT slots were rebound and how many holds were recorded.\n"
     PT_PLACE_ENV_DOC},
    {0},
};

const struct pt__cli_doc pt_cmd_record_doc = {
    .name = "record",
    .summary = "run a command and its descendants with the shim (-p: attach to running "
               "processes), write a trace",
    .usage = "[-o DIR] [OPTION...] [--] CMD [ARG...]\n-p PID[,PID...] [-o DIR] [OPTION...]",
    .description =
        "Runs CMD with the shim (LD_PRELOAD=libproftrace.so and PROFTRACE_DIR=DIR in its "
        "environment), follows every process it starts, daemons and orphans included, drains "
        "their rings into the trace directory DIR while they run, and ends when the last of them "
        "has exited. The trace is a CTF 1.8 trace that proftrace report, proftrace events and "
        "babeltrace2 read.\n"
        "\n"
        "DIR defaults to " PT_DEFAULT_DIR " in the current directory. A trace already there is "
        "kept as DIR.old (replacing an older DIR.old); a directory that is not empty and holds "
        "no trace is refused, so a trace is never mixed into other files, and so is an existing "
        "directory that is not yours or that another user may write.\n"
        "\n"
        "With --max-size or --max-age the trace is written in chunks (DIR/chunks/NNNNNN/, each a "
        "CTF trace), the oldest dropped, with the analyzer's state carried in a checkpoint in "
        "each chunk, as proftrace collect does; findings are printed on stderr as they happen.\n"
        "\n"
        "The last line on stderr says what was recorded and where, for example:\n"
        "  proftrace: 16 processes, 457 events, 0 lost; proftrace.data (212 KiB)\n"
        "Events are lost when threads write faster than their buffers drain; the line then says "
        "how to lose none. The events a finding is built from (process life, holds, deletions, "
        "failures) have the last eighth of each buffer to themselves, so a flood of reads does "
        "not push them out. With "
        "--overwrite it also says how many events were overwritten (`, K overwritten`). A run in "
        "which no process could create its ring (a full disk, a directory the command's user "
        "cannot write) is an error, not an empty trace.\n"
        "\n"
        "Statically linked and setuid or setgid commands cannot be traced by a preloaded shim "
        "and are refused, saying so, as is any command when the shim is missing from the "
        "installation. PROFTRACE_* values in the environment that the shim would not understand "
        "are named once and left out, so that the shim uses their defaults.\n"
        "\n"
        "With -p, record attaches to running processes instead (ptrace; the same user, or root) "
        "and to the children they fork from then on: it loads the shim into each, records what "
        "each already holds as held since before the attach, prints "
        "`proftrace: attached to PID (exe)` for each, and ends when they and their children "
        "have all exited, or at SIGINT or SIGTERM, when it detaches: they run on untraced. "
        "What they execute is not traced (the report lists it as not traced). A process that "
        "cannot be attached is refused before anything is changed, saying why (another user, "
        "another debugger, statically linked, already traced, ...).",
    .opts = record_opts,
    .sections = record_sections,
    .in_order = 1, /* what follows the options is the command and its own options */
};

/* Find CMD the way a shell does: 0 with its path in out; -ENOENT when there is nothing of that name
 * (a shell's 127); -EACCES or -EISDIR when there is one that cannot be executed (126). */
static int resolve(const char *cmd, char *out, size_t len)
{
    struct stat st;
    if (strchr(cmd, '/')) {
        snprintf(out, len, "%s", cmd);
        if (stat(out, &st) < 0)
            return -errno;
        if (S_ISDIR(st.st_mode))
            return -EISDIR;
        return access(out, X_OK) == 0 ? 0 : -errno;
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    char denied[PATH_MAX] = ""; /* the first file of that name that cannot be executed */
    for (const char *p = path; *p;) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        snprintf(out, len, "%.*s/%s", (int)n, n ? p : ".", cmd);
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(out, X_OK) == 0)
                return 0;
            if (!denied[0])
                snprintf(denied, sizeof denied, "%s", out);
        }
        p += n + (colon ? 1 : 0);
        if (!colon)
            break;
    }
    if (denied[0]) {
        snprintf(out, len, "%s", denied);
        return -EACCES;
    }
    return -ENOENT;
}

/* Why `path` cannot be traced by an LD_PRELOAD shim, or NULL. Scripts are judged by their
 * interpreter. */
static const char *untraceable(const char *path, int depth)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return NULL; /* execvp reports it */
    if (st.st_mode & (S_ISUID | S_ISGID))
        return st.st_mode & S_ISUID ? "setuid" : "setgid";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    unsigned char buf[512];
    ssize_t n = read(fd, buf, sizeof buf);
    const char *why = NULL;
    if (n >= 2 && buf[0] == '#' && buf[1] == '!' && depth < 4) {
        char interp[256];
        size_t k = 2, j = 0;
        while (k < (size_t)n && (buf[k] == ' ' || buf[k] == '\t'))
            k++;
        while (k < (size_t)n && buf[k] != ' ' && buf[k] != '\t' && buf[k] != '\n' &&
               j < sizeof interp - 1)
            interp[j++] = (char)buf[k++];
        interp[j] = 0;
        if (j)
            why = untraceable(interp, depth + 1);
    } else if (n >= (ssize_t)sizeof(Elf64_Ehdr) && !memcmp(buf, ELFMAG, SELFMAG) &&
               buf[EI_CLASS] == ELFCLASS64) {
        Elf64_Ehdr eh;
        memcpy(&eh, buf, sizeof eh);
        int interp = 0;
        for (unsigned i = 0; i < eh.e_phnum; i++) {
            Elf64_Phdr ph;
            if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) !=
                (ssize_t)sizeof ph)
                break;
            if (ph.p_type == PT_INTERP)
                interp = 1;
        }
        if (!interp)
            why = "statically linked";
    }
    close(fd);
    return why;
}

/* LD_PRELOAD for the command: the shim before what was there, except sanitizer runtimes, which
 * must stay first in every process (a sanitized build of proftrace and its shim): the one there
 * already, else the one the shim needs (tracer/collector.h). malloc'ed. */
static char *preload_with(const char *shim, const char *old)
{
    const char *runtime = pt_shim_runtime();
    size_t n = strlen(shim) + (old ? strlen(old) : 0) + (runtime ? strlen(runtime) : 0) + 3;
    char *out = malloc(n), *first = malloc(n), *rest = malloc(n);
    if (!out || !first || !rest) {
        free(out), free(first), free(rest);
        return NULL;
    }
    first[0] = rest[0] = 0;
    if (old) {
        char *copy = strdup(old), *save = NULL;
        for (char *tok = copy ? strtok_r(copy, ": ", &save) : NULL; tok;
             tok = strtok_r(NULL, ": ", &save)) {
            const char *base = strrchr(tok, '/') ? strrchr(tok, '/') + 1 : tok;
            int runtime = !strncmp(base, "libasan", 7) || !strncmp(base, "libtsan", 7) ||
                          !strncmp(base, "libubsan", 8) || !strncmp(base, "liblsan", 7) ||
                          !strncmp(base, "libhwasan", 9);
            char *dst = runtime ? first : rest;
            if (*dst)
                strcat(dst, ":");
            strcat(dst, tok);
        }
        free(copy);
    }
    if (!*first && runtime)
        strcpy(first, runtime);
    snprintf(out, n, "%s%s%s%s%s", first, *first ? ":" : "", shim, *rest ? ":" : "", rest);
    free(first);
    free(rest);
    return out;
}

/* PROFTRACE_* values of our environment that the shim would not understand: named once here, and
 * left out of the command's environment (or replaced, pt_env_fallback), so that the shim uses
 * their defaults without a warning from every traced process. */
static void settle_env(void)
{
    for (char **e = environ; *e;) {
        const char *eq = strchr(*e, '=');
        char name[64], why[160];
        if (strncmp(*e, "PROFTRACE_", 10) || !eq || (size_t)(eq - *e) >= sizeof name) {
            e++;
            continue;
        }
        snprintf(name, sizeof name, "%.*s", (int)(eq - *e), *e);
        if (pt_env_check(name, eq + 1, why, sizeof why) != -EINVAL) {
            e++;
            continue;
        }
        char instead[64];
        fprintf(stderr, "proftrace record: %s: %s; %s\n", *e, why,
                pt_env_instead(name, instead, sizeof instead));
        if (pt_env_fallback(name))
            setenv(name, pt_env_fallback(name), 1);
        else
            unsetenv(name);
        e = environ; /* the array changed */
    }
}

/* Why no traced process could create its ring in `dir`: the error creating one here, now, with
 * the settings the command had (a full disk, a directory its user cannot write), or 0. */
static int ring_probe(const char *dir, uint64_t bufsize)
{
    struct pt_ring_config cfg = {.dir = dir, .thread_buf_bytes = bufsize};
    const char *threads = getenv("PROFTRACE_THREADS");
    cfg.nthreads = threads ? (unsigned)strtoul(threads, NULL, 10) : 0;
    struct pt_ring *r;
    int rc = pt_ring_create(&cfg, &r);
    if (rc == 0) {
        unlink(pt_ring_path(r)); /* a probe, not a process of the trace */
        pt_ring_close(r);
    }
    return rc;
}

/* The bytes of each thread buffer: --buffer-size, else PROFTRACE_BUFSIZE (checked by settle_env),
 * else the ring's default. */
static uint64_t buffer_bytes(uint64_t option)
{
    const char *v = getenv("PROFTRACE_BUFSIZE");
    if (option || !v || !*v)
        return option ? option : PT_RING_DEFAULT_TBUF_BYTES;
    char *end;
    uint64_t n = strtoull(v, &end, 10);
    return *end == 'k' || *end == 'K' ? n << 10 : *end == 'm' || *end == 'M' ? n << 20 : n;
}

/* The closing line: what was recorded and where (in flight-recorder mode, how many events were
 * overwritten); when events were lost, how to lose none. */
static void summary(const char *out, const struct pt_collector_stats *st, uint64_t bufsize,
                    int overwrite, int noloss)
{
    char size[32], now[32], more[32], ow[48] = "";
    pt__human_bytes(pt__trace_dir_bytes(out), size, sizeof size);
    if (overwrite)
        snprintf(ow, sizeof ow, ", %" PRIu64 " overwritten", st->overwritten);
    fprintf(stderr,
            "proftrace: %" PRIu64 " processes, %" PRIu64 " events, %" PRIu64 " lost%s; %s (%s)",
            st->processes, st->events, st->lost, ow, out, size);
    struct statvfs vfs;
    uint64_t b = buffer_bytes(bufsize);
    if (st->lost && !overwrite && statvfs(out, &vfs) == 0 &&
        (uint64_t)vfs.f_bavail * vfs.f_frsize < 2 * b) { /* lost for want of disk, not of buffer */
        pt__human_bytes((uint64_t)vfs.f_bavail * vfs.f_frsize, more, sizeof more);
        fprintf(stderr, "; the filesystem of %s is full (%s free): make room, or record elsewhere",
                out, more);
    } else if (st->lost && !overwrite) {
        pt__size_text(b, now, sizeof now);
        pt__size_text(b * 4 < (1u << 30) ? b * 4 : 1u << 30, more, sizeof more);
        fprintf(stderr, "; to lose none, record with --buffer-size=%s (each thread had %s)%s", more,
                now, noloss ? "" : " or --no-loss");
    }
    fputc('\n', stderr);
}

/* The trace directory made ready (a trace there kept as DIR.old; refused unless ours and closed
 * to others), its collector, and the witness of untraced deleters on it. 0, or 2 after saying
 * why. */
static int trace_open(const char *out, const struct pt__rotate_opts *rot, char dir[PATH_MAX],
                      struct pt_collector **col, struct pt_witness **wit)
{
    if (pt__trace_dir_rotate("record", out))
        return 2;
    char pwhy[PATH_MAX + 256];
    /* Private unless asked, and ours: never a directory another user could change (perm.h). */
    if (pt_perm_trace_dir(out, pwhy, sizeof pwhy) < 0) {
        fprintf(stderr, "proftrace record: %s\n", pwhy);
        return 2;
    }
    if (!realpath(out, dir)) {
        fprintf(stderr, "proftrace record: %s: %s\n", out, strerror(errno));
        return 2;
    }
    int rc = pt_collector_open_rotated(dir, pt__rotating(rot) ? rot : NULL, pt__diag_line, "record",
                                       col);
    if (rc < 0) {
        fprintf(stderr, "proftrace record: cannot write a trace in %s: %s\n", dir, strerror(-rc));
        return 2;
    }
    char wwhy[256];
    *wit = NULL;
    if (pt_witness_start(pt_collector_dir_at(*col), 0, wit, wwhy, sizeof wwhy) < 0)
        fprintf(stderr, "proftrace record: deletions by processes that are not traced will not be "
                        "seen: %s\n", wwhy);
    else
        pt_collector_on_attach(*col, pt_witness_on_attach, *wit);
    return 0;
}

/* With rotation, the analyzer beside the collector (it checkpoints each chunk and says each
 * finding); NULL without. Started once no fork is to come: a command's child is alone. */
static struct pt__follow_thread *trace_follow(const char *dir, const struct pt__rotate_opts *rot)
{
    struct pt__follow_thread *follow = NULL;
    if (pt__rotating(rot))
        pt__follow_thread_start("record", dir, pt__finding_line, "record", &follow);
    return follow;
}

/* The witness stopped, the last drain, every ring finished, the analyzer beside it done; what was
 * collected into st. */
static void trace_close(const char *dir, struct pt_collector *col, struct pt_witness *wit,
                        struct pt__follow_thread *follow, struct pt_collector_stats *st)
{
    pt_collector_on_attach(col, NULL, NULL); /* the witness is going */
    pt_witness_stop(wit); /* closes its ring: the last drain finishes it */
    pt_collector_run_once(col, 0);
    pt_collector_finish(col);
    struct pt__follow_cost cost;
    pt__follow_thread_stop(follow, &cost); /* reads the rest, checkpoints what it owes */
    pt_collector_stats(col, st);
    pt_collector_close(col);
    if (follow)
        pt__rotation_summary("record", dir, &cost);
}

/* `record -p`: the trace directory, the collector and the witness as for a command, then the
 * processes attached; drains until they and their fork children have exited, or a signal. */
static int record_attached(struct pt_attached *a, const char *out, uint64_t bufsize, int overwrite,
                           unsigned noloss_ms, long long interval,
                           const struct pt__rotate_opts *rot)
{
    char dir[PATH_MAX], shim[PATH_MAX];
    if (pt_shim_path(shim, sizeof shim) < 0) {
        fprintf(stderr,
                "proftrace record: the shim is missing (looked for %s): nothing can be attached; "
                "install proftrace with its shim\n",
                shim);
        return 2;
    }
    /* Before the directory is made: PROFTRACE_ALLOW_UIDS for the users they run as. */
    if (pt_attached_prepare(a, shim, "record") < 0)
        return 2;
    struct pt_collector *col;
    struct pt_witness *wit;
    if (trace_open(out, rot, dir, &col, &wit))
        return 2;
    struct pt__follow_thread *follow = trace_follow(dir, rot);
    struct sigaction sa = {.sa_handler = on_stop}; /* no SA_RESTART: a wait under way returns */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    struct pt_attach_opts o = {.dir = dir,
                               .shim = shim,
                               .buf_bytes = (size_t)bufsize,
                               .overwrite = overwrite,
                               .noloss_ms = noloss_ms};
    int status = pt_attached_attach(a, &o, "record") < 0 ? 2 : 0;
    /* Until every attached process and every child it forked since has exited. */
    while (!status && !stop_attached) {
        pt_collector_run_once(col, (int)interval);
        if (pt_attached_all_exited(a)) {
            pid_t w[1];
            if (pt_attach_writers(dir, w, 1) == 0)
                break;
        }
    }
    pt_attached_detach_all(a, dir, shim, "record");
    struct pt_collector_stats st;
    trace_close(dir, col, wit, follow, &st);
    summary(out, &st, bufsize, overwrite, noloss_ms != 0);
    return status ? status : pt__trace_incomplete(dir, &st, NULL, 0);
}

int pt_cmd_record(int argc, char **argv)
{
    const char *out = PT_DEFAULT_DIR;
    uint64_t bufsize = 0;
    long long interval = 10, noloss_ms = 0;
    int overwrite = 0, c;
    struct pt_attached attached = {.n = 0};
    struct pt__rotate_opts rot = {0};
    struct pt__cli cli;
    pt__cli_start(&cli, &pt_cmd_record_doc, argc, argv);
    while ((c = pt__cli_next(&cli)) > 0) {
        int taken = pt__rotate_option(&rot, &cli, c);
        if (taken < 0)
            return cli.status;
        if (taken)
            continue;
        switch (c) {
        case 'o':
            out = cli.arg;
            break;
        case 'p':
            if (pt_attached_parse(&attached, cli.arg, "record", "--pid") < 0)
                return 2;
            break;
        case OPT_OVERWRITE:
            overwrite = 1;
            break;
        case OPT_NO_LOSS:
            noloss_ms = 1000;
            if (cli.arg && pt__cli_number(&cli, 1, 600000, &noloss_ms) < 0)
                return 2;
            break;
        case OPT_BUFFER_SIZE:
            if (pt__cli_size(&cli, 16u << 10, 1u << 30, &bufsize) < 0)
                return 2;
            break;
        case OPT_INTERVAL:
            if (pt__cli_number(&cli, 1, 10000, &interval) < 0)
                return 2;
            break;
        }
    }
    if (c < 0)
        return cli.status;
    if (overwrite && noloss_ms)
        return pt__cli_usage_error(&cli, "--overwrite keeps the newest events, --no-loss every "
                                         "event: choose one");
    if (attached.n && cli.noperands)
        return pt__cli_usage_error(&cli, "-p attaches to running processes; it takes no command");
    if (attached.n)
        return record_attached(&attached, out, bufsize, overwrite, (unsigned)noloss_ms, interval,
                               &rot);
    if (cli.noperands == 0)
        return pt__cli_usage_error(&cli, "no command to run");
    char **cmd = cli.operands;
    char exe[PATH_MAX];
    int rrc = resolve(cmd[0], exe, sizeof exe);
    if (rrc == -ENOENT || rrc == -ENOTDIR) { /* as a shell says it, with its status */
        fprintf(stderr, "proftrace record: %s: %s\n", cmd[0],
                strchr(cmd[0], '/') ? strerror(-rrc) : "command not found");
        return 127;
    }
    if (rrc < 0) {
        fprintf(stderr, "proftrace record: %s: %s\n", exe, strerror(-rrc));
        return 126;
    }
    const char *why = untraceable(exe, 0);
    if (why) {
        fprintf(stderr, "proftrace record: %s cannot be traced: %s\n", exe, why);
        return 2;
    }
    char dir[PATH_MAX], shim[PATH_MAX];
    if (pt_shim_path(shim, sizeof shim) < 0) {
        fprintf(stderr,
                "proftrace record: the shim is missing (looked for %s): nothing could be traced; "
                "install proftrace with its shim\n",
                shim);
        return 2;
    }
    settle_env();
    struct pt_collector *col;
    struct pt_witness *wit;
    if (trace_open(out, &rot, dir, &col, &wit))
        return 2;
    /* Ring files of the command's size kept ready: its processes start without creating one. */
    const char *threads = getenv("PROFTRACE_THREADS");
    pt_collector_ring_size(col, (size_t)buffer_bytes(bufsize),
                           threads ? (unsigned)strtoul(threads, NULL, 10) : 0);
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        fprintf(stderr, "proftrace record: warning: cannot follow orphaned descendants: %s\n",
                strerror(errno));

    int pipefd[2]; /* tells the parent whether exec worked */
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        perror("proftrace record: pipe");
        pt_collector_close(col);
        return 2;
    }
    /* Before the collector's first pass, so its mask is still the one it started with; the
     * command must have that one in any case (tracer/placement.h). */
    pt_place_widen();
    pid_t pid = fork();
    if (pid < 0) {
        perror("proftrace record: fork");
        pt_collector_close(col);
        return 2;
    }
    if (pid == 0) {
        close(pipefd[0]);
        setenv("PROFTRACE_DIR", dir, 1);
        if (overwrite)
            setenv("PROFTRACE_OVERWRITE", "1", 1);
        if (noloss_ms) {
            char b[32];
            snprintf(b, sizeof b, "%lld", noloss_ms);
            setenv("PROFTRACE_NOLOSS", b, 1); /* read by the shim (preload/state.c) */
        }
        if (bufsize) {
            char b[32];
            snprintf(b, sizeof b, "%" PRIu64, bufsize);
            setenv("PROFTRACE_BUFSIZE", b, 1); /* read by the shim (preload/state.c) */
        }
        char *joined = preload_with(shim, getenv("LD_PRELOAD"));
        if (joined)
            setenv("LD_PRELOAD", joined, 1);
        execv(exe, cmd);
        int e = errno;
        if (write(pipefd[1], &e, sizeof e) < 0) {
            /* the parent sees EOF and the exit status */
        }
        _exit(127);
    }
    close(pipefd[1]);
    child_pid = pid;
    int exec_err = 0; /* the file is there (resolve): it cannot be executed, a shell's 126 */
    if (read(pipefd[0], &exec_err, sizeof exec_err) == (ssize_t)sizeof exec_err)
        fprintf(stderr, "proftrace record: %s: cannot execute: %s%s\n", exe, strerror(exec_err),
                exec_err == ENOENT ? " (its interpreter)" : "");
    close(pipefd[0]);
    struct pt__follow_thread *follow = trace_follow(dir, &rot);

    /* Ctrl-C reaches CMD through the terminal; record stays to drain. SIGTERM/SIGHUP go on to it. */
    struct sigaction sa = {.sa_handler = SIG_IGN};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    sa.sa_handler = forward_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    int status = 0, main_done = 0;
    for (;;) {
        pt_collector_run_once(col, (int)interval);
        int any_left = 1;
        for (;;) {
            siginfo_t si;
            memset(&si, 0, sizeof si);
            if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
                if (errno == ECHILD)
                    any_left = 0;
                break;
            }
            if (si.si_pid == 0)
                break;
            /* Still a zombie: its start time is readable. */
            char stat_path[64], buf[1024];
            uint64_t start = 0;
            snprintf(stat_path, sizeof stat_path, "/proc/%d/stat", (int)si.si_pid);
            int fd = open(stat_path, O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                ssize_t n = read(fd, buf, sizeof buf - 1);
                close(fd);
                if (n > 0) {
                    buf[n] = 0;
                    char *p = strrchr(buf, ')');
                    for (int field = 2; p && field < 22; field++)
                        p = strchr(p + 1, ' ');
                    if (p)
                        start = strtoull(p + 1, NULL, 10);
                }
            }
            int signo = (si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED) ? si.si_status : 0;
            pt_collector_note_exit(col, si.si_pid, start, signo);
            int st;
            if (waitpid(si.si_pid, &st, 0) == si.si_pid && si.si_pid == pid) {
                status = st;
                main_done = 1;
                child_pid = 0;
            }
        }
        if (!any_left)
            break;
    }
    (void)main_done;
    struct pt_collector_stats st;
    trace_close(dir, col, wit, follow, &st);
    if (exec_err)
        return 126;
    if (st.processes == 0) {
        /* Every process the shim starts in makes its ring first thing: none means none could. */
        int probe = ring_probe(dir, buffer_bytes(bufsize));
        fprintf(stderr, "proftrace record: nothing was recorded in %s: %s%s\n", out,
                probe ? "no traced process could create its ring there: "
                      : "no traced process started (the shim did not load; see above)",
                probe ? strerror(-probe) : "");
        return 2;
    }
    summary(out, &st, bufsize, overwrite, noloss_ms != 0);
    int rc = WIFEXITED(status)     ? WEXITSTATUS(status)
             : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                   : 0;
    return pt__trace_incomplete(dir, &st, exe, rc);
}
