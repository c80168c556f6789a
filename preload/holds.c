/* holds.c — this process's side of the holds table (tracer/holds_table.h): its user's table,
 * mapped at start, what it publishes and withdraws, and the delete path's question "does another
 * live process hold this?". */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preload/holds.h"
#include "preload/shim.h"
#include "proftrace/open_holds.h"
#include "proftrace/ring.h"
#include "tracer/internal.h"

#define LOCAL_SLOTS 4096u
#define LOCAL_WINDOW 64u

static struct pt__htab tab = {.fd = -1}; /* tab.map NULL: no table, holds neither published nor
                                          * consulted */
static uint32_t my_pid; /* getpid() when the owner slot was claimed (fork claims again) */
static uint32_t my_uid;

/* This process's holds: handle -> entry slot, to withdraw them. */
struct local {
    uint64_t handle; /* 0: free (CAS) */
    uint32_t kind;
    uint32_t slot;
};
static struct local local[LOCAL_SLOTS];

uint64_t pt__held_fds[PT__HELD_FDS / 64];
/* Set before the first write to local[] or pt__held_fds: a fork child of a process that never held
 * anything need not clear them, which would fault in their 19 pages of .bss (zero already). */
static _Atomic int local_touched, held_touched;
/* A hold of any kind began in this image (published or not): its fork children hold what it held
 * from the fork on, so they start at once (fork_start.c). */
static _Atomic int begun;

static uint32_t hash2(uint64_t a, uint64_t b)
{
    uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull) * 0xc2b2ae3d27d4eb4full;
    h ^= h >> 29;
    return (uint32_t)h;
}

/* A table refused for what it is (planted by another user, a link, not a file) is worth one line:
 * someone tried something. Missing or unreadable is not. */
static void say_refused(const char *dir, const char *why)
{
    char line[PATH_MAX + 256];
    int n = snprintf(line, sizeof line,
                     "proftrace: %s/rings/%s; holds of this process not published\n", dir, why);
    if (n > (int)sizeof line - 1)
        n = (int)sizeof line - 1;
    if (n > 0) {
        ssize_t w = write(2, line, (size_t)n);
        (void)w;
    }
}

int pt__holds_init(const char *dir)
{
    char path[PATH_MAX], why[200];
    const char *off = getenv("PROFTRACE_HOLDS");
    if (off && !strcmp(off, "0"))
        return -ECANCELED; /* asked not to publish or consult holds (PROFTRACE_BREAK then only
                            * stops at key-deleted and plain delete) */
    /* Beside the rings (the ring, created first, made rings/), a dot-file so that trace readers,
     * which skip dot-files, never take it for a stream or a ring. */
    if (snprintf(path, sizeof path, "%s/rings", dir) >= (int)sizeof path)
        return -ENAMETOOLONG;
    /* O_PATH: another user's process in a trace open to it may search rings/, not list it */
    int rfd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (rfd < 0)
        return -errno;
    my_uid = (uint32_t)geteuid();
    int fd = pt__htab_open(rfd, my_uid, PT__HT_CREATE, why, sizeof why);
    close(rfd);
    if (fd < 0) {
        if (fd == -EPERM || fd == -ELOOP || fd == -EINVAL)
            say_refused(dir, why);
        return fd;
    }
    fd = pt__fd_high(fd); /* kept open for the life of the process: out of the program's way */
    int rc = pt__htab_map(&tab, fd, my_uid);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    my_pid = (uint32_t)getpid();
    if ((rc = pt__htab_claim(&tab, my_pid, pt__self_start_time())) < 0) {
        pt__htab_close(&tab);
        return rc;
    }
    return 0;
}

void pt__holds_after_fork(void)
{
    /* The child inherits the mapping and the fd but not the lock: it is a new owner, and the
     * parent's holds it inherited (mappings) are not published under its name. No system call:
     * the owner slot is claimed at the child's start (pt__holds_claim). Until then the owner is 0,
     * which no entry has: every entry, its parent's too, is another's to pt__holds_other. */
    if (atomic_load(&local_touched))
        memset(local, 0, sizeof local);
    if (atomic_load(&held_touched))
        memset(pt__held_fds, 0, sizeof pt__held_fds);
    tab.owner = 0;
}

