/* hook_proc.c — process life: fork, vfork, posix_spawn, the exec family, _exit.
 *
 * fork: the real fork runs with the re-entry guard up, so nothing (atfork handlers included) is
 * recorded while parent and child share the parent's ring; the child then forgets that ring and
 * makes its own when it first records (fork_start.c), whose first events are its process and
 * module events. The parent records fork.
 *
 * exec: recorded before the call (ret 0) because it does not return on success; if it does return,
 * a second execve event carries the failure. A fork child that has recorded nothing yet, and whose
 * exec starts an image that will load the shim with this trace directory, records nothing before
 * the call: that image's start records the process (fork_start.c); if the exec returns, the child
 * starts then and records both events as ever. The environment handed to the new image always
 * carries LD_PRELOAD and PROFTRACE_DIR (env.c), built without the heap so that this works in a
 * vfork child too — except in a process proftrace attached to (attach.c), whose environment is
 * passed on as it was. execv/execvp/execl/execle/execlp do not reach execve through the PLT inside
 * libc, so each is wrapped; all are recorded as the execve class with the path or file given.
 *
 * Before an exec (or after a spawn) the target is examined (exec_check.c): a program that will not
 * be traced (static, set-user-ID, another machine; anything exec'd by an attached process) gets an
 * `untraced` event, so the report can say who went untraced. A vfork child cannot record: it leaves
 * its word in pt__vfork_word, which the parent records once it runs again (pt__exec_flush).
 *
 * vfork: see vfork.S. */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload/attach.h"
#include "preload/exec_check.h"
#include "preload/seccomp.h"
#include "preload/wrap.h"

PT__GEN_RECORDERS

/* An attached process's environment does not carry the shim (attach.c): what it execs, and the
 * shells system()/popen() start, are not traced. */
static const char pt__attached_why[] =
    "started by a process proftrace attached to: what an attached process executes is not traced";

/* Why the program an exec of (dirfd, path, flags) would start goes untraced (exec_check.c, then
 * the attach), into why; NULL when it will be traced. `real` gets the path examined. */
static const char *pt__untraceable(int dirfd, const char *path, int flags, char *why, size_t wsz,
                                   char *real, size_t rsz)
{
    const char *r = pt__exec_untraceable(dirfd, path, flags, why, wsz, real, rsz);
    if (!r && pt__attached) {
        snprintf(why, wsz, "%s", pt__attached_why);
        r = why;
    }
    return r;
}

PT__EXPORT pid_t fork(void)
{
    __typeof__(pt__real.fork) pt__fn = pt__real.fork;
    if (PT__UNLIKELY(!pt__fn)) {
        PT__REAL_OR_MISSING(fork, pid_t, PT_RET_INT_ERRNO)
    }
    if (!pt__may_trace())
        return pt__fn();
    struct pt__call c;
    pt__call_begin(&c, PT_CALL_fork);
    pt__pre_fork();
    pt__tls.depth++;
    uint8_t ob = pt__own_begin(); /* up across the fork: see above */
    errno = c.saved_errno;
    pid_t r = pt__fn();
    c.saved_errno = errno;
    pt__tls.depth--;
    if (r == 0) {
        pt__after_fork_child();
        pt__tls.cur = c.prev;
        errno = c.saved_errno;
        pt__own_end(ob);
        return 0;
    }
    pt__own_end(ob);
    c.t1 = pt__clock();
    c.ret = r;
    PT__FAIL_PT_RET_INT_ERRNO(c)
    pt__rec_fork();
    pt__call_end(&c);
    return r;
}

/* Called by the vfork entry (vfork.S) before it jumps to the real vfork: records the vfork and
 * returns the function to jump to. From here until the parent runs again, memory is shared with
 * the child, so every wrapper first asks pt__vfork_child(). */
