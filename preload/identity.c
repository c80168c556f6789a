/* identity.c — the non-call events that say who a process is: process, module, cred, ns, thread,
 * exit, signal. Everything is read from /proc with raw system calls (no stdio, no allocation),
 * for the calling thread where the kernel keeps it per thread (credentials, namespaces). */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload/shim.h"
#include "preload/unwind.h"

/* Read a small /proc file into buf (NUL-terminated); bytes read, or -1. */
static ssize_t pt__slurp(const char *path, char *buf, size_t size)
{
    int fd =
        (int)syscall(SYS_openat, PT__AT_FDCWD, path, 0 /* O_RDONLY */ | 02000000 /* CLOEXEC */);
    if (fd < 0)
        return -1;
    /* A read that leaves room is the whole file: these /proc files (stat, cmdline, sessionid,
     * loginuid, status) hand out everything that fits in one read, so the read that would see the
     * end (one system call each, at every start) is left out. */
    size_t got = 0;
    while (got < size - 1) {
        ssize_t n = syscall(SYS_read, fd, buf + got, size - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
        if ((size_t)n < size - 1 - (got - (size_t)n))
            break;
    }
    syscall(SYS_close, fd);
    buf[got] = 0;
    return (ssize_t)got;
}

static uint32_t pt__slurp_u32(const char *path, uint32_t def)
{
    char buf[32];
    if (pt__slurp(path, buf, sizeof buf) <= 0)
        return def;
    return (uint32_t)strtoul(buf, NULL, 10);
}

/* A namespace's inode number from its link in /proc ("ipc:[4026531839]": the number is the
 * inode's), 0 when this kernel has no such namespace. Read as a link, not stat'ed: a stat makes
 * the kernel build and drop an nsfs inode each time (some 7 µs apiece here, 8 of them at every
 * start), the link is a formatted number (2-3 µs with the directory already open). */
static uint64_t pt__ns_link_ino(int dir, const char *name)
{
    char link[64];
    ssize_t n = syscall(SYS_readlinkat, dir, name, link, sizeof link - 1);
    if (n <= 0)
        return 0;
    link[n] = 0;
    const char *p = strchr(link, '[');
    return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* The calling thread's namespaces directory, opened once for the 8 links (O_PATH: nothing read
 * through it); -1 when /proc cannot give it, then every namespace reads 0, as before. */
static int pt__ns_dir(void)
{
    return (int)syscall(SYS_openat, PT__AT_FDCWD, "/proc/thread-self/ns",
                        010000000 /* O_PATH */ | 0200000 /* O_DIRECTORY */ | 02000000 /* CLOEXEC */);
}

#define PT__NS_FILL(ns) v->ns_##ns = dir >= 0 ? pt__ns_link_ino(dir, #ns) : 0;
#define PT__FILL_NS(v)                                                                             \
    do {                                                                                           \
        int dir = pt__ns_dir();                                                                    \
        PT_NAMESPACES(PT__NS_FILL)                                                                 \
        if (dir >= 0)                                                                              \
            syscall(SYS_close, dir);                                                               \
    } while (0)

/* The namespaces read at start by pt__global_pid (which needs the pid one), kept for the process
 * event that follows (pt__emit_process, the same start, nothing but the shim run between): one
 * directory of links read once per start instead of the pid link by its own path as well. Taken
 * once: any later read (an ns event after unshare or setns) is fresh. Tagged with the pid, so a
 * fork child never takes its parent's. */
static struct {
    uint32_t pid;
    uint64_t ino[PT_NS_COUNT];
} pt__start_ns;

static void pt__start_ns_read(uint32_t pid)
{
    struct {
#define PT__NS_SLOT(ns) uint64_t ns_##ns;
        PT_NAMESPACES(PT__NS_SLOT)
#undef PT__NS_SLOT
    } set, *v = &set;
    /* The main thread's links are /proc/self/ns (the thread that starts a process or a fork child
     * is its main thread), which the collector's witness reads as /proc/PID/ns too: one set of
     * /proc entries built for the process, not a second under task/TID for the thread. Another
     * thread (attach mode) reads its own. */
    int dir = (uint32_t)syscall(SYS_gettid) == pid
                  ? (int)syscall(SYS_openat, PT__AT_FDCWD, "/proc/self/ns",
                                 010000000 /* O_PATH */ | 0200000 /* O_DIRECTORY */ |
                                     02000000 /* CLOEXEC */)
                  : pt__ns_dir();
    PT_NAMESPACES(PT__NS_FILL)
    if (dir >= 0)
        syscall(SYS_close, dir);
#define PT__NS_KEEP(ns) pt__start_ns.ino[PT_NS_##ns] = set.ns_##ns;
    PT_NAMESPACES(PT__NS_KEEP)
#undef PT__NS_KEEP
    pt__start_ns.pid = pid;
}

void pt__start_ns_forget(void)
{
    pt__start_ns.pid = 0;
}

/* Fields of /proc/self/stat as this process first read it (once per process: a fork child
 * reads its own): the start time (clock ticks since boot), and at start the number of threads
 * and the signals ignored or caught. Nothing but the shim runs between that read at start and the
 * uses of the last two (state.c, signals.c). */
static struct {
    uint64_t start;       /* field 22 */
    uint64_t not_default; /* fields 33 and 34: sigignore | sigcatch, bit sig - 1 */
    unsigned threads;     /* field 20 */
} pt__stat;
static uint32_t _Atomic pt__stat_for;

static int pt__stat_read(void)
{
    uint32_t pid = (uint32_t)getpid();
    if (atomic_load_explicit(&pt__stat_for, memory_order_acquire) == pid)
        return 0;
    char stat_[1024];
    if (pt__slurp("/proc/self/stat", stat_, sizeof stat_) <= 0)
        return -1;
    /* Fields counted after the command name, which may itself hold spaces or ')'. */
    uint64_t f[35] = {0};
    char *p = strrchr(stat_, ')');
    for (int field = 3; p && field < 35; field++) {
        p = strchr(p, ' ');
        if (p)
            f[field] = strtoull(++p, NULL, 10);
    }
    if (!p || !f[22])
        return -1;
    pt__stat.start = f[22];
    pt__stat.threads = (unsigned)f[20];
    pt__stat.not_default = f[33] | f[34];
    atomic_store_explicit(&pt__stat_for, pid, memory_order_release);
    return 0;
}

uint64_t pt__self_start_time(void)
{
    return pt__stat_read() == 0 ? pt__stat.start : 0;
}

int pt__self_start_state(unsigned *threads, uint64_t *not_default)
{
    if (pt__stat_read() < 0)
        return -1;
    *threads = pt__stat.threads;
    *not_default = pt__stat.not_default;
    return 0;
}

/* The initial pid namespace's inode number (the kernel's PROC_PID_INIT_INO, fixed since 3.8). */
#define PT__PID_NS_INIT_INO 0xEFFFFFFCu

/* The global pid.
 * NSpid in /proc/self/status lists our pid from the pid namespace of that /proc mount inwards, so
 * it is only as global as the /proc we see: after `unshare --pid --fork --mount-proc` the child
 * mounts a /proc of the new namespace and then execs, and the new image would read NSpid "1".
 * A process keeps its pid (in every namespace) across exec, so the view before the exec is as
 * true afterwards: the shim hands it on in PROFTRACE_GPID=gpid:pid:start_time:depth (env.c) and
 * the new image takes it when pid and start time are its own (a fork child or an unrelated
 * process that inherited the variable has another pid or start time) and it spans more namespace
 * levels than its own /proc shows. A fork child reads NSpid in the child, before it can mount
 * anything, so the fork child of unshare still sees the outer /proc; what cannot be known is a
 * process forked after the inner /proc was mounted (then the pid of the outermost /proc seen).
 * Read from the environment the process started with, so a program's setenv cannot forge it. */
static uint32_t pt__gpid, pt__gpid_for;
uint32_t pt__global_pid(void)
{
    uint32_t pid = (uint32_t)getpid();
    if (pt__gpid_for == pid)
        return pt__gpid;
    uint32_t gpid = pid;
    unsigned depth = 1;
    /* In the initial pid namespace the pid is global: /proc/self/status (dear to read) is only
     * needed for NSpid in another. */
    static char status[8192];
    pt__start_ns_read(pid);
    if (pt__start_ns.ino[PT_NS_pid] != PT__PID_NS_INIT_INO &&
        pt__slurp("/proc/self/status", status, sizeof status) > 0) {
        const char *p = strstr(status, "\nNSpid:");
        if (p) {
            char *end;
            gpid = (uint32_t)strtoul(p + 7, &end, 10);
            for (depth = 1; *end == '\t' || *end == ' '; depth++)
                (void)strtoul(end, &end, 10);
        }
    }
    uint64_t start = pt__self_start_time();
    const char *v = getenv("PROFTRACE_GPID");
    unsigned g, ip, d;
    unsigned long long st;
    if (v && sscanf(v, "%u:%u:%llu:%u", &g, &ip, &st, &d) == 4 && ip == pid && st == start &&
        start && d > depth) {
        gpid = g;
        depth = d;
    }
    pt__env_set_gpid(gpid, pid, start, depth);
    pt__gpid = gpid;
    pt__gpid_for = pid;
    return gpid;
}

void pt__global_pid_at_fork(void)
{
    char link[64];
    ssize_t n = syscall(SYS_readlinkat, PT__AT_FDCWD, "/proc/self/ns/pid", link, sizeof link - 1);
    if (n > 0) {
        link[n] = 0;
        const char *p = strchr(link, '[');
        if (p && strtoull(p + 1, NULL, 10) == PT__PID_NS_INIT_INO)
            return; /* the pid is global: the start, or the image an exec starts, reads it so */
    }
    (void)pt__global_pid(); /* handed on in PROFTRACE_GPID to an exec, kept for the start */
}

/* The executable's path (/proc/self/exe), read once: the process event and the module table both
 * name it, and the image does not change until an exec, which starts a new shim. */
static char pt__exe_path[4096];
static const char *pt__exe_read(void)
{
    if (!pt__exe_path[0]) {
        ssize_t n = readlink("/proc/self/exe", pt__exe_path, sizeof pt__exe_path - 1);
        pt__exe_path[n > 0 ? n : 0] = 0;
    }
    return pt__exe_path;
}

void pt__emit_process(void)
{
    struct pt__ev_process ev, *v = &ev;
    static char cmd[4096];
    memset(&ev, 0, sizeof ev);
    ev.pid = (uint32_t)getpid();
    ev.ppid = (uint32_t)getppid();
    ev.global_pid = pt__global_pid();
    ev.start_time = pt__self_start_time();
    uid_t r, e, s;
    gid_t gr, ge, gs;
    syscall(SYS_getresuid, &r, &e, &s);
    syscall(SYS_getresgid, &gr, &ge, &gs);
    ev.uid = r, ev.euid = e, ev.gid = gr, ev.egid = ge;
    ev.sessionid = pt__slurp_u32("/proc/self/sessionid", 0xffffffffu);
    ev.loginuid = pt__slurp_u32("/proc/self/loginuid", 0xffffffffu);
    if (pt__start_ns.pid == ev.pid) {
#define PT__NS_TAKE(ns) v->ns_##ns = pt__start_ns.ino[PT_NS_##ns];
        PT_NAMESPACES(PT__NS_TAKE)
#undef PT__NS_TAKE
        pt__start_ns_forget();
    } else {
        PT__FILL_NS(v);
    }
    ssize_t n = pt__slurp("/proc/self/cmdline", cmd, sizeof cmd);
    if (n > 0)
        n = (ssize_t)pt__redact_cmdline(cmd, (size_t)n, sizeof cmd); /* PROFTRACE_REDACT */
    for (ssize_t i = 0; i + 1 < n; i++)
        if (cmd[i] == 0)
            cmd[i] = ' ';
    ev.exec = !pt__image_forked; /* a fork child's own start (fork_start.c), or an exec'd image's */
    ev.exe = pt__exe_read();
    ev.cmdline = cmd;
    pt__put_process(NULL, 0, &ev);
}

void pt__emit_cred(void)
{
    struct pt__ev_cred ev;
    uid_t r, e, s;
    gid_t gr, ge, gs;
    syscall(SYS_getresuid, &r, &e, &s);
    syscall(SYS_getresgid, &gr, &ge, &gs);
    ev.uid = r, ev.euid = e, ev.suid = s, ev.gid = gr, ev.egid = ge, ev.sgid = gs;
    pt__put_cred(NULL, 0, &ev);
}

void pt__emit_ns(void)
{
    struct pt__ev_ns ev, *v = &ev;
    pt__start_ns_forget(); /* they may have changed: whoever reads them next reads them again */
    PT__FILL_NS(v);
    pt__put_ns(NULL, 0, &ev);
}

void pt__emit_exit(int status)
{
    struct pt__ev_exit ev = {.status = status};
    pt__put_exit(NULL, 0, &ev);
}

void pt__emit_signal(int signo, int code, uint64_t addr)
{
    struct pt__ev_signal ev = {.signo = signo, .code = code, .addr = addr};
    pt__put_signal(NULL, 0, &ev);
}

void pt__emit_untraced(uint32_t pid, const char *exe, const char *reason)
{
    struct pt__ev_untraced ev = {.pid = pid, .exe = exe, .reason = reason};
    pt__put_untraced(NULL, 0, &ev);
}

void pt__emit_thread(struct pt_tbuf *b, uint32_t tid)
{
    struct pt__ev_thread ev = {.tid = tid};
    pt__put_thread(b, 0, &ev);
}

/* ---- Modules ------------------------------------------------------------------------------------
 * Every loaded object once per process stream, from a table the shim keeps itself:
 *  - at start, and whenever the loader reports a change (the watch of dl_watch.c), the table is
 *    refreshed from dl_iterate_phdr and new objects are emitted; objects that went away are marked
 *    gone;
 *  - a fork child emits the table it inherited, with no call into the loader: a thread of the
 *    parent may have held the loader's lock at the fork, and glibc does not reset that one;
 *  - a stack's frames are looked up with _dl_find_object (lock-free); an object not in the table
 *    yet (loaded while the watch was unavailable) is read from its mapped ELF header and emitted.
 * What an entry needs to be emitted again (range, bias, path, build id) is copied into the table,
 * so a fork child never follows a pointer into an object that may have been unloaded since.
 * Entries are taken in order (a fetch-and-add) and found through a separate index of their
 * numbers, hashed by key and claimed with compare-and-swap, so any thread, a signal handler
 * included, may add one; a module is emitted by the thread that claimed its index slot. So a
 * start writes the first page of entries instead of a page per module across a 72 KiB hashed
 * table, and a fork child replays only the entries taken (it read all 18 pages). */
#define PT__MOD_SLOTS 1024 /* entries */
#define PT__MOD_INDEX 1024 /* index slots, a power of two, as many as entries */
enum { PT__MOD_FILLING = 0, PT__MOD_LIVE, PT__MOD_GONE };
struct pt__mod {
    _Atomic uintptr_t base; /* key: start of the lowest segment, page-aligned; 0 free */
    _Atomic uint8_t state;
    uint8_t bid_len;
    _Atomic uint32_t gen; /* the listing that last saw it */
    uint32_t path_off;
    uint64_t size, bias;
    uint8_t bid[32];
};
/* One page-aligned block, the counters and the index first: a start with fewer than 28 objects
 * touches one page of it, and a fork child's replay reads that page only. */
static struct {
    uint32_t gen;                /* the current listing */
    _Atomic unsigned taken;      /* entries handed out (may pass PT__MOD_SLOTS: full) */
    /* Slots taken, and slots that the current listing saw (or that were filled meanwhile): when
     * the two agree no module can have gone, and the listing need not look at the entries. Any
     * race makes the second smaller: then it looks. */
    _Atomic unsigned used, current;
    _Atomic uint16_t index[PT__MOD_INDEX]; /* entry number + 1; 0 free */
    struct pt__mod mods[PT__MOD_SLOTS];    /* in the order taken; base 0: unused */
} __attribute__((aligned(4096))) pt__mt;
static char pt__mod_paths[256 << 10];
static _Atomic uint32_t pt__mod_paths_used = 1; /* offset 0 is "" */

/* How many entries to look at: those handed out. */
static unsigned pt__mod_count(void)
{
    unsigned n = atomic_load(&pt__mt.taken);
    return n < PT__MOD_SLOTS ? n : PT__MOD_SLOTS;
}

static unsigned pt__mod_hash(uintptr_t base)
{
    return (unsigned)((base >> 12) * 0x9E3779B1u) & (PT__MOD_INDEX - 1);
}

/* The entry whose key is `base`, or NULL. */
static struct pt__mod *pt__mod_find(uintptr_t base)
{
    unsigned h = pt__mod_hash(base);
    for (unsigned probe = 0; probe < PT__MOD_INDEX; probe++, h = (h + 1) & (PT__MOD_INDEX - 1)) {
        unsigned v = atomic_load(&pt__mt.index[h]);
        if (v == 0)
            return NULL;
        if (atomic_load(&pt__mt.mods[v - 1].base) == base)
            return &pt__mt.mods[v - 1];
    }
    return NULL;
}

static uint32_t pt__mod_path(const char *path)
{
    size_t n = strlen(path) + 1;
    if (n > sizeof pt__mod_paths)
        return 0;
    uint32_t off = atomic_fetch_add(&pt__mod_paths_used, (uint32_t)n);
    if (off + n > sizeof pt__mod_paths)
        return 0; /* full: the module is emitted without its path */
    memcpy(pt__mod_paths + off, path, n);
    return off;
}

static void pt__mod_emit(const struct pt__mod *m)
{
    static const char hex[] = "0123456789abcdef";
    char bid[2 * sizeof m->bid + 1];
    for (unsigned j = 0; j < m->bid_len; j++) {
        bid[2 * j] = hex[m->bid[j] >> 4];
        bid[2 * j + 1] = hex[m->bid[j] & 15];
    }
    bid[2 * m->bid_len] = 0;
    struct pt__ev_module ev = {.base = atomic_load(&m->base), .size = m->size, .bias = m->bias,
                               .path = pt__mod_paths + m->path_off, .build_id = bid};
    pt__put_module(NULL, 0, &ev);
}

/* The range and build id of an object from its program headers. 0, or -1 when it has no load
 * segment. */
static int pt__mod_read(uintptr_t bias, const ElfW(Phdr) *phdr, unsigned phnum, uintptr_t *lo_,
                        uintptr_t *hi_, uint8_t *bid, uint8_t *bid_len)
{
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    *bid_len = 0;
    for (unsigned i = 0; i < phnum; i++) {
        const ElfW(Phdr) *ph = &phdr[i];
        if (ph->p_type == PT_LOAD) {
            uintptr_t a = bias + ph->p_vaddr, b = a + ph->p_memsz;
            if (a < lo)
                lo = a;
            if (b > hi)
                hi = b;
        } else if (ph->p_type == PT_NOTE && !*bid_len) {
            const uint8_t *p = (const uint8_t *)(bias + ph->p_vaddr), *end = p + ph->p_memsz;
            while (p + sizeof(ElfW(Nhdr)) <= end) {
                const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
                const uint8_t *name = p + sizeof *nh;
                const uint8_t *desc = name + ((nh->n_namesz + 3) & ~3u);
                if (desc + nh->n_descsz > end || desc < name)
                    break;
                if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !memcmp(name, "GNU", 4)) {
                    unsigned n = nh->n_descsz < 32 ? nh->n_descsz : 32;
                    memcpy(bid, desc, n);
                    *bid_len = (uint8_t)n;
                    break;
                }
                p = desc + ((nh->n_descsz + 3) & ~3u);
            }
        }
    }
    if (!hi)
        return -1;
    *lo_ = lo & ~(uintptr_t)4095;
    *hi_ = hi;
    return 0;
}

