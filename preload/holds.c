/* holds.c — the shared table of current holds, $PROFTRACE_DIR/rings/.holds (design in holds.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preload/holds.h"
#include "preload/shim.h"
#include "tracer/perm.h"
#include "tracer/internal.h"

#define NOWNERS 4096u
#define NENTRIES 8192u
#define HDR_BYTES 4096u
#define LOCAL_SLOTS 4096u
#define LOCAL_WINDOW 64u

static struct pt__holds_hdr *hh;
static struct pt__holds_owner *owners;
static struct pt__holds_entry *entries;
static size_t map_size;
static int hfd = -1;
static uint64_t hfd_dev, hfd_ino; /* what hfd is: a number the program reused is not ours */
static uint32_t my_owner; /* index + 1, 0: none */
static uint32_t my_gen;
static uint32_t my_pid; /* getpid() when the owner slot was claimed (fork claims again) */

/* This process's holds: handle -> entry index, to withdraw them. */
struct local {
    uint64_t handle; /* 0: free (CAS) */
    uint32_t kind;
    uint32_t slot;
};
static struct local local[LOCAL_SLOTS];

static uint32_t hash2(uint64_t a, uint64_t b)
{
    uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull) * 0xc2b2ae3d27d4eb4full;
    h ^= h >> 29;
    return (uint32_t)h;
}

static int lock_byte(int cmd, short type, uint32_t idx, pid_t *holder)
{
    struct flock fl = {
        .l_type = type, .l_whence = SEEK_SET, .l_start = (off_t)(hh->lock_off + idx), .l_len = 1};
    if (fcntl(hfd, cmd, &fl) < 0)
        return -errno;
    if (holder)
        *holder = fl.l_type == F_UNLCK ? 0 : (fl.l_pid ? fl.l_pid : -1);
    return cmd == F_GETLK ? (fl.l_type != F_UNLCK) : 0;
}

/* Claim the first owner slot whose lock we can take (its previous owner, if any, is dead). */
static int claim_owner(void)
{
    for (uint32_t i = 0; i < hh->nowners; i++) {
        if (lock_byte(F_SETLK, F_WRLCK, i, NULL) < 0)
            continue;
        struct pt__holds_owner *o = &owners[i];
        my_gen = __atomic_add_fetch(&o->gen, 1, __ATOMIC_ACQ_REL);
        my_pid = (uint32_t)getpid();
        o->pid = my_pid;
        o->start_time = pt__proc_start_time(0);
        my_owner = i + 1;
        return 0;
    }
    return -ENOSPC;
}

int pt__holds_init(const char *dir)
{
    char path[PATH_MAX];
    struct stat st;
    size_t size = HDR_BYTES + NOWNERS * sizeof(struct pt__holds_owner) +
                  (size_t)NENTRIES * sizeof(struct pt__holds_entry);
    /* Beside the rings (a directory every traced account can write), a dot-file so that trace
     * readers, which skip dot-files, never take it for a stream or a ring. */
    const char *off = getenv("PROFTRACE_HOLDS");
    if (off && !strcmp(off, "0"))
        return -ECANCELED; /* asked not to publish or consult holds (PROFTRACE_BREAK then only
                            * stops at key-deleted and plain delete) */
    if (snprintf(path, sizeof path, "%s/rings/.holds", dir) >= (int)sizeof path)
        return -ENAMETOOLONG;
    /* Never through a link another account planted in rings/ (it would have us chmod and map
     * whatever the link names), and only a regular file. */
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, pt_perm_shared_mode());
    if (fd < 0)
        return -errno;
    fd = pt__fd_high(fd); /* kept open for the life of the process: out of the program's way */
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -EINVAL;
    }
    if (st.st_uid == geteuid()) /* any account allowed in must publish its holds (tracer/perm.h) */
        (void)fchmod(fd, pt_perm_shared_mode());
    if ((size_t)st.st_size < size && ftruncate(fd, (off_t)size) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        int e = -errno;
        close(fd);
        return e;
    }
    struct pt__holds_hdr *h = m;
    /* Every process writes the same constant header: racing initialisers agree byte for byte. */
    struct pt__holds_hdr want = {
        .version = PT__HOLDS_VERSION,
        .endian = 0x01020304u,
        .header_size = sizeof want,
        .nowners = NOWNERS,
        .owner_size = sizeof(struct pt__holds_owner),
        .nentries = NENTRIES,
        .entry_size = sizeof(struct pt__holds_entry),
        .window = PT__HOLDS_WINDOW,
        .owners_off = HDR_BYTES,
        .entries_off = HDR_BYTES + NOWNERS * sizeof(struct pt__holds_owner),
        .lock_off = 1ull << 40, /* lock bytes lie past the end: they guard, they hold no data */
        .file_size = size,
    };
    memcpy(want.magic, PT__HOLDS_MAGIC, 8);
    if (h->magic[0] && memcmp(h, &want, sizeof want) != 0) {
        munmap(m, size);
        close(fd);
        return -EPROTO; /* another version's table: leave it alone */
    }
    if (!h->magic[0])
        memcpy(h, &want, sizeof want);
    hh = h;
    owners = (struct pt__holds_owner *)((char *)m + want.owners_off);
    entries = (struct pt__holds_entry *)((char *)m + want.entries_off);
    map_size = size;
    hfd = fd;
    hfd_dev = (uint64_t)st.st_dev;
    hfd_ino = (uint64_t)st.st_ino;
    if (claim_owner() < 0) {
        munmap(m, size);
        close(fd);
        hh = NULL;
        hfd = -1;
        return -ENOSPC;
    }
    return 0;
}

