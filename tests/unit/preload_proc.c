/* preload_proc.c — process life under the shim: fork (the child's own ring and process event),
 * an exec chain where the program passes an environment without LD_PRELOAD/PROFTRACE_DIR (the shim
 * must carry them), vfork + exec (the parent keeps tracing, the borrowed child records nothing of
 * its own), posix_spawn with a bare environment, _exit, threads (each event attributed to its
 * thread), a multi-threaded program forking while its other threads make traced calls, and fatal
 * signals (recorded, and the process still dies of the same signal). */
#include "tests/unit/preload_test.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>

extern char **environ;

static char self[4096];

static void file_path(char *out, size_t n, const char *tag)
{
    snprintf(out, n, "%s.%s", getenv("PT_PRELOAD_FACTS"), tag);
}

static void touch(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
}

static int has_shim(void)
{
    const char *p = getenv("LD_PRELOAD"), *d = getenv("PROFTRACE_DIR");
    return p && strstr(p, "libproftrace.so") && d && *d;
}

/* Roles of re-executed images. */
static int exec_child(int argc, char **argv)
{
    t_fact("exec_child", "%d %d", (int)getpid(), has_shim());
    unlink(argv[2]);
    execl(self, self, "exec-leaf", (char *)NULL); /* the chain goes on, environment inherited */
    return 99;
}

static int exec_leaf(void)
{
    t_fact("exec_leaf", "%d %d", (int)getpid(), has_shim());
    return 7;
}

static int fexec_child(void)
{
    t_fact("fexec_child", "%d %d", (int)getpid(), has_shim());
    return 6;
}

static int vfork_child(void)
{
    t_fact("vfork_child", "%d %d", (int)getpid(), has_shim());
    return 0;
}

static int spawn_child(void)
{
    t_fact("spawn_child", "%d %d", (int)getpid(), has_shim());
    return 4;
}

static void *thread_main(void *arg)
{
    char path[600];
    file_path(path, sizeof path, (const char *)arg);
    t_fact((const char *)arg, "%d", (int)syscall(SYS_gettid));
    unlink(path); /* fails: ENOENT */
    return NULL;
}

static void *seq_thread(void *arg)
{
    char path[600];
    file_path(path, sizeof path, "seq-nonexistent");
    unlink(path);
    return arg;
}

static _Atomic int spin_stop;
static void *spinner(void *arg)
{
    char path[600];
    file_path(path, sizeof path, "spin-nonexistent");
    while (!spin_stop) {
        unlink(path);
        usleep(200); /* keep the trace small enough to read back whole */
    }
    return NULL;
}

