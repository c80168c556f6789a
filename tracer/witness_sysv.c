/* witness_sysv.c — notices SysV shared-memory segments removed in the IPC namespaces of traced
 * processes, by comparing scans of their segment tables.
 *
 * Design
 * ------
 * IPC_RMID reaches no filesystem, so fanotify never sees it; the only trace it leaves is in the
 * segment table (/proc/sysvipc/shm, which shows the IPC namespace of the thread that reads it). A
 * removed segment that is still attached stays in the table with its key reset to IPC_PRIVATE and
 * SHM_DEST set in its mode; one nobody had attached vanishes. So each scan is compared with the
 * previous one: a segment that turned SHM_DEST, or vanished without having been SHM_DEST, was
 * removed between the two scans; one the previous scan did not list that is SHM_DEST already was
 * both made and removed between them (one nobody had attached any more by then is not seen). For
 * a namespace the collector is not in, the table is read by a short-lived thread that joins that
 * namespace (setns is per thread), so the collector itself never changes namespace.
 *
 * Attribution. The table names the creator (cpid) and the last process to attach or detach (lpid):
 * neither is the remover. No kernel report names the process that called shmctl(IPC_RMID). The
 * witness attributes a removal only when its exec cache holds exactly one `ipcrm` that started in
 * the removal's window, in that namespace, whose command line names the segment (its id or key) or
 * asks for all; otherwise the removal is recorded unattributed. Holders: a watched process that has
 * the segment mapped (its /proc/PID/maps shows /SYSV<key> with the shmid as inode) is named.
 *
 * Scope. A namespace's table lists every user's segments; a trace records the removal only of a
 * segment a watched process held: attached when the removal is noticed, or — for one that vanished
 * because its last detach followed the removal — last attached or detached by a watched process
 * while others were attached. Other users' segments are noise and private to them. With `all`
 * (collect --witness-all) every removal in the watched namespaces is recorded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proftrace/ring.h"
#include "tracer/witness_internal.h"

#define SHM_DEST_BIT 01000
#define MAX_NS 64
#define MAX_HOLDERS 1024

struct seg {
    int32_t shmid;
    int32_t key;
    uint32_t mode, nattch, cpid, lpid, uid;
    uint64_t size;
    int unheld;          /* its removal was noticed with no watched process attached */
    uint64_t unheld_seen; /* ... and happened after this look (0: none saw it intact) */
};

struct ns {
    uint64_t ino;
    int fd; /* /proc/PID/ns/ipc of the first process seen in it */
    struct seg *segs;
    size_t nsegs;
    uint64_t seen_ts; /* time of the last scan */
    int scanned;
    unsigned holders_gen; /* the witness's holders_gen at that scan */
};

struct holder {
    pid_t pid;
    uint64_t ns_ino;
};

struct pt__wsysv {
    struct ns ns[MAX_NS];
    unsigned nns;
    struct holder holder[MAX_HOLDERS];
    unsigned nholders;
    unsigned holders_gen; /* bumped when a process is watched */
    uint64_t own_ino;
    int all; /* record removals of segments no watched process held */
};

static uint64_t ns_ino_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_ino : 0;
}

int pt__wsysv_open(struct pt__wsysv **out, int all)
{
    struct pt__wsysv *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->all = all;
    s->own_ino = ns_ino_of("/proc/thread-self/ns/ipc");
    *out = s;
    return 0;
}

unsigned pt__wsysv_count(const struct pt__wsysv *s)
{
    return s ? s->nns : 0;
}

/* The inode number of /proc/PID/ns/ipc from its link ("ipc:[4026531839]"), 0 when it cannot be
 * read. Cheaper than a stat (no nsfs inode built and dropped), and it is called for every process
 * watched, nearly always of a namespace known already. */
static uint64_t ipc_link_ino(pid_t pid)
{
    char path[64], link[64], *end;
    snprintf(path, sizeof path, "/proc/%d/ns/ipc", (int)pid);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n < 6)
        return 0;
    link[n] = 0;
    if (strncmp(link, "ipc:[", 5))
        return 0;
    unsigned long long v = strtoull(link + 5, &end, 10);
    return strcmp(end, "]") ? 0 : v;
}

