/* tracer_tool_writer.c — test writer: P processes x N threads write pattern events into their own
 * rings and report what they wrote (lines "done PID W WRITTEN LOST" and "progress PID W I" in the
 * results file), so checkers can account for every event. Not a test by itself. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "tests/unit/tracer_test.h"

static struct {
    const char *dir, *results, *ready;
    unsigned threads, procs, nbufs;
    uint64_t events, sleep_every, sleep_us;
    size_t buf;
    int overwrite, no_close, hang, crash, exec_self;
    pid_t reaper;
} opt = {.threads = 2, .procs = 1, .events = 1000};

static struct pt_ring *ring;
static pthread_barrier_t claimed; /* all threads hold (or failed to get) a buffer before writing */

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
    if (!opt.results)
        return;
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    int fd = open(opt.results, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd >= 0) {
        if (write(fd, line, (size_t)n) != n)
            perror("results");
        close(fd);
    }
}

struct wr {
    uint32_t w;
};

static void *thread_main(void *arg)
{
    struct wr *x = arg;
    uint32_t tid = (uint32_t)syscall(SYS_gettid);
    struct pt_tbuf *b = pt_ring_claim(ring, tid);
    uint64_t written = 0, lost = 0;
    pthread_barrier_wait(&claimed);
    if (!b) {
        pt_ring_lost(ring, opt.events);
        report("done %d %u 0 %llu nobuf\n", (int)getpid(), x->w, (unsigned long long)opt.events);
        return NULL;
    }
    for (uint64_t i = 0; i < opt.events; i++) {
        if (t_write(b, x->w, i, pt_now()) == 0)
            written++;
        else
            lost++;
        if (opt.sleep_every && (i + 1) % opt.sleep_every == 0) {
            if (written == i + 1)
                report("progress %d %u %llu\n", (int)getpid(), x->w, (unsigned long long)i);
            usleep((useconds_t)opt.sleep_us);
        }
    }
    report("done %d %u %llu %llu\n", (int)getpid(), x->w, (unsigned long long)written,
           (unsigned long long)lost);
    pt_ring_release(ring, b);
    return NULL;
}

static void write_process_event(void)
{
    struct pt_tbuf *b = pt_ring_claim(ring, (uint32_t)syscall(SYS_gettid));
    if (!b)
        return;
    char exe[256] = "tracer_tool_writer";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0)
        exe[n] = 0;
    const char *cmd = "tracer_tool_writer";
    size_t size = 9 * 4 + 8 + 8 * 8 + 1 + pt_size_str(strlen(exe)) + pt_size_str(strlen(cmd));
    struct pt_enc e;
    if (pt_tbuf_begin(b, PT_EV_process, pt_now(), size, &e) == 0) {
        pt_enc_u32(&e, (uint32_t)getpid());
        pt_enc_u32(&e, (uint32_t)getppid());
        pt_enc_u32(&e, (uint32_t)getpid());
        pt_enc_u64(&e, 0);
        for (int k = 0; k < 6; k++)
            pt_enc_u32(&e, (uint32_t)getuid());
        for (int k = 0; k < 8; k++)
            pt_enc_u64(&e, 4026531830ull + k);
        pt_enc_u8(&e, 1); /* exec */
        pt_enc_str(&e, exe, strlen(exe));
        pt_enc_str(&e, cmd, strlen(cmd));
        pt_tbuf_commit(b, &e);
    }
    pt_ring_release(ring, b);
}

/* --reaper PID: return once PID (the subreaper, `record`) is our parent, that is once the parent
 * that started us has exited. Dying before that, a shell parent could reap us itself and take our
 * exit status with it. Waits for that parent's exit (its pidfd), then for the reparenting. */
