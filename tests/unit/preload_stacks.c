/* preload_stacks.c — stacks taken by the shim's own unwinder (preload/unwind.c) in the places that
 * are not a plain call chain on the main thread's stack:
 *  - deep: 24 nested calls; the stack holds them all (up to the 32 frames recorded);
 *  - altstack: a signal handler running on an alternate signal stack (read through
 *    process_vm_readv, not directly), across the signal frame into the interrupted function;
 *  - thread: a thread on a stack the program allocated itself (pthread_attr_setstack);
 *  - coroutine: a makecontext/swapcontext context on a heap stack;
 *  - again: the same call site twice (the second from kept rows) gives the same frames.
 * Each case makes a failing unlink() of its own path (failed calls get a stack by default); the
 * checker finds the frames of the functions involved in it. Nothing may crash or hang. */
#include "tests/unit/preload_test.h"

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "proftrace/trace.h"

#define GONE "/nonexistent-pt-stacks/"

static __attribute__((noinline)) int fail_call(const char *what)
{
    char path[128];
    snprintf(path, sizeof path, GONE "%s", what);
    int r = unlink(path);
    __asm__ volatile("" ::: "memory"); /* no tail call: this frame stays */
    return r;
}

static __attribute__((noinline)) int deep(int n)
{
    int r = n == 0 ? fail_call("deep") : deep(n - 1);
    __asm__ volatile("" ::: "memory");
    return r + 1;
}

static __attribute__((noinline)) void handler(int sig)
{
    (void)sig;
    fail_call("altstack");
    __asm__ volatile("" ::: "memory");
}

static __attribute__((noinline)) void interrupted(void)
{
    raise(SIGUSR1);
    __asm__ volatile("" ::: "memory");
}

static __attribute__((noinline)) void *thread_fn(void *arg)
{
    (void)arg;
    fail_call("thread");
    __asm__ volatile("" ::: "memory");
    return NULL;
}

static ucontext_t main_ctx, coro_ctx;
static __attribute__((noinline)) void coro(void)
{
    fail_call("coroutine");
    swapcontext(&coro_ctx, &main_ctx);
}

static __attribute__((noinline)) void again(void)
{
    fail_call("again");
    __asm__ volatile("" ::: "memory");
}

static int act(void)
{
    t_fact("fn", "%p %p %p %p %p %p", (void *)deep, (void *)handler, (void *)interrupted,
           (void *)thread_fn, (void *)coro, (void *)fail_call);
    deep(24);

    stack_t ss = {.ss_sp = malloc(64 << 10), .ss_size = 64 << 10, .ss_flags = 0};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_ONSTACK;
    if (!ss.ss_sp || sigaltstack(&ss, NULL) != 0 || sigaction(SIGUSR1, &sa, NULL) != 0)
        return 1;
    interrupted();

    size_t sz = 256 << 10;
    void *st = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pthread_attr_t at;
    pthread_t t;
    if (st == MAP_FAILED || pthread_attr_init(&at) || pthread_attr_setstack(&at, st, sz) ||
        pthread_create(&t, &at, thread_fn, NULL) || pthread_join(t, NULL))
        return 1;

    void *cs = malloc(128 << 10);
    if (!cs || getcontext(&coro_ctx) != 0)
        return 1;
    coro_ctx.uc_stack.ss_sp = cs;
    coro_ctx.uc_stack.ss_size = 128 << 10;
    coro_ctx.uc_link = &main_ctx;
    makecontext(&coro_ctx, coro, 0);
    if (swapcontext(&main_ctx, &coro_ctx) != 0)
        return 1;

    for (volatile int i = 0; i < 2; i++)
        again(); /* one call site, twice (volatile: not unrolled into two) */
    return 0;
}

/* The stacks of the failing unlinks, by path. */
struct stk {
    char what[32];
    unsigned n;
    uint64_t f[PT_MAX_FRAMES];
};
static struct stk stks[16];
static unsigned nstk;

static void diag(void *arg, const char *what)
{
    (void)arg;
    fprintf(stderr, "reader: %s\n", what);
}

