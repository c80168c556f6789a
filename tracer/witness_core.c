/* witness_core.c — the witness's life: its ring, its descriptors, its thread, and the public API of
 * witness.h on top of the fanotify, holds-table, exec-cache and SysV parts. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "proftrace/event.h"
#include "proftrace/ring.h"
#include "tracer/holds_table.h"
#include "tracer/internal.h"
#include "tracer/placement.h"
#include "tracer/witness_internal.h"

/* A traced process, by a pidfd: once it is gone its pid may be another process's, whose holds are
 * none of the trace's business. */
struct wpid {
    pid_t pid;
    int pidfd;
};

struct pt_witness {
    pthread_mutex_t lock;
    struct pt_ring *ring; /* created with the first event: a witness that saw nothing leaves none */
    struct pt_tbuf *tb;
    struct pt_tbuf *tb_dated; /* deletions dated back to the earliest they can have happened
                               * (witness_fanotify.c): a buffer of their own keeps each in time
                               * order, and the last date there is dated_last */
    uint64_t dated_last;
    int ring_failed, want_execs;
    char ringdir[PATH_MAX];
    struct pt__wfan *fan;
    struct pt__wexecs *execs; /* NULL: no exec cache */
    struct pt__wsysv *sysv;
    struct pt__wtab *tabs; /* NULL: no holds tables (then only /proc scans find holds) */
    int all;               /* PT_WITNESS_ALL */
    uint64_t started;      /* pt_now() at start */
    int epfd, timerfd, stopfd;
    int threaded, timer_armed;
    pthread_t thread;
    double interval;
    unsigned ticks;     /* SysV scans since the last rescan of what holders hold */
    char tracedir[PATH_MAX];
    struct wpid *pids;  /* processes whose holds are rescanned */
    unsigned npids, cap;
    struct pt_witness_stats st;
};

#define HOLDS_EVERY 10 /* rescan /proc for holds the tables do not carry every this many SysV
                        * scans (1 s by default) */

/* Watch what pid holds now; 0 or -ESRCH when it is gone. Caller holds the lock. */
static int scan_holds(struct pt_witness *w, pid_t pid)
{
    int fs = 0, dirs = 0;
    int rc = pt__wholds_scan(w->fan, pid, w->tracedir, &fs, &dirs);
    w->st.filesystems += (unsigned)fs;
    w->st.dirs += (unsigned)dirs;
    return rc < 0 ? rc : 0;
}

static int gone(int pidfd)
{
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

static void forget_pid(struct pt_witness *w, unsigned i)
{
    close(w->pids[i].pidfd);
    w->pids[i] = w->pids[--w->npids];
}

/* Remember pid, a traced process the caller just saw alive, as one whose holds are rescanned.
 * 0, or -ESRCH when it is gone already. Caller holds the lock. */
static int add_pid(struct pt_witness *w, pid_t pid)
{
    for (unsigned i = 0; i < w->npids; i++)
        if (w->pids[i].pid == pid) {
            if (!gone(w->pids[i].pidfd))
                return 0;
            forget_pid(w, i); /* an earlier process of that pid */
            break;
        }
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0)
        return -ESRCH;
    if (w->npids == w->cap) {
        unsigned cap = w->cap ? 2 * w->cap : 64;
        struct wpid *p = realloc(w->pids, cap * sizeof *p);
        if (!p) {
            close(pidfd);
            return -ENOMEM;
        }
        w->pids = p;
        w->cap = cap;
    }
    w->pids[w->npids++] = (struct wpid){pid, pidfd};
    return 0;
}

/* A hold the tables announced (caller holds the lock): noted by identity at once; when its
 * filesystem is not marked whole yet, its holder's /proc tells where it is and marks it. A hold
 * over already when first read is only noted: a deletion of it may be in the reports about to be
 * judged. */
