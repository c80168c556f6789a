/* tracer_reserve.c — decisive events are never pushed out by a flood of bulk events in the same
 * buffer: the last free packet is theirs.
 *   1. No collector: bulk events fill a 16 KiB buffer until they are lost; decisive events still
 *      get a whole packet; every event read back is one written, in order, and written + lost
 *      == attempted, exactly.
 *   2. A collector drains while one thread floods bulk events flat out and makes a decisive one
 *      every 10,000: every decisive event is in the trace, the bulk ones are read or counted lost.
 *      (Together they fit the reserve of a 64 KiB buffer, so however late the collector runs on a
 *      loaded machine, none may be lost.) */
#include <errno.h>
#include <pthread.h>
#include <sys/syscall.h>

#include "proftrace/trace.h"
#include "tests/unit/tracer_test.h"
#include "tracer/collector.h"

/* Decisive: a failed unlink of path number i (bulk: t_put_bulk). */
static int put_decisive(struct pt_tbuf *b, uint64_t i)
{
    struct pt_enc e;
    char path[64];
    int n = snprintf(path, sizeof path, "/pt-reserve/%llu", (unsigned long long)i);
    uint64_t t = pt_now();
    size_t size = pt_size_call(t - 10, t, -1, 0) + pt_size_str((size_t)n) + 16;
    if (pt_tbuf_begin_keep(b, PT_EV_CALL_FIRST + PT_CALL_unlink, t, size, PT_KEEP_DECISIVE, &e))
        return -1;
    pt_enc_call(&e, t - 10, t, 0, -1, ENOENT, NULL, 0);
    pt_enc_str(&e, path, (size_t)n);
    pt_enc_u64(&e, 0);
    pt_enc_u64(&e, i);
    pt_tbuf_commit(b, &e);
    return 0;
}

struct tally {
    uint64_t bulk, decisive, lost, next_decisive, order_bad;
};

static void diag(void *arg, const char *msg)
{
    ++*(int *)arg;
    fprintf(stderr, "diag: %s\n", msg);
}

/* Read the trace: bulk and decisive events (decisive ones must come in order 0, 1, 2...). */
static struct tally read_trace(const char *dir, int *diags)
{
    struct tally t = {0};
    struct pt_trace *tr;
    struct pt_event ev;
    CHECK(pt_trace_open(dir, diag, diags, &tr) == 0, "open %s", dir);
    while (pt_trace_next(tr, &ev) > 0) {
        if (ev.id == PT_EV_lost) {
            t.lost += ev.field[0].u;
        } else if (ev.id == PT_EV_CALL_FIRST + PT_CALL_RegQueryValueExA) {
            t.bulk++;
        } else if (ev.id == PT_EV_CALL_FIRST + PT_CALL_unlink) {
            const struct pt_value *v = pt_event_field(&ev, "pathname_ino");
            if (!v || v->u != t.next_decisive)
                t.order_bad++;
            t.next_decisive = (v ? v->u : t.next_decisive) + 1;
            t.decisive++;
        }
    }
    pt_trace_close(tr);
    return t;
}

