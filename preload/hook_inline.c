/* hook_inline.c — the profile library's API hooked at function entry where interposition is blind.
 *
 * LD_PRELOAD interposition sees a call only when it goes through the dynamic linker. It does not
 * when the executable defines the function itself (the profile library linked in statically), or
 * when a library binds its own calls at link time (-Bsymbolic: DT_SYMBOLIC / DF_SYMBOLIC; a
 * protected or hidden definition). For every row of calls.h in the categories REG, MAP, IMP and
 * MAPI with a SYM wrapper, each loaded object is searched (libelf: .symtab and .dynsym) and a
 * definition in one of those situations is hooked inline (preload/inline) with, as replacement, the
 * very wrapper interposition uses (wrappers.c, found by name in the shim itself), and the row's
 * "real function" pointer (pt__real.NAME) set to the trampoline. So:
 *  - an inline-hooked call and an interposed one run the same code and give the same event
 *    (class, fields, nesting depth, stack: the entry jump leaves the caller's return address in
 *    place, as a PLT jump does);
 *  - a call seen by both (a -Bsymbolic library's function called from outside it: interposed, and
 *    its entry hooked) is recorded once: the wrapper calls the trampoline, which runs the original
 *    function past its patched entry;
 *  - pt__resolve (real.c) answers with the trampoline for a hooked row, so re-resolving after a
 *    dlclose never lands on the hooked entry (which would record twice).
 * One real-function slot per row: a second, different definition of a row in the same process
 * (the executable's own copy and a shared library's) is not hooked, and says so.
 * Also hooked: a definition that another object's GOT is already bound to, past the shim (a
 * library loaded with RTLD_DEEPBIND, or with BIND_NOW in another lookup scope): read from the
 * relocations the loader left in memory; lazily bound slots not yet called say nothing.
 * PROFTRACE_INLINE: "auto" (default) as above; "all" hooks every definition of those rows, whether
 * interposition reaches it or not (for lazily bound RTLD_DEEPBIND and -Bsymbolic-functions
 * libraries, which leave no mark the shim can read); "off" none. A ",verbose" suffix prints one line per hook.
 * Libraries loaded later are scanned when their dlopen returns (the watch in hook_spec.c).
 * libc's rows are not hooked: libc is always a shared library here, its callers go through PLTs. */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload/attach.h"
#include "preload/hook_inline.h"
#include "preload/shim.h"

#ifdef PT_HAVE_INLINE
#include <fcntl.h>

#include "preload/fork_guard.h"
#include "preload/inline/inline_hook.h"

struct pt__irow {
    const char *name;
    void **real;      /* &pt__real.NAME */
    uintptr_t hooked; /* the definition hooked, 0 none */
    void *tramp;      /* its trampoline (pt__real.NAME is cleared by dlclose; this is not) */
};

#define PT__IROW(name, cat, hook, cret, cparams, cargs, retk, fields) PT__IROW_##hook(name, cat)
#define PT__IROW_SYM(name, cat) PT__IROW_CAT_##cat(name)
#define PT__IROW_HAND(name, cat)
#define PT__IROW_NESTED(name, cat)
#define PT__IROW_VTBL(name, cat)
#define PT__IROW_ROW(name) {#name, (void **)&pt__real.name, 0, NULL},
#define PT__IROW_CAT_REG PT__IROW_ROW
#define PT__IROW_CAT_MAP PT__IROW_ROW
#define PT__IROW_CAT_IMP PT__IROW_ROW
#define PT__IROW_CAT_MAPI PT__IROW_ROW
#define PT__IROW_CAT_SHM(name)
#define PT__IROW_CAT_FILE(name)
#define PT__IROW_CAT_PROC(name)
#define PT__IROW_CAT_CRED(name)
#define PT__IROW_CAT_NS(name)
static struct pt__irow pt__irows[] = {PT_CALLS(PT__IROW, _)};
#define PT__NIROWS (sizeof pt__irows / sizeof pt__irows[0])

