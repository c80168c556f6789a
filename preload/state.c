/* state.c — the shim's life: lazy thread-safe start, the one-line failure path, normal exit. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload/shim.h"
#include "preload/breakpoint.h"
#include "preload/coredump.h"
#include "preload/holds.h"
#include "preload/dl_watch.h"
#include "preload/fork_guard.h"
#include "preload/hook_inline.h"
#include "preload/unwind.h"

_Atomic int pt__state;
struct pt_ring *pt__ring;
uint32_t pt__pid;
struct pt__real pt__real;
struct pt_ring_config pt__cfg;
static char pt__dir[PATH_MAX];
static _Atomic int pt__exit_done;

void pt__fail(const char *what, int err)
{
    static _Atomic int said;
    atomic_store(&pt__state, PT__INERT);
    pt__start_ns_forget(); /* read for a start that did not happen */
    if (atomic_exchange(&said, 1))
        return;
    char line[512];
    int n = snprintf(line, sizeof line, "proftrace: %s%s%s; tracing off, the program continues\n",
                     what, err ? ": " : "", err ? strerror(err < 0 ? -err : err) : "");
    if (n > (int)sizeof line - 1)
        n = (int)sizeof line - 1;
    if (n > 0) {
        ssize_t w = write(2, line, (size_t)n);
        (void)w;
    }
}

/* Registered from the constructor, which the loader runs before the program's entry registers its
 * own exit-time destructor pass (_dl_fini): this runs after every atexit handler and destructor,
 * so it is the last word of a normal exit. The ring stays mapped and its descriptor open: the
 * kernel unmaps and closes both as the process ends, and a thread still writing (another thread
 * of the program) keeps a valid buffer; pt__record_exit has marked the ring ended. */
static void pt__on_exit(int status, void *arg)
{
    (void)arg;
    pt__record_exit(status);
}

/* A size from the environment, or `def`. */
static size_t pt__env_size(const char *name, size_t def)
{
    const char *v = pt__getenv(name);
    if (!v || !*v)
        return def;
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (*end == 'k' || *end == 'K')
        n <<= 10;
    else if (*end == 'm' || *end == 'M')
        n <<= 20;
    return (size_t)n;
}

static void pt__atfork_child(void);

/* What the process needs once, however tracing started (here, or attach.c in a running process):
 * the thread-exit destructor, the fork-child handler, the exit handler. */
void pt__process_hooks_once(void)
{
    static int done;
    if (done++)
        return;
    pt__thread_key_init();
    pthread_atfork(pt__fork_prepare, pt__fork_parent, pt__atfork_child);
    on_exit(pt__on_exit, NULL);
}