__attribute__((visibility("hidden"))) void *pt__vfork_prepare(void)
{
    int saved = errno;
    void *fn = (void *)pt__real.vfork;
    if (!fn) {
        uint8_t busy = pt__tls.busy;
        pt__tls.busy = 1;
        fn = pt__resolve("vfork");
        if (!fn)
            fn = pt__resolve("fork");
        pt__tls.busy = busy;
        pt__real.vfork = (__typeof__(pt__real.vfork))fn;
    }
    if (pt__may_trace()) {
        struct pt__call c;
        pt__call_begin(&c, PT_CALL_vfork);
        pt__pre_vfork();
        c.t1 = c.t0;
        c.ret = 0;
        c.failed = 0;
        c.err = 0;
        pt__rec_vfork();
        pt__call_end(&c);
        pt__tls.vforked = 1;
    }
    errno = saved;
    return fn;
}

/* Which real exec to call, and its extra arguments (fexecve, execveat). */
enum pt__exec_kind { PT__EXECVE, PT__EXECVPE, PT__FEXECVE, PT__EXECVEAT };
struct pt__exec_args {
    int fd, flags;
};

static void *pt__exec_real(enum pt__exec_kind kind)
{
    static const char *const names[] = {"execve", "execvpe", "fexecve", "execveat"};
    static void *_Atomic fns[4];
    void *fn = atomic_load(&fns[kind]);
    if (PT__UNLIKELY(!fn)) {
        fn = pt__resolve(names[kind]);
        atomic_store(&fns[kind], fn);
    }
    return fn;
}

static int pt__exec_call(enum pt__exec_kind kind, void *fn, const char *path, char *const argv[],
                         char *const envp[], const struct pt__exec_args *x)
{
    switch (kind) {
    case PT__EXECVE:
        return ((int (*)(const char *, char *const[], char *const[]))fn)(path, argv, envp);
    case PT__EXECVPE:
        return ((int (*)(const char *, char *const[], char *const[]))fn)(path, argv, envp);
    case PT__FEXECVE:
        return ((int (*)(int, char *const[], char *const[]))fn)(x->fd, argv, envp);
    default:
        return ((int (*)(int, const char *, char *const[], char *const[], int))fn)(
            x->fd, path, argv, envp, x->flags);
    }
}

/* Looked up at start: an exec may come from a vfork child, which must not be the first to ask
 * the loader anything. */
void pt__exec_init(void)
{
    for (int k = PT__EXECVE; k <= PT__EXECVEAT; k++)
        pt__exec_real((enum pt__exec_kind)k);
}

/* What a vfork child found about the image it execs, for its parent (they share this memory). */
static struct {
    _Atomic int set;
    uint32_t pid;
    char exe[PATH_MAX], why[256];
} pt__vfork_word;

void pt__exec_flush(void)
{
    if (atomic_exchange(&pt__vfork_word.set, 0) && atomic_load(&pt__state) == PT__ON)
        pt__emit_untraced(pt__vfork_word.pid, pt__vfork_word.exe, pt__vfork_word.why);
}

/* Why the image an exec starts will not be traced (into why, its path into exe); NULL when it
 * will be, or that cannot be known. */
static const char *pt__exec_why(enum pt__exec_kind kind, const char *path,
                                const struct pt__exec_args *x, char *why, size_t wsz, char *exe,
                                size_t esz)
{
    char found[PATH_MAX];
    const char *target = kind == PT__EXECVPE ? pt__exec_search(path, found, sizeof found) : path;
    int dirfd = kind == PT__FEXECVE || kind == PT__EXECVEAT ? x->fd : AT_FDCWD;
    int flags = kind == PT__FEXECVE ? AT_EMPTY_PATH : kind == PT__EXECVEAT ? x->flags : 0;
    if (kind == PT__FEXECVE)
        target = "";
    return target ? pt__untraceable(dirfd, target, flags, why, wsz, exe, esz) : NULL;
}

/* Whether the image the exec starts will be traced; when not, say so (now, or through the parent
 * of a vfork child). Returns 1 when an untraced event is to be withdrawn if the exec returns. */
