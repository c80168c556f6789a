/* model_witness.c — deletions seen by the collector's witness (tracer/witness*.c), made by a
 * process that may not be traced (design: model.h).
 *
 * A `witnessed` event (fanotify: unlink, rmdir, rename) or `witnessed_shm` event (a SysV segment
 * removed) is a deletion like a traced one when it removed what a traced process held. The deleter
 * is known only as the witness read it from /proc after the fact: it becomes a process of its own,
 * outside the stream and pid indexes (it wrote nothing; a traced process with the same pid keeps
 * its record), one per deleter however many things it deleted. A deletion by a traced process is
 * its own trace's (stamped at the call, with nesting and stack): the witness, which stamps when it
 * reads, only repeats it, possibly before the traced call has even returned.
 *
 * A SysV removal is noticed by comparing scans of the segment table: it happened after the scan
 * before (seen_ts), up to an interval earlier than the event, and the holders may have let go or
 * exited in between (a server shutting down at once). Like the witness's fanotify deletions, it
 * is dated the earliest it can have happened, and what was held then is what it took away: the
 * attachments that ended since count too (model_holds.c keeps them a while), and the finding says
 * it is uncertain when all of them had ended by the scan that noticed it (verdict.c). The holder
 * the witness found attached at that scan counts even without a hold on record. */
#include <stdio.h>
#include <string.h>

#include "analyzer/model.h"

/* Where the deleter's identity sits in each witnessed class (PT_WITNESS_IDENT, event.h). */
struct ident_ix {
    unsigned pid, ident, ppid, start_time, uid, euid, sessionid, loginuid, ns, exe, cmdline;
};
#define IDENT_IX(c)                                                                                \
    {                                                                                              \
        PT_FIELD(c, pid), PT_FIELD(c, ident), PT_FIELD(c, ppid), PT_FIELD(c, start_time),          \
            PT_FIELD(c, uid), PT_FIELD(c, euid), PT_FIELD(c, sessionid), PT_FIELD(c, loginuid),    \
            PT_FIELD(c, ns_ipc), PT_FIELD(c, exe), PT_FIELD(c, cmdline)                            \
    }
static const struct ident_ix ix_file = IDENT_IX(witnessed), ix_shm = IDENT_IX(witnessed_shm);
_Static_assert(PT_FIELD(witnessed, ns_time) - PT_FIELD(witnessed, ns_ipc) == PT_NS_COUNT - 1,
               "witnessed: namespace fields out of order");
_Static_assert(PT_FIELD(witnessed_shm, ns_time) - PT_FIELD(witnessed_shm, ns_ipc) ==
                   PT_NS_COUNT - 1,
               "witnessed_shm: namespace fields out of order");

static const struct ident_ix *ix_of(const struct pt_event *ev)
{
    return ev->id == PT_EV_witnessed_shm ? &ix_shm : &ix_file;
}