void pt__holds_after_fork(void)
{
    /* The child inherits the mapping and the fd but not the lock: it is a new owner, and the
     * parent's holds it inherited (mappings) are not published under its name. */
    memset(local, 0, sizeof local);
    my_owner = 0;
    if (!hh)
        return;
    /* The program may have closed the table's descriptor and reused the number: then locks would
     * land on its file. Go without holds, and never close what is not ours. */
    int ours = pt__fd_is(hfd, hfd_dev, hfd_ino);
    if (!ours || claim_owner() < 0) {
        munmap(hh, map_size);
        if (ours)
            close(hfd);
        hh = NULL;
        hfd = -1;
    }
}

static int owner_alive(uint32_t owner, uint32_t gen, pid_t *pid)
{
    if (!owner || owner > hh->nowners)
        return 0;
    if (__atomic_load_n(&owners[owner - 1].gen, __ATOMIC_ACQUIRE) != gen)
        return 0;
    if (owner == my_owner)
        return 1; /* our own lock does not show in F_GETLK */
    return lock_byte(F_GETLK, F_WRLCK, owner - 1, pid) == 1;
}

void pt__holds_add(enum pt__hold_kind kind, uint64_t handle, uint64_t dev, uint64_t ino,
                   const char *name)
{
    if (!hh || !my_owner || !handle || (!dev && !ino))
        return;
    uint32_t home = hash2(dev, ino) % hh->nentries, slot = UINT32_MAX;
    for (int pass = 0; pass < 2 && slot == UINT32_MAX; pass++)
        for (uint32_t k = 0; k < hh->window; k++) {
            uint32_t i = (home + k) % hh->nentries;
            struct pt__holds_entry *e = &entries[i];
            uint32_t st = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
            /* Second pass: reclaim entries of dead owners (system calls; the window was full). */
            if (st == PT__HE_READY && pass == 1 && !owner_alive(e->owner, e->gen, NULL)) {
                if (__atomic_compare_exchange_n(&e->state, &st, PT__HE_BUSY, 0, __ATOMIC_ACQ_REL,
                                                __ATOMIC_RELAXED)) {
                    slot = i;
                    break;
                }
                continue;
            }
            uint32_t free_ = PT__HE_FREE;
            if (st == PT__HE_FREE &&
                __atomic_compare_exchange_n(&e->state, &free_, PT__HE_BUSY, 0, __ATOMIC_ACQ_REL,
                                            __ATOMIC_RELAXED)) {
                slot = i;
                break;
            }
        }
    if (slot == UINT32_MAX)
        return; /* window full of live holds: this one goes unpublished */
    struct pt__holds_entry *e = &entries[slot];
    e->dev = dev;
    e->ino = ino;
    e->owner = my_owner;
    e->gen = my_gen;
    e->kind = kind;
    e->pid = my_pid;
    memset(e->name, 0, sizeof e->name);
    if (name) {
        size_t n = strlen(name);
        const char *tail = n >= sizeof e->name ? name + n - (sizeof e->name - 1) : name;
        memcpy(e->name, tail, strlen(tail));
    }
    __atomic_store_n(&e->state, PT__HE_READY, __ATOMIC_RELEASE);

    uint32_t lh = hash2(handle, kind) % LOCAL_SLOTS;
    for (uint32_t k = 0; k < LOCAL_WINDOW; k++) {
        struct local *l = &local[(lh + k) % LOCAL_SLOTS];
        uint64_t zero = 0;
        if (__atomic_compare_exchange_n(&l->handle, &zero, ~0ull, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            l->kind = kind;
            l->slot = slot;
            __atomic_store_n(&l->handle, handle, __ATOMIC_RELEASE);
            return;
        }
    }
    /* No room to remember it: withdraw at once rather than leave a hold we cannot end. */
    __atomic_store_n(&e->state, PT__HE_FREE, __ATOMIC_RELEASE);
}

void pt__holds_remove(enum pt__hold_kind kind, uint64_t handle)
{
    if (!hh || !handle)
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
        struct pt__holds_entry *e = &entries[l->slot];
        if (e->owner == my_owner && e->gen == my_gen)
            __atomic_store_n(&e->state, PT__HE_FREE, __ATOMIC_RELEASE);
        __atomic_store_n(&l->handle, 0, __ATOMIC_RELEASE);
        return;
    }
}

int pt__holds_other(uint64_t dev, uint64_t ino, uint32_t *pid, uint32_t *kind, char *name)
{
    if (!hh || (!dev && !ino))
        return 0;
    uint32_t home = hash2(dev, ino) % hh->nentries;
    for (uint32_t k = 0; k < hh->window; k++) {
        const struct pt__holds_entry *e = &entries[(home + k) % hh->nentries];
        if (__atomic_load_n(&e->state, __ATOMIC_ACQUIRE) != PT__HE_READY || e->dev != dev ||
            e->ino != ino || e->owner == my_owner)
            continue;
        pid_t lp = 0;
        if (!owner_alive(e->owner, e->gen, &lp))
            continue;
        *pid = e->pid;
        *kind = e->kind;
        memcpy(name, e->name, sizeof e->name);
        name[sizeof e->name - 1] = 0;
        return 1;
    }
    return 0;
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
    if (!failed && (flags & MAP_SHARED))
        pt__holds_add(PT__HK_MAP, addr, dev, ino, NULL);
}

void pt__hold_munmap(int failed, uint64_t addr)
{
    if (!failed)
        pt__holds_remove(PT__HK_MAP, addr);
}
