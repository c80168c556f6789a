/* got_rebind.c — attach mode's interposition: the GOT slots of a running process pointed at the
 * shim's wrappers, and given back when it detaches.
 *
 * Started with LD_PRELOAD, the shim comes first in the global lookup scope, so the loader binds
 * every object's references to unlink, RegOpenKeyExA... to the shim's definitions. Loaded later by
 * dlopen (attach.c), it comes last: every reference is already bound to the real definition, or
 * will be at its first call (lazy binding). So the shim does by hand what the loader would have
 * done. For every loaded object but itself and the loader it walks the relocations the loader left
 * in memory — DT_JMPREL (PLT slots, JUMP_SLOT) and DT_RELA (GLOB_DAT: the GOT entries of -fno-plt
 * calls and of a function's address taken) — and writes, into each slot whose symbol the shim
 * exports as a function, the shim's definition: exactly the references LD_PRELOAD would have
 * bound to it (a symbol's version does not matter, as it does not for an unversioned preload).
 * A lazy slot not called yet is rebound too: its calls then skip the resolver. Slots inside the
 * RELRO segment are made writable for the write and read-only again. Every slot is remembered with
 * its old value, so that detaching writes the old value back wherever the slot still holds the
 * wrapper. Objects loaded later are rebound right after their dlopen returns (pt__got_rescan, from
 * the dlopen watch of hook_spec.c).
 *
 * Not rebound, as LD_PRELOAD would not reach them either: references an object binds to itself
 * (-Bsymbolic, protected or hidden definitions; hook_inline.c hooks those definitions inline).
 * Not rebound although LD_PRELOAD would: a function's address stored in initialized data
 * (R_X86_64_64 relocations): calls through such a pointer are not seen.
 * The shim's own exported entry points (proftrace_*) and sigaction/signal (whose wrappers only
 * matter with the fatal-signal handlers that attach mode does not install) are left alone.
 */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "preload/attach.h"
#include "preload/shim.h"

struct pt__slot {
    uintptr_t *at;
    uintptr_t old, wrapper;
};

struct pt__relro {
    uintptr_t lo, hi; /* page-aligned; lo == hi: none */
};

/* An object rebound, and the range of its slots in pt__slots. */
struct pt__gobj {
    uintptr_t bias, lo, hi; /* load bias and mapped range: to know it is still the same object */
    struct pt__relro relro;
    size_t first, n;
};

static struct pt__slot *pt__slots;
static size_t pt__nslots, pt__capslots;
#define PT__MAX_OBJS 1024
static struct pt__gobj pt__objs[PT__MAX_OBJS];
static unsigned pt__nobjs;
static pthread_mutex_t pt__glock = PTHREAD_MUTEX_INITIALIZER;

/* ---- The shim's own exports: a GNU-hash lookup in its dynamic symbol table ------------------ */

static struct {
    uintptr_t base;
    const ElfW(Sym) * symtab;
    const char *strtab;
    const uint32_t *gnu; /* DT_GNU_HASH */
} pt__self;

static uintptr_t pt__dptr(uintptr_t v, uintptr_t bias)
{
    return v < bias ? v + bias : v; /* the loader relocates d_ptr in place; be sure either way */
}

static int pt__self_init(void)
{
    if (pt__self.gnu)
        return 0;
    Dl_info di;
    struct link_map *lm = NULL;
    if (!dladdr1((void *)pt__self_init, &di, (void **)&lm, RTLD_DL_LINKMAP) || !lm || !lm->l_ld)
        return -ENOENT;
    pt__self.base = lm->l_addr;
    for (const ElfW(Dyn) *d = lm->l_ld; d->d_tag != DT_NULL; d++) {
        if (d->d_tag == DT_SYMTAB)
            pt__self.symtab = (const ElfW(Sym) *)pt__dptr(d->d_un.d_ptr, lm->l_addr);
        else if (d->d_tag == DT_STRTAB)
            pt__self.strtab = (const char *)pt__dptr(d->d_un.d_ptr, lm->l_addr);
        else if (d->d_tag == DT_GNU_HASH)
            pt__self.gnu = (const uint32_t *)pt__dptr(d->d_un.d_ptr, lm->l_addr);
    }
    return pt__self.symtab && pt__self.strtab && pt__self.gnu ? 0 : -ENOENT;
}

/* The shim's exported function `name`, or 0. */
static uintptr_t pt__self_lookup(const char *name)
{
    uint32_t h = 5381;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        h = h * 33 + *c;
    const uint32_t nbuckets = pt__self.gnu[0], symoffset = pt__self.gnu[1];
    const uint32_t bloom_size = pt__self.gnu[2], bloom_shift = pt__self.gnu[3];
    const uint64_t *bloom = (const uint64_t *)&pt__self.gnu[4];
    const uint32_t *buckets = (const uint32_t *)&bloom[bloom_size];
    const uint32_t *chain = &buckets[nbuckets];
    uint64_t word = bloom[(h / 64) % bloom_size];
    if (!((word >> (h % 64)) & (word >> ((h >> bloom_shift) % 64)) & 1))
        return 0; /* the usual answer, for almost every name a program imports */
    uint32_t i = buckets[h % nbuckets];
    if (i < symoffset)
        return 0;
    for (;; i++) {
        uint32_t ch = chain[i - symoffset];
        const ElfW(Sym) *s = &pt__self.symtab[i];
        if ((ch | 1) == (h | 1) && !strcmp(pt__self.strtab + s->st_name, name)) {
            int type = ELF64_ST_TYPE(s->st_info);
            if (s->st_shndx == SHN_UNDEF || (type != STT_FUNC && type != STT_GNU_IFUNC))
                return 0;
            return pt__self.base + s->st_value;
        }
        if (ch & 1)
            return 0;
    }
}