static void await_reaper(void)
{
    pid_t parent = getppid();
    if (parent == opt.reaper)
        return;
    int pfd = (int)syscall(SYS_pidfd_open, parent, 0);
    if (pfd >= 0) {
        struct pollfd p = {.fd = pfd, .events = POLLIN};
        while (poll(&p, 1, -1) < 0 && errno == EINTR)
            ;
        close(pfd);
    }
    while (getppid() == parent) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

static int run_process(unsigned p)
{
    /* PROFTRACE_NOLOSS as the shim reads it: `proftrace record --no-loss` reaches us too. */
    const char *nl = getenv("PROFTRACE_NOLOSS");
    struct pt_ring_config cfg = {.dir = opt.dir, .thread_buf_bytes = opt.buf,
                                 .nthreads = opt.nbufs, .overwrite = opt.overwrite,
                                 .noloss_ms = nl ? (unsigned)atoi(nl) : 0};
    int rc = pt_ring_create(&cfg, &ring);
    if (rc) {
        fprintf(stderr, "tracer_tool_writer: ring in %s: %s\n", opt.dir, strerror(-rc));
        return 1;
    }
    write_process_event();
    pthread_t th[64];
    struct wr ws[64];
    unsigned nt = opt.threads > 64 ? 64 : opt.threads;
    pthread_barrier_init(&claimed, NULL, nt);
    for (unsigned k = 0; k < nt; k++) {
        ws[k].w = p * 64 + k + 1;
        pthread_create(&th[k], NULL, thread_main, &ws[k]);
    }
    for (unsigned k = 0; k < nt; k++)
        pthread_join(th[k], NULL);
    if (opt.reaper)
        await_reaper();
    if (opt.crash) {
        signal(SIGSEGV, SIG_DFL); /* a sanitizer runtime may have its own handler */
        raise(SIGSEGV);
    }
    if (opt.hang) {
        if (opt.ready) {
            int fd = open(opt.ready, O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd >= 0)
                close(fd);
        }
        for (;;)
            pause();
    }
    if (!opt.no_close)
        pt_ring_close(ring);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"threads", 1, 0, 't'}, {"procs", 1, 0, 'P'},     {"events", 1, 0, 'n'},
        {"buf", 1, 0, 'b'},     {"nbufs", 1, 0, 'B'},     {"overwrite", 0, 0, 'o'},
        {"no-close", 0, 0, 'x'}, {"hang", 0, 0, 'H'},     {"results", 1, 0, 'r'},
        {"sleep-every", 1, 0, 's'}, {"sleep-us", 1, 0, 'u'}, {"ready", 1, 0, 'R'},
        {"crash", 0, 0, 'C'},   {"reaper", 1, 0, 'p'},    {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 't': opt.threads = (unsigned)atoi(optarg); break;
        case 'P': opt.procs = (unsigned)atoi(optarg); break;
        case 'n': opt.events = strtoull(optarg, NULL, 10); break;
        case 'b': opt.buf = strtoull(optarg, NULL, 10); break;
        case 'B': opt.nbufs = (unsigned)atoi(optarg); break;
        case 'o': opt.overwrite = 1; break;
        case 'x': opt.no_close = 1; break;
        case 'H': opt.hang = 1; break;
        case 'r': opt.results = optarg; break;
        case 's': opt.sleep_every = strtoull(optarg, NULL, 10); break;
        case 'u': opt.sleep_us = strtoull(optarg, NULL, 10); break;
        case 'R': opt.ready = optarg; break;
        case 'C': opt.crash = 1; break;
        case 'p': opt.reaper = (pid_t)atoi(optarg); break;
        default: return 2;
        }
    }
    opt.dir = optind < argc ? argv[optind] : getenv("PROFTRACE_DIR");
    if (!opt.dir) {
        fprintf(stderr, "usage: tracer_tool_writer [options] DIR (or PROFTRACE_DIR)\n");
        return 2;
    }
    if (opt.procs <= 1)
        return run_process(0);
    pid_t kids[256];
    unsigned np = opt.procs > 256 ? 256 : opt.procs;
    for (unsigned p = 0; p < np; p++) {
        kids[p] = fork();
        if (kids[p] == 0)
            _exit(run_process(p));
    }
    int fail = 0;
    for (unsigned p = 0; p < np; p++) {
        int st;
        if (waitpid(kids[p], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
            fail = 1;
    }
    return fail;
}