static int read_stacks(const char *dir)
{
    struct pt_trace *tr;
    struct pt_event ev;
    if (pt_trace_open(dir, diag, NULL, &tr) < 0)
        return -1;
    while (pt_trace_next(tr, &ev) > 0 && nstk < 16) {
        const char *name = pt_event_name(ev.id);
        const struct pt_value *p = pt_event_field(&ev, "pathname");
        if (!name || strcmp(name, "unlink") || !p ||
            pt_event_field_wire(&ev, (unsigned)(p - ev.field)) != PT_WIRE_STR ||
            p->str.len <= strlen(GONE) || strncmp(p->str.s, GONE, strlen(GONE)))
            continue;
        struct stk *s = &stks[nstk++];
        snprintf(s->what, sizeof s->what, "%.*s", (int)(p->str.len - strlen(GONE)),
                 p->str.s + strlen(GONE));
        s->n = ev.nframes;
        memcpy(s->f, ev.frame, sizeof s->f);
    }
    pt_trace_close(tr);
    return 0;
}

/* The size of a function of this program, from its symbol table (nm -S). */
static uint64_t fn_size(const char *name)
{
    char cmd[4200], self[4096], line[512];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
    snprintf(cmd, sizeof cmd, "nm -S '%s'", self);
    FILE *f = popen(cmd, "r");
    unsigned long long a, sz = 0, got = 0;
    char t, sym[256];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "%llx %llx %c %255s", &a, &sz, &t, sym) == 4 && !strcmp(sym, name))
            got = sz;
    if (f)
        pclose(f);
    return got;
}

/* Frames of a stack that lie inside function fn (return addresses: after its first byte, up to
 * its end). */
static unsigned in_fn(const struct stk *s, uint64_t fn, uint64_t span)
{
    unsigned k = 0;
    for (unsigned i = 0; i < s->n; i++)
        k += s->f[i] > fn && s->f[i] <= fn + span;
    return k;
}

static const struct stk *stack_of(const char *what, unsigned nth)
{
    for (unsigned i = 0; i < nstk; i++)
        if (!strcmp(stks[i].what, what) && nth-- == 0)
            return &stks[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (t_acting())
        return act();
    int st = t_run_self(argv, "stacks", NULL);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "act side status %#x", st);
    CHECK(read_stacks(t_dir) == 0, "trace not readable");
    unsigned long long fdeep, fhandler, finter, fthread, fcoro, ffail;
    CHECK(sscanf(t_fact_str("fn"), "%llx %llx %llx %llx %llx %llx", &fdeep, &fhandler, &finter,
                 &fthread, &fcoro, &ffail) == 6,
          "function addresses: %s", t_fact_str("fn"));
    uint64_t zdeep = fn_size("deep"), zhandler = fn_size("handler"),
             zinter = fn_size("interrupted"), zthread = fn_size("thread_fn"),
             zcoro = fn_size("coro"), zfail = fn_size("fail_call");
    CHECK(zdeep && zhandler && zinter && zthread && zcoro && zfail, "function sizes from nm -S");
    const struct stk *s;
    /* fail_call, deep(0..24), act, main, libc's start, _start */
    CHECK((s = stack_of("deep", 0)) && s->n >= 29 && in_fn(s, ffail, zfail) == 1 &&
              in_fn(s, fdeep, zdeep) == 25,
          "deep: %u frames, %u in fail_call, %u in deep (want 1 and 25)", s ? s->n : 0,
          s ? in_fn(s, ffail, zfail) : 0, s ? in_fn(s, fdeep, zdeep) : 0);
    CHECK((s = stack_of("altstack", 0)) && in_fn(s, fhandler, zhandler) == 1 &&
              in_fn(s, finter, zinter) == 1,
          "altstack: %u frames, %u in handler, %u in the interrupted function", s ? s->n : 0,
          s ? in_fn(s, fhandler, zhandler) : 0, s ? in_fn(s, finter, zinter) : 0);
    CHECK((s = stack_of("thread", 0)) && in_fn(s, fthread, zthread) == 1 && s->n >= 3,
          "thread on its own stack: %u frames, %u in thread_fn", s ? s->n : 0,
          s ? in_fn(s, fthread, zthread) : 0);
    CHECK((s = stack_of("coroutine", 0)) && in_fn(s, fcoro, zcoro) == 1,
          "coroutine: %u frames, %u in coro", s ? s->n : 0, s ? in_fn(s, fcoro, zcoro) : 0);
    const struct stk *a = stack_of("again", 0), *b = stack_of("again", 1);
    CHECK(a && b && a->n >= 3 && a->n == b->n && !memcmp(a->f, b->f, a->n * sizeof a->f[0]),
          "the same call site twice: %u and %u frames, equal: %d", a ? a->n : 0, b ? b->n : 0,
          a && b && a->n == b->n && !memcmp(a->f, b->f, a->n * sizeof a->f[0]));
    t_nev = nstk;
    return t_done("preload_stacks");
}