/* Names the shim exports but does not take over in a process it attached to. */
static int pt__left_alone(const char *name)
{
    return !strncmp(name, "proftrace_", 10) || !strcmp(name, "sigaction") ||
           !strcmp(name, "signal");
}

/* ---- One object ----------------------------------------------------------------------------- */

static int pt__remember(uintptr_t *at, uintptr_t old, uintptr_t wrapper)
{
    if (pt__nslots == pt__capslots) {
        size_t cap = pt__capslots ? 2 * pt__capslots : 256;
        struct pt__slot *n = realloc(pt__slots, cap * sizeof *n);
        if (!n)
            return -ENOMEM;
        pt__slots = n;
        pt__capslots = cap;
    }
    pt__slots[pt__nslots++] = (struct pt__slot){at, old, wrapper};
    return 0;
}

/* The RELRO segment writable for a batch of slot writes (0), or not possible (-1: those slots
 * stay as they were). Slots outside it are written as they are (.got.plt of a lazily bound
 * object). */
static int pt__relro_open(const struct pt__relro *r)
{
    if (r->lo == r->hi)
        return 0;
    return mprotect((void *)r->lo, r->hi - r->lo, PROT_READ | PROT_WRITE) == 0 ? 0 : -1;
}
static void pt__relro_close(const struct pt__relro *r)
{
    if (r->lo != r->hi)
        mprotect((void *)r->lo, r->hi - r->lo, PROT_READ);
}
static int pt__in_relro(const struct pt__relro *r, const uintptr_t *at)
{
    return (uintptr_t)at >= r->lo && (uintptr_t)at < r->hi;
}

static void pt__relro_of(struct dl_phdr_info *info, struct pt__relro *r)
{
    long pg = sysconf(_SC_PAGESIZE);
    r->lo = r->hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_GNU_RELRO)
            continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr;
        r->lo = a & ~(uintptr_t)(pg - 1);
        r->hi = (a + ph->p_memsz) & ~(uintptr_t)(pg - 1); /* the loader protects whole pages only */
    }
}

/* The object's mapped range (its PT_LOAD segments). */
static void pt__range_of(struct dl_phdr_info *info, uintptr_t *lo, uintptr_t *hi)
{
    *lo = UINTPTR_MAX;
    *hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr;
        if (a < *lo)
            *lo = a;
        if (a + ph->p_memsz > *hi)
            *hi = a + ph->p_memsz;
    }
}

static struct pt__gobj *pt__gobj_find(uintptr_t bias, uintptr_t lo, uintptr_t hi)
{
    for (unsigned i = 0; i < pt__nobjs; i++)
        if (pt__objs[i].bias == bias && pt__objs[i].lo == lo && pt__objs[i].hi == hi)
            return &pt__objs[i];
    return NULL;
}

static void pt__rebind_obj(struct dl_phdr_info *info, struct pt__gobj *o)
{
    const ElfW(Sym) *symtab = NULL;
    const char *strtab = NULL;
    const ElfW(Rela) * rel[2] = {NULL, NULL};
    size_t relsz[2] = {0, 0};
    uintptr_t bias = info->dlpi_addr;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type != PT_DYNAMIC)
            continue;
        for (const ElfW(Dyn) *d = (const ElfW(Dyn) *)(bias + info->dlpi_phdr[i].p_vaddr);
             d->d_tag != DT_NULL; d++) {
            switch (d->d_tag) {
            case DT_SYMTAB:
                symtab = (const ElfW(Sym) *)pt__dptr(d->d_un.d_ptr, bias);
                break;
            case DT_STRTAB:
                strtab = (const char *)pt__dptr(d->d_un.d_ptr, bias);
                break;
            case DT_RELA:
                rel[0] = (const ElfW(Rela) *)pt__dptr(d->d_un.d_ptr, bias);
                break;
            case DT_RELASZ:
                relsz[0] = d->d_un.d_val;
                break;
            case DT_JMPREL:
                rel[1] = (const ElfW(Rela) *)pt__dptr(d->d_un.d_ptr, bias);
                break;
            case DT_PLTRELSZ:
                relsz[1] = d->d_un.d_val;
                break;
            default:
                break;
            }
        }
    }
    o->first = pt__nslots;
    if (!symtab || !strtab)
        return;
    for (int t = 0; t < 2; t++) {
        size_t n = relsz[t] / sizeof(ElfW(Rela));
        for (size_t i = 0; rel[t] && i < n; i++) {
            unsigned type = ELF64_R_TYPE(rel[t][i].r_info), sym = ELF64_R_SYM(rel[t][i].r_info);
            if (!sym || (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT))
                continue;
            const char *name = strtab + symtab[sym].st_name;
            uintptr_t w = pt__self_lookup(name);
            if (!w || pt__left_alone(name))
                continue;
            uintptr_t *at = (uintptr_t *)(bias + rel[t][i].r_offset);
            uintptr_t old = __atomic_load_n(at, __ATOMIC_ACQUIRE);
            if (old != w)
                (void)pt__remember(at, old, w);
        }
    }
    if (pt__nslots == o->first)
        return;
    int relro_ok = pt__relro_open(&o->relro) == 0;
    for (size_t k = o->first; k < pt__nslots; k++) {
        struct pt__slot *s = &pt__slots[k];
        if (relro_ok || !pt__in_relro(&o->relro, s->at))
            __atomic_store_n(s->at, s->wrapper, __ATOMIC_RELEASE);
    }
    /* A lazy slot the resolver was filling while we wrote it may hold the real function again. */
    for (size_t k = o->first; k < pt__nslots; k++) {
        struct pt__slot *s = &pt__slots[k];
        uintptr_t now = __atomic_load_n(s->at, __ATOMIC_ACQUIRE);
        if (now != s->wrapper && now != s->old && (relro_ok || !pt__in_relro(&o->relro, s->at))) {
            s->old = now;
            __atomic_store_n(s->at, s->wrapper, __ATOMIC_RELEASE);
        }
    }
    if (relro_ok)
        pt__relro_close(&o->relro);
    o->n = pt__nslots - o->first;
}