void pt__init(void)
{
    int expect = PT__UNINIT;
    if (!atomic_compare_exchange_strong(&pt__state, &expect, PT__INITING))
        return; /* done, or another thread is at it: pass through meanwhile */
    uint8_t busy = pt__tls.busy;
    pt__tls.busy = 1;
    int saved = errno;
    int state = PT__INERT;

    /* Even inert, exec must not be looked up for the first time in a vfork child. */
    pt__exec_init();
    const char *dir = getenv("PROFTRACE_DIR");
    if (!dir || !*dir)
        goto out; /* not asked to trace */
    if (getenv("PROFTRACE_SECCOMP"))
        goto out; /* an ancestor's seccomp filter refuses what the shim needs (seccomp.c) */
    if (getauxval(AT_SECURE))
        goto out; /* setuid/setgid program: never write a trace with its privileges */
    if (!realpath(dir, pt__dir)) {
        int e = errno;
        char what[PATH_MAX + 64];
        snprintf(what, sizeof what, "PROFTRACE_DIR=%s", dir);
        pt__fail(what, e);
        goto out_failed;
    }
    pt__cfg.dir = pt__dir;
    pt__clock_init();
    pt__resolve_all();
    pt__env_init();
    pt__unwind_init();
    pt__env_warn(); /* bad PROFTRACE_* values: said once, defaults used (pt__getenv) */
    pt__stacks_config(pt__getenv("PROFTRACE_STACKS"));
    pt__break_config(pt__getenv("PROFTRACE_BREAK"));
    pt__redact_config(pt__getenv("PROFTRACE_REDACT"));
    pt__open_files_config(pt__getenv("PROFTRACE_OPEN_FILES"));
    pt__process_hooks_once();
    pt__cfg.thread_buf_bytes = pt__env_size("PROFTRACE_BUFSIZE", 0);
    pt__cfg.nthreads = (unsigned)pt__env_size("PROFTRACE_THREADS", 0);
    const char *ow = pt__getenv("PROFTRACE_OVERWRITE");
    pt__cfg.overwrite = ow && *ow && *ow != '0';
    /* No-loss: how many ms a writer waits for room (the flight recorder never waits). */
    pt__cfg.noloss_ms = pt__cfg.overwrite ? 0 : (unsigned)pt__env_size("PROFTRACE_NOLOSS", 0);
    pt__cfg.host_pid = pt__global_pid();
    pt__cfg.start_time = pt__self_start_time();
    int rc = pt_ring_create(&pt__cfg, &pt__ring);
    if (rc < 0) {
        char what[PATH_MAX + 64];
        snprintf(what, sizeof what, "cannot create a ring in %s", pt__dir);
        pt__fail(what, rc);
        goto out_failed;
    }
    pt__pid = (uint32_t)getpid();
    pt__coredump_include_rings();
    (void)pt__holds_init(pt__dir); /* without it, holds are neither published nor consulted */
    state = PT__ON;
    atomic_store(&pt__state, PT__ON);
    pt__emit_process();
    if (pt__loader_begin() == 0) {
        pt__modules_list();
        pt__loader_end();
    }
    /* One thread (/proc/self/stat read at start: only the shim has run since, and it starts no
     * thread): the signal dispositions of that read still hold, and the loader's notice may be
     * patched. Before the inline engine is loaded, whose libraries' constructors could change
     * either. */
    unsigned threads = 0;
    uint64_t not_default = 0;
    int one_thread = pt__self_start_state(&threads, &not_default) == 0 && threads == 1;
    pt__signals_install(one_thread ? &not_default : NULL);
    (void)pt__dl_watch_init(one_thread); /* module events, inline scans after dlopen */
    pt__inline_init(); /* hooks where interposition cannot reach (hook_inline.c) */
out:
    atomic_store(&pt__state, state);
out_failed:
    errno = saved;
    pt__tls.busy = busy;
}

/* Forks the shim's wrapper does not see (daemon() and others that fork inside libc) still run
 * the atfork handlers: the child is made a fork child there, before anything else can write. */
static void pt__atfork_child(void)
{
    pt__fork_child_reset();
    if (atomic_load(&pt__state) != PT__ON)
        return;
    uint8_t busy = pt__tls.busy;
    int saved = errno;
    pt__tls.busy = 1;
    pt__after_fork_child();
    errno = saved;
    pt__tls.busy = busy;
}

/* Let go of the parent's ring in a fork child (one thread; the parent's ring is left untouched,
 * unmapped when the child starts): the child's own is made when it first records, or at once
 * (fork_start.c). Runs once per child: from the atfork handler, or from the fork wrapper if that
 * has not happened. */
void pt__after_fork_child(void)
{
    uint32_t pid = (uint32_t)getpid();
    if (pt__pid == pid)
        return;
    struct pt_ring *parent = pt__ring;
    pt__ring = NULL;
    pt__tls.buf = NULL;
    pt__tls.tid = 0;
    pt__tls.vforked = 0;
    pt__tls.anchor_tsc = 0; /* first child timestamp from the real clock */
    atomic_store(&pt__exit_done, 0);
    pt__pid = pid;
    pt__fork_begin(parent);
}

int pt__vfork_child(void)
{
    if (pt__pid == 0 || (uint32_t)syscall(SYS_getpid) == pt__pid) {
        pt__tls.vforked = 0; /* we are the parent, resumed: the child has exec'ed or exited */
        pt__exec_flush();    /* what the child found about the image it exec'ed */
        pt__env_reclaim();   /* and the pages it built that image's environment in */
        return 0;
    }
    return 1; /* the child, on our memory: touch nothing */
}

void pt__record_exit(int status)
{
    if (atomic_load(&pt__state) != PT__ON || (pt__tls.vforked && pt__vfork_child()))
        return; /* a vfork child's _exit is not its parent's end */
    if (atomic_exchange(&pt__exit_done, 1))
        return;
    uint8_t busy = pt__tls.busy;
    int saved = errno;
    pt__tls.busy = 1;
    pt__emit_exit(status);
    /* Ended normally, whatever other threads still run: without this a ring left mapped (other
     * threads alive) would look, once the process is gone, like one that crashed. */
    pt_ring_finish(pt__ring, PT_RING_EXITED);
    errno = saved;
    pt__tls.busy = busy;
}

__attribute__((constructor(101))) static void pt__start(void)
{
    pt__init();
}
