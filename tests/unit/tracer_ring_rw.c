/* tracer_ring_rw.c — writes events of several classes from several threads into a ring, closes it
 * and reads everything back with the trace reader: contents, order, thread attribution, buffer
 * reuse, exact lost accounting in discard mode and newest-kept in overwrite mode. */
#include <errno.h>
#include <pthread.h>
#include <sys/syscall.h>

#include "proftrace/trace.h"
#include "tests/unit/tracer_test.h"

#define MAXW 16

struct writer {
    struct pt_ring *ring;
    uint32_t w;
    uint64_t n;       /* events to write */
    uint64_t written; /* events that went into the buffer (thread event included) */
    uint64_t lost;    /* events pt_tbuf_begin refused */
    uint32_t tid;
    pthread_barrier_t *bar;
};

static void *writer_main(void *arg)
{
    struct writer *wr = arg;
    wr->tid = (uint32_t)syscall(SYS_gettid);
    struct pt_tbuf *b = pt_ring_claim(wr->ring, wr->tid);
    pthread_barrier_wait(wr->bar); /* every writer of a wave holds its buffer before writing */
    if (!b) {
        fprintf(stderr, "writer %u: no buffer\n", wr->w);
        return NULL;
    }
    for (uint64_t i = 0; i < wr->n; i++) {
        if (t_write(b, wr->w, i, pt_now()) == 0)
            wr->written++;
        else
            wr->lost++;
    }
    pt_ring_release(wr->ring, b);
    return NULL;
}

static void diag_count(void *arg, const char *what)
{
    ++*(int *)arg;
    fprintf(stderr, "diag: %s\n", what);
}

struct expect {
    uint32_t tid;
    uint64_t next_i; /* next pattern index expected */
    uint64_t got;
    int seen_thread;
    int first_ident;
};

/* Read the trace in dir and check every event; returns events delivered, lost in *lost. */
static uint64_t read_back(const char *dir, struct writer *ws, unsigned nw, int overwrite,
                          uint64_t *lost_out, int *diags)
{
    struct pt_trace *t;
    struct pt_event ev;
    struct expect ex[MAXW] = {0};
    uint64_t n = 0, lost = 0, last_ts = 0;
    int rc = pt_trace_open(dir, diag_count, diags, &t);
    CHECK(rc == 0, "pt_trace_open: %d", rc);
    if (rc)
        return 0;
    for (unsigned k = 0; k < nw; k++)
        ex[k].tid = ws[k].tid;
    while (pt_trace_next(t, &ev) > 0) {
        n++;
        CHECK(ev.ts >= last_ts, "time order: %llu after %llu", (unsigned long long)ev.ts,
              (unsigned long long)last_ts);
        last_ts = ev.ts;
        CHECK(ev.pid == (uint32_t)getpid(), "pid %u", ev.pid);
        if (ev.id == PT_EV_lost) {
            lost += ev.field[0].u;
            continue;
        }
        if (ev.id == PT_EV_process) {
            const struct pt_value *v = pt_event_field(&ev, "exe");
            CHECK(v && !strcmp(v->str.s, "/usr/bin/test-exe"), "process exe");
            v = pt_event_field(&ev, "ns_time");
            CHECK(v && v->u == 4026531834ull, "ns_time");
            continue;
        }
        unsigned k;
        for (k = 0; k < nw && ex[k].tid != ev.tid; k++)
            ;
        if (k == nw)
            continue; /* main thread */
        struct expect *x = &ex[k];
        if (ev.id == PT_EV_thread) {
            CHECK(ev.field[0].u == ev.tid, "thread event tid %llu vs %u",
                  (unsigned long long)ev.field[0].u, ev.tid);
            x->seen_thread++;
            continue;
        }
        uint32_t w;
        uint64_t i;
        if (overwrite && !x->first_ident) {
            if (!t_ident(&ev, &w, &i)) {
                x->got++; /* a cred event before the first identifiable one */
                continue;
            }
            CHECK(w == ws[k].w, "writer %u vs %u", w, ws[k].w);
            x->first_ident = 1;
            x->next_i = i;
        }
        CHECK(!t_verify(&ev, ws[k].w, x->next_i), "writer %u event %llu", ws[k].w,
              (unsigned long long)x->next_i);
        if (t_ident(&ev, &w, &i))
            CHECK(w == ws[k].w && i == x->next_i, "sequence: got %u/%llu want %u/%llu", w,
                  (unsigned long long)i, ws[k].w, (unsigned long long)x->next_i);
        x->next_i++;
        x->got++;
    }
    struct pt_trace_stats st;
    pt_trace_stats(t, &st);
    CHECK(st.events == n, "stats events %llu vs %llu", (unsigned long long)st.events,
          (unsigned long long)n);
    CHECK(st.lost == lost, "stats lost");
    pt_trace_close(t);
    for (unsigned k = 0; k < nw; k++) {
        if (!overwrite) {
            CHECK(ex[k].seen_thread == 1, "writer %u: %d thread events", k, ex[k].seen_thread);
            /* discard keeps the oldest: a prefix */
            CHECK(ex[k].got == ws[k].written,
                  "writer %u: read %llu, written %llu", k, (unsigned long long)ex[k].got,
                  (unsigned long long)ws[k].written);
        } else {
            /* flight recorder keeps the newest: ends with the last event */
            CHECK(ex[k].next_i == ws[k].n, "writer %u: last %llu of %llu", k,
                  (unsigned long long)ex[k].next_i, (unsigned long long)ws[k].n);
            CHECK(ex[k].got > 0, "writer %u: nothing kept", k);
        }
    }
    *lost_out = lost;
    return n;
}

