/* inline_threads.c — hooks functions while other threads call them in a tight loop: no crash, no
 * wrong result, every call accounted for (each ran the original body exactly once, and the calls
 * that came after the hook went through the replacement). Covers the atomic-store method (one
 * whole instruction displaced) and the breakpoint method (endbr64 + jump across an 8-byte word;
 * several short instructions displaced, so threads may have to be moved out of them). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <pthread.h>
#include <time.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/unit/inline_test.h"

#define WORKERS 3
#define COPIES 12

static int (*volatile target)(int);
static int (*tramp)(int);
static long hits;
static volatile int stop;

static int repl(int x)
{
    __atomic_fetch_add(&hits, 1, __ATOMIC_RELAXED);
    return tramp(x);
}

struct worker {
    pthread_t th;
    volatile long calls;
    long wrong;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; !stop; i++) {
        int x = i & 0xffff;
        if (target(x) != 3 * x + 1)
            w->wrong++;
        w->calls++;
    }
    return NULL;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static unsigned total_moved;

/* Start the workers on `func`, hook it while they run, and account for every call. */
static void run(const char *path, const char *func, const char *counter, int want_method, int ms)
{
    const char *lib = strrchr(path, '/') + 1;
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL), *addr;
    size_t size;
    char why[256] = "";
    struct pt_inline_info info = {0};
    struct worker w[WORKERS];

    CHECK(dl != NULL, "dlopen %s: %s", path, dlerror());
    if (!dl)
        return;
    int *calls = dlsym(dl, counter);
    CHECK(pt_inline_find(lib, func, &addr, &size) == 0, "find %s in %s", func, lib);
    target = (int (*)(int))addr;
    hits = 0;
    stop = 0;
    int before = *calls;
    memset(w, 0, sizeof w);
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&w[i].th, NULL, work, &w[i]);
    /* every worker calls before the hook and after it, however loaded the machine is */
    for (int i = 0, waited = 0; i < WORKERS && waited < 5000; waited++)
        if (w[i].calls > 0)
            i++;
        else
            sleep_ms(1);
    sleep_ms(ms);
    int err = pt_inline_hook_ex(func, addr, size, (void *)repl, (void **)&tramp, 0, &info, why,
                                sizeof why);
    sleep_ms(ms);
    for (int waited = 0; __atomic_load_n(&hits, __ATOMIC_RELAXED) < WORKERS && waited < 5000;
         waited++)
        sleep_ms(1);
    stop = 1;
    total_moved += info.threads_fixed;
    long total = 0, wrong = 0;
    for (int i = 0; i < WORKERS; i++) {
        pthread_join(w[i].th, NULL);
        total += w[i].calls;
        wrong += w[i].wrong;
    }
    printf("%-28s %-18s method %d, %u threads moved, %ld calls, %ld through the hook\n", lib, func,
           info.method, info.threads_fixed, total, hits);
    CHECK(err == 0, "hook %s: %s", func, why);
    CHECK(info.method == (enum pt_inline_method)want_method, "%s: method %d, want %d", func,
          info.method, want_method);
    CHECK(wrong == 0, "%s: %ld wrong results", func, wrong);
    CHECK(*calls - before == total, "%s: body ran %d times for %ld calls", func, *calls - before,
          total);
    CHECK(hits > 0 && hits < total, "%s: %ld of %ld calls hooked", func, hits, total);
    /* after the hook every call goes through the replacement */
    long h = hits;
    CHECK(target(7) == 22 && hits == h + 1, "%s: call after hook", func);
}

/* A thread parked inside `rep lodsb`, a boundary inside the displaced bytes: the string's second
 * page is registered with userfaultfd, so the thread sleeps in the page fault at that boundary
 * (no CPU spent) until the test supplies the page. */
static char *(*lods_tramp)(long, const char *);
static char *(*lods_fn)(long, const char *);
static const char *lods_buf;
static char *lods_result;
#define PAGE 4096L
#define LODS_LEN (2 * PAGE)