static int act(void)
{
    char facts_env[700], p[600];
    snprintf(facts_env, sizeof facts_env, "PT_PRELOAD_FACTS=%s", getenv("PT_PRELOAD_FACTS"));
    int st;

    /* fork, then an exec chain with an environment that lacks the shim's variables. */
    char f1[600], f2[600];
    file_path(f1, sizeof f1, "forkchild");
    file_path(f2, sizeof f2, "execchild");
    touch(f1);
    touch(f2);
    pid_t pid = fork();
    if (pid == 0) {
        unlink(f1);
        char *args[] = {self, "exec-child", f2, NULL};
        char *env[] = {facts_env, NULL};
        execve(self, args, env);
        _exit(98);
    }
    waitpid(pid, &st, 0);
    t_fact("fork", "%d %d", (int)pid, st);

    /* vfork + exec: the parent's next call must be recorded as the parent's. */
    pid = vfork();
    if (pid == 0) {
        execl(self, self, "vfork-child", (char *)NULL);
        _exit(127);
    }
    char f3[600];
    file_path(f3, sizeof f3, "aftervfork");
    unlink(f3); /* ENOENT, recorded by the parent */
    waitpid(pid, &st, 0);
    t_fact("vfork", "%d %d %d", (int)pid, st, (int)getpid());

    /* posix_spawn with a bare environment. */
    char *sargs[] = {self, "spawn-child", NULL};
    char *senv[] = {facts_env, NULL};
    int rc = posix_spawn(&pid, self, NULL, NULL, sargs, senv);
    waitpid(pid, &st, 0);
    t_fact("spawn", "%d %d %d", rc, (int)pid, st);

    /* fexecve with a bare environment. */
    pid = fork();
    if (pid == 0) {
        int fd = open(self, O_RDONLY); /* not O_CLOEXEC: the kernel needs it for a script */
        char *args[] = {self, "fexec-child", NULL};
        char *env[] = {facts_env, NULL};
        fexecve(fd, args, env);
        _exit(97);
    }
    waitpid(pid, &st, 0);
    t_fact("fexec", "%d %d", (int)pid, st);

    /* daemon(): libc forks inside (no wrapper sees it); the daemon still gets its own stream. It
     * says its pid through a pipe, and the test waits for its exit on a pidfd. */
    char fd_path[600];
    int dpipe[2];
    file_path(fd_path, sizeof fd_path, "daemon-nonexistent");
    if (pipe(dpipe) != 0)
        return 1;
    pid = fork();
    if (pid == 0) {
        close(dpipe[0]);
        if (daemon(1, 1) != 0)
            _exit(96);
        t_fact("daemon", "%d", (int)getpid());
        unlink(fd_path);
        pid_t me = getpid();
        if (write(dpipe[1], &me, sizeof me) != (ssize_t)sizeof me)
            _exit(95);
        exit(0);
    }
    close(dpipe[1]);
    waitpid(pid, &st, 0);
    pid_t dpid = 0;
    if (read(dpipe[0], &dpid, sizeof dpid) == (ssize_t)sizeof dpid && dpid > 0) {
        int pfd = (int)syscall(SYS_pidfd_open, dpid, 0); /* ESRCH: it has exited already */
        if (pfd >= 0) {
            struct pollfd pw = {.fd = pfd, .events = POLLIN};
            poll(&pw, 1, 30000); /* readable once it has exited */
            close(pfd);
        }
    }
    close(dpipe[0]);

    /* A failing exec returns: recorded before (ret 0) and again with the error; errno intact. */
    errno = 0;
    int xr = execl("/nonexistent/pt-preload-prog", "pt-preload-prog", (char *)NULL);
    t_fact("exec_fail", "%d %d", xr, errno);

    /* _exit in a fork child. */
    pid = fork();
    if (pid == 0)
        _exit(5);
    waitpid(pid, &st, 0);
    t_fact("_exit", "%d %d", (int)pid, st);

    /* Fatal signals: recorded, and the child still dies of them. */
    pid = fork();
    if (pid == 0) {
        raise(SIGTERM);
        _exit(0);
    }
    waitpid(pid, &st, 0);
    t_fact("sigterm", "%d %d", (int)pid, st);
    struct sigaction old;
    Dl_info di;
    /* The program must see SIG_DFL where the shim's handler stands in; a sanitizer's handler,
     * installed before the shim started, shows as itself (and the shim stays out). */
    sigaction(SIGSEGV, NULL, &old);
    int foreign = (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL;
    (void)di;
    t_fact("segv_foreign", "%d", foreign);
    sigaction(SIGTERM, NULL, &old);
    t_fact("sigterm_dfl", "%d", !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL);
    sighandler_t prev = signal(SIGUSR1, SIG_DFL);
    t_fact("sigusr1_dfl", "%d", prev == SIG_DFL);
    pid = fork();
    if (pid == 0) {
        volatile int *null = NULL;
        *null = 1;
        _exit(0);
    }
    waitpid(pid, &st, 0);
    t_fact("sigsegv", "%d %d", (int)pid, st);

    /* Threads. */
    pthread_t th[4];
    static const char *names[] = {"thr0", "thr1", "thr2", "thr3"};
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, thread_main, (void *)names[i]);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);

    /* More threads over time than the ring has buffers: each gives its buffer back at exit. */
    for (int i = 0; i < 100; i++) {
        pthread_t t;
        pthread_create(&t, NULL, seq_thread, NULL);
        pthread_join(t, NULL);
    }

    /* Forking while other threads trace. */
    pthread_t sp[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&sp[i], NULL, spinner, NULL);
    int ok = 0;
    for (int i = 0; i < 20; i++) {
        pid = fork();
        if (pid == 0) {
            file_path(p, sizeof p, "mtfork-nonexistent");
            unlink(p);
            _exit(3);
        }
        if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 3)
            ok++;
    }
    spin_stop = 1;
    for (int i = 0; i < 3; i++)
        pthread_join(sp[i], NULL);
    t_fact("mtfork", "%d", ok);
    t_fact("parent", "%d", (int)getpid());
    return 0;
}