enum { PT__IMODE_OFF, PT__IMODE_AUTO, PT__IMODE_ALL };
static int pt__imode = PT__IMODE_AUTO, pt__iverbose;
static pthread_mutex_t pt__ilock = PTHREAD_MUTEX_INITIALIZER;
static void *pt__self;          /* dlopen handle of the shim: its own wrappers by name */
static uintptr_t pt__self_base; /* its load address, never scanned */
#define PT__MAX_SCANNED 512
static uintptr_t pt__scanned[PT__MAX_SCANNED]; /* l_addr of every object already scanned */
static char pt__scanned_exe;
static unsigned pt__nscanned;
static unsigned long long pt__adds;

static void pt__isay(const char *a, const char *b, const char *c)
{
    char line[768];
    int n = snprintf(line, sizeof line, "proftrace: inline hook %s%s%s\n", a, b, c);
    if (n > (int)sizeof line - 1)
        n = (int)sizeof line - 1;
    if (n > 0) {
        ssize_t w = write(2, line, (size_t)n);
        (void)w;
    }
}

struct pt__obj {
    const char *path; /* in the scan's packed path buffer (a whole page per object made every
                       * traced start fault in 4 pages more: the objects were 4 KiB apart) */
    uintptr_t bias;
    int is_exe, symbolic;
    int names; /* its dynamic string table holds one of the row names */
    int glibc; /* one of glibc's own objects: none of the rows, nothing to scan */
    /* Its relocations, as the loader left them in memory (addresses already relocated). */
    const ElfW(Sym) *symtab;
    const char *strtab;
    const ElfW(Rela) *rela, *jmprel;
    size_t relasz, jmprelsz;
    uintptr_t lo, hi; /* its loaded range */
};

/* Does the file have a .symtab (not stripped)? Section headers only: cheap. */
static int pt__has_symtab(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), found = 0;
    if (fd < 0)
        return 0;
    ElfW(Ehdr) eh;
    if (pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh && eh.e_shentsize == sizeof(ElfW(Shdr)) &&
        eh.e_shnum > 0 && eh.e_shnum < 4096) {
        ElfW(Shdr) sh[256];
        for (unsigned i = 0; i < eh.e_shnum && !found; i += 256) {
            unsigned n = eh.e_shnum - i < 256 ? eh.e_shnum - i : 256;
            ssize_t want = (ssize_t)(n * sizeof sh[0]);
            if (pread(fd, sh, (size_t)want, (off_t)(eh.e_shoff + i * sizeof sh[0])) != want)
                break;
            for (unsigned j = 0; j < n; j++)
                found |= sh[j].sh_type == SHT_SYMTAB;
        }
    }
    close(fd);
    return found;
}

/* A candidate definition of a row in one object. */
struct pt__cand {
    uintptr_t addr;
    size_t size;
    int in_dynsym, protected_, seen;
};

/* Row names by hash: every string of every symbol table read is looked up here (a large library
 * has tens of thousands), so one probe, not a comparison with every row. */
#define PT__RHASH 256 /* slots, a power of two above twice the rows */
static uint8_t pt__rhash[PT__RHASH]; /* row index + 1, 0 empty */

static uint32_t pt__strhash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static void pt__rhash_fill(void)
{
    for (unsigned i = 0; i < PT__NIROWS; i++) {
        uint32_t h = pt__strhash(pt__irows[i].name) & (PT__RHASH - 1);
        while (pt__rhash[h])
            h = (h + 1) & (PT__RHASH - 1);
        pt__rhash[h] = (uint8_t)(i + 1);
    }
}

static int pt__row_of(const char *name)
{
    for (uint32_t h = pt__strhash(name) & (PT__RHASH - 1); pt__rhash[h];
         h = (h + 1) & (PT__RHASH - 1))
        if (!strcmp(pt__irows[pt__rhash[h] - 1].name, name))
            return pt__rhash[h] - 1;
    return -1;
}

/* Symbols of one object: fills cand[] (indexed like pt__irows). */
struct pt__syms {
    const struct pt__obj *o;
    struct pt__cand *cand;
};