static int pt__rebind_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    const char *name = info->dlpi_name;
    int is_exe = !name || !*name;
    if (!is_exe && !strchr(name, '/'))
        return 0; /* the vDSO */
    if (info->dlpi_addr == pt__self.base && !is_exe)
        return 0; /* the shim itself */
    if (!is_exe && info->dlpi_addr == (uintptr_t)getauxval(AT_BASE))
        return 0; /* the dynamic loader: its references are its own */
    uintptr_t lo, hi;
    pt__range_of(info, &lo, &hi);
    if (pt__gobj_find(info->dlpi_addr, lo, hi) || pt__nobjs == PT__MAX_OBJS)
        return 0; /* done already (or too many objects: the rest is not traced) */
    struct pt__gobj *o = &pt__objs[pt__nobjs++];
    memset(o, 0, sizeof *o);
    o->bias = info->dlpi_addr;
    o->lo = lo;
    o->hi = hi;
    pt__relro_of(info, &o->relro);
    pt__rebind_obj(info, o);
    return 0;
}

/* Give the slots of one object still loaded back. */
static int pt__restore_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    size_t *restored = arg;
    uintptr_t lo, hi;
    pt__range_of(info, &lo, &hi);
    struct pt__gobj *o = pt__gobj_find(info->dlpi_addr, lo, hi);
    if (!o)
        return 0;
    int relro_ok = o->n && pt__relro_open(&o->relro) == 0;
    for (size_t k = o->first; k < o->first + o->n; k++) {
        struct pt__slot *s = &pt__slots[k];
        if (__atomic_load_n(s->at, __ATOMIC_ACQUIRE) != s->wrapper)
            continue; /* the program wrote it since: leave its value */
        if (!relro_ok && pt__in_relro(&o->relro, s->at))
            continue;
        __atomic_store_n(s->at, s->old, __ATOMIC_RELEASE);
        (*restored)++;
    }
    if (relro_ok)
        pt__relro_close(&o->relro);
    o->n = 0;
    return 0;
}

/* ---- API (attach.h) ------------------------------------------------------------------------- */

static void pt__glock_prepare(void)
{
    pthread_mutex_lock(&pt__glock);
}
static void pt__glock_release(void)
{
    pthread_mutex_unlock(&pt__glock);
}

int pt__got_rebind(void)
{
    static int atfork;
    if (pt__self_init() < 0)
        return -ENOENT;
    if (!atfork++) /* a fork child must not inherit the lock held by another thread */
        pthread_atfork(pt__glock_prepare, pt__glock_release, pt__glock_release);
    pthread_mutex_lock(&pt__glock);
    dl_iterate_phdr(pt__rebind_cb, NULL);
    pthread_mutex_unlock(&pt__glock);
    return 0;
}

void pt__got_rescan(void)
{
    if (!pt__attached || atomic_load(&pt__state) != PT__ON)
        return;
    pthread_mutex_lock(&pt__glock);
    dl_iterate_phdr(pt__rebind_cb, NULL);
    pthread_mutex_unlock(&pt__glock);
}

size_t pt__got_restore(void)
{
    size_t restored = 0;
    pthread_mutex_lock(&pt__glock);
    /* Only objects still loaded: a slot of an object unloaded since is gone with its pages. */
    dl_iterate_phdr(pt__restore_cb, &restored);
    pt__nslots = 0;
    pt__nobjs = 0;
    pthread_mutex_unlock(&pt__glock);
    return restored;
}

size_t pt__got_count(void)
{
    return pt__nslots;
}