static void on_table_hold(void *arg, const struct pt__wtab_hold *h)
{
    struct pt_witness *w = arg;
    /* a key and a session's profile key are directories; a mapping or an open file is not */
    pt__wfan_note_held(w->fan, h->dev, h->ino, h->t_begin,
                       h->kind == PT__HK_KEY || h->kind == PT__HK_SESSION,
                       h->ended ? PT__WHELD_ENDED : PT__WHELD_TABLE, 0);
    if (h->ended) {
        w->st.holds_ended++;
        return;
    }
    if (!pt__wfan_covers(w->fan, h->dev) && h->pid > 0 && h->pid != getpid() &&
        add_pid(w, h->pid) == 0)
        scan_holds(w, h->pid);
    w->st.holds++;
    if (h->t_begin < w->started)
        return; /* published before the witness ran: no measure of its speed */
    uint64_t now = pt_now(), lat = now > h->t_begin ? now - h->t_begin : 0;
    w->st.holds_timed++;
    w->st.hold_lat_sum_ns += lat;
    if (lat > w->st.hold_lat_max_ns)
        w->st.hold_lat_max_ns = lat;
}

static void covered_devs(void *arg, uint64_t *devs, unsigned max)
{
    struct pt_witness *w = arg;
    pt__wfan_covered(w->fan, devs, max);
}

static void rescan_holds(struct pt_witness *w)
{
    for (unsigned i = 0; i < w->npids;) {
        /* alive before the scan and after it: what was read was that process's */
        if (gone(w->pids[i].pidfd) || scan_holds(w, w->pids[i].pid) < 0 ||
            gone(w->pids[i].pidfd)) {
            pt__wsysv_forget_pid(w->sysv, w->pids[i].pid);
            forget_pid(w, i);
        } else {
            i++;
        }
    }
}

static int ep_add(int epfd, int fd)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* The ring, created on first use in the trace directory. NULL when it cannot be created (then
 * every event is counted lost). */
static struct pt_ring *ring(struct pt_witness *w)
{
    if (w->ring || w->ring_failed)
        return w->ring;
    struct pt_ring_config cfg = {.dir = w->ringdir, .thread_buf_bytes = 1u << 20, .nthreads = 2};
    if (pt_ring_create(&cfg, &w->ring) < 0) {
        w->ring = NULL;
        w->ring_failed = 1;
        return NULL;
    }
    uint32_t tid = (uint32_t)syscall(SYS_gettid);
    w->tb = pt_ring_claim(w->ring, tid);
    /* no report can be older than the witness */
    w->tb_dated = pt__ring_claim_stamped(w->ring, tid, w->started);
    w->dated_last = w->started;
    return w->ring;
}

/* Listen for execs from the first watch on: before, no deleter could matter. */
static void start_execs(struct pt_witness *w)
{
    if (!w->want_execs)
        return;
    w->want_execs = 0;
    if (pt__wexecs_open(&w->execs) < 0) {
        w->execs = NULL; /* identities only of deleters still running when read */
        return;
    }
    if (ep_add(w->epfd, pt__wexecs_fd(w->execs)) < 0) {
        pt__wexecs_close(w->execs);
        w->execs = NULL;
    }
}

int pt__witness_record_del(struct pt_witness *w, const struct pt__wdel *d)
{
    ring(w);
    uint64_t now = pt_now(), ts = now;
    struct pt_tbuf *b = w->tb;
    if (d->ts) {
        /* dated back, kept in order: the last date here is no later than that deletion, which
         * the kernel reported before this one; and after it, as this is another call (the
         * analyzer takes deletions of one time by one process for one call's) */
        b = w->tb_dated;
        ts = d->ts > w->dated_last ? d->ts : w->dated_last + 1;
        if (ts > now)
            ts = now;
    }
    if (!b) { /* no buffer of its own: when read, as any other */
        b = w->tb;
        ts = now;
    }
    int rc = b ? pt__wrec_del(b, ts, d) : -ENOSPC;
    if (rc == 0 && b == w->tb_dated)
        w->dated_last = ts;
    if (rc)
        w->st.lost++;
    else
        w->st.recorded++;
    return rc;
}

void pt__witness_poll_tables(struct pt_witness *w)
{
    if (w->tabs)
        pt__wtab_poll(w->tabs);
}

int pt__witness_holds_live(struct pt_witness *w, uint64_t dev, uint64_t ino, uint64_t since)
{
    return w->tabs && pt__wtab_live(w->tabs, dev, ino, since);
}