static int pt__sym_cb(void *arg, const char *name, uint64_t value, uint64_t size,
                      unsigned char other, int in_dynsym)
{
    struct pt__syms *q = arg;
    int r = pt__row_of(name);
    if (r < 0)
        return 0;
    struct pt__cand *c = &q->cand[r];
    uintptr_t a = q->o->bias + value;
    if (c->seen && c->addr != a) {
        c->seen = -1; /* two different definitions in one object: leave it alone */
        return 0;
    }
    c->seen = c->seen ? c->seen : 1;
    c->addr = a;
    if (size > c->size)
        c->size = size;
    if (in_dynsym) {
        c->in_dynsym = 1;
        c->protected_ = ELF64_ST_VISIBILITY(other) == STV_PROTECTED;
    }
    return 0;
}

static void pt__read_syms(const struct pt__obj *o, struct pt__cand *cand)
{
    struct pt__syms q = {o, cand};
    (void)pt_elf_functions(o->is_exe ? "/proc/self/exe" : o->path, pt__sym_cb, &q);
}

/* The engine, libproftrace-inline.so beside the shim, loaded the first time a hook is placed. Only
 * from pt__init or once a dlopen has returned (dl_watch.c): never inside the loader, which would
 * have to load it while it holds its own lock. */
static int (*pt__eng_hook_ex)(const char *, void *, size_t, void *, void **, unsigned,
                              struct pt_inline_info *, char *, size_t);
static int (*pt__eng_hook)(const char *, void *, size_t, void *, void **, char *, size_t);

int pt__inline_engine(void)
{
    static int tried;
    if (pt__eng_hook)
        return 0;
    if (tried)
        return -1;
    tried = 1;
    Dl_info di;
    char path[4096];
    const char *slash;
    if (!dladdr((void *)pt__inline_engine, &di) || !di.dli_fname ||
        !(slash = strrchr(di.dli_fname, '/'))) {
        pt__isay("engine: ", "cannot find where the shim lies", "");
        return -1;
    }
    snprintf(path, sizeof path, "%.*s/libproftrace-inline.so", (int)(slash - di.dli_fname),
             di.dli_fname);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        pt__isay("engine: ", e ? e : path, "; nothing is hooked inline");
        return -1;
    }
    pt__eng_hook_ex = (__typeof__(pt__eng_hook_ex))dlsym(h, "pt_inline_hook_ex");
    pt__eng_hook = (__typeof__(pt__eng_hook))dlsym(h, "pt_inline_hook");
    if (!pt__eng_hook_ex || !pt__eng_hook) {
        pt__eng_hook = NULL;
        pt__isay("engine: ", path, " lacks its entry points; nothing is hooked inline");
        return -1;
    }
    return 0;
}

int pt__inline_hook(const char *name, void *target, size_t size, void *replacement,
                    void **trampoline, char *why, size_t whylen)
{
    if (pt__inline_engine() < 0) {
        snprintf(why, whylen, "%s: the inline engine is not available", name);
        return -ENOTSUP;
    }
    return pt__eng_hook(name, target, size, replacement, trampoline, why, whylen);
}