int pt__wsysv_watch_pid(struct pt__wsysv *s, pid_t pid, int *new_ns)
{
    char path[64];
    *new_ns = 0;
    uint64_t ino = ipc_link_ino(pid);
    int known = 0;
    for (unsigned i = 0; ino && i < s->nns; i++)
        if (s->ns[i].ino == ino)
            known = 1;
    if (!known) { /* a new namespace (or an unreadable link): its descriptor is kept to scan it */
        snprintf(path, sizeof path, "/proc/%d/ns/ipc", (int)pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0) {
            int e = errno;
            close(fd);
            return -e;
        }
        ino = st.st_ino;
        for (unsigned i = 0; i < s->nns; i++)
            if (s->ns[i].ino == ino)
                known = 1;
        if (known) {
            close(fd);
        } else if (s->nns == MAX_NS) {
            close(fd);
            return -ENOSPC;
        } else {
            struct ns *n = &s->ns[s->nns++];
            memset(n, 0, sizeof *n);
            n->ino = ino;
            n->fd = fd;
            *new_ns = 1;
        }
    }
    for (unsigned i = 0; i < s->nholders; i++)
        if (s->holder[i].pid == pid) {
            s->holder[i].ns_ino = ino;
            return 0;
        }
    if (s->nholders < MAX_HOLDERS)
        s->holder[s->nholders++] = (struct holder){pid, ino};
    s->holders_gen++;
    return 0;
}

void pt__wsysv_forget_pid(struct pt__wsysv *s, pid_t pid)
{
    for (unsigned i = 0; i < s->nholders; i++)
        if (s->holder[i].pid == pid) {
            s->holder[i] = s->holder[--s->nholders];
            return;
        }
}

/* ---- reading a table ------------------------------------------------------------------------ */

struct table {
    struct seg *segs;
    size_t n, cap;
    int err;
};

static void read_table(struct table *t)
{
    FILE *fp = fopen("/proc/sysvipc/shm", "re");
    char line[512];
    if (!fp) {
        t->err = -errno;
        return;
    }
    if (!fgets(line, sizeof line, fp)) { /* header */
        fclose(fp);
        t->err = -EIO;
        return;
    }
    while (fgets(line, sizeof line, fp)) {
        struct seg g = {0};
        unsigned long long size;
        if (sscanf(line, "%d %d %o %llu %u %u %u %u", &g.key, &g.shmid, &g.mode, &size, &g.cpid,
                   &g.lpid, &g.nattch, &g.uid) != 8)
            continue;
        g.size = size;
        if (t->n == t->cap) {
            size_t cap = t->cap ? 2 * t->cap : 64;
            struct seg *p = realloc(t->segs, cap * sizeof *p);
            if (!p) {
                t->err = -ENOMEM;
                break;
            }
            t->segs = p;
            t->cap = cap;
        }
        t->segs[t->n++] = g;
    }
    fclose(fp);
}

struct foreign {
    int nsfd;
    struct table t;
};

static void *foreign_main(void *arg)
{
    struct foreign *fr = arg;
    if (setns(fr->nsfd, CLONE_NEWIPC) < 0) {
        fr->t.err = -errno;
        return NULL;
    }
    read_table(&fr->t);
    return NULL;
}

/* The table of namespace n, read from a thread inside it when it is not ours. */
static int table_of(struct pt__wsysv *s, struct ns *n, struct table *t)
{
    memset(t, 0, sizeof *t);
    if (n->ino == s->own_ino) {
        read_table(t);
        return t->err;
    }
    struct foreign fr = {.nsfd = n->fd};
    pthread_t th;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the helper takes no signals */
    int rc = pthread_create(&th, NULL, foreign_main, &fr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc)
        return -rc;
    pthread_join(th, NULL);
    *t = fr.t;
    return t->err;
}

/* ---- holders and attribution --------------------------------------------------------------- */