static uint32_t pid_of_fact(const char *key)
{
    return (uint32_t)atoi(t_fact_str(key));
}

int main(int argc, char **argv)
{
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
    if (argc > 1 && !strcmp(argv[1], "exec-child"))
        return exec_child(argc, argv);
    if (argc > 1 && !strcmp(argv[1], "exec-leaf"))
        return exec_leaf();
    if (argc > 1 && !strcmp(argv[1], "fexec-child"))
        return fexec_child();
    if (argc > 1 && !strcmp(argv[1], "vfork-child"))
        return vfork_child();
    if (argc > 1 && !strcmp(argv[1], "spawn-child"))
        return spawn_child();
    if (t_acting())
        return act();

    int st = t_run_self(argv, "proc", NULL);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "act side status %#x", st);
    CHECK(t_read(t_dir) == 0, "reader diagnostics");
    const struct t_event *e;
    char path[600];
    uint32_t parent = pid_of_fact("parent");
    int a, b, c;

    /* fork + exec chain. */
    sscanf(t_fact_str("fork"), "%d %d", &a, &b);
    uint32_t child = (uint32_t)a;
    CHECK(WIFEXITED(b) && WEXITSTATUS(b) == 7, "exec chain exit status %#x", b);
    e = t_find("fork", parent, NULL, NULL, 0);
    CHECK(e && e->ret == a, "fork event in the parent with the child's pid");
    e = t_find("process", child, NULL, NULL, 0);
    CHECK(e && t_u(e, "ppid") == parent, "the fork child's own process event");
    snprintf(path, sizeof path, "%s.forkchild", t_facts);
    e = t_find("unlink", child, "pathname", path, 0);
    CHECK(e && e->ret == 0, "fork child's unlink recorded in its stream");
    CHECK(t_find("unlink", parent, "pathname", path, 0) == NULL,
          "child's event in the parent's stream");
    e = t_find("execve", child, "pathname", self, 0);
    CHECK(e && e->ret == 0, "execve recorded before the call");
    sscanf(t_fact_str("exec_child"), "%d %d", &a, &b);
    CHECK(a == (int)child && b == 1,
          "exec'ed image kept the pid and got the shim's environment (%d %d)", a, b);
    CHECK(t_count("process", child) >= 3, "process events for fork child, exec, exec again: %u",
          t_count("process", child));
    snprintf(path, sizeof path, "%s.execchild", t_facts);
    e = t_find("unlink", child, "pathname", path, 0);
    CHECK(e && e->ret == 0, "unlink from the exec'ed image");
    sscanf(t_fact_str("exec_leaf"), "%d %d", &a, &b);
    CHECK(a == (int)child && b == 1, "second exec of the chain traced");
    e = t_find("exit", child, NULL, NULL, 0);
    CHECK(e && t_u(e, "status") == 7, "leaf's exit status recorded");

    /* vfork. */
    sscanf(t_fact_str("vfork"), "%d %d %d", &a, &b, &c);
    CHECK(WIFEXITED(b) && WEXITSTATUS(b) == 0, "vfork child status");
    CHECK(t_find("vfork", parent, NULL, NULL, 0) != NULL, "vfork event");
    snprintf(path, sizeof path, "%s.aftervfork", t_facts);
    e = t_find("unlink", parent, "pathname", path, 0);
    CHECK(e && e->ret == -1 && e->err == ENOENT, "parent traced after vfork");
    sscanf(t_fact_str("vfork_child"), "%d %d", &b, &c);
    CHECK(b == a && c == 1, "vfork child exec'ed under the shim");
    CHECK(t_find("process", (uint32_t)a, NULL, NULL, 0) != NULL,
          "vfork child's image has a stream");

    /* posix_spawn. */
    sscanf(t_fact_str("spawn"), "%d %d %d", &a, &b, &c);
    CHECK(a == 0 && WIFEXITED(c) && WEXITSTATUS(c) == 4, "spawn result %d status %#x", a, c);
    e = t_find("posix_spawn", parent, "path", self, 0);
    CHECK(e && e->ret == 0 && (int)t_u(e, "pid") == b, "posix_spawn event with the child pid");
    CHECK(atoi(t_fact_str("spawn_child")) == b && strstr(t_fact_str("spawn_child"), " 1"),
          "spawned child got the shim's environment: %s", t_fact_str("spawn_child"));
    e = t_find("exit", (uint32_t)b, NULL, NULL, 0);
    CHECK(e && t_u(e, "status") == 4, "spawned child's exit");

    /* daemon(). */
    uint32_t dpid = (uint32_t)t_fact_num("daemon");
    snprintf(path, sizeof path, "%s.daemon-nonexistent", t_facts);
    e = t_find("unlink", dpid, "pathname", path, 0);
    CHECK(dpid > 0 && e && e->err == ENOENT, "daemon's unlink in its own stream (pid %u)", dpid);
    e = t_find("process", dpid, NULL, NULL, 0);
    CHECK(e != NULL, "daemon's own process event");
    CHECK(t_find("unlink", parent, "pathname", path, 0) == NULL, "daemon's event in the parent");

    /* fexecve. */
    sscanf(t_fact_str("fexec"), "%d %d", &a, &b);
    CHECK(WIFEXITED(b) && WEXITSTATUS(b) == 6, "fexecve child status %#x", b);
    CHECK(atoi(t_fact_str("fexec_child")) == a && strstr(t_fact_str("fexec_child"), " 1"),
          "fexecve'd image got the shim's environment: %s", t_fact_str("fexec_child"));
    e = t_find("execve", (uint32_t)a, NULL, NULL, 0);
    CHECK(e && !strncmp(t_s(e, "pathname"), "/dev/fd/", 8), "fexecve recorded as execve /dev/fd/N");

    /* Failed exec. */
    CHECK(!strcmp(t_fact_str("exec_fail"), "-1 2"), "failed execl: %s", t_fact_str("exec_fail"));
    e = t_find("execve", parent, "pathname", "/nonexistent/pt-preload-prog", 0);
    CHECK(e && e->ret == 0, "exec recorded before the call");
    e = t_find("execve", parent, "pathname", "/nonexistent/pt-preload-prog", 1);
    CHECK(e && e->ret == -1 && e->err == ENOENT, "failed exec recorded with its error");

    /* _exit. */
    sscanf(t_fact_str("_exit"), "%d %d", &a, &b);
    CHECK(WIFEXITED(b) && WEXITSTATUS(b) == 5, "_exit status");
    e = t_find("exit", (uint32_t)a, NULL, NULL, 0);
    CHECK(e && t_u(e, "status") == 5, "_exit recorded");

    /* Signals. */
    sscanf(t_fact_str("sigterm"), "%d %d", &a, &b);
    CHECK(WIFSIGNALED(b) && WTERMSIG(b) == SIGTERM, "SIGTERM child status %#x", b);
    e = t_find("signal", (uint32_t)a, NULL, NULL, 0);
    CHECK(e && (int)t_u(e, "signo") == SIGTERM && (int)t_u(e, "code") == SI_TKILL,
          "signal event SIGTERM");
    CHECK(t_find("exit", (uint32_t)a, NULL, NULL, 0) == NULL, "no exit event for a killed process");
    CHECK(t_fact_num("sigterm_dfl") == 1, "sigaction shows the shim's handler instead of SIG_DFL");
    CHECK(t_fact_num("sigusr1_dfl") == 1,
          "signal() returned the shim's handler instead of SIG_DFL");
    sscanf(t_fact_str("sigsegv"), "%d %d", &a, &b);
    e = t_find("signal", (uint32_t)a, NULL, NULL, 0);
    if (t_fact_num("segv_foreign") == 0) {
        CHECK(WIFSIGNALED(b) && WTERMSIG(b) == SIGSEGV, "SIGSEGV child status %#x", b);
        CHECK(e && (int)t_u(e, "signo") == SIGSEGV && t_u(e, "addr") == 0 &&
                  (int)t_u(e, "code") == SEGV_MAPERR,
              "signal event SIGSEGV");
    } else { /* a sanitizer owned SIGSEGV before the shim started: the shim must stay out */
        CHECK(e == NULL, "shim recorded a signal it did not own");
    }

    /* Threads. */
    for (int i = 0; i < 4; i++) {
        char key[8];
        snprintf(key, sizeof key, "thr%d", i);
        uint32_t tid = (uint32_t)t_fact_num(key);
        snprintf(path, sizeof path, "%s.%s", t_facts, key);
        e = t_find("unlink", parent, "pathname", path, 0);
        CHECK(e && e->tid == tid && e->err == ENOENT, "thread %d's unlink attributed to tid %u", i,
              tid);
        int thr = 0;
        for (unsigned k = 0; k < t_nev; k++)
            thr |= !strcmp(pt_event_name(t_ev[k].id), "thread") && t_u(&t_ev[k], "tid") == tid;
        CHECK(thr, "thread event for %u", tid);
    }

    /* Sequential threads: all 100 recorded, nothing lost. */
    snprintf(path, sizeof path, "%s.seq-nonexistent", t_facts);
    unsigned seq = 0;
    for (unsigned k = 0; k < t_nev; k++)
        seq += t_ev[k].pid == parent && !strcmp(pt_event_name(t_ev[k].id), "unlink") &&
               !strcmp(t_s(&t_ev[k], "pathname"), path);
    CHECK(seq == 100, "events of 100 short-lived threads: %u", seq);

    /* Multi-threaded fork. */
    CHECK(t_fact_num("mtfork") == 20, "children of the multi-threaded fork: %lld",
          t_fact_num("mtfork"));
    snprintf(path, sizeof path, "%s.mtfork-nonexistent", t_facts);
    int children = 0;
    for (unsigned k = 0; k < t_nev; k++) {
        const struct t_event *x = &t_ev[k];
        if (strcmp(pt_event_name(x->id), "unlink") || strcmp(t_s(x, "pathname"), path))
            continue;
        const struct t_event *pe = t_find("process", x->pid, NULL, NULL, 0);
        const struct t_event *ex = t_find("exit", x->pid, NULL, NULL, 0);
        children +=
            x->pid != parent && pe && t_u(pe, "ppid") == parent && ex && t_u(ex, "status") == 3;
    }
    CHECK(children == 20, "children with process, unlink and exit events: %d", children);
    snprintf(path, sizeof path, "%s.spin-nonexistent", t_facts);
    CHECK(t_find("unlink", parent, "pathname", path, 0) != NULL, "spinning threads traced");
    CHECK(t_stats.lost == 0 || 1, "lost events are allowed under load (counted: %llu)",
          (unsigned long long)t_stats.lost);

    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -f '%s'.*", t_facts);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: cleanup\n");
    return t_done("preload_proc");
}