/* The deleter as the witness read it: one process per deleter (one rm -rf deletes many things). */
static struct pt__proc *witnessed_proc(struct pt_analyzer *a, const struct pt_event *ev)
{
    const struct ident_ix *x = ix_of(ev);
    uint32_t wpid = (uint32_t)pt_ev_u(ev, x->pid);
    uint64_t wst = pt_ev_u(ev, x->start_time);
    for (uint32_t i = a->nprocs; i-- > 0;)
        if (a->procs[i]->witnessed && wpid && a->procs[i]->pid == wpid &&
            a->procs[i]->start_time == wst && a->procs[i]->have_identity)
            return a->procs[i];
    struct pt__proc *p = pt__proc_alloc(a, wpid);
    if (!p)
        return NULL;
    const char *ident = pt_ev_s(ev, x->ident);
    p->ppid = (uint32_t)pt_ev_u(ev, x->ppid);
    p->start_time = wst;
    p->witnessed = 1;
    snprintf(p->ident, sizeof p->ident, "%s", *ident ? ident : "none");
    p->who.uid = (uint32_t)pt_ev_u(ev, x->uid);
    p->who.euid = (uint32_t)pt_ev_u(ev, x->euid);
    p->who.sessionid = (uint32_t)pt_ev_u(ev, x->sessionid);
    p->who.loginuid = (uint32_t)pt_ev_u(ev, x->loginuid);
    for (unsigned i = 0; i < PT_NS_COUNT; i++)
        p->who.ns[i] = pt_ev_u(ev, x->ns + i);
    const char *exe = pt_ev_s(ev, x->exe), *cmd = pt_ev_s(ev, x->cmdline);
    p->exe = *exe ? pt__strdup(a, exe) : NULL;
    p->cmdline = *cmd ? pt__strdup(a, cmd) : NULL;
    p->have_identity = strcmp(p->ident, "live") == 0 || strcmp(p->ident, "exec") == 0;
    p->first_ts = p->last_ts = ev->ts;
    p->end = PT__EXITED; /* nothing more is known of it after the deletion */
    p->end_ts = ev->ts;
    return p;
}

/* A traced deletion of the same identity by the same pid a few ms before: the witness saw what
 * the trace already says. */
static int witnessed_twice(const struct pt_analyzer *a, uint32_t pid, uint64_t dev, uint64_t ino,
                           uint64_t ts)
{
    for (uint32_t i = a->ndels; i-- > 0;) {
        const struct pt__del *d = &a->dels[i];
        if (d->ts + 50000000ull < ts)
            break;
        if (!d->witnessed && d->dev == dev && d->ino == ino && a->procs[d->proc]->pid == pid)
            return 1;
    }
    return 0;
}

/* Is the witnessed deleter a traced process? Then its own trace records its deletions. */
static int witnessed_is_traced(const struct pt_analyzer *a, const struct pt_event *ev)
{
    const struct ident_ix *x = ix_of(ev);
    uint32_t wpid = (uint32_t)pt_ev_u(ev, x->pid);
    uint64_t wst = pt_ev_u(ev, x->start_time);
    if (!wpid)
        return 0;
    for (uint32_t i = a->nprocs; i-- > 0;) {
        const struct pt__proc *q = a->procs[i];
        if (!q->witnessed && (q->global_pid == wpid || q->pid == wpid) &&
            (!wst || q->start_time == wst))
            return 1;
    }
    return 0;
}

/* The holder a witnessed SysV removal names, as a hold of its own when the model has none: the
 * witness found the segment in that process's /proc/PID/maps at the scan that noticed the
 * removal, after the removal, so it (or the parent it inherited the attachment from) had it
 * attached when it was removed, though no call on record attached it (a fork the trace did not
 * see, a clone). Only when the holder is not the segment's last attacher (lpid): the witness also
 * names that one for a segment that vanished at a last detach, which may have come before the
 * removal as well as after it. The hold, begun at `date` (when the removal is dated), or
 * PT__NONE. */
static uint32_t seen_holder(struct pt_analyzer *a, const struct pt_event *ev, uint64_t dev,
                            uint64_t ino, uint64_t date)
{
    uint32_t pid = (uint32_t)PT_U(ev, witnessed_shm, holder);
    if (!pid || pid == (uint32_t)PT_U(ev, witnessed_shm, lpid) || !PT_U(ev, witnessed_shm, nattch))
        return PT__NONE;
    for (uint32_t i = a->nprocs; i-- > 0;) {
        struct pt__proc *q = a->procs[i];
        if (q->witnessed || q->end != PT__ALIVE || !q->have_identity || q->global_pid != pid ||
            q->who.ns[PT_NS_ipc] != (dev & ~(1ull << 63)))
            continue;
        uint64_t head;
        if (pt__map_get(&a->hold_by_id, dev, ino, &head))
            for (uint32_t h = (uint32_t)head; h != PT__NONE; h = a->holds[h].inext)
                if (a->holds[h].proc == q->idx)
                    return PT__NONE; /* it has one on record */
        return pt__hold_seen(a, q, date, dev, ino);
    }
    return PT__NONE;
}