static void write_process(struct pt_ring *r)
{
    struct pt_tbuf *b = pt_ring_claim(r, (uint32_t)syscall(SYS_gettid));
    CHECK(b != NULL, "main claim");
    if (!b)
        return;
    const char *exe = "/usr/bin/test-exe", *cmd = "test-exe -x";
    size_t size = 9 * 4 + 8 + 8 * 8 + 1 + pt_size_str(strlen(exe)) + pt_size_str(strlen(cmd));
    struct pt_enc e;
    CHECK(pt_tbuf_begin(b, PT_EV_process, pt_now(), size, &e) == 0, "begin process");
    pt_enc_u32(&e, (uint32_t)getpid());
    pt_enc_u32(&e, (uint32_t)getppid());
    pt_enc_u32(&e, (uint32_t)getpid());
    pt_enc_u64(&e, 12345);
    for (int k = 0; k < 6; k++)
        pt_enc_u32(&e, 0);
    for (int k = 0; k < 7; k++)
        pt_enc_u64(&e, 4026531830ull + k);
    pt_enc_u64(&e, 4026531834ull);
    pt_enc_u8(&e, 1); /* exec */
    pt_enc_str(&e, exe, strlen(exe));
    pt_enc_str(&e, cmd, strlen(cmd));
    CHECK(e.p == e.end, "process size");
    pt_tbuf_commit(b, &e);
    pt_ring_release(r, b);
}

static void run(const char *tag, size_t buf_bytes, unsigned nbufs, unsigned nwriters,
                unsigned waves, uint64_t per_writer, int overwrite, int expect_loss)
{
    char *dir = t_mkdtemp(tag);
    struct pt_ring_config cfg = {.dir = dir, .thread_buf_bytes = buf_bytes, .nthreads = nbufs,
                                 .overwrite = overwrite};
    struct pt_ring *r;
    int rc = pt_ring_create(&cfg, &r);
    CHECK(rc == 0, "pt_ring_create: %s", strerror(-rc));
    if (rc)
        return;
    write_process(r);
    struct writer ws[MAXW];
    pthread_t th[MAXW];
    unsigned per_wave = nwriters / waves;
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, per_wave);
    for (unsigned k = 0; k < nwriters; k++)
        ws[k] = (struct writer){.ring = r, .w = k + 1, .n = per_writer, .bar = &bar};
    for (unsigned wv = 0; wv < waves; wv++) {
        for (unsigned k = wv * per_wave; k < (wv + 1) * per_wave; k++)
            pthread_create(&th[k], NULL, writer_main, &ws[k]);
        for (unsigned k = wv * per_wave; k < (wv + 1) * per_wave; k++)
            pthread_join(th[k], NULL);
    }
    pt_ring_close(r);
    pthread_barrier_destroy(&bar);

    uint64_t written = 2, lost_w = 0, lost_r = 0; /* main: thread + process */
    for (unsigned k = 0; k < nwriters; k++) {
        written += ws[k].written + ws[k].lost; /* every attempt incl. the thread event */
        written += 1;                          /* the thread event */
        lost_w += ws[k].lost;
    }
    int diags = 0;
    uint64_t n = read_back(dir, ws, nwriters, overwrite, &lost_r, &diags);
    CHECK(diags == 0, "%d diagnostics", diags);
    if (!overwrite) {
        uint64_t lost_events = 0, n_lost_markers = 0;
        /* events delivered = n minus the lost markers; exact accounting */
        (void)lost_events;
        (void)n_lost_markers;
        CHECK(lost_r == lost_w, "%s: lost read %llu, lost written %llu", tag,
              (unsigned long long)lost_r, (unsigned long long)lost_w);
        if (expect_loss)
            CHECK(lost_w > 0, "%s: expected losses with a small ring", tag);
        else
            CHECK(lost_w == 0, "%s: unexpected losses %llu", tag, (unsigned long long)lost_w);
    }
    printf("%s: %llu events read (%llu lost markers counting %llu), %llu attempted\n", tag,
           (unsigned long long)n, 0ull, (unsigned long long)lost_r, (unsigned long long)written);
    t_rmrf(dir);
    free(dir);
}

int main(void)
{
    /* names come from the tables */
    CHECK(!strcmp(pt_event_name(PT_EV_CALL_FIRST + PT_CALL_RegQueryValueExA), "RegQueryValueExA"),
          "name");
    CHECK(!strcmp(pt_event_name(PT_EV_lost), "lost"), "name lost");
    CHECK(pt_event_name(60000) == NULL, "unknown id");
    /* compactness: a registry query with an 8-character value name */
    size_t reg = 5 + pt_size_call(1000, 2000, 1018, 0) + 8 + pt_size_str(8) + 4;
    CHECK(reg <= 40, "registry call takes %zu bytes", reg);

    /* 8 writers in 2 waves over 4 buffers: buffers are reused, nothing is lost */
    run("reuse", 1 << 20, 5, 8, 2, 3000, 0, 0);
    /* small buffers, nobody drains: the oldest are kept, the rest counted exactly */
    run("discard", 16 << 10, 4, 3, 1, 4000, 0, 1);
    /* flight recorder: the newest are kept */
    run("overwrite", 16 << 10, 4, 3, 1, 4000, 1, 0);
    if (t_failures)
        fprintf(stderr, "%d failures\n", t_failures);
    return t_failures ? 1 : 0;
}