/* Make sure the object is in the table and was emitted once; `gen` marks it seen by a listing. */
static void pt__mod_add(uintptr_t bias, const ElfW(Phdr) *phdr, unsigned phnum, const char *name,
                        uint32_t gen)
{
    uintptr_t lo, hi;
    uint8_t bid[32], bid_len;
    if (pt__mod_read(bias, phdr, phnum, &lo, &hi, bid, &bid_len) < 0)
        return;
    unsigned h = pt__mod_hash(lo);
    for (unsigned probe = 0; probe < PT__MOD_INDEX; probe++, h = (h + 1) & (PT__MOD_INDEX - 1)) {
        unsigned v = atomic_load(&pt__mt.index[h]);
        struct pt__mod *m;
        if (v == 0) {
            if (atomic_load(&pt__mt.taken) >= PT__MOD_SLOTS)
                return; /* full: the module goes unemitted */
            unsigned i = atomic_fetch_add(&pt__mt.taken, 1);
            if (i >= PT__MOD_SLOTS)
                return;
            m = &pt__mt.mods[i];
            atomic_store(&m->base, lo); /* state FILLING (0): no listing or replay emits it yet */
            uint16_t zero = 0;
            if (atomic_compare_exchange_strong(&pt__mt.index[h], &zero, (uint16_t)(i + 1))) {
                atomic_fetch_add(&pt__mt.used, 1);
                goto fill;
            }
            atomic_store(&m->base, 0); /* another thread took the index slot: entry i unused */
            v = zero;                  /* look at what it put there */
        }
        m = &pt__mt.mods[v - 1];
        if (atomic_load(&m->base) != lo)
            continue;
        if (atomic_exchange(&m->gen, gen) != gen)
            atomic_fetch_add(&pt__mt.current, 1);
        uint8_t st = PT__MOD_GONE;
        if (atomic_load(&m->state) != PT__MOD_GONE ||
            !atomic_compare_exchange_strong(&m->state, &st, PT__MOD_FILLING))
            return; /* there, or being filled by another thread, which emits it */
        goto fill;
    fill:
        if (atomic_exchange(&m->gen, gen) != gen)
            atomic_fetch_add(&pt__mt.current, 1);
        m->size = hi - lo;
        m->bias = bias;
        const char *path = name && name[0] ? name : pt__exe_path;
        if (!m->path_off || strcmp(pt__mod_paths + m->path_off, path))
            m->path_off = pt__mod_path(path); /* kept when the same object comes back */
        memcpy(m->bid, bid, bid_len);
        m->bid_len = bid_len;
        atomic_store(&m->state, PT__MOD_LIVE);
        pt__mod_emit(m);
        return;
    }
}