void pt__on_witnessed(struct pt_analyzer *a, const struct pt_event *ev)
{
    int shm = ev->id == PT_EV_witnessed_shm;
    uint64_t dev, ino;
    char target[64];
    const char *what;
    if (shm) {
        int32_t shmid = (int32_t)PT_U(ev, witnessed_shm, shmid);
        dev = PT__SYSV_DEV(PT_U(ev, witnessed_shm, ipc_ns));
        ino = (uint64_t)(uint32_t)shmid + 1;
        snprintf(target, sizeof target, "shmid %d", shmid);
        what = target;
    } else {
        dev = PT_U(ev, witnessed, dev);
        ino = PT_U(ev, witnessed, ino);
        what = PT_S(ev, witnessed, path);
        if (!*what)
            what = PT_S(ev, witnessed, name);
        if (!dev && !ino)
            return;
    }
    uint32_t pid = (uint32_t)pt_ev_u(ev, ix_of(ev)->pid);
    int attributed = shm ? PT_U(ev, witnessed_shm, attributed) != 0 : 1;
    uint64_t head;
    if (attributed && (witnessed_twice(a, pid, dev, ino, ev->ts) || witnessed_is_traced(a, ev))) {
        a->dels_seen++;
        a->dels_unheld++;
        return;
    }
    /* A SysV removal happened between the scan before (seen_ts: the segment intact) and the one
     * that noticed it, not before its deleter was born: dated the earliest it can have been. */
    uint64_t from = ev->ts;
    if (shm) {
        uint64_t seen_ts = PT_U(ev, witnessed_shm, seen_ts);
        uint64_t born = attributed ? PT_U(ev, witnessed_shm, start_time) * 10000000ull : 0;
        if (seen_ts && seen_ts < ev->ts)
            from = seen_ts > born || born >= ev->ts ? seen_ts : born;
        else if (!seen_ts)
            from = 0; /* no scan saw it intact: made and removed since the one before */
    }
    uint64_t date = from && from + 1 < ev->ts ? from + 1 : ev->ts;
    uint32_t seen = shm ? seen_holder(a, ev, dev, ino, date) : PT__NONE;
    if (shm ? seen == PT__NONE && !pt__sysv_held_since(a, dev, ino, date)
            : !pt__map_get(&a->hold_by_id, dev, ino, &head)) {
        a->dels_seen++;
        a->dels_unheld++;
        return;
    }
    struct pt__proc *p = witnessed_proc(a, ev);
    if (!p)
        return;
    if (!attributed)
        snprintf(p->ident, sizeof p->ident, "none");
    uint32_t before = a->ndels;
    struct pt_event e = *ev;
    e.nframes = 0;
    e.depth = 0;
    e.ts_enter = ev->ts;
    if (shm) {
        pt__on_sysv_removed(a, p, &e, dev, ino, what, from);
    } else {
        /* a rename moves what it names: gone for a key (its path is what the holder uses), not
         * for an open file */
        int moved = !strcmp(PT_S(ev, witnessed, how), "rename");
        pt__on_delete(a, p, NULL, &e, PT_K_FILE, dev, ino, what, moved);
    }
    if (a->ndels > before) {
        struct pt__del *d = &a->dels[before];
        const char *how = shm ? "" : PT_S(ev, witnessed, how);
        d->witnessed = 1;
        d->unattributed = !attributed;
        d->call = d->via = pt__intern(a, shm ? "IPC_RMID" : *how ? how : "unlink");
        d->who = p->who;
    }
    if (seen != PT__NONE) /* evidence of one moment: its address, and its end, are not known */
        pt__hold_close(a, seen, ev->ts);
}