int pt__witness_traced(struct pt_witness *w, const struct pt__wident *who)
{
    if (!who->pid)
        return 0;
    for (unsigned i = 0; i < w->npids; i++)
        if (w->pids[i].pid == (pid_t)who->pid)
            return 1; /* its ring is attached (gone since, maybe: its trace has what it did) */
    /* a ring not attached yet: the collector's thread is behind this one */
    uint64_t start = who->state == PT__WID_LIVE || who->state == PT__WID_EXEC ? who->start_time : 0;
    return w->tabs && pt__wtab_traced(w->tabs, (pid_t)who->pid, start);
}

int pt__witness_record_shm(struct pt_witness *w, const struct pt__wshm *s)
{
    ring(w);
    int rc = w->tb ? pt__wrec_shm(w->tb, pt_now(), s) : -ENOSPC;
    if (rc)
        w->st.lost++;
    else
        w->st.recorded++;
    return rc;
}

static void arm_timer(struct pt_witness *w)
{
    long long ns = (long long)(w->interval * 1e9);
    if (ns < 1000000)
        ns = 1000000;
    struct itimerspec its = {
        .it_interval = {ns / 1000000000, ns % 1000000000},
        .it_value = {ns / 1000000000, ns % 1000000000},
    };
    timerfd_settime(w->timerfd, 0, &its, NULL);
    w->timer_armed = 1;
}

static void *thread_main(void *arg)
{
    struct pt_witness *w = arg;
    struct epoll_event evs[8];
    /* The identity race is won or lost in the time it takes this thread to wake up: ask the
     * scheduler to prefer it (it sleeps nearly always and its work per report is bounded). Best
     * effort: without CAP_SYS_NICE it stays as it is. */
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), -10);
    for (;;) {
        int n = epoll_wait(w->epfd, evs, 8, -1);
        if (n < 0 && errno != EINTR)
            break;
        int stop = 0;
        for (int i = 0; i < n; i++)
            if (evs[i].data.fd == w->stopfd)
                stop = 1;
        if (stop)
            break;
        /* Woken by a writer backing its ring (rings/ changed), on its CPU: off it with the
         * collector's draining thread (tracer/placement.c). */
        pt_place_companion();
        pt_witness_drain(w);
    }
    return NULL;
}

int pt_witness_start(const char *tracedir, unsigned flags, struct pt_witness **out, char *why,
                     size_t whylen)
{
    char dummy[8];
    int rc;
    if (!why) {
        why = dummy;
        whylen = sizeof dummy;
    }
    why[0] = 0;
    struct pt_witness *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(why, whylen, "out of memory");
        return -ENOMEM;
    }
    pthread_mutex_init(&w->lock, NULL);
    w->epfd = w->timerfd = w->stopfd = -1;
    w->interval = 0.1;
    w->started = pt_now();

    rc = pt__wfan_open(&w->fan, why, whylen);
    if (rc)
        goto fail;
    /* A tracedir given as /proc/self/fd/N (pt_collector_dir_at) is a link the ring's directory
     * check would refuse; its "." is the directory itself. */
    if (snprintf(w->ringdir, sizeof w->ringdir, "%s%s", tracedir,
                 strncmp(tracedir, "/proc/self/fd/", 14) ? "" : "/.") >= (int)sizeof w->ringdir) {
        rc = -ENAMETOOLONG;
        snprintf(why, whylen, "%s: path too long", tracedir);
        goto fail;
    }
    if (!realpath(tracedir, w->tracedir))
        snprintf(w->tracedir, sizeof w->tracedir, "%s", tracedir);
    pt__wfan_ignore(w->fan, w->tracedir);
    w->want_execs = !(flags & PT_WITNESS_NO_EXECS);
    w->all = (flags & PT_WITNESS_ALL) != 0;
    rc = pt__wsysv_open(&w->sysv, w->all);
    if (rc) {
        snprintf(why, whylen, "out of memory");
        goto fail;
    }
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    w->stopfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->epfd < 0 || w->timerfd < 0 || w->stopfd < 0 || (rc = ep_add(w->epfd, pt__wfan_fd(w->fan))) ||
        (rc = ep_add(w->epfd, w->timerfd))) {
        rc = rc ? rc : -errno;
        snprintf(why, whylen, "cannot set up the witness's descriptors: %s", strerror(-rc));
        goto fail;
    }
    /* Without the tables (no rings/ yet, no inotify) holds are still found by /proc scans. */
    if (pt__wtab_open(&w->tabs, tracedir, on_table_hold, covered_devs, w) < 0 ||
        ep_add(w->epfd, pt__wtab_fd(w->tabs)) < 0) {
        pt__wtab_close(w->tabs);
        w->tabs = NULL;
    }
    if (!(flags & PT_WITNESS_NO_THREAD)) {
        if ((rc = ep_add(w->epfd, w->stopfd)) || (rc = -pthread_create(&w->thread, NULL, thread_main, w))) {
            snprintf(why, whylen, "cannot start the witness thread: %s", strerror(-rc));
            goto fail;
        }
        w->threaded = 1;
    }
    *out = w;
    return 0;
