/* analyzer_scn_rings.h — a hand-built scenario (analyzer_scn.h) written as a real trace: its events
 * are kept (scn_keep, the scenario's sink), then each synthetic process's events are written by a
 * forked writer process through the tracer's ring writer, one ring per process. The events are
 * stamped after the writers' own (a ring keeps time non-decreasing): set s->ts from pt_now() plus a
 * margin before building the scenario. A process's execve event ends its ring as an exec does (its
 * events after it go into a new ring, of the same process). */
#ifndef PT_TESTS_ANALYZER_SCN_RINGS_H
#define PT_TESTS_ANALYZER_SCN_RINGS_H

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proftrace/ring.h"
#include "tests/unit/analyzer_scn.h"

static struct pt_event *scn_kept;
static size_t scn_nkept, scn_capkept;

/* The scenario's sink: each event kept (its strings copied), for scn_write_proc. */
static void scn_keep(struct scn *s, const struct pt_event *ev)
{
    (void)s;
    if (scn_nkept == scn_capkept) {
        scn_capkept = scn_capkept ? scn_capkept * 2 : 64;
        scn_kept = realloc(scn_kept, scn_capkept * sizeof *scn_kept);
        if (!scn_kept)
            exit(2);
    }
    struct pt_event *c = &scn_kept[scn_nkept++];
    *c = *ev;
    for (unsigned i = 0; i < c->nfields; i++)
        if (pt_event_field_wire(c, i) == PT_WIRE_STR)
            c->field[i].str.s = strdup(c->field[i].str.s);
}

/* A forked process writing one synthetic process's kept events into its own ring. */
struct scn_writer {
    pid_t pid;
    int go, ack; /* our ends of its pipes */
};

static void scn_writer_child(const char *dir, uint32_t pid, uint64_t pause_ts, int go, int ack)
{
    struct pt_ring_config cfg = {.dir = dir};
    struct pt_ring *r;
    if (pt_ring_create(&cfg, &r)) {
        perror("pt_ring_create");
        _exit(2);
    }
    uint32_t me = (uint32_t)getpid();
    struct pt_tbuf *b = pt_ring_claim(r, me);
    int paused = 0;
    char c = 0;
    for (size_t i = 0; b && i < scn_nkept; i++) {
        struct pt_event ev = scn_kept[i];
        if (ev.pid != pid)
            continue;
        if (!paused && ev.ts > pause_ts) { /* what came before is in the ring: say so, and wait */
            paused = 1;
            if (write(ack, &c, 1) != 1 || read(go, &c, 1) != 1)
                _exit(5);
        }
        if (ev.id == PT_EV_process) {
            pt__synth_u(&ev, "pid", me);
            pt__synth_u(&ev, "global_pid", me);
        }
        if (pt__synth_write(b, &ev))
            _exit(3);
        if (ev.id == PT__ID(execve)) { /* the image's ring ends, the next image makes its own */
            pt_ring_release(r, b);
            pt_ring_finish(r, PT_RING_EXECING);
            pt_ring_forget(r); /* its lock with it, as exec closes the descriptor */
            if (pt_ring_create(&cfg, &r) || !(b = pt_ring_claim(r, me)))
                _exit(2);
        }
    }
    if (!paused && write(ack, &c, 1) != 1)
        _exit(5);
    if (!paused && read(go, &c, 1) != 1)
        _exit(5);
    pt_ring_release(r, b);
    pt_ring_close(r);
    _exit(b ? 0 : 4);
}

/* Start writing the kept events of synthetic pid `pid` into trace directory dir from a child
 * process with a ring of its own (its process event names the child's real pid). It writes those
 * stamped up to pause_ts, then waits, alive, for scn_writer_end (UINT64_MAX: it writes them all
 * and waits). Returns once they are in its ring: 0, or -1 when it failed. */
static int scn_writer_start(const char *dir, uint32_t pid, uint64_t pause_ts, struct scn_writer *w)
{
    int go[2], ack[2];
    char c;
    if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ack, O_CLOEXEC) < 0)
        return -1;
    w->pid = fork();
    if (w->pid < 0)
        return -1;
    if (w->pid == 0) {
        close(go[1]);
        close(ack[0]);
        scn_writer_child(dir, pid, pause_ts, go[0], ack[1]);
    }
    close(go[0]);
    close(ack[1]);
    w->go = go[1];
    w->ack = ack[0];
    return read(w->ack, &c, 1) == 1 ? 0 : -1;
}

/* Let the writer write the rest and end (its ring closed), and wait for it: 0, or -1. */
static int scn_writer_end(struct scn_writer *w)
{
    int st;
    char c = 0;
    int rc = write(w->go, &c, 1) == 1 ? 0 : -1;
    close(w->go);
    close(w->ack);
    if (waitpid(w->pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
        rc = -1;
    return rc;
}

/* The kept events of synthetic pid `pid`, written whole by a process that has ended: 0, or -1. */
static int scn_write_proc(const char *dir, uint32_t pid)
{
    struct scn_writer w;
    if (scn_writer_start(dir, pid, UINT64_MAX, &w) < 0)
        return -1;
    return scn_writer_end(&w);
}

#endif
