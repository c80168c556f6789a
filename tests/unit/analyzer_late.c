/* analyzer_late.c — a process's streams read out of their order. Every exec gives a process a new
 * ring, so a new stream; the follower merges streams by time up to a horizon, but a stream it finds
 * late (its ring removed between a listing and its opening, a loaded machine) comes after newer
 * events of the others. What ends a process's holds (exec, its end, a close, a reused handle)
 * must end only what began before it, by event time, and a late identity or failure must not undo
 * or claim what came later. Each case builds the events in time order, then feeds them with one
 * stream held back until a chosen moment, as the follower would read it; each fails when the model
 * acts on the order of arrival. */
#include "analyzer/checkpoint.h"
#include "tests/unit/analyzer_scn.h"

#define HOLDER 100
#define CLEANER 200
#define IMAGE2 1100 /* the stream of the holder's image after its exec */
#define THREAD2 2100 /* the stream of another thread of the holder's first image */
#define SEG_INO 4711
#define SEG2_INO 4712
#define ADDR 0x7f0000000000ull

/* The scenario's events in time order, each with the stream it is read from. */
static struct pt_event kept[128];
static size_t nkept;
static uint32_t stream_now[65536]; /* per pid: the stream its next events go to (0: its pid) */
static uint32_t tid_now[65536];

static void keep(struct scn *s, const struct pt_event *ev)
{
    (void)s;
    if (nkept == sizeof kept / sizeof kept[0]) {
        fprintf(stderr, "too many events\n");
        exit(2);
    }
    struct pt_event *k = &kept[nkept++];
    *k = *ev; /* its strings are literals */
    if (stream_now[ev->pid])
        k->stream = stream_now[ev->pid];
    if (tid_now[ev->pid])
        k->tid = tid_now[ev->pid];
}

static struct scn *start(void)
{
    struct scn *s = scn_new();
    s->sink = keep;
    nkept = 0;
    memset(stream_now, 0, sizeof stream_now);
    memset(tid_now, 0, sizeof tid_now);
    return s;
}

/* The time of the next event to be built. */
static uint64_t next_ts(const struct scn *s)
{
    return s->ts + 1000000;
}

/* Feed what was built: stream `late` is held back until the first event of another stream after
 * `at`, then read whole (as the follower reads a stream it found late), then the rest. */
static void feed(struct scn *s, uint32_t late, uint64_t at)
{
    int released = 0;
    for (size_t i = 0; i <= nkept; i++) {
        if (!released && (i == nkept || (kept[i].stream != late && kept[i].ts > at))) {
            released = 1;
            for (size_t j = 0; j < nkept; j++)
                if (kept[j].stream == late)
                    CHECK(pt_analyzer_feed(s->a, &kept[j]) == 0);
        }
        if (i < nkept && kept[i].stream != late)
            CHECK(pt_analyzer_feed(s->a, &kept[i]) == 0);
    }
}

static void execve_ev(struct scn *s, uint32_t pid, const char *path)
{
    struct pt_event *e = ev_begin(s, PT__ID(execve), pid, 0);
    e->ts_enter = e->ts; /* recorded before the call: it does not return */
    pt__synth_s(e, "pathname", path);
    ev_end(s);
}

/* The holder's first image execs /usr/bin/daemon, whose events go to the stream IMAGE2. */
static void exec_daemon(struct scn *s)
{
    execve_ev(s, HOLDER, "/usr/bin/daemon");
    stream_now[HOLDER] = IMAGE2;
    proc(s, HOLDER, WHO(), "/usr/bin/daemon");
}

/* The cleaner, another process, starts and removes the segment. */
static void cleaner_removes(struct scn *s, const char *name, uint64_t ino)
{
    proc(s, CLEANER, WHO(.start = 2), "/usr/bin/cleaner");
    shm_unlink_ev(s, CLEANER, name, ino);
}

/* The holder's next events come from another thread of its first image (stream THREAD2), or,
 * on = 0, from its main thread again. */
static void on_thread2(int on)
{
    stream_now[HOLDER] = on ? THREAD2 : 0;
    tid_now[HOLDER] = on ? HOLDER + 1 : 0;
}

static const struct pt__proc *holder(struct scn *s)
{
    uint64_t v;
    return pt__map_get(&s->a->by_pid, HOLDER, 0, &v) ? s->a->procs[v] : NULL;
}

