/* tracer_flight.c — the flight recorder under stress, with readers running: writer threads lap
 * small buffers flat out while a collector drains and another thread reads the trace (streams and
 * live rings) again and again. No reader ever sees a damaged packet (the seqlock is checked
 * before anything of a copied packet is believed, its header included), the events in the trace
 * are exactly the ones written, in order per writer, and every event is accounted for:
 * read + overwritten + lost == written, per the collector's counts and per the lost markers. */
#include <pthread.h>
#include <sys/syscall.h>

#include "proftrace/trace.h"
#include "tests/unit/tracer_test.h"
#include "tracer/collector.h"

#define NW 3
#define PER_WRITER 300000

static struct pt_ring *ring;
static uint64_t written[NW + 1], lost_w[NW + 1];
static int writers_left = NW, stop_readers;
static char *dir;

static void *writer(void *arg)
{
    uint32_t w = (uint32_t)(uintptr_t)arg;
    struct pt_tbuf *b = pt_ring_claim(ring, (uint32_t)syscall(SYS_gettid));
    CHECK(b != NULL, "claim");
    for (uint64_t i = 0; b && i < PER_WRITER; i++) {
        if (t_kind(i) == T_CRED)
            continue; /* every event of this test names its writer and index */
        t_write(b, w, i, pt_now()) == 0 ? written[w]++ : lost_w[w]++;
    }
    pt_ring_release(ring, b);
    __atomic_fetch_sub(&writers_left, 1, __ATOMIC_ACQ_REL);
    return NULL;
}

static int damage; /* diagnostics from the collector or a reader */
static void diag(void *arg, const char *msg)
{
    /* A reader beside a live writer and collector (arg: a reader pass) may find the packet being
     * appended cut short at the end of a stream file, or a packet whose close is under way in the
     * ring: packets in flight, which the reader reports (its own business), not damage. What the
     * collector and the final read see must be clean. */
    if (arg && (strstr(msg, "truncated: packet at byte") || strstr(msg, "was never finished")))
        return;
    __atomic_fetch_add(&damage, 1, __ATOMIC_RELAXED);
    fprintf(stderr, "diag: %s\n", msg);
}

/* Reads the whole trace, over and over, while it is being written and drained. */
static void *reader(void *arg)
{
    uint64_t *passes = arg;
    while (!__atomic_load_n(&stop_readers, __ATOMIC_ACQUIRE)) {
        struct pt_trace *t;
        struct pt_event ev;
        if (pt_trace_open(dir, diag, passes, &t) < 0)
            continue;
        uint32_t w;
        uint64_t i;
        while (pt_trace_next(t, &ev) > 0)
            if (t_ident(&ev, &w, &i) && w >= 1 && w <= NW && (t_quiet = 1, t_verify(&ev, w, i))) {
                __atomic_fetch_add(&damage, 1, __ATOMIC_RELAXED);
                fprintf(stderr, "reader: event %u/%llu damaged\n", w, (unsigned long long)i);
            }
        pt_trace_close(t);
        ++*passes;
    }
    return NULL;
}

int main(void)
{
    dir = t_mkdtemp("flight");
    struct pt_collector *c;
    CHECK(pt_collector_open(dir, diag, NULL, &c) == 0, "collector");
    struct pt_ring_config cfg = {
        .dir = dir, .thread_buf_bytes = 16 << 10, .nthreads = NW, .overwrite = 1};
    CHECK(pt_ring_create(&cfg, &ring) == 0, "ring");
    pthread_t th[NW], rd;
    uint64_t passes = 0;
    pthread_create(&rd, NULL, reader, &passes);
    for (uintptr_t k = 1; k <= NW; k++)
        pthread_create(&th[k - 1], NULL, writer, (void *)k);
    while (__atomic_load_n(&writers_left, __ATOMIC_ACQUIRE))
        pt_collector_run_once(c, 0);
    for (int k = 0; k < NW; k++)
        pthread_join(th[k], NULL);
    pt_ring_close(ring);
    pt_collector_finish(c);
    __atomic_store_n(&stop_readers, 1, __ATOMIC_RELEASE);
    pthread_join(rd, NULL);
    struct pt_collector_stats st;
    pt_collector_stats(c, &st);
    pt_collector_close(c);

    /* The trace as it stands: per writer, events in order, lost markers where they were. */
    struct pt_trace *t;
    struct pt_event ev;
    uint64_t next[NW + 1] = {0}, got[NW + 1] = {0}, markers = 0, others = 0;
    int last_w = 0;
    CHECK(pt_trace_open(dir, diag, NULL, &t) == 0, "open");
    while (pt_trace_next(t, &ev) > 0) {
        uint32_t w;
        uint64_t i;
        if (ev.id == PT_EV_lost) {
            markers += ev.field[0].u;
            continue;
        }
        if (!t_ident(&ev, &w, &i) || w < 1 || w > NW) {
            others++; /* thread events */
            continue;
        }
        CHECK(i >= next[w], "writer %u: event %llu after %llu", w, (unsigned long long)i,
              (unsigned long long)next[w]);
        CHECK(t_verify(&ev, w, i) == 0, "writer %u: event %llu damaged", w, (unsigned long long)i);
        next[w] = i + 1;
        got[w]++;
        last_w = (int)w;
    }
    pt_trace_close(t);
    (void)last_w;
    uint64_t all_written = 0, all_lost = 0, all_got = 0;
    for (int w = 1; w <= NW; w++) {
        all_written += written[w];
        all_lost += lost_w[w];
        all_got += got[w];
        /* a flight recorder keeps the newest: each writer's last event is there */
        CHECK(next[w] == PER_WRITER - (t_kind(PER_WRITER - 1) == T_CRED ? 1 : 0),
              "writer %u: the newest event read is %llu", w, (unsigned long long)next[w] - 1);
    }
    /* the thread event of each buffer is written too */
    CHECK(st.events == all_got + others, "collector wrote %llu events, the trace has %llu",
          (unsigned long long)st.events, (unsigned long long)(all_got + others));
    CHECK(st.overwritten > 0, "nothing overwritten: the test did not lap its buffers");
    CHECK(all_got + others + st.overwritten + st.lost == all_written + all_lost + NW,
          "read %llu + overwritten %llu + lost %llu != written %llu", (unsigned long long)all_got,
          (unsigned long long)st.overwritten, (unsigned long long)st.lost,
          (unsigned long long)(all_written + all_lost + NW));
    CHECK(markers == st.overwritten + st.lost, "lost markers %llu != overwritten %llu + lost %llu",
          (unsigned long long)markers, (unsigned long long)st.overwritten,
          (unsigned long long)st.lost);
    CHECK(damage == 0, "%d damaged packets or records seen", damage);
    printf("flight recorder: %llu written, %llu read, %llu overwritten, %llu lost; %llu reader "
           "passes\n",
           (unsigned long long)(all_written + all_lost), (unsigned long long)all_got,
           (unsigned long long)st.overwritten, (unsigned long long)st.lost,
           (unsigned long long)passes);
    t_rmrf(dir);
    free(dir);
    return t_failures ? 1 : 0;
}