static int pt__exec_say(enum pt__exec_kind kind, const char *path, const struct pt__exec_args *x,
                        int trace)
{
    char why[256], exe[PATH_MAX];
    if (!pt__exec_why(kind, path, x, why, sizeof why, exe, sizeof exe))
        return 0;
    uint32_t pid = (uint32_t)syscall(SYS_getpid);
    if (trace) {
        pt__emit_untraced(pid, exe, why);
        return 1;
    }
    if (pt__tls.vforked && pt__vfork_child()) {
        pt__vfork_word.pid = pid;
        memcpy(pt__vfork_word.exe, exe, sizeof exe);
        memcpy(pt__vfork_word.why, why, sizeof why);
        atomic_store(&pt__vfork_word.set, 1);
    }
    return 0;
}

/* A fork child that has recorded nothing yet (fork_start.c) makes no start of its own for an exec
 * whose image will load the shim with this trace directory: that image's start records the
 * process. Examines the target as pt__exec_say would (then it need not). */
static int pt__exec_defers(enum pt__exec_kind kind, const char *path,
                           const struct pt__exec_args *x, char *const use[])
{
    char why[256], exe[PATH_MAX];
    return pt__fork_start_pending() && pt__env_keeps_shim(use) &&
           !pt__exec_why(kind, path, x, why, sizeof why, exe, sizeof exe);
}

/* The execve event an exec records before the call (ret 0: it does not return on success), with
 * its entry time t0 (0: now). */
static void pt__exec_note(const char *shown, char *const argv[], char *const envp[], uint64_t t0)
{
    struct pt__call c;
    pt__call_begin(&c, PT_CALL_execve);
    if (t0)
        c.t0 = t0;
    pt__pre_execve(shown, argv, envp);
    c.t1 = c.t0;
    c.ret = 0, c.err = 0, c.failed = 0;
    pt__rec_execve(shown, argv, envp);
    pt__call_end(&c);
}

/* `path` is what the event records: the path or file given, or /dev/fd/N for fexecve. */
static int pt__exec(enum pt__exec_kind kind, const char *path, char *const argv[],
                    char *const envp[], const struct pt__exec_args *x)
{
    void *fn = pt__exec_real(kind);
    if (PT__UNLIKELY(!fn))
        return errno = ENOSYS, -1;
    struct pt__env_buf env;
    if (PT__UNLIKELY(pt__seccomp_stopped)) { /* the new image inherits the filter: say so */
        int r = pt__exec_call(kind, fn, path, argv, pt__env_seccomp(envp, &env), x);
        pt__env_release(&env);
        return r;
    }
    if (atomic_load(&pt__state) != PT__ON) /* inert or not asked: not even the environment */
        return pt__exec_call(kind, fn, path, argv, envp, x);

    int saved = errno;
    char **use = pt__env_fix(envp, &env);
    char fdpath[32];
    const char *shown = path;
    if (kind == PT__FEXECVE) {
        snprintf(fdpath, sizeof fdpath, "/dev/fd/%d", x->fd);
        shown = fdpath;
    }
    errno = saved;
    int trace = pt__may_trace();
    /* Deferred: nothing recorded before the call; if it returns, the child starts then. */
    int defer = trace && pt__exec_defers(kind, path, x, use);
    uint64_t t0 = defer ? pt__clock() : 0;
    if (trace && !defer)
        pt__exec_note(shown, argv, envp, 0);
    /* The image ends here if the exec succeeds, and its ring descriptor (close-on-exec) with it:
     * say so first, or the ring would look like one left by a crash. Not in a vfork child, whose
     * ring is its parent's. */
    int own = pt__pid && (uint32_t)syscall(SYS_getpid) == pt__pid;
    int said = defer ? 0 : pt__exec_say(kind, path, x, trace);
    if (own)
        pt_ring_finish(pt__ring, PT_RING_EXECING);
    errno = saved;
    int r = pt__exec_call(kind, fn, path, argv, use, x);
    if (own)
        pt_ring_finish(pt__ring, PT_RING_OPEN); /* it returned: the image goes on */
    pt__env_release(&env);
    saved = errno;
    if (defer) /* it returned: the child starts (its process event first), then the exec as ever */
        pt__exec_note(shown, argv, envp, t0);
    if (said)
        pt__emit_untraced((uint32_t)syscall(SYS_getpid), "", "");
    else
        atomic_store(&pt__vfork_word.set, 0);
    errno = saved;
    if (trace) {
        struct pt__call c;
        pt__call_begin(&c, PT_CALL_execve);
        c.saved_errno = errno;
        pt__pre_execve(shown, argv, envp);
        c.t1 = pt__clock();
        c.ret = r;
        PT__FAIL_PT_RET_INT_ERRNO(c)
        pt__rec_execve(shown, argv, envp);
        pt__call_end(&c);
    }
    return r;
}