static void pt__hook_row(const struct pt__obj *o, struct pt__irow *row, struct pt__cand *c)
{
    const char *where = o->is_exe ? "the executable" : o->path;
    char why[4400]; /* room for a path */
    if (row->hooked == c->addr)
        return;
    if (row->hooked || (*row->real && (uintptr_t)*row->real != c->addr)) {
        snprintf(why, sizeof why, " in %s: another definition is already traced; calls of this one "
                                  "are not", where);
        pt__isay(row->name, why, "");
        return;
    }
    Dl_info di;
    if (!pt__self && dladdr((void *)pt__hook_row, &di) && di.dli_fname)
        pt__self = dlopen(di.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    void *wrapper = pt__self ? dlsym(pt__self, row->name) : NULL;
    if (!wrapper || !dladdr(wrapper, &di) || (uintptr_t)di.dli_fbase != pt__self_base) {
        pt__isay(row->name, ": the shim's wrapper not found", "");
        return;
    }
    if (pt__inline_engine() < 0)
        return;
    struct pt_inline_info info = {0};
    int rc = pt__eng_hook_ex(row->name, (void *)c->addr, c->size, wrapper, row->real, 0, &info,
                             why, sizeof why);
    if (rc == 0 || rc == -EBUSY || rc == -EACCES) { /* *row->real: working code even then */
        row->tramp = *row->real;
        row->hooked = c->addr;
    }
    if (rc < 0) {
        char tail[4300];
        snprintf(tail, sizeof tail, " (in %s); its calls there are not traced", where);
        pt__isay(why, tail, "");
    } else if (pt__iverbose) {
        static const char *const how[] = {"", "single-threaded", "atomic store", "breakpoint"};
        snprintf(why, sizeof why, " in %s at %#lx%s, patched by %s", where,
                 (unsigned long)c->addr, o->symbolic ? " (bound internally)" : "",
                 info.method <= PT_INLINE_INT3 ? how[info.method] : "?");
        pt__isay(row->name, why, "");
    }
}

static void pt__scan_obj(const struct pt__obj *o)
{
    /* Most objects (glibc's, stripped system libraries) have neither a row name among their
     * dynamic strings nor a .symtab: skip them without reading their file. */
    if (o->glibc || (!o->names && !pt__has_symtab(o->is_exe ? "/proc/self/exe" : o->path)))
        return;
    struct pt__cand cand[PT__NIROWS];
    memset(cand, 0, sizeof cand);
    pt__read_syms(o, cand);
    for (unsigned i = 0; i < PT__NIROWS; i++) {
        struct pt__cand *c = &cand[i];
        if (c->seen != 1)
            continue;
        /* Interposition is blind to the object's own calls of this definition when: */
        int blind = o->is_exe             /* the executable's calls bind to its own functions */
                    || o->symbolic        /* -Bsymbolic */
                    || !c->in_dynsym      /* hidden: never exported, so never interposed */
                    || c->protected_;     /* protected: exported, but bound internally */
        if (blind || pt__imode == PT__IMODE_ALL)
            pt__hook_row(o, &pt__irows[i], c);
    }
}

/* The object's own references to the rows: a GOT slot already bound (BIND_NOW, or called once)
 * to a definition that is not the shim's wrapper means its calls skip interposition (loaded with
 * RTLD_DEEPBIND, or bound by another scope): that definition is hooked. A slot still pointing
 * into the object's own PLT (lazy binding, not called yet) says nothing. */
static void pt__scan_got(const struct pt__obj *o)
{
    if (!o->names || !o->symtab || !o->strtab)
        return;
    for (int t = 0; t < 2; t++) {
        const ElfW(Rela) *r = t ? o->jmprel : o->rela;
        size_t n = (t ? o->jmprelsz : o->relasz) / sizeof(ElfW(Rela));
        for (size_t i = 0; r && i < n; i++) {
            unsigned type = ELF64_R_TYPE(r[i].r_info), sym = ELF64_R_SYM(r[i].r_info);
            if (!sym || (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT))
                continue;
            int row = pt__row_of(o->strtab + o->symtab[sym].st_name);
            if (row < 0)
                continue;
            uintptr_t v = *(const uintptr_t *)(o->bias + r[i].r_offset);
            if (!v || (v >= o->lo && v < o->hi))
                continue; /* not bound yet, or bound to itself (the cases above) */
            Dl_info di;
            const ElfW(Sym) *ds = NULL;
            if (!dladdr1((void *)v, &di, (void **)&ds, RTLD_DL_SYMENT) ||
                (uintptr_t)di.dli_fbase == pt__self_base || !ds || (uintptr_t)di.dli_saddr != v)
                continue; /* interposed (the shim's wrapper), or not a symbol's start */
            struct pt__obj def;
            char def_path[4096];
            memset(&def, 0, sizeof def);
            snprintf(def_path, sizeof def_path, "%s", di.dli_fname ? di.dli_fname : "?");
            def.path = def_path;
            struct pt__cand c = {v, ds->st_size, 1, 0, 1};
            pt__hook_row(&def, &pt__irows[row], &c);
        }
    }
}

/* Is this one of glibc's own objects (by its soname)? */
static int pt__glibc_object(const char *strtab, size_t soname)
{
    static const char *const own[] = {"libc.so.", "ld-linux", "libm.so.", "libpthread.so.",
                                      "libdl.so.", "librt.so.", "libresolv.so.", "libutil.so.",
                                      "libanl.so.", "libmvec.so.", "libnss_", "libBrokenLocale.so."};
    if (!strtab || soname == SIZE_MAX)
        return 0;
    const char *n = strtab + soname;
    for (unsigned i = 0; i < sizeof own / sizeof own[0]; i++)
        if (!strncmp(n, own[i], strlen(own[i])))
            return 1;
    return 0;
}

struct pt__collect {
    struct pt__obj *objs;
    unsigned n, max;
    unsigned long long adds;
    char *paths; /* the objects' paths one after the other: max x 4096 bytes */
    size_t used;
};

static int pt__collect_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct pt__collect *col = arg;
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs))
        col->adds = info->dlpi_adds;
    const char *name = info->dlpi_name;
    int is_exe = !name || !*name;
    if (!is_exe && !strchr(name, '/'))
        return 0; /* the vDSO: no file */
    if ((uintptr_t)info->dlpi_addr == pt__self_base && !is_exe)
        return 0;
    if (is_exe ? pt__scanned_exe : 0)
        return 0;
    for (unsigned i = 0; !is_exe && i < pt__nscanned; i++)
        if (pt__scanned[i] == (uintptr_t)info->dlpi_addr)
            return 0;
    if (col->n >= col->max)
        return 0;
    struct pt__obj *o = &col->objs[col->n++];
    memset(o, 0, sizeof *o);
    char *path = col->paths + col->used; /* room for 4096 bytes: one object's share */
    int len = snprintf(path, 4096, "%s", is_exe ? "" : name);
    col->used += (len < 0 ? 0 : len > 4095 ? 4095 : (size_t)len) + 1;
    o->path = path;
    o->bias = info->dlpi_addr;
    o->is_exe = is_exe;
    const char *strtab = NULL;
    size_t strsz = 0, soname = SIZE_MAX;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type != PT_DYNAMIC)
            continue;
        const ElfW(Dyn) *d = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
        for (; d->d_tag != DT_NULL; d++) {
            if (d->d_tag == DT_SYMBOLIC || (d->d_tag == DT_FLAGS && (d->d_un.d_val & DF_SYMBOLIC)))
                o->symbolic = 1;
            else if (d->d_tag == DT_STRTAB)
                strtab = (const char *)d->d_un.d_ptr; /* relocated by the loader */
            else if (d->d_tag == DT_STRSZ)
                strsz = d->d_un.d_val;
            else if (d->d_tag == DT_SONAME)
                soname = d->d_un.d_val;
            else if (d->d_tag == DT_SYMTAB)
                o->symtab = (const ElfW(Sym) *)d->d_un.d_ptr;
            else if (d->d_tag == DT_RELA)
                o->rela = (const ElfW(Rela) *)d->d_un.d_ptr;
            else if (d->d_tag == DT_RELASZ)
                o->relasz = d->d_un.d_val;
            else if (d->d_tag == DT_JMPREL)
                o->jmprel = (const ElfW(Rela) *)d->d_un.d_ptr;
            else if (d->d_tag == DT_PLTRELSZ)
                o->jmprelsz = d->d_un.d_val;
        }
    }
    o->strtab = strtab;
    o->lo = UINTPTR_MAX;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr;
        if (a < o->lo)
            o->lo = a;
        if (a + ph->p_memsz > o->hi)
            o->hi = a + ph->p_memsz;
    }
    /* One pass over the strings (glibc's own objects, in every process, have none of the rows:
     * skipped); the rows' names are capitalised (Win32 style), few other names are. */
    o->glibc = pt__glibc_object(strtab, soname);
    for (const char *p = o->glibc ? NULL : strtab, *end = strtab + strsz; p && p < end && !o->names;) {
        size_t n = strnlen(p, (size_t)(end - p));
        if (*p >= 'A' && *p <= 'Z')
            o->names = pt__row_of(p) >= 0;
        p += n + 1;
    }
    return 0;
}

