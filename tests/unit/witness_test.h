/* witness_test.h — helpers of the witness tests: running untraced programs, waiting for the
 * witness, reading its events back through the trace reader. */
#ifndef PT_TESTS_WITNESS_TEST_H
#define PT_TESTS_WITNESS_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "proftrace/trace.h"
#include "tests/unit/tracer_test.h"
#include "tracer/holds_table.h"
#include "tracer/internal.h"
#include "tracer/witness.h"

/* Start argv (by full path), untraced: the environment loses LD_PRELOAD and PROFTRACE_DIR. */
static inline pid_t w_spawn(char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        unsetenv("LD_PRELOAD");
        unsetenv("PROFTRACE_DIR");
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static inline int w_wait(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static inline void w_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Wait until the witness recorded at least n events (at most ~10 s). */
static inline int w_wait_recorded(struct pt_witness *w, uint64_t n)
{
    struct pt_witness_stats st;
    for (int i = 0; i < 1000; i++) {
        pt_witness_stats(w, &st);
        if (st.recorded >= n)
            return 1;
        w_sleep_ms(10);
    }
    return 0;
}

/* A witnessed event, copied out of the reader. */
struct w_ev {
    unsigned id;
    uint32_t stream_pid;
    char how[16], via[16], path[512], name[256], new_path[512], ident[8], exe[256], cmdline[256];
    uint64_t dir_dev, dir_ino, dev, ino, start_time, seen_ts, ipc_ns, key, size;
    uint32_t pid, ppid, uid, euid, sessionid, loginuid, nattch, cpid, lpid, holder, owner_uid;
    int32_t shmid;
    unsigned attributed;
    uint64_t ns[8];
};

static inline void w_str(const struct pt_event *ev, const char *f, char *out, size_t size)
{
    const struct pt_value *v = pt_event_field(ev, f);
    out[0] = 0;
    if (v && pt_event_field_wire(ev, (unsigned)(v - ev->field)) == PT_WIRE_STR)
        snprintf(out, size, "%.*s", (int)v->str.len, v->str.s);
}

static inline uint64_t w_u(const struct pt_event *ev, const char *f)
{
    const struct pt_value *v = pt_event_field(ev, f);
    return v ? v->u : 0;
}

static void w_diag(void *arg, const char *what)
{
    ++*(int *)arg;
    fprintf(stderr, "diag: %s\n", what);
}

/* Every witnessed/witnessed_shm event of the trace in dir (malloc'ed array, *n of them). */
static inline struct w_ev *w_read(const char *dir, unsigned *n)
{
    struct pt_trace *t;
    struct pt_event ev;
    int diags = 0;
    unsigned cap = 64;
    struct w_ev *out = calloc(cap, sizeof *out);
    *n = 0;
    int rc = pt_trace_open(dir, w_diag, &diags, &t);
    CHECK(rc == 0, "pt_trace_open(%s): %d", dir, rc);
    if (rc)
        return out;
    static const char *const nsn[8] = {"ns_ipc", "ns_mnt", "ns_pid", "ns_user",
                                       "ns_uts", "ns_net", "ns_cgroup", "ns_time"};
    while (pt_trace_next(t, &ev) > 0) {
        if (ev.id != PT_EV_witnessed && ev.id != PT_EV_witnessed_shm)
            continue;
        if (*n == cap)
            out = realloc(out, (cap *= 2) * sizeof *out);
        struct w_ev *e = &out[(*n)++];
        memset(e, 0, sizeof *e);
        e->id = ev.id;
        e->stream_pid = ev.pid;
        w_str(&ev, "how", e->how, sizeof e->how);
        w_str(&ev, "via", e->via, sizeof e->via);
        w_str(&ev, "path", e->path, sizeof e->path);
        w_str(&ev, "name", e->name, sizeof e->name);
        w_str(&ev, "new_path", e->new_path, sizeof e->new_path);
        w_str(&ev, "ident", e->ident, sizeof e->ident);
        w_str(&ev, "exe", e->exe, sizeof e->exe);
        w_str(&ev, "cmdline", e->cmdline, sizeof e->cmdline);
        e->dir_dev = w_u(&ev, "dir_dev");
        e->dir_ino = w_u(&ev, "dir_ino");
        e->dev = w_u(&ev, "dev");
        e->ino = w_u(&ev, "ino");
        e->pid = (uint32_t)w_u(&ev, "pid");
        e->ppid = (uint32_t)w_u(&ev, "ppid");
        e->start_time = w_u(&ev, "start_time");
        e->uid = (uint32_t)w_u(&ev, "uid");
        e->euid = (uint32_t)w_u(&ev, "euid");
        e->sessionid = (uint32_t)w_u(&ev, "sessionid");
        e->loginuid = (uint32_t)w_u(&ev, "loginuid");
        for (unsigned i = 0; i < 8; i++)
            e->ns[i] = w_u(&ev, nsn[i]);
        const struct pt_value *v = pt_event_field(&ev, "shmid");
        e->shmid = v ? (int32_t)v->i : -1;
        e->key = w_u(&ev, "key");
        e->ipc_ns = w_u(&ev, "ipc_ns");
        e->size = w_u(&ev, "size");
        e->nattch = (uint32_t)w_u(&ev, "nattch");
        e->cpid = (uint32_t)w_u(&ev, "cpid");
        e->lpid = (uint32_t)w_u(&ev, "lpid");
        e->holder = (uint32_t)w_u(&ev, "holder");
        e->owner_uid = (uint32_t)w_u(&ev, "owner_uid");
        e->seen_ts = w_u(&ev, "seen_ts");
        e->attributed = (unsigned)w_u(&ev, "attributed");
        CHECK(!strcmp(pt_event_name(ev.id), ev.id == PT_EV_witnessed ? "witnessed" : "witnessed_shm"),
              "event name %s", pt_event_name(ev.id));
    }
    CHECK(diags == 0, "%d problems reading %s", diags, dir);
    pt_trace_close(t);
    return out;
}

static inline void w_dump(const struct w_ev *e, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        fprintf(stderr, "  [%u] %s %s via %s path=%s name=%s dev=%llx ino=%llu pid=%u %s exe=%s "
                "uid=%u ses=%u login=%u shmid=%d key=%llx holder=%u attr=%u\n",
                i, e[i].id == PT_EV_witnessed ? "witnessed" : "witnessed_shm", e[i].how, e[i].via,
                e[i].path, e[i].name, (unsigned long long)e[i].dev, (unsigned long long)e[i].ino,
                e[i].pid, e[i].ident, e[i].exe, e[i].uid, e[i].sessionid,
                e[i].loginuid, e[i].shmid, (unsigned long long)e[i].key, e[i].holder, e[i].attributed);
}

/* The deleter's identity is read after the fact: a deleter as short-lived as rm can exit before
 * the witness's thread gets a CPU, and then the event says "gone" (never someone else). Tests of
 * identities count those in w_raced and repeat their scenario, up to W_ATTEMPTS times. */
#define W_ATTEMPTS 25 /* the race is lost often on a loaded 2-core machine; each attempt takes ~30 ms */
static int w_raced;

/* 1 when e's identity was lost to that race (then it must carry nothing but the pid). Any other
 * identity claims every field: the caller checks them all. */
static inline int w_gone(const struct w_ev *e)
{
    if (strcmp(e->ident, "gone"))
        return 0;
    int ns = 0;
    for (unsigned i = 0; i < 8; i++)
        ns |= e->ns[i] != 0;
    CHECK(!e->exe[0] && !e->cmdline[0] && e->ppid == 0 && e->start_time == 0 &&
              e->uid == 0xffffffffu && e->euid == 0xffffffffu && e->sessionid == 0xffffffffu &&
              e->loginuid == 0xffffffffu && !ns,
          "a lost identity carries data: exe '%s' cmdline '%s' uid %u", e->exe, e->cmdline, e->uid);
    w_raced++;
    return 1;
}

/* Run attempt() until no identity was lost (at most W_ATTEMPTS times). Returns the exit status. */
static inline int w_attempts(void (*attempt)(void))
{
    for (int a = 1; a <= W_ATTEMPTS; a++) {
        w_raced = 0;
        attempt();
        if (t_failures)
            return 1;
        if (!w_raced)
            return 0;
        fprintf(stderr, "attempt %d: %d identities lost to the exit race; again\n", a, w_raced);
    }
    CHECK(0, "the deleter's identity was lost in all %d attempts", W_ATTEMPTS);
    return 1;
}

/* The inode number of our namespace `name` (ipc, mnt, ...). */
static inline uint64_t w_ns(const char *pid, const char *name)
{
    char p[64];
    struct stat st;
    snprintf(p, sizeof p, "/proc/%s/ns/%s", pid, name);
    return stat(p, &st) == 0 ? st.st_ino : 0;
}

static inline uint32_t w_read_u32(const char *path)
{
    FILE *fp = fopen(path, "r");
    unsigned v = 0;
    if (fp) {
        if (fscanf(fp, "%u", &v) != 1)
            v = 0;
        fclose(fp);
    }
    return v;
}

/* The set-up of the tests that judge deletions by a held inode number alone: under a new
 * temporary directory, a trace directory with rings/ (trace, rings), a directory for the test's
 * files (dir, named `sub`) and an anchor whose watch makes the witness watch the filesystem whole,
 * so that `dir`, not watched itself, counts only through the holds; the witness started without
 * its thread. 0, or -1 (said). */
struct w_fs {
    char *base;
    char trace[512], rings[600], dir[512], anchor[512];
    struct pt_witness *w;
};
static inline int w_fs_start(struct w_fs *f, const char *tag, const char *sub)
{
    char why[256];
    f->base = t_mkdtemp(tag);
    snprintf(f->trace, sizeof f->trace, "%s/trace", f->base);
    snprintf(f->rings, sizeof f->rings, "%s/rings", f->trace);
    snprintf(f->dir, sizeof f->dir, "%s/%s", f->base, sub);
    snprintf(f->anchor, sizeof f->anchor, "%s/anchor", f->base);
    CHECK(mkdir(f->trace, 0700) == 0 && mkdir(f->rings, 0700) == 0 && mkdir(f->dir, 0700) == 0 &&
              mkdir(f->anchor, 0700) == 0,
          "mkdir under %s", f->base);
    int rc = pt_witness_start(f->trace, PT_WITNESS_NO_THREAD | PT_WITNESS_NO_EXECS, &f->w, why,
                              sizeof why);
    CHECK(rc == 0, "pt_witness_start: %d %s", rc, why);
    if (rc) {
        f->w = NULL;
        return -1;
    }
    CHECK(pt_witness_watch_path(f->w, f->anchor) == 0, "watch %s", f->anchor);
    return 0;
}
/* Stops the witness (its events are in the trace then); once. */
static inline void w_fs_stop(struct w_fs *f)
{
    if (f->w)
        pt_witness_stop(f->w);
    f->w = NULL;
}
static inline void w_fs_end(struct w_fs *f)
{
    w_fs_stop(f);
    t_rmrf(f->base);
    free(f->base);
}

/* In a traced holder: this process's entry of its user's holds table under `rings`, as the shim
 * claims it. 0, or -1. */
static inline int w_htab_claim(const char *rings, struct pt__htab *tab)
{
    char why[256];
    int rfd = open(rings, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int tfd = rfd >= 0 ? pt__htab_open(rfd, (uint32_t)geteuid(), 0, why, sizeof why) : -1;
    return tfd >= 0 && pt__htab_map(tab, tfd, (uint32_t)geteuid()) == 0 &&
                   pt__htab_claim(tab, (uint32_t)getpid(), 0) == 0
               ? 0
               : -1;
}

/* ... and the hold of what `fd` has open published there, its doorbell rung, as the shim does:
 * its slot, or -1. */
static inline int w_htab_hold(struct pt__htab *tab, int fd, int kind, const char *name)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -1;
    struct pt__hold h = {.dev = st.st_dev, .ino = st.st_ino, .kind = kind,
                         .pid = (uint32_t)getpid(), .uid = (uint32_t)geteuid(), .t_begin = pt_now(),
                         .name = name};
    int slot = pt__htab_add(tab, &h);
    if (slot >= 0)
        pt__htab_ring(tab, h.dev);
    return slot;
}

/* What is queued for the witness now, read to its end (a drain reads a bounded number of batches). */
static inline void w_drain(struct pt_witness *w)
{
    for (int i = 0; i < 3; i++)
        pt_witness_drain(w);
}

/* A traced holder of a registry key: holds directory k open, published as a key handle in its
 * holds table under `rings`; with say_held, says so ('h') and waits for a byte; then closes it
 * and withdraws the hold (RegCloseKey), says so ('c') and exits at a byte. Never returns. */
static inline void w_key_holder(const char *rings, const char *k, int in, int out, int say_held)
{
    char c;
    struct pt__htab tab;
    int fd = open(k, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int slot = fd >= 0 && w_htab_claim(rings, &tab) == 0 ? w_htab_hold(&tab, fd, PT__HK_KEY, "K")
                                                         : -1;
    if (slot < 0)
        _exit(2);
    if (say_held && (write(out, "h", 1) != 1 || read(in, &c, 1) != 1))
        _exit(4);
    close(fd);
    pt__htab_remove(&tab, (uint32_t)slot);
    if (write(out, "c", 1) != 1 || read(in, &c, 1) != 1)
        _exit(5);
    _exit(0);
}

/* An untraced process that keeps directory z open until a byte comes on *go: its pid once it has
 * z open, or -1. */
static inline pid_t w_keep_open(const char *z, int *go)
{
    int g[2], r[2];
    if (pipe(g) < 0 || pipe(r) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        int fd = open(z, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || write(r[1], "o", 1) != 1 || read(g[0], &c, 1) != 1)
            _exit(2);
        _exit(0);
    }
    char c;
    close(g[0]);
    close(r[1]);
    *go = g[1];
    pid = read(r[0], &c, 1) == 1 ? pid : -1;
    close(r[0]);
    return pid;
}

/* Make directories dir/Z<n>.<i> until one gets inode number ino (200 at most; the others stay):
 * 1 with its path in z, 0 when none did (another process on the filesystem took the number). */
static inline int w_mkdir_numbered(const char *dir, int n, uint64_t ino, char *z, size_t len)
{
    for (int i = 0; i < 200; i++) {
        struct stat sz;
        snprintf(z, len, "%s/Z%d.%d", dir, n, i);
        CHECK(mkdir(z, 0700) == 0 && stat(z, &sz) == 0, "mkdir %s", z);
        if (sz.st_ino == ino)
            return 1;
    }
    return 0;
}

/* A traced peer: a child that reads to[0] and writes from[1] (the caller keeps to[1] and
 * from[0]), and, made by the parent, a ring in `rings` named as the shim's would be (its path in
 * `ring`), so that the witness takes the child for a traced process. Returns 0 in the child, the
 * child's pid in the parent, -1 when it failed (said). */
static inline pid_t w_fork_traced(const char *rings, int to[2], int from[2], char *ring, size_t len)
{
    CHECK(pipe(to) == 0 && pipe(from) == 0, "pipe");
    pid_t h = fork();
    if (h <= 0) {
        if (h == 0) {
            close(to[1]);
            close(from[0]);
        }
        return h;
    }
    close(to[0]);
    close(from[1]);
    snprintf(ring, len, "%s/%d-%llu-0000000000001000.ring", rings, (int)h,
             (unsigned long long)pt__proc_start_time(h));
    int rf = open(ring, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    CHECK(rf >= 0, "create %s", ring);
    if (rf >= 0)
        close(rf);
    return h;
}

/* End a peer of w_fork_traced whose child quits on 'q': the byte sent, the child waited for, the
 * parent's ends of the pipes closed. 1 when the byte went and the child exited 0. */
static inline int w_end_traced(pid_t h, int to[2], int from[2])
{
    int ok = write(to[1], "q", 1) == 1 && w_wait(h) == 0;
    close(to[1]);
    close(from[0]);
    return ok;
}

#endif