PT__EXPORT int execve(const char *pathname, char *const argv[], char *const envp[])
{
    return pt__exec(PT__EXECVE, pathname, argv, envp, NULL);
}

PT__EXPORT int execv(const char *pathname, char *const argv[])
{
    return pt__exec(PT__EXECVE, pathname, argv, environ, NULL);
}

PT__EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    return pt__exec(PT__EXECVPE, file, argv, envp, NULL);
}

PT__EXPORT int execvp(const char *file, char *const argv[])
{
    return pt__exec(PT__EXECVPE, file, argv, environ, NULL);
}

/* The list forms: the arguments become an argv on the stack. */
#define PT__ARGV_FROM_LIST(argv, arg, ap, last)                                                    \
    size_t pt__argc = 1;                                                                           \
    va_start(ap, arg);                                                                             \
    while (va_arg(ap, char *))                                                                     \
        pt__argc++;                                                                                \
    va_end(ap);                                                                                    \
    char *argv[pt__argc + 1];                                                                      \
    argv[0] = (char *)arg;                                                                         \
    va_start(ap, arg);                                                                             \
    for (size_t i = 1; i <= pt__argc; i++)                                                         \
        argv[i] = va_arg(ap, char *);                                                              \
    last;                                                                                          \
    va_end(ap);

PT__EXPORT int execl(const char *pathname, const char *arg, ...)
{
    va_list ap;
    PT__ARGV_FROM_LIST(argv, arg, ap, (void)0)
    return pt__exec(PT__EXECVE, pathname, argv, environ, NULL);
}

PT__EXPORT int execlp(const char *file, const char *arg, ...)
{
    va_list ap;
    PT__ARGV_FROM_LIST(argv, arg, ap, (void)0)
    return pt__exec(PT__EXECVPE, file, argv, environ, NULL);
}

PT__EXPORT int execle(const char *pathname, const char *arg, ...)
{
    va_list ap;
    char *const *envp;
    PT__ARGV_FROM_LIST(argv, arg, ap, envp = va_arg(ap, char *const *))
    return pt__exec(PT__EXECVE, pathname, argv, envp, NULL);
}

PT__EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    struct pt__exec_args x = {fd, 0};
    return pt__exec(PT__FEXECVE, NULL, argv, envp, &x);
}

PT__EXPORT int execveat(int dirfd, const char *pathname, char *const argv[], char *const envp[],
                        int flags)
{
    struct pt__exec_args x = {dirfd, flags};
    return pt__exec(PT__EXECVEAT, pathname, argv, envp, &x);
}

/* posix_spawn and posix_spawnp: the child glibc makes runs only libc-internal code until it
 * execs, so it is never traced; the environment it gets is fixed like an exec's. */