/* A watched process of namespace ns_ino that has segment shmid mapped, or 0. */
static uint32_t find_holder(struct pt__wsysv *s, uint64_t ns_ino, int32_t shmid)
{
    char path[64], line[512];
    for (unsigned i = 0; i < s->nholders; i++) {
        if (s->holder[i].ns_ino != ns_ino)
            continue;
        snprintf(path, sizeof path, "/proc/%d/maps", (int)s->holder[i].pid);
        FILE *fp = fopen(path, "re");
        if (!fp)
            continue;
        int found = 0;
        while (!found && fgets(line, sizeof line, fp)) {
            char *sysv = strstr(line, " /SYSV");
            unsigned long long ino;
            if (sysv && sscanf(line, "%*s %*s %*s %*s %llu", &ino) == 1 &&
                ino == (unsigned long long)(uint32_t)shmid)
                found = 1;
        }
        fclose(fp);
        if (found)
            return (uint32_t)s->holder[i].pid;
    }
    return 0;
}

/* Is pid a watched process of namespace ns_ino? */
static int watched_pid(const struct pt__wsysv *s, uint64_t ns_ino, uint32_t pid)
{
    for (unsigned i = 0; pid && i < s->nholders; i++)
        if (s->holder[i].ns_ino == ns_ino && (uint32_t)s->holder[i].pid == pid)
            return 1;
    return 0;
}

/* 1 when the command line names the segment (id or key as a word) or asks for all of them. */
static int names_segment(const char *cmdline, int32_t shmid, int32_t key)
{
    char id[16], khex[24], kdec[16];
    snprintf(id, sizeof id, "%d", shmid);
    snprintf(khex, sizeof khex, "0x%08x", (uint32_t)key);
    snprintf(kdec, sizeof kdec, "%d", key);
    char buf[512];
    snprintf(buf, sizeof buf, "%s", cmdline);
    for (char *save = NULL, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (!strcmp(w, "-a") || !strcmp(w, "--all") || !strcmp(w, "-a=shm") ||
            !strcmp(w, "--all=shm"))
            return 1;
        const char *v = strchr(w, '=') ? strchr(w, '=') + 1 : w; /* --shmem-id=N */
        if (!strcmp(v, id) || (key && (!strcasecmp(v, khex) || !strcmp(v, kdec))))
            return 1;
        if (key && !strncasecmp(v, "0x", 2) && strtoul(v, NULL, 16) == (uint32_t)key)
            return 1;
    }
    return 0;
}

struct attr_ctx {
    uint64_t ns_ino;
    int32_t shmid, key;
    int matches;
    struct pt__wident who;
};

static void attr_visit(void *arg, const struct pt__wident *id, uint64_t exec_ts)
{
    struct attr_ctx *c = arg;
    const char *base = strrchr(id->exe, '/');
    base = base ? base + 1 : id->exe;
    if (strcmp(base, "ipcrm") || id->ns[0] != c->ns_ino ||
        !names_segment(id->cmdline, c->shmid, c->key))
        return;
    if (c->matches++ == 0)
        c->who = *id;
}

/* ---- the scan ------------------------------------------------------------------------------- */

/* seen: the time of the look before, which saw the segment intact; 0 when none did (made and
 * removed since that look). 1 recorded, -1 not: no watched process held it, 0 the ring refused. */
static int record(struct pt__wsysv *s, struct pt_witness *w, struct pt__wexecs *execs,
                  const struct ns *n, const struct seg *was, const struct seg *now, uint64_t seen,
                  struct pt_witness_stats *st)
{
    uint32_t holder = now ? find_holder(s, n->ino, was->shmid) : 0;
    if (!holder && !now && was->nattch > 0 && watched_pid(s, n->ino, was->lpid))
        holder = was->lpid; /* its detach, after the removal, made it vanish */
    if (!holder && !s->all)
        return -1;
    struct pt__wshm r;
    memset(&r, 0, sizeof r);
    r.via = "sysv-scan";
    r.shmid = was->shmid;
    r.key = (uint32_t)was->key;
    r.ipc_ns = n->ino;
    r.size = was->size;
    r.nattch = now ? now->nattch : was->nattch;
    r.cpid = was->cpid;
    r.lpid = now ? now->lpid : was->lpid;
    r.owner_uid = was->uid;
    r.seen_ts = seen;
    r.holder = holder;
    pt__wident_unknown(&r.who, 0, PT__WID_NONE);
    if (execs) {
        struct attr_ctx c = {.ns_ino = n->ino, .shmid = was->shmid, .key = was->key};
        /* an exec a little before the previous scan may still have removed it after that scan */
        pt__wexecs_each_since(execs, n->seen_ts > 200000000ull ? n->seen_ts - 200000000ull : 0,
                              attr_visit, &c);
        if (c.matches == 1)
            r.who = c.who;
    }
    return pt__witness_record_shm(w, &r) == 0;
}