/* The holder's first image execs; its second maps a segment, which the cleaner removes. The first
 * image's stream (its exec) is read late, after the second image's map: the exec must not end the
 * hold the second image took after it, nor its identity be the first image's. */
static void exec_read_late(void)
{
    struct scn *s = start();
    proc(s, HOLDER, WHO(), "/usr/bin/launcher");
    exec_daemon(s);
    shm_map(s, HOLDER, "/seg", SEG_INO, ADDR);
    uint64_t mapped = s->ts;
    cleaner_removes(s, "/seg", SEG_INO);
    shm_open_fails(s, HOLDER, "/seg");
    feed(s, HOLDER, mapped);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    CHECK(pt_analyzer_finding_has_victim(s->a, 0));
    const struct pt__proc *p = holder(s);
    CHECK(p && p->exe && !strcmp(p->exe, "/usr/bin/daemon"));
    CHECK(s->a->late == 2); /* the first image's process and exec events */
    CHECK(s->a->late_max > 0);
    char *t = scn_render(s, 0);
    CHECK(t && strstr(t, "2 events arrived later than the follow lag"));
    free(t);
    scn_free(s);
}

/* Another thread of the first image mapped the segment before the exec; its stream is read after
 * the exec and the second image's start. The mapping ended with its image: removing the segment
 * later takes nothing from anyone. */
static void hold_of_an_ended_image_read_late(void)
{
    struct scn *s = start();
    proc(s, HOLDER, WHO(), "/usr/bin/launcher");
    on_thread2(1);
    shm_map(s, HOLDER, "/seg", SEG_INO, ADDR);
    on_thread2(0);
    exec_daemon(s);
    uint64_t started = s->ts;
    cleaner_removes(s, "/seg", SEG_INO);
    shm_open_fails(s, HOLDER, "/seg");
    feed(s, THREAD2, started);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    CHECK(s->a->dels_unheld == 1);
    scn_free(s);

    /* the same after the process ended: the straggler's hold is over with it */
    s = start();
    proc(s, HOLDER, WHO(), "/usr/bin/daemon");
    on_thread2(1);
    shm_map(s, HOLDER, "/seg", SEG_INO, ADDR);
    on_thread2(0);
    EXIT(s, HOLDER);
    uint64_t ended = s->ts;
    cleaner_removes(s, "/seg", SEG_INO);
    feed(s, THREAD2, ended);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);
}

/* The first image mapped and unmapped a segment at the address where the second image maps
 * another, then exec'd; read late, neither its map (the same handle) nor its unmap ends the second
 * image's mapping. */
static void same_handle_read_late(void)
{
    struct scn *s = start();
    proc(s, HOLDER, WHO(), "/usr/bin/launcher");
    shm_map(s, HOLDER, "/old", SEG_INO, ADDR);
    munmap_ev(s, HOLDER, ADDR);
    exec_daemon(s);
    shm_map(s, HOLDER, "/seg", SEG2_INO, ADDR);
    uint64_t mapped = s->ts;
    cleaner_removes(s, "/seg", SEG2_INO);
    shm_open_fails(s, HOLDER, "/seg");
    feed(s, HOLDER, mapped);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    scn_free(s);
}

/* The first image's ring was left open (an exec the shim did not see) and the collector found it
 * dead; its `reaped` is read before the second image's stream, which maps the segment. The
 * second image's start says that ring was an image's before an exec, not the process's end. */
static void reaped_ring_of_an_exec_read_first(void)
{
    struct scn *s = start();
    proc(s, HOLDER, WHO(), "/usr/bin/launcher");
    uint64_t ring_last = s->ts;
    stream_now[HOLDER] = IMAGE2;
    proc(s, HOLDER, WHO(), "/usr/bin/daemon");
    shm_map(s, HOLDER, "/seg", SEG_INO, ADDR);
    stream_now[HOLDER] = 9100; /* the collector's stream for the first ring */
    reaped(s, HOLDER, ring_last);
    uint64_t reaped_at = s->ts;
    stream_now[HOLDER] = IMAGE2;
    cleaner_removes(s, "/seg", SEG_INO);
    shm_open_fails(s, HOLDER, "/seg"); /* read before the unlink: a sign of life, no victim */
    feed(s, IMAGE2, reaped_at);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    const struct pt__proc *p = holder(s);
    CHECK(p && p->end == PT__ALIVE);
    scn_free(s);
}