static char *lods_repl(long n, const char *p)
{
    return lods_tramp(n, p);
}

static void *lods_worker(void *arg)
{
    if (arg) { /* a thread that blocks every signal but SIGTRAP cannot be asked to move */
        sigset_t all;
        sigfillset(&all);
        sigdelset(&all, SIGTRAP);
        pthread_sigmask(SIG_BLOCK, &all, NULL);
    }
    lods_result = lods_fn(LODS_LEN, lods_buf);
    return NULL;
}

/* Wait (up to 5 s) for the fault of the worker on the registered page. */
static int wait_fault(int uffd)
{
    struct pollfd pfd = {.fd = uffd, .events = POLLIN};
    struct uffd_msg msg;
    if (poll(&pfd, 1, 5000) != 1 || read(uffd, &msg, sizeof msg) != sizeof msg)
        return -1;
    return msg.event == UFFD_EVENT_PAGEFAULT ? 0 : -1;
}

/* Hook acc_rep_lods while a thread sleeps at +4. If the thread can take the request it is moved
 * to the relocated copy and finishes there; if it blocks all signals the hook is refused (after
 * the 2 s the engine gives it), the entry restored, and the thread finishes in place. */
static void parked_thread(const char *path, int blocked)
{
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL), *addr;
    size_t size;
    char why[256] = "";
    struct pt_inline_info info = {0};
    pthread_t th;
    unsigned char before[16];

    int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
    struct uffdio_api api = {.api = UFFD_API};
    char *buf = mmap(NULL, LODS_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(dl && uffd >= 0 && buf != MAP_FAILED, "setup: userfaultfd %d", uffd);
    if (uffd < 0)
        return;
    CHECK(ioctl(uffd, UFFDIO_API, &api) == 0, "UFFDIO_API");
    buf[0] = 1; /* first page present */
    struct uffdio_register reg = {.range = {(unsigned long)buf + PAGE, PAGE},
                                  .mode = UFFDIO_REGISTER_MODE_MISSING};
    CHECK(ioctl(uffd, UFFDIO_REGISTER, &reg) == 0, "UFFDIO_REGISTER");
    lods_buf = buf;
    CHECK(pt_inline_find(strrchr(path, '/') + 1, "acc_rep_lods", &addr, &size) == 0, "find");
    memcpy(before, addr, sizeof before);
    lods_fn = (char *(*)(long, const char *))addr;
    lods_result = NULL;
    pthread_create(&th, NULL, lods_worker, blocked ? "blocked" : NULL);
    CHECK(wait_fault(uffd) == 0, "worker never reached the second page");

    int err = pt_inline_hook_ex("acc_rep_lods", addr, size, (void *)lods_repl, (void **)&lods_tramp,
                                0, &info, why, sizeof why);
    struct uffdio_zeropage zp = {.range = {(unsigned long)buf + PAGE, PAGE}};
    CHECK(ioctl(uffd, UFFDIO_ZEROPAGE, &zp) == 0, "UFFDIO_ZEROPAGE");
    pthread_join(th, NULL);
    printf("acc_rep_lods%s: %s, method %d, %u threads moved, returned %+ld\n",
           blocked ? " (signals blocked)" : "", err ? why : "hooked", info.method,
           info.threads_fixed, (long)(lods_result - lods_buf));
    if (blocked) {
        CHECK(err == -EBUSY && strstr(why, "block signal"), "%d %s", err, why);
        CHECK(memcmp(before, addr, sizeof before) == 0, "entry not restored after refusal");
    } else {
        CHECK(err == 0, "%s", why);
        CHECK(info.method == PT_INLINE_INT3, "method %d", info.method);
        CHECK(info.threads_fixed == 1, "the thread inside rep lodsb was not moved (%u)",
              info.threads_fixed);
    }
    CHECK(lods_result == lods_buf + LODS_LEN, "rep lodsb stopped at %+ld of %ld",
          (long)(lods_result - lods_buf), LODS_LEN);
    total_moved += info.threads_fixed;
    munmap(buf, LODS_LEN);
    close(uffd);
}

