/* cmd_record.c — `proftrace record`: runs a command and all its descendants with the shim, drains
 * their rings while they run, and writes the trace directory.
 *
 * record makes itself a child subreaper, so every descendant — daemonized or orphaned — ends up
 * as its child: it learns each one's end (exit status or fatal signal) with waitid, hands it to the
 * collector for the `reaped` event, and returns when the last descendant is gone.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmds/commands.h"
#include "tracer/collector.h"
#include "tracer/perm.h"
#include "tracer/witness.h"

static volatile sig_atomic_t child_pid;

static void forward_signal(int sig)
{
    if (child_pid > 0)
        kill(child_pid, sig);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: proftrace record [-o DIR] [--overwrite | --no-loss[=MS]] [--buffer-size N] -- "
            "CMD [ARG...]\n"
            "\n"
            "Runs CMD with the shim (LD_PRELOAD) and PROFTRACE_DIR=DIR, follows every descendant,\n"
            "drains their rings while they run, and prints `proftrace: N processes, M events, K\n"
            "lost` (and `, K overwritten` with --overwrite). The exit status is CMD's (128+signal\n"
            "when a signal killed it), or 125 when the trace could not be written whole (trace disk\n"
            "full: the summary says how many events stay in DIR/rings, where every proftrace reader\n"
            "still finds them, and how CMD ended).\n"
            "\n"
            "  -o DIR            trace directory (default proftrace.data); must not hold a trace\n"
            "  --overwrite       flight recorder: keep the newest events instead of the oldest\n"
            "  --no-loss[=MS]    a thread whose buffer is full waits for the collector instead of\n"
            "                    losing events, at most MS ms without progress (default 1000), then\n"
            "                    loses and counts them until the collector drains again: a dead or\n"
            "                    stuck collector never hangs CMD (PROFTRACE_NOLOSS=MS for the shim)\n"
            "  --buffer-size N   bytes per thread buffer (suffix k/m allowed; default 4m); sets\n"
            "                    PROFTRACE_BUFSIZE for the shim (--overwrite: PROFTRACE_OVERWRITE=1)\n"
            "  --interval MS     drain at least this often (default 10); writers also wake the\n"
            "                    collector when their buffers fill\n");
}

/* Find CMD on PATH the way execvp will. */
static int resolve(const char *cmd, char *out, size_t len)
{
    if (strchr(cmd, '/')) {
        snprintf(out, len, "%s", cmd);
        return access(out, X_OK) == 0 ? 0 : -errno;
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path; *p;) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        snprintf(out, len, "%.*s/%s", (int)n, n ? p : ".", cmd);
        struct stat st;
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
            return 0;
        p += n + (colon ? 1 : 0);
        if (!colon)
            break;
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

static size_t parse_size(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end == 'k' || *end == 'K')
        v <<= 10, end++;
    else if (*end == 'm' || *end == 'M')
        v <<= 20, end++;
    return *end ? 0 : (size_t)v;
}

/* LD_PRELOAD for the command: the shim before what was there, except sanitizer runtimes, which
 * must stay first in every process (a sanitized build of proftrace and its shim). malloc'ed. */
static char *preload_with(const char *shim, const char *old)
{
    size_t n = strlen(shim) + (old ? strlen(old) : 0) + 2;
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
    snprintf(out, n, "%s%s%s%s%s", first, *first ? ":" : "", shim, *rest ? ":" : "", rest);
    free(first);
    free(rest);
    return out;
}

static int dir_has_trace(const char *dir)
{
    char p[PATH_MAX + 16];
    snprintf(p, sizeof p, "%s/metadata", dir);
    if (access(p, F_OK) == 0)
        return 1;
    snprintf(p, sizeof p, "%s/rings", dir);
    return access(p, F_OK) == 0;
}