static void pt__scan_new(void)
{
    enum { MAXOBJ = 64 };
    static struct pt__obj objs[MAXOBJ]; /* under pt__ilock */
    static char paths[MAXOBJ * 4096];
    struct pt__collect col = {objs, 0, MAXOBJ, 0, paths, 0};
    dl_iterate_phdr(pt__collect_cb, &col);
    pt__adds = col.adds;
    for (unsigned i = 0; i < col.n; i++) {
        if (objs[i].is_exe)
            pt__scanned_exe = 1;
        else if (pt__nscanned < PT__MAX_SCANNED)
            pt__scanned[pt__nscanned++] = objs[i].bias;
        pt__scan_obj(&objs[i]);
    }
    for (unsigned i = 0; i < col.n; i++) /* after: a definition hooked above is not hooked again */
        pt__scan_got(&objs[i]);
}

int pt__inline_auto_wanted(void)
{
    return pt__imode != PT__IMODE_OFF;
}

int pt__inline_verbose(void)
{
    return pt__iverbose;
}

void pt__inline_init(void)
{
    const char *m = pt__getenv("PROFTRACE_INLINE");
    if (m && *m) {
        if (!strncmp(m, "off", 3) || !strncmp(m, "none", 4) || !strncmp(m, "0", 1))
            pt__imode = PT__IMODE_OFF;
        else if (!strncmp(m, "all", 3))
            pt__imode = PT__IMODE_ALL;
        pt__iverbose = strstr(m, "verbose") != NULL;
    }
    Dl_info di;
    if (dladdr((void *)pt__inline_init, &di))
        pt__self_base = (uintptr_t)di.dli_fbase;
    pt__rhash_fill();
    if (pt__loader_begin() < 0)
        return;
    pthread_mutex_lock(&pt__ilock);
    if (pt__imode != PT__IMODE_OFF)
        pt__scan_new();
    pthread_mutex_unlock(&pt__ilock);
    pt__hooks_spec_init(getenv("PROFTRACE_HOOKS"));
    pt__loader_end();
}