/* A thread that blocks SIGTRAP (here: waiting on a pipe) makes the breakpoint method refuse. */
static int trap_pipe[2];
static void *trap_blocker(void *arg)
{
    sigset_t trap;
    char c;
    sigemptyset(&trap);
    sigaddset(&trap, SIGTRAP);
    pthread_sigmask(SIG_BLOCK, &trap, NULL);
    __atomic_store_n((int *)arg, 1, __ATOMIC_SEQ_CST);
    return read(trap_pipe[0], &c, 1) == 1 ? NULL : arg;
}

static void trap_blocked(const char *path)
{
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL), *addr, *tramp = NULL;
    size_t size;
    char why[256] = "";
    unsigned char before[16];
    int ready = 0;
    pthread_t th;
    CHECK(dl && pipe(trap_pipe) == 0, "setup");
    CHECK(pt_inline_find(strrchr(path, '/') + 1, "acc_jrcxz", &addr, &size) == 0, "find");
    memcpy(before, addr, sizeof before);
    pthread_create(&th, NULL, trap_blocker, &ready);
    while (!__atomic_load_n(&ready, __ATOMIC_SEQ_CST))
        sleep_ms(1);
    int err = pt_inline_hook_ex("acc_jrcxz", addr, size, (void *)lods_repl, &tramp,
                                PT_INLINE_FORCE_INT3, NULL, why, sizeof why);
    printf("acc_jrcxz (a thread blocks SIGTRAP): %s\n", err ? why : "hooked");
    CHECK(err == -EBUSY && strstr(why, "blocks SIGTRAP"), "%d %s", err, why);
    CHECK(memcmp(before, addr, sizeof before) == 0, "entry modified");
    CHECK(write(trap_pipe[1], "x", 1) == 1, "release");
    pthread_join(th, NULL);
    close(trap_pipe[0]);
    close(trap_pipe[1]);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s PLAIN.so CET.so HANDMADE.so\n", argv[0]);
        return 2;
    }
    run(argv[1], "pro_thread_work", "pro_thread_calls", PT_INLINE_ATOMIC, 30);
    run(argv[2], "pro_thread_work", "pro_thread_calls", PT_INLINE_INT3, 30);
    run(argv[3], "acc_thread_multi", "acc_thread_calls", PT_INLINE_INT3, 30);

    /* a private copy first, so the refused hook does not spoil the real one */
    char dir0[] = "/tmp/pt-inline-blocked-XXXXXX", copy0[128], cmd0[512];
    CHECK(mkdtemp(dir0) != NULL, "mkdtemp");
    snprintf(copy0, sizeof copy0, "%s/libblocked.so", dir0);
    snprintf(cmd0, sizeof cmd0, "cp '%s' '%s'", argv[3], copy0);
    CHECK(system(cmd0) == 0, "%s", cmd0);
    parked_thread(copy0, 1);
    trap_blocked(copy0);
    unlink(copy0);
    rmdir(dir0);
    parked_thread(argv[3], 0);

    /* More hooks of short displaced instructions under load, on private copies of the object
     * (a function is hooked once): each is a chance for a preempted thread to sit between them. */
    char dir[] = "/tmp/pt-inline-threads-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    for (int i = 0; i < COPIES; i++) {
        char copy[128], cmd[512];
        snprintf(copy, sizeof copy, "%s/libcopy%d.so", dir, i);
        snprintf(cmd, sizeof cmd, "cp '%s' '%s'", argv[3], copy);
        CHECK(system(cmd) == 0, "%s", cmd);
        run(copy, "acc_thread_multi", "acc_thread_calls", PT_INLINE_INT3, 10);
        unlink(copy);
    }
    rmdir(dir);
    printf("%u threads moved out of displaced instructions in all; %d failures\n", total_moved,
           failures);
    return failures ? 1 : 0;
}
