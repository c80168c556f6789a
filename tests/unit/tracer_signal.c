/* tracer_signal.c — a signal handler records into the buffer of the thread it interrupted, at
 * random points of that thread's own writes (between reserve and commit, inside a packet switch):
 * both sequences come back complete, in order and untorn, and the counts are exact. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>

#include "proftrace/trace.h"
#include "tests/unit/tracer_test.h"
#include "tracer/collector.h"

#define OUTER_W 1
#define INNER_W 2

static struct pt_ring *ring;
static __thread struct pt_tbuf *my_buf;
static volatile uint64_t inner_i, inner_n, inner_lost;
static int writing_done; /* atomic */
static volatile sig_atomic_t in_write;
static volatile uint64_t nested; /* handler events that interrupted a write of the thread */

static void on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    if (my_buf) {
        if (in_write)
            nested++;
        if (t_kind(inner_i) == T_CRED)
            inner_i++; /* every event of this test names its writer and index */
        if (t_write(my_buf, INNER_W, inner_i, pt_now()) != 0)
            inner_lost++;
        inner_n++;
        inner_i++;
    }
    errno = saved;
}

static uint64_t outer_n, outer_lost, outer_last;
#define WANT_NESTED 200

/* Writes until enough handler events landed in between (or 20 s). A collector thread drains. */
static void *writer(void *arg)
{
    (void)arg;
    my_buf = pt_ring_claim(ring, (uint32_t)syscall(SYS_gettid));
    uint64_t t0 = pt_now();
    uint64_t n = 0;
    for (uint64_t i = 0; nested < WANT_NESTED && pt_now() - t0 < 60000000000ull; i++) {
        if (t_kind(i) == T_CRED)
            continue;
        in_write = 1;
        int rc = t_write(my_buf, OUTER_W, i, pt_now());
        in_write = 0;
        if (rc != 0)
            outer_lost++;
        outer_n = ++n;
        outer_last = i;
        if (n % 1024 == 0) {
            /* pace the writer to the collector (the main thread) */
            struct timespec ts = {0, 100000};
            nanosleep(&ts, NULL);
        }
    }
    struct pt_tbuf *b = my_buf;
    my_buf = NULL;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    pt_ring_release(ring, b);
    __atomic_store_n(&writing_done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void diag(void *arg, const char *msg)
{
    ++*(int *)arg;
    fprintf(stderr, "diag: %s\n", msg);
}

int main(void)
{
    char *dir = t_mkdtemp("signal");
    /* big enough that nothing is lost: the point is nesting, not overflow */
    struct pt_ring_config cfg = {.dir = dir, .thread_buf_bytes = 16 << 20, .nthreads = 2};
    struct pt_collector *col;
    CHECK(pt_collector_open(dir, NULL, NULL, &col) == 0, "collector");
    int rc = pt_ring_create(&cfg, &ring);
    CHECK(rc == 0, "ring: %d", rc);
    if (rc)
        return 1;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t th;
    pthread_create(&th, NULL, writer, NULL);
    uint64_t sent = 0;
    while (!__atomic_load_n(&writing_done, __ATOMIC_ACQUIRE)) {
        pthread_kill(th, SIGUSR1);
        sent++;
        if (sent % 64 == 0)
            pt_collector_run_once(col, 0);
    }
    pthread_join(th, NULL);
    pt_ring_close(ring);
    pt_collector_finish(col);
    pt_collector_close(col);

    int diags = 0;
    struct pt_trace *t;
    CHECK(pt_trace_open(dir, diag, &diags, &t) == 0, "open");
    struct pt_event ev;
    uint64_t next[3] = {0, 0, 0}, got[3] = {0, 0, 0}, bad = 0, last = 0, lost_read = 0;
    while (pt_trace_next(t, &ev) > 0) {
        CHECK(ev.ts >= last, "time order");
        last = ev.ts;
        if (ev.id == PT_EV_thread)
            continue;
        if (ev.id == PT_EV_lost) {
            lost_read += ev.field[0].u;
            continue;
        }
        uint32_t w = 0;
        uint64_t i = 0;
        if (!t_ident(&ev, &w, &i) || w < 1 || w > 2) {
            bad++;
            continue;
        }
        /* each writer's events come back in order and intact; gaps only where events were lost */
        if (i < next[w] || t_verify(&ev, w, i)) {
            if (bad++ < 5)
                fprintf(stderr, "writer %u: got %llu after %llu\n", w, (unsigned long long)i,
                        (unsigned long long)next[w]);
        }
        next[w] = i + 1;
        got[w]++;
    }
    pt_trace_close(t);
    printf("signals sent %llu, handler events %llu (%llu inside a write, lost %llu), outer %llu "
           "(lost %llu)\n",
           (unsigned long long)sent, (unsigned long long)inner_n, (unsigned long long)nested,
           (unsigned long long)inner_lost, (unsigned long long)outer_n,
           (unsigned long long)outer_lost);
    CHECK(bad == 0, "%llu bad events", (unsigned long long)bad);
    CHECK(diags == 0, "%d diagnostics", diags);
    CHECK(got[OUTER_W] + outer_lost == outer_n, "outer: read %llu + lost %llu != written %llu",
          (unsigned long long)got[OUTER_W], (unsigned long long)outer_lost,
          (unsigned long long)outer_n);
    CHECK(got[INNER_W] + inner_lost == inner_n, "handler: read %llu + lost %llu != %llu",
          (unsigned long long)got[INNER_W], (unsigned long long)inner_lost,
          (unsigned long long)inner_n);
    CHECK(lost_read == outer_lost + inner_lost, "lost markers count %llu, writers lost %llu",
          (unsigned long long)lost_read, (unsigned long long)(outer_lost + inner_lost));
    if (!outer_lost)
        CHECK(next[OUTER_W] == outer_last + 1, "last outer event missing");
    CHECK(nested >= WANT_NESTED, "too few signals landed inside writes (%llu) to test nesting",
          (unsigned long long)nested);
    t_rmrf(dir);
    free(dir);
    return t_failures ? 1 : 0;
}