/* The cheap question first: has anything been loaded since the last scan? */
static int pt__adds_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs))
        *(unsigned long long *)arg = info->dlpi_adds;
    return 1;
}

void pt__inline_rescan(void)
{
    pt__got_rescan(); /* attached: the new objects' GOT slots first, so they are not taken for
                       * references that bypass the shim (pt__scan_got) */
    if (pt__imode == PT__IMODE_OFF)
        return;
    unsigned long long adds = 0;
    if (pt__loader_begin() < 0)
        return; /* a fork is under way: the next dlopen scans what this one loaded */
    dl_iterate_phdr(pt__adds_cb, &adds);
    if (adds != __atomic_load_n(&pt__adds, __ATOMIC_RELAXED)) {
        pthread_mutex_lock(&pt__ilock);
        pt__scan_new();
        pthread_mutex_unlock(&pt__ilock);
    }
    pt__loader_end();
}

void *pt__inline_real(const char *name)
{
    for (unsigned i = 0; i < PT__NIROWS; i++)
        if (pt__irows[i].hooked && strcmp(pt__irows[i].name, name) == 0)
            return pt__irows[i].tramp;
    return NULL;
}

#else /* built without the inline engine (no capstone/libelf, or not x86-64) */

void pt__inline_init(void)
{
    static const char msg[] = "proftrace: PROFTRACE_HOOKS: built without inline hooks (capstone, "
                              "libelf, x86-64); nothing hooked\n";
    const char *h = getenv("PROFTRACE_HOOKS");
    if (h && *h) {
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
    }
}
void pt__inline_rescan(void)
{
}
void *pt__inline_real(const char *name)
{
    return NULL;
}
int pt__inline_engine(void)
{
    return -1;
}
int pt__inline_auto_wanted(void)
{
    return 0;
}
int pt__inline_verbose(void)
{
    return 0;
}

#endif