/* Pid 100 was an older process (start 1) that exited; a younger one (start 2) took the pid and
 * maps the segment. The older one's stream, read late, is not the younger one's end. */
static void reused_pid_read_late(void)
{
    struct scn *s = start();
    proc(s, HOLDER, WHO(), "/usr/bin/old");
    EXIT(s, HOLDER);
    stream_now[HOLDER] = IMAGE2;
    proc(s, HOLDER, WHO(.start = 5), "/usr/bin/daemon");
    shm_map(s, HOLDER, "/seg", SEG_INO, ADDR);
    uint64_t mapped = s->ts;
    proc(s, CLEANER, WHO(.start = 6), "/usr/bin/cleaner");
    shm_unlink_ev(s, CLEANER, "/seg", SEG_INO);
    shm_open_fails(s, HOLDER, "/seg");
    feed(s, HOLDER, mapped);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    const struct pt__proc *p = holder(s);
    CHECK(p && p->start_time == 5 && p->end == PT__ALIVE);
    scn_free(s);
}

/* A failure of the holder's other thread on the name, from before the delete, read after it, is
 * not the deletion's victim. */
static void failure_before_the_delete_read_late(void)
{
    struct scn *s = start();
    proc(s, HOLDER, WHO(), "/usr/bin/daemon");
    on_thread2(1);
    shm_open_fails(s, HOLDER, "/seg"); /* before it was made, say */
    on_thread2(0);
    shm_map(s, HOLDER, "/seg", SEG_INO, ADDR);
    cleaner_removes(s, "/seg", SEG_INO);
    uint64_t deleted = s->ts;
    EXIT(s, HOLDER); /* after the delete: it was alive then */
    feed(s, THREAD2, deleted);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    CHECK(!pt_analyzer_finding_has_victim(s->a, 0));
    scn_free(s);
}

/* What follows a late stream's order goes on across a checkpoint: a copy of the model (as the
 * follower's checkpoints and findings make) keeps the images' times and the count. */
static void carried_by_a_checkpoint(void)
{
    struct scn *s = start();
    proc(s, HOLDER, WHO(), "/usr/bin/launcher");
    execve_ev(s, HOLDER, "/usr/bin/daemon");
    uint64_t exec_ts = s->ts;
    stream_now[HOLDER] = IMAGE2;
    proc(s, HOLDER, WHO(), "/usr/bin/daemon");
    uint64_t image_ts = s->ts;
    shm_map(s, HOLDER, "/seg", SEG_INO, ADDR);
    uint64_t mapped = s->ts;
    feed(s, HOLDER, mapped);
    char why[256];
    struct pt_analyzer *c = pt__checkpoint_clone(s->a, why, sizeof why);
    CHECK(c != NULL);
    if (c) {
        CHECK(c->late == s->a->late && c->late == 2 && c->late_max == s->a->late_max);
        uint64_t v;
        const struct pt__proc *p =
            pt__map_get(&c->by_pid, HOLDER, 0, &v) ? c->procs[v] : NULL;
        CHECK(p && p->image_ts == image_ts && p->exec_ts == exec_ts);
        /* a hold of the first image read after the copy is over already */
        struct scn t = *s;
        t.a = c;
        t.sink = NULL;
        t.ts = exec_ts - 2500000; /* its map ends half a millisecond before the exec */
        shm_map(&t, HOLDER, "/old", SEG2_INO, ADDR + 0x10000);
        proc(&t, CLEANER, WHO(.start = 2), "/usr/bin/cleaner");
        t.ts = s->ts;
        shm_unlink_ev(&t, CLEANER, "/old", SEG2_INO);
        pt_analyzer_finish(c, NULL);
        CHECK(pt_analyzer_nfindings(c) == 0);
        pt_analyzer_free(c);
    }
    scn_free(s);
}

int main(void)
{
    RUN(exec_read_late);
    RUN(hold_of_an_ended_image_read_late);
    RUN(same_handle_read_late);
    RUN(reaped_ring_of_an_exec_read_first);
    RUN(reused_pid_read_late);
    RUN(failure_before_the_delete_read_late);
    RUN(carried_by_a_checkpoint);
    return failures ? 1 : 0;
}