static int pt__spawn(int usepath, pid_t *pid, const char *path,
                     const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
                     char *const argv[], char *const envp[])
{
    __typeof__(pt__real.posix_spawn) pt__fn =
        usepath ? pt__real.posix_spawnp : pt__real.posix_spawn;
    if (PT__UNLIKELY(!pt__fn)) {
        uint8_t busy = pt__tls.busy;
        pt__tls.busy = 1;
        pt__fn = (__typeof__(pt__fn))pt__resolve(usepath ? "posix_spawnp" : "posix_spawn");
        pt__tls.busy = busy;
        if (!pt__fn)
            return ENOSYS;
    }
    struct pt__env_buf env;
    if (PT__UNLIKELY(pt__seccomp_stopped) && envp) { /* see pt__exec */
        int r = pt__fn(pid, path, fa, attr, argv, pt__env_seccomp(envp, &env));
        pt__env_release(&env);
        return r;
    }
    if (atomic_load(&pt__state) != PT__ON || !envp)
        return pt__fn(pid, path, fa, attr, argv, envp);
    char **use = pt__env_fix(envp, &env);
    if (!pt__may_trace()) {
        int r = pt__fn(pid, path, fa, attr, argv, use);
        pt__env_release(&env);
        return r;
    }
    pid_t mypid = 0;
    if (!pid)
        pid = &mypid; /* the event wants the child's pid even when the caller does not */
    PT__TRACED_CALL_NORET(posix_spawn, int, (pid, path, fa, attr, argv, use), PT_RET_ERRNUM, 0)
    /* the child has exec'ed (or failed) by now */
    pt__env_release(&env);
    if (pt__r == 0) { /* the child execs inside libc: examine what it runs from here */
        int saved = errno;
        char found[PATH_MAX], why[256], exe[PATH_MAX];
        const char *target = usepath ? pt__exec_search(path, found, sizeof found) : path;
        if (target && pt__untraceable(AT_FDCWD, target, 0, why, sizeof why, exe, sizeof exe))
            pt__emit_untraced((uint32_t)*pid, exe, why);
        errno = saved;
    }
    return pt__r;
}

PT__EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                           const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    return pt__spawn(0, pid, path, fa, attr, argv, envp);
}

PT__EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                            const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    return pt__spawn(1, pid, file, fa, attr, argv, envp);
}

/* system() and popen() spawn /bin/sh inside libc, with the program's environ as it is: when the
 * program took LD_PRELOAD (or PROFTRACE_DIR) out of it, that shell and all it runs go untraced. */
static const char pt__sh_why[] =
    "LD_PRELOAD or PROFTRACE_DIR removed from the environment (system/popen run /bin/sh with it)";

PT__EXPORT int system(const char *command)
{
    static int (*real)(const char *);
    if (!real) {
        uint8_t ob = pt__own_begin();
        real = (int (*)(const char *))pt__resolve("system");
        pt__own_end(ob);
        if (!real)
            return -1;
    }
    if (command && atomic_load(&pt__state) == PT__ON && !pt__tls.busy && !pt__tls.vforked &&
        !pt__env_traced(environ)) {
        int saved = errno;
        /* its pid never reaches the caller */
        pt__emit_untraced(0, "/bin/sh", pt__attached ? pt__attached_why : pt__sh_why);
        errno = saved;
    }
    return real(command);
}

/* The newest child of this thread: the one popen just made. */
static uint32_t pt__newest_child(void)
{
    char buf[4096];
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/thread-self/children", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = syscall(SYS_read, fd, buf, sizeof buf - 1);
    syscall(SYS_close, fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char *last = NULL, *save = NULL;
    for (char *t = strtok_r(buf, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
        last = t;
    return last ? (uint32_t)strtoul(last, NULL, 10) : 0;
}

PT__EXPORT FILE *popen(const char *command, const char *type)
{
    static FILE *(*real)(const char *, const char *);
    if (!real) {
        uint8_t ob = pt__own_begin();
        real = (FILE * (*)(const char *, const char *)) pt__resolve("popen");
        pt__own_end(ob);
        if (!real)
            return NULL;
    }
    FILE *f = real(command, type);
    if (f && atomic_load(&pt__state) == PT__ON && !pt__tls.busy && !pt__tls.vforked &&
        !pt__env_traced(environ)) {
        int saved = errno;
        pt__emit_untraced(pt__newest_child(), "/bin/sh",
                          pt__attached ? pt__attached_why : pt__sh_why);
        errno = saved;
    }
    return f;
}

/* _exit and _Exit end the process without atexit handlers: record the exit first. */
PT__EXPORT void _exit(int status)
{
    pt__record_exit(status);
    if (!pt__real._exit)
        pt__real._exit = (__typeof__(pt__real._exit))pt__resolve("_exit");
    pt__real._exit(status);
    __builtin_unreachable();
}

PT__EXPORT void _Exit(int status)
{
    pt__record_exit(status);
    if (!pt__real._Exit)
        pt__real._Exit = (__typeof__(pt__real._Exit))pt__resolve("_Exit");
    pt__real._Exit(status);
    __builtin_unreachable();
}