void pt__holds_claim(void)
{
    if (!tab.map || tab.owner)
        return;
    /* The program may have closed the table's descriptor and reused the number: then locks would
     * land on its file. Go without holds, and never close what is not ours. */
    int ours = pt__fd_is(tab.fd, tab.fd_dev, tab.fd_ino);
    my_pid = (uint32_t)getpid();
    if (!ours || pt__htab_claim(&tab, my_pid, pt__self_start_time()) < 0) {
        if (!ours)
            tab.fd = -1;
        pt__htab_close(&tab);
    }
}

int pt__holds_begun(void)
{
    return atomic_load_explicit(&begun, memory_order_relaxed);
}

void pt__holds_begin_seen(void)
{
    if (!atomic_load_explicit(&begun, memory_order_relaxed))
        atomic_store(&begun, 1);
}

void pt__holds_add(enum pt__hold_kind kind, uint64_t handle, uint64_t dev, uint64_t ino,
                   const char *name)
{
    if (!tab.map || !tab.owner || !handle || (!dev && !ino))
        return;
    struct pt__hold h = {.dev = dev,
                         .ino = ino,
                         .kind = kind,
                         .pid = my_pid,
                         .uid = my_uid,
                         .t_begin = pt_now(),
                         .name = name};
    int slot = pt__htab_add(&tab, &h);
    if (slot < 0)
        return; /* window full of live holds: this one goes unpublished */
    if (!atomic_load_explicit(&local_touched, memory_order_relaxed))
        atomic_store(&local_touched, 1);
    uint32_t lh = hash2(handle, kind) % LOCAL_SLOTS;
    for (uint32_t k = 0; k < LOCAL_WINDOW; k++) {
        struct local *l = &local[(lh + k) % LOCAL_SLOTS];
        uint64_t zero = 0;
        if (__atomic_compare_exchange_n(&l->handle, &zero, ~0ull, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            l->kind = kind;
            l->slot = (uint32_t)slot;
            __atomic_store_n(&l->handle, handle, __ATOMIC_RELEASE);
            pt__htab_ring(&tab, dev); /* the collector's witness watches it from now on */
            return;
        }
    }
    /* No room to remember it: withdraw at once rather than leave a hold we cannot end. */
    pt__htab_remove(&tab, (uint32_t)slot);
}

void pt__holds_remove(enum pt__hold_kind kind, uint64_t handle)
{
    if (!tab.map || !handle)
        return;
    uint32_t lh = hash2(handle, kind) % LOCAL_SLOTS;
    for (uint32_t k = 0; k < LOCAL_WINDOW; k++) {
        struct local *l = &local[(lh + k) % LOCAL_SLOTS];
        if (__atomic_load_n(&l->handle, __ATOMIC_ACQUIRE) != handle || l->kind != (uint32_t)kind)
            continue;
        uint64_t h = handle;
        if (!__atomic_compare_exchange_n(&l->handle, &h, ~0ull, 0, __ATOMIC_ACQ_REL,
                                         __ATOMIC_RELAXED))
            continue;
        pt__htab_remove(&tab, l->slot);
        __atomic_store_n(&l->handle, 0, __ATOMIC_RELEASE);
        return;
    }
}

int pt__holds_other(uint64_t dev, uint64_t ino, uint32_t *pid, uint32_t *kind, char *name)
{
    struct pt__holds_entry e;
    if (!tab.map || (!dev && !ino) || !pt__htab_find_other(&tab, dev, ino, &e))
        return 0;
    *pid = e.pid;
    *kind = e.kind;
    memcpy(name, e.name, sizeof e.name);
    return 1;
}

/* ---- What the recorders tell us (holds_hooks.h) ---------------------------------------------- */

/* The identities a thread's traced calls just opened: the nested open inside a key open gives the
 * key its identity; the key opens inside MAPILogonEx give the session its profile key. */
#define RECENT 8
struct recent_key {
    uint64_t t, dev, ino;
    char comp[48]; /* last component of the subkey */
};
static PT__TLS struct {
    uint64_t open_t, open_dev, open_ino;
    unsigned next;
    struct recent_key key[RECENT];
} th;

void pt__hold_nested_open(uint64_t t_exit, uint64_t dev, uint64_t ino)
{
    th.open_t = t_exit;
    th.open_dev = dev;
    th.open_ino = ino;
}

void pt__hold_key_open(uint64_t t_enter, int failed, uint64_t hkey, const char *subkey)
{
    if (!failed && hkey)
        pt__holds_begin_seen();
    if (failed || !hkey || th.open_t < t_enter || (!th.open_dev && !th.open_ino))
        return; /* no open of our own inside this call: identity unknown */
    const char *slash = subkey ? strrchr(subkey, '\\') : NULL;
    const char *comp = slash ? slash + 1 : subkey ? subkey : "";
    struct recent_key *r = &th.key[th.next++ % RECENT];
    r->t = th.open_t;
    r->dev = th.open_dev;
    r->ino = th.open_ino;
    size_t n = strnlen(comp, sizeof r->comp - 1);
    memcpy(r->comp, comp, n);
    r->comp[n] = 0;
    pt__holds_add(PT__HK_KEY, hkey, th.open_dev, th.open_ino, subkey);
}

void pt__hold_key_close(int failed, uint64_t hkey)
{
    if (!failed)
        pt__holds_remove(PT__HK_KEY, hkey);
}

void pt__hold_logon(uint64_t t_enter, int failed, const char *profile, uint64_t session)
{
    if (failed || !session || !profile)
        return;
    pt__holds_begin_seen();
    /* The profile's own key: the newest key opened inside this call whose last component is the
     * profile name (documented semantics: a session uses its profile's key). */
    for (unsigned k = 0; k < RECENT; k++) {
        const struct recent_key *r = &th.key[(th.next - 1 - k) % RECENT];
        if (r->t >= t_enter && !strcasecmp(r->comp, profile)) {
            pt__holds_add(PT__HK_SESSION, session, r->dev, r->ino, profile);
            return;
        }
    }
}

void pt__hold_session_end(uint64_t session, int release, int64_t refs)
{
    if (!release || refs == 0)
        pt__holds_remove(PT__HK_SESSION, session);
}

void pt__hold_mmap(int failed, uint64_t addr, uint64_t flags, uint64_t dev, uint64_t ino)
{
    if (!failed && (flags & MAP_SHARED)) {
        pt__holds_begin_seen();
        pt__holds_add(PT__HK_MAP, addr, dev, ino, NULL);
    }
}

void pt__hold_munmap(int failed, uint64_t addr)
{
    if (!failed)
        pt__holds_remove(PT__HK_MAP, addr);
}

/* Open-file holds are keyed by descriptor + 1 (0 is a descriptor, and no handle). */
void pt__hold_file_open(uint64_t t_exit, int failed, int64_t fd, uint64_t flags, uint64_t dev,
                        uint64_t ino, int regular, const char *path)
{
    pt__hold_nested_open(t_exit, dev, ino);
    if (failed || !regular || fd < 0 || fd >= PT__HELD_FDS || !pt_open_holds(flags))
        return;
    if (!atomic_load_explicit(&held_touched, memory_order_relaxed))
        atomic_store(&held_touched, 1);
    pt__holds_begin_seen();
    __atomic_fetch_or(&pt__held_fds[fd / 64], 1ull << (fd % 64), __ATOMIC_ACQ_REL);
    pt__holds_add(PT__HK_FILE, (uint64_t)fd + 1, dev, ino, path);
}

void pt__hold_file_close(int64_t fd)
{
    if (fd >= 0)
        pt__holds_remove(PT__HK_FILE, (uint64_t)fd + 1);
}