int pt_cmd_record(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"overwrite", no_argument, 0, 'O'},
                                         {"buffer-size", required_argument, 0, 'b'},
                                         {"no-loss", optional_argument, 0, 'N'},
                                         {"interval", required_argument, 0, 'i'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *out = "proftrace.data";
    const char *bufsize = NULL;
    int overwrite = 0, interval = 10, noloss_ms = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'O': overwrite = 1; break;
        case 'b':
            bufsize = optarg;
            if (!parse_size(optarg)) {
                fprintf(stderr, "proftrace record: --buffer-size wants a size, not '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'N':
            noloss_ms = optarg ? atoi(optarg) : 1000;
            if (noloss_ms <= 0) {
                fprintf(stderr, "proftrace record: --no-loss wants a wait in ms, not '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'i': interval = atoi(optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind >= argc || interval <= 0) {
        usage(stderr);
        return 2;
    }
    if (overwrite && noloss_ms) {
        fprintf(stderr, "proftrace record: --overwrite keeps the newest events, --no-loss every "
                        "event: choose one\n");
        return 2;
    }
    char **cmd = argv + optind;
    char exe[PATH_MAX];
    if (resolve(cmd[0], exe, sizeof exe) < 0) {
        fprintf(stderr, "proftrace record: %s: command not found\n", cmd[0]);
        return 127;
    }
    const char *why = untraceable(exe, 0);
    if (why) {
        fprintf(stderr, "proftrace record: %s cannot be traced: %s\n", exe, why);
        return 2;
    }
    if (dir_has_trace(out)) {
        fprintf(stderr, "proftrace record: %s already holds a trace; remove it or pick another -o\n",
                out);
        return 2;
    }
    int prc = pt_perm_mkdir(out, PT_PERM_TRACE_DIR); /* private unless asked (tracer/perm.h) */
    if (prc < 0) {
        fprintf(stderr, "proftrace record: %s: %s\n", out, strerror(-prc));
        return 2;
    }
    char dir[PATH_MAX], shim[PATH_MAX];
    if (!realpath(out, dir)) {
        fprintf(stderr, "proftrace record: %s: %s\n", out, strerror(errno));
        return 2;
    }
    int have_shim = pt_shim_path(shim, sizeof shim) == 0;
    if (!have_shim)
        fprintf(stderr,
                "proftrace record: warning: %s not found; only processes that write rings "
                "themselves are traced\n",
                shim);
    struct pt_collector *col;
    int rc = pt_collector_open(dir, NULL, NULL, &col);
    if (rc < 0) {
        fprintf(stderr, "proftrace record: cannot write a trace in %s: %s\n", dir, strerror(-rc));
        return 2;
    }
    struct pt_witness *wit = NULL;
    char wwhy[256];
    if (pt_witness_start(dir, 0, &wit, wwhy, sizeof wwhy) < 0)
        fprintf(stderr, "proftrace record: deletions by processes that are not traced will not be "
                        "seen: %s\n", wwhy);
    else
        pt_collector_on_attach(col, pt_witness_on_attach, wit);
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        fprintf(stderr, "proftrace record: warning: cannot follow orphaned descendants: %s\n",
                strerror(errno));

    int pipefd[2]; /* tells the parent whether exec worked */
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        perror("proftrace record: pipe");
        pt_collector_close(col);
        return 2;
    }
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
            snprintf(b, sizeof b, "%d", noloss_ms);
            setenv("PROFTRACE_NOLOSS", b, 1); /* read by the shim (preload/state.c) */
        }
        if (bufsize) {
            char b[32];
            snprintf(b, sizeof b, "%zu", parse_size(bufsize));
            setenv("PROFTRACE_BUFSIZE", b, 1); /* read by the shim (preload/state.c) */
        }
        if (have_shim) {
            char *joined = preload_with(shim, getenv("LD_PRELOAD"));
            if (joined)
                setenv("LD_PRELOAD", joined, 1);
        }
        execv(exe, cmd);
        int e = errno;
        if (write(pipefd[1], &e, sizeof e) < 0) {
            /* the parent sees EOF and the exit status */
        }
        _exit(127);
    }
    close(pipefd[1]);
    child_pid = pid;
    int exec_err = 0;
    if (read(pipefd[0], &exec_err, sizeof exec_err) == (ssize_t)sizeof exec_err)
        fprintf(stderr, "proftrace record: %s: %s\n", exe, strerror(exec_err));
    close(pipefd[0]);

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
        pt_collector_run_once(col, interval);
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
    pt_collector_on_attach(col, NULL, NULL); /* the witness is going */
    pt_witness_stop(wit); /* closes its ring: the last drain finishes it */
    pt_collector_run_once(col, 0);
    pt_collector_finish(col);
    struct pt_collector_stats st;
    pt_collector_stats(col, &st);
    pt_collector_close(col);
    char ow[48] = "";
    if (overwrite)
        snprintf(ow, sizeof ow, ", %" PRIu64 " overwritten", st.overwritten);
    fprintf(stderr, "proftrace: %" PRIu64 " processes, %" PRIu64 " events, %" PRIu64 " lost%s\n",
            st.processes, st.events, st.lost, ow);
    int rc_cmd = exec_err                ? 127
                 : WIFEXITED(status)   ? WEXITSTATUS(status)
                 : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                       : 0;
    if (st.write_error || st.unwritten) {
        /* The trace is not whole: say so, in the summary and in the exit status. */
        fprintf(stderr,
                "proftrace: trace incomplete: writing %s failed (%s); %" PRIu64 " events stay in "
                "%s/rings, where proftrace events and report read them; %s exited %d\n",
                dir, strerror(st.write_error ? st.write_error : EIO), st.unwritten, dir, exe,
                rc_cmd);
        return 125;
    }
    return rc_cmd;
}