/* A removal noticed at this look (rc of record()): counted; one no watched process held is, when
 * `now` still lists the segment attached, marked to be looked at again (removed after `seen`). */
static int noticed(int rc, struct seg *now, uint64_t seen, struct pt_witness_stats *st)
{
    if (rc > 0) {
        st->shm_removed++;
        return 1;
    }
    if (rc < 0) {
        st->shm_unheld++;
        if (now) {
            now->unheld = 1;
            now->unheld_seen = seen;
        }
    }
    return 0;
}

static struct seg *find_seg(struct seg *v, size_t n, int32_t shmid)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].shmid == shmid)
            return &v[i];
    return NULL;
}

int pt__wsysv_scan(struct pt__wsysv *s, struct pt_witness *w, struct pt__wexecs *execs,
                   struct pt_witness_stats *st)
{
    int recorded = 0;
    if (execs && s->nns)
        pt__wexecs_drain(execs); /* an ipcrm that just ran: know it before attributing */
    for (unsigned i = 0; i < s->nns; i++) {
        struct ns *n = &s->ns[i];
        struct table t;
        if (table_of(s, n, &t) < 0) {
            free(t.segs);
            continue;
        }
        uint64_t now_ts = pt_now();
        st->shm_scans++;
        if (n->scanned) {
            /* processes watched since the last look: removals noticed with none of the watched
             * attached are looked at again (a fork child whose ring the collector attached
             * after the look that noticed the removal of what it inherited) */
            int recheck = n->holders_gen != s->holders_gen;
            for (size_t k = 0; k < n->nsegs; k++) {
                const struct seg *was = &n->segs[k];
                struct seg *now = find_seg(t.segs, t.n, was->shmid);
                if (now && (now->cpid != was->cpid || now->size != was->size))
                    now = NULL; /* the id went to a new segment */
                if (was->mode & SHM_DEST_BIT) {
                    /* already removed: this is its last detach, or it is still attached */
                    if (!was->unheld || !now)
                        continue;
                    if (recheck) {
                        int rc = record(s, w, execs, n, was, now, was->unheld_seen, st);
                        if (rc > 0) {
                            recorded++;
                            st->shm_removed++;
                            continue;
                        }
                    }
                    now->unheld = 1;
                    now->unheld_seen = was->unheld_seen;
                    continue;
                }
                int removed = !now || (now->mode & SHM_DEST_BIT);
                if (removed)
                    recorded += noticed(record(s, w, execs, n, was, now, n->seen_ts, st), now,
                                        n->seen_ts, st);
            }
            /* Made and removed since the last look, and still attached: new here, and marked
             * for destruction already (a fork child keeping what its parent attached, removed
             * within 0.1 s of the shmget). One nobody attaches any more has vanished: unseen. */
            for (size_t k = 0; k < t.n; k++) {
                struct seg *now = &t.segs[k];
                const struct seg *was = find_seg(n->segs, n->nsegs, now->shmid);
                if ((now->mode & SHM_DEST_BIT) &&
                    (!was || was->cpid != now->cpid || was->size != now->size))
                    recorded += noticed(record(s, w, execs, n, now, now, 0, st), now, 0, st);
            }
        }
        n->holders_gen = s->holders_gen;
        free(n->segs);
        n->segs = t.segs;
        n->nsegs = t.n;
        n->seen_ts = now_ts;
        n->scanned = 1;
    }
    return recorded;
}

void pt__wsysv_close(struct pt__wsysv *s)
{
    if (!s)
        return;
    for (unsigned i = 0; i < s->nns; i++) {
        close(s->ns[i].fd);
        free(s->ns[i].segs);
    }
    free(s);
}