static int pt__mod_list_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    pt__mod_add(info->dlpi_addr, info->dlpi_phdr, info->dlpi_phnum, info->dlpi_name,
                *(uint32_t *)arg);
    return 0;
}

void pt__modules_list(void)
{
    (void)pt__exe_read();
    uint32_t gen = ++pt__mt.gen;
    atomic_store(&pt__mt.current, 0);
    pt__unwind_forget(); /* code may have come or gone: kept unwind rows with it */
    dl_iterate_phdr(pt__mod_list_cb, &gen);
    if (atomic_load(&pt__mt.current) == atomic_load(&pt__mt.used))
        return; /* every slot taken was seen now: none has gone */
    for (unsigned i = 0, n = pt__mod_count(); i < n; i++)
        if (atomic_load(&pt__mt.mods[i].base) && pt__mt.mods[i].gen != gen)
            atomic_store(&pt__mt.mods[i].state, PT__MOD_GONE); /* unloaded since */
}

const char *pt__self_exe(void)
{
    return pt__exe_path;
}

void pt__modules_forget(void)
{
    for (unsigned i = 0, n = pt__mod_count(); i < n; i++)
        if (atomic_load(&pt__mt.mods[i].base))
            atomic_store(&pt__mt.mods[i].state, PT__MOD_GONE);
}