fail:
    if (w->ring)
        pt_ring_close(w->ring);
    pt__wtab_close(w->tabs);
    pt__wfan_close(w->fan);
    pt__wexecs_close(w->execs);
    pt__wsysv_close(w->sysv);
    if (w->epfd >= 0)
        close(w->epfd);
    if (w->timerfd >= 0)
        close(w->timerfd);
    if (w->stopfd >= 0)
        close(w->stopfd);
    pthread_mutex_destroy(&w->lock);
    free(w);
    return rc;
}

int pt_witness_watch_path(struct pt_witness *w, const char *path)
{
    int fs_marked, dir_marked;
    pthread_mutex_lock(&w->lock);
    start_execs(w);
    int rc = pt__wfan_watch(w->fan, path, &fs_marked, &dir_marked);
    w->st.filesystems += (unsigned)fs_marked;
    w->st.dirs += (unsigned)dir_marked;
    pthread_mutex_unlock(&w->lock);
    return rc;
}

/* Its /dev/shm and its working directory's filesystem: where POSIX shared memory lives, and where
 * the files it opens by a relative name are, are marked before any hold on them begins, so the
 * first hold there is seen deleted at once too (a hold elsewhere waits for the doorbell to wake the
 * witness). With PT_WITNESS_ALL, everything deleted in /dev/shm is recorded. Caller holds the
 * lock. */
static void watch_likely(struct pt_witness *w, pid_t pid)
{
    char path[64];
    int fs = 0, dirs = 0, cwd_fs = 0;
    snprintf(path, sizeof path, "/proc/%d/root/dev/shm", (int)pid);
    if (w->all)
        (void)pt__wfan_watch(w->fan, path, &fs, &dirs);
    else
        (void)pt__wfan_mark_fs(w->fan, path, &fs);
    snprintf(path, sizeof path, "/proc/%d/cwd", (int)pid);
    (void)pt__wfan_mark_fs(w->fan, path, &cwd_fs);
    w->st.filesystems += (unsigned)(fs + cwd_fs);
    w->st.dirs += (unsigned)dirs;
}

void pt_witness_on_attach(void *witness, pid_t pid)
{
    if (witness && pid > 0)
        (void)pt_witness_watch_pid(witness, pid);
}

int pt_witness_watch_pid(struct pt_witness *w, pid_t pid)
{
    int new_ns = 0;
    if (pid <= 0)
        return -EINVAL;
    if (pid == getpid())
        return 0; /* the witness's own ring: nothing to watch */
    pthread_mutex_lock(&w->lock);
    start_execs(w);
    pthread_mutex_unlock(&w->lock);
    pthread_mutex_lock(&w->lock);
    int rc = add_pid(w, pid);
    if (rc == 0)
        rc = pt__wsysv_watch_pid(w->sysv, pid, &new_ns);
    if (rc == 0) {
        watch_likely(w, pid);
        scan_holds(w, pid);
    }
    if (rc == 0 && new_ns) {
        /* the first scan is the baseline: removals are counted from now */
        pt__wsysv_scan(w->sysv, w, w->execs, &w->st);
        w->st.ipc_ns = pt__wsysv_count(w->sysv);
        if (!w->timer_armed)
            arm_timer(w);
    }
    pthread_mutex_unlock(&w->lock);
    return rc;
}

