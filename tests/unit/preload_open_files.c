/* preload_open_files.c — open files as holds in the shim (preload/hook_open.c): which of the
 * program's own opens are recorded (a regular file opened for writing or created; not a read, not
 * /dev/null), fopen, creat and the fortified __open_2 recorded as the open they make, the end of a
 * hold recorded once (close, fclose, dup2 over it) and nothing for descriptors that hold nothing,
 * a fork child's close of an inherited descriptor not taken for its parent's, errno kept by fclose
 * of a stream without a descriptor; and with PROFTRACE_OPEN_FILES=0, none of it. */
#include "tests/unit/preload_test.h"

#include <fcntl.h>
#include <sys/stat.h>

int __open_2(const char *path, int flags); /* glibc's fortified open without a mode */

static unsigned long long ino_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

static int act(void)
{
    char a[300], b[300], c[300], d[300];
    const char *dir = getenv("PROFTRACE_DIR");
    snprintf(a, sizeof a, "%s.a", dir);
    snprintf(b, sizeof b, "%s.b", dir);
    snprintf(c, sizeof c, "%s.c", dir);

    FILE *f = fopen(a, "w"); /* a hold, recorded as open; ended by fclose */
    fputs("data\n", f);
    int a_fd = fileno(f);
    unsigned long long a_ino = ino_of(a);
    fclose(f);
    f = fopen(a, "r"); /* a read: not recorded */
    fclose(f);

    int b_fd = creat(b, 0600); /* a hold, recorded as open; ended by the dup2 over it */
    int null = open("/dev/null", O_WRONLY); /* not a regular file: not recorded */
    dup2(null, b_fd);
    close(b_fd); /* now /dev/null's: no hold ended */
    close(null); /* held nothing */

    mknod(c, S_IFREG | 0600, 0); /* made without an open */
    int c_fd = __open_2(c, O_RDWR);
    pid_t child = fork();
    if (child == 0) {
        close(c_fd); /* the parent's hold: no close event of the child's */
        _exit(0);
    }
    waitpid(child, NULL, 0);
    close(c_fd); /* the parent's: recorded */

    FILE *m = fmemopen(d, sizeof d, "w"); /* a stream without a descriptor */
    errno = 1234;
    fclose(m);
    int e = errno;
    /* the facts last: writing them opens and closes their file */
    t_fact("a_fd", "%d", a_fd);
    t_fact("a_ino", "%llu", a_ino);
    t_fact("b_fd", "%d", b_fd);
    t_fact("c_fd", "%d", c_fd);
    t_fact("child", "%d", (int)child);
    t_fact("errno_after_fclose", "%d", e);
    unlink(a);
    unlink(b);
    unlink(c);
    return 0;
}

/* When the act side began to write its facts (their file's first open), or never. */
static uint64_t facts_begin(uint32_t pid)
{
    const struct t_event *e = t_find("open", pid, "pathname", t_facts, 0);
    return e ? e->ts : UINT64_MAX;
}

/* close events of pid before the facts. */
static unsigned closes_before_facts(uint32_t pid)
{
    unsigned n = 0;
    uint64_t end = facts_begin(pid);
    for (unsigned i = 0; i < t_nev; i++)
        n += t_ev[i].pid == pid && t_ev[i].ts < end && !strcmp(pt_event_name(t_ev[i].id), "close");
    return n;
}

/* The events of pid naming path (open) or fd (close, dup2). */
static unsigned opens_of(uint32_t pid, const char *path)
{
    unsigned n = 0;
    for (unsigned i = 0; i < t_nev; i++)
        n += t_ev[i].pid == pid && !strcmp(pt_event_name(t_ev[i].id), "open") &&
             !strcmp(t_s(&t_ev[i], "pathname"), path);
    return n;
}

static void check_followed(void)
{
    const struct t_event *e = t_find("process", 0, NULL, NULL, 0);
    uint32_t pid = e ? e->pid : 0;
    char a[300], b[300], c[300];
    snprintf(a, sizeof a, "%s.a", t_dir);
    snprintf(b, sizeof b, "%s.b", t_dir);
    snprintf(c, sizeof c, "%s.c", t_dir);
    e = t_find("open", pid, "pathname", a, 0);
    CHECK(e && e->ret == t_fact_num("a_fd") && t_u(e, "flags") == (O_WRONLY | O_CREAT | O_TRUNC) &&
              t_u(e, "fd_ino") == (uint64_t)t_fact_num("a_ino"),
          "fopen(\"w\") recorded as open(O_WRONLY|O_CREAT|O_TRUNC) of its file");
    CHECK(opens_of(pid, a) == 1, "the read-only fopen recorded (%u opens)", opens_of(pid, a));
    e = t_find("open", pid, "pathname", b, 0);
    CHECK(e && e->ret == t_fact_num("b_fd") && t_u(e, "flags") == (O_WRONLY | O_CREAT | O_TRUNC),
          "creat recorded as open");
    CHECK(!t_find("open", pid, "pathname", "/dev/null", 0), "an open of /dev/null recorded");
    e = t_find("dup2", pid, NULL, NULL, 0);
    CHECK(e && t_u(e, "newfd") == (uint64_t)t_fact_num("b_fd"), "dup2 over the held fd");
    e = t_find("open", pid, "pathname", c, 0);
    CHECK(e && e->ret == t_fact_num("c_fd") && (t_u(e, "flags") & O_ACCMODE) == O_RDWR,
          "__open_2 recorded as open");
    /* closes: fclose of a, close of c; not /dev/null's, not b's after the dup2, not the child's */
    CHECK(closes_before_facts(pid) == 2, "%u close events", closes_before_facts(pid));
    CHECK(t_count("close", (uint32_t)t_fact_num("child")) == 0, "the child's close recorded");
    e = t_find("close", pid, NULL, NULL, 1);
    CHECK(e && t_u(e, "fd") == (uint64_t)t_fact_num("c_fd"), "close of c");
    CHECK(t_fact_num("errno_after_fclose") == 1234, "fclose changed errno to %lld",
          t_fact_num("errno_after_fclose"));
}

int main(int argc, char **argv)
{
    if (t_acting())
        return act();
    int st = t_run_self(argv, "openfiles", NULL);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "act side status %#x", st);
    CHECK(t_read(t_dir) == 0, "reader diagnostics");
    check_followed();
    if (t_failures)
        return t_done("preload_open_files");
    t_cleanup();

    static const char *const off[] = {"PROFTRACE_OPEN_FILES=0", NULL};
    st = t_run_self(argv, "openfiles-off", off);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "act side status %#x", st);
    CHECK(t_read(t_dir) == 0, "reader diagnostics");
    const struct t_event *e = t_find("process", 0, NULL, NULL, 0);
    uint32_t pid = e ? e->pid : 0;
    CHECK(t_count("open", pid) == 0 && t_count("close", pid) == 0 && t_count("dup2", pid) == 0,
          "PROFTRACE_OPEN_FILES=0: %u open, %u close events", t_count("open", pid),
          t_count("close", pid));
    CHECK(t_fact_num("errno_after_fclose") == 1234, "fclose changed errno");
    return t_done("preload_open_files");
}