void pt__modules_replay(void)
{
    for (unsigned i = 0, n = pt__mod_count(); i < n; i++)
        if (atomic_load(&pt__mt.mods[i].base) && atomic_load(&pt__mt.mods[i].state) == PT__MOD_LIVE)
            pt__mod_emit(&pt__mt.mods[i]);
}

/* The objects this thread's last stacks were in, known to be in the table: most frames of the next
 * stack lie in them, and need no lookup at all. */
static PT__TLS struct {
    uintptr_t lo[4], hi[4];
    uint32_t gen, next;
} pt__mod_recent;

void pt__modules_note(const uint64_t *pcs, unsigned n)
{
    if (pt__mod_recent.gen != pt__mt.gen) { /* objects came or went since */
        memset(&pt__mod_recent, 0, sizeof pt__mod_recent);
        pt__mod_recent.gen = pt__mt.gen;
    }
    for (unsigned i = 0; i < n; i++) {
        uintptr_t pc = (uintptr_t)pcs[i];
        unsigned r = 0;
        while (r < 4 && !(pc >= pt__mod_recent.lo[r] && pc < pt__mod_recent.hi[r]))
            r++;
        if (r < 4)
            continue;
        struct dl_find_object fo;
        if (_dl_find_object((void *)pc, &fo) != 0 || !fo.dlfo_link_map)
            continue;
        uintptr_t start = (uintptr_t)fo.dlfo_map_start;
        r = pt__mod_recent.next++ & 3;
        pt__mod_recent.lo[r] = start;
        pt__mod_recent.hi[r] = (uintptr_t)fo.dlfo_map_end;
        /* Known already? (the cheap question: the key is the object's page-aligned start) */
        const struct pt__mod *known = pt__mod_find(start);
        if (known && atomic_load(&known->state) != PT__MOD_GONE)
            continue;
        /* Its ELF header is at the start of its first segment: the program headers from there. */
        const ElfW(Ehdr) *eh = fo.dlfo_map_start;
        uintptr_t end = (uintptr_t)fo.dlfo_map_end;
        if (end - start < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
            eh->e_phentsize != sizeof(ElfW(Phdr)) ||
            eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(ElfW(Phdr)) > end - start)
            continue;
        pt__mod_add(fo.dlfo_link_map->l_addr,
                    (const ElfW(Phdr) *)((const char *)eh + eh->e_phoff), eh->e_phnum,
                    fo.dlfo_link_map->l_name, pt__mt.gen);
    }
}