void pt_witness_set_scan_interval(struct pt_witness *w, double seconds)
{
    pthread_mutex_lock(&w->lock);
    w->interval = seconds > 0 ? seconds : 0.1;
    if (w->timer_armed)
        arm_timer(w);
    pthread_mutex_unlock(&w->lock);
}

int pt_witness_fd(const struct pt_witness *w)
{
    return w ? w->epfd : -1;
}

int pt_witness_drain(struct pt_witness *w)
{
    uint64_t ticks;
    int n = 0;
    pthread_mutex_lock(&w->lock);
    uint64_t overflows = w->st.overflows;
    /* The tables first, for what rang: a hold on a filesystem not marked yet is marked now. (The
     * reports are judged after the tables are read once more, once they are read: a deletion in
     * them happened after every hold published before it, and those must be known then.) */
    if (w->tabs)
        pt__wtab_poll(w->tabs);
    int files = pt__wfan_drain(w->fan, w, w->execs, &w->st);
    n += files;
    /* The kernel dropped reports it could not queue: how many is unknown, at least one each
     * time. Readers see them as lost events of the witness's ring, never as silence. */
    if (w->st.overflows > overflows)
        pt_ring_lost(ring(w), w->st.overflows - overflows);
    if (w->execs)
        w->st.execs += (uint64_t)pt__wexecs_drain(w->execs);
    int tick = read(w->timerfd, &ticks, sizeof ticks) == (ssize_t)sizeof ticks;
    /* The SysV tables are looked at every 0.1 s, and also when something held was just deleted:
     * a clean-up deleting files often removes segments next (`rm`, then `ipcrm`), and a look
     * now dates such a removal closer, after what the deletion followed (a holder's detach). */
    if (tick || files > 0)
        n += pt__wsysv_scan(w->sysv, w, w->execs, &w->st);
    if (tick) {
        if (w->tabs)
            pt__wtab_tick(w->tabs);
        if (++w->ticks >= HOLDS_EVERY) {
            w->ticks = 0;
            rescan_holds(w); /* keys opened and objects mapped since */
        }
    }
    pthread_mutex_unlock(&w->lock);
    return n;
}

int pt_witness_scan_now(struct pt_witness *w)
{
    pthread_mutex_lock(&w->lock);
    int n = pt__wsysv_scan(w->sysv, w, w->execs, &w->st);
    pthread_mutex_unlock(&w->lock);
    return n;
}

void pt_witness_stats(struct pt_witness *w, struct pt_witness_stats *out)
{
    pthread_mutex_lock(&w->lock);
    w->st.execs_missed = pt__wexecs_missed(w->execs);
    if (w->tabs) {
        struct pt__wtab_stats ts;
        pt__wtab_stats(w->tabs, &ts);
        w->st.tables = ts.tables;
        w->st.holds_mirrored = ts.mirrored;
        w->st.bells = ts.bells;
    }
    *out = w->st;
    pthread_mutex_unlock(&w->lock);
}

const char *pt_witness_ring_path(const struct pt_witness *w)
{
    return w ? pt_ring_path(w->ring) : NULL;
}

void pt_witness_stop(struct pt_witness *w)
{
    if (!w)
        return;
    if (w->threaded) {
        uint64_t one = 1;
        if (write(w->stopfd, &one, sizeof one) != (ssize_t)sizeof one)
            pthread_cancel(w->thread);
        pthread_join(w->thread, NULL);
    }
    pt_witness_drain(w);
    pt_witness_scan_now(w);
    if (w->ring) {
        pt_ring_release(w->ring, w->tb);
        pt_ring_release(w->ring, w->tb_dated);
        pt_ring_close(w->ring);
    }
    pt__wtab_close(w->tabs);
    pt__wfan_close(w->fan);
    pt__wexecs_close(w->execs);
    pt__wsysv_close(w->sysv);
    close(w->epfd);
    close(w->timerfd);
    close(w->stopfd);
    pthread_mutex_destroy(&w->lock);
    for (unsigned i = 0; i < w->npids; i++)
        close(w->pids[i].pidfd);
    free(w->pids);
    free(w);
}