static void no_collector(void)
{
    char *dir = t_mkdtemp("reserve1");
    struct pt_ring_config cfg = {.dir = dir, .thread_buf_bytes = 16 << 10, .nthreads = 1};
    struct pt_ring *r;
    CHECK(pt_ring_create(&cfg, &r) == 0, "ring");
    struct pt_tbuf *b = pt_ring_claim(r, (uint32_t)syscall(SYS_gettid));
    uint64_t bulk_ok = 0, bulk_lost = 0, dec_ok = 0, dec_lost = 0;
    for (uint64_t i = 0; i < 2000; i++)
        t_put_bulk(b, i) == 0 ? bulk_ok++ : bulk_lost++;
    /* The bulk events stopped one packet (4 KiB) short: about 70 failed unlinks still fit. */
    for (uint64_t i = 0; i < 200; i++)
        put_decisive(b, dec_ok) == 0 ? dec_ok++ : dec_lost++;
    CHECK(bulk_lost > 0, "the bulk events never filled the buffer");
    CHECK(dec_ok >= 50, "only %llu decisive events after the flood (the reserve holds about 70)",
          (unsigned long long)dec_ok);
    pt_ring_release(r, b);
    pt_ring_close(r);
    int diags = 0;
    struct tally t = read_trace(dir, &diags);
    CHECK(diags == 0, "%d diagnostics", diags);
    CHECK(t.bulk == bulk_ok && t.decisive == dec_ok && t.order_bad == 0,
          "read %llu bulk of %llu, %llu decisive of %llu (%llu out of order)",
          (unsigned long long)t.bulk, (unsigned long long)bulk_ok, (unsigned long long)t.decisive,
          (unsigned long long)dec_ok, (unsigned long long)t.order_bad);
    CHECK(t.lost == bulk_lost + dec_lost, "lost markers %llu, lost %llu",
          (unsigned long long)t.lost, (unsigned long long)(bulk_lost + dec_lost));
    printf("no collector: %llu bulk written, %llu lost; %llu decisive written after that, %llu "
           "lost\n",
           (unsigned long long)bulk_ok, (unsigned long long)bulk_lost, (unsigned long long)dec_ok,
           (unsigned long long)dec_lost);
    t_rmrf(dir);
    free(dir);
}

static struct pt_ring *flood_ring;
static int flood_done;
static uint64_t flood_bulk_lost, flood_dec_lost;
#define FLOOD_N 2000000
#define FLOOD_EVERY 10000

static void *flood(void *arg)
{
    (void)arg;
    struct pt_tbuf *b = pt_ring_claim(flood_ring, (uint32_t)syscall(SYS_gettid));
    for (uint64_t i = 0, d = 0; i < FLOOD_N; i++) {
        if (t_put_bulk(b, i))
            flood_bulk_lost++;
        if ((i + 1) % FLOOD_EVERY == 0 && put_decisive(b, d++))
            flood_dec_lost++;
    }
    pt_ring_release(flood_ring, b);
    __atomic_store_n(&flood_done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void with_collector(void)
{
    char *dir = t_mkdtemp("reserve2");
    struct pt_collector *c;
    int cdiags = 0;
    CHECK(pt_collector_open(dir, diag, &cdiags, &c) == 0, "collector");
    struct pt_ring_config cfg = {.dir = dir, .thread_buf_bytes = 64 << 10, .nthreads = 1};
    CHECK(pt_ring_create(&cfg, &flood_ring) == 0, "ring");
    pthread_t th;
    pthread_create(&th, NULL, flood, NULL);
    while (!__atomic_load_n(&flood_done, __ATOMIC_ACQUIRE))
        pt_collector_run_once(c, 1);
    pthread_join(th, NULL);
    pt_ring_close(flood_ring);
    pt_collector_finish(c);
    struct pt_collector_stats st;
    pt_collector_stats(c, &st);
    pt_collector_close(c);
    int diags = 0;
    struct tally t = read_trace(dir, &diags);
    uint64_t want = FLOOD_N / FLOOD_EVERY;
    CHECK(diags == 0 && cdiags == 0, "%d + %d diagnostics", diags, cdiags);
    CHECK(flood_dec_lost == 0 && t.decisive == want && t.order_bad == 0,
          "decisive: %llu lost by the writer, %llu of %llu read (%llu out of order)",
          (unsigned long long)flood_dec_lost, (unsigned long long)t.decisive,
          (unsigned long long)want, (unsigned long long)t.order_bad);
    CHECK(t.bulk + t.lost == FLOOD_N && t.lost == flood_bulk_lost && st.lost == t.lost,
          "bulk: %llu read + %llu lost != %d (the writer lost %llu, the collector says %llu)",
          (unsigned long long)t.bulk, (unsigned long long)t.lost, FLOOD_N,
          (unsigned long long)flood_bulk_lost, (unsigned long long)st.lost);
    printf("with a collector: %llu of %llu decisive read; bulk %llu read, %llu lost\n",
           (unsigned long long)t.decisive, (unsigned long long)want, (unsigned long long)t.bulk,
           (unsigned long long)t.lost);
    t_rmrf(dir);
    free(dir);
}

int main(void)
{
    no_collector();
    with_collector();
    return t_failures ? 1 : 0;
}
