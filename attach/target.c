/* target.c — reading the target from outside: its memory map, and the addresses in its own libc
 * of the functions the injector calls (found in the file's dynamic symbols and the load address
 * /proc/PID/maps gives), plus libc's signal-return trampoline.
 *
 * The library file is read as the target maps it — /proc/PID/map_files/ (the very file, even in
 * another mount namespace) or else /proc/PID/root/PATH — and every offset and size in it is
 * checked before use: a file is input like any other. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "attach/internal.h"

int pt__maps_read(pid_t pid, struct pt__vma **out, size_t *n)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    struct pt__vma *v = NULL;
    size_t cnt = 0, cap = 0;
    while (fgets(line, sizeof line, f)) {
        if (cnt == cap) {
            size_t nc = cap ? 2 * cap : 256;
            struct pt__vma *nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                free(v);
                fclose(f);
                return -ENOMEM;
            }
            v = nv;
            cap = nc;
        }
        struct pt__vma *m = &v[cnt];
        unsigned maj, min;
        unsigned long long lo, hi, off, ino;
        int pos = 0;
        memset(m, 0, sizeof *m);
        if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu %n", &lo, &hi, m->perms, &off, &maj, &min,
                   &ino, &pos) < 7)
            continue;
        m->lo = lo, m->hi = hi, m->off = off, m->ino = ino;
        m->dev = makedev(maj, min); /* as maps shows it; stat() is the authority */
        if (pos > 0) {
            char *p = line + pos;
            p[strcspn(p, "\n")] = 0;
            snprintf(m->path, sizeof m->path, "%s", p);
        }
        cnt++;
    }
    fclose(f);
    *out = v;
    *n = cnt;
    return 0;
}

const struct pt__vma *pt__maps_find(const struct pt__vma *v, size_t n, uint64_t addr)
{
    for (size_t i = 0; i < n; i++)
        if (addr >= v[i].lo && addr < v[i].hi)
            return &v[i];
    return NULL;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int pt__maps_dynamic(const struct pt__vma *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strncmp(base_name(v[i].path), "ld-linux", 8) ||
            !strncmp(base_name(v[i].path), "ld-", 3))
            return 1;
    return 0;
}

/* ---- One ELF file, mapped read-only ---------------------------------------------------------- */

struct elf_file {
    const uint8_t *p;
    size_t size;
    const Elf64_Ehdr *eh;
};

static int elf_open(pid_t pid, const struct pt__vma *m, struct elf_file *e)
{
    char path[600];
    snprintf(path, sizeof path, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid, m->lo, m->hi);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { /* map_files needs CAP_SYS_ADMIN: the path as the target sees it */
        snprintf(path, sizeof path, "/proc/%d/root%s", (int)pid, m->path);
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size < sizeof(Elf64_Ehdr)) {
        close(fd);
        return -ENOEXEC;
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return -errno;
    e->p = map;
    e->size = (size_t)st.st_size;
    e->eh = map;
    if (memcmp(e->eh->e_ident, ELFMAG, SELFMAG) || e->eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        e->eh->e_machine != EM_X86_64 || e->eh->e_phentsize != sizeof(Elf64_Phdr) ||
        e->eh->e_phoff + (uint64_t)e->eh->e_phnum * sizeof(Elf64_Phdr) > e->size ||
        (e->eh->e_shnum &&
         (e->eh->e_shentsize != sizeof(Elf64_Shdr) ||
          e->eh->e_shoff + (uint64_t)e->eh->e_shnum * sizeof(Elf64_Shdr) > e->size))) {
        munmap(map, e->size);
        return -ENOEXEC;
    }
    return 0;
}

static void elf_close(struct elf_file *e)
{
    if (e->p)
        munmap((void *)e->p, e->size);
    e->p = NULL;
}

static const Elf64_Phdr *elf_phdr(const struct elf_file *e, unsigned i)
{
    return (const Elf64_Phdr *)(e->p + e->eh->e_phoff) + i;
}

/* The value of defined function `name` in .dynsym, 0 when absent. */
static uint64_t elf_sym(const struct elf_file *e, const char *name)
{
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(e->p + e->eh->e_shoff);
    for (unsigned i = 0; i < e->eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= e->eh->e_shnum ||
            sh[i].sh_entsize != sizeof(Elf64_Sym) || sh[i].sh_offset + sh[i].sh_size > e->size)
            continue;
        const Elf64_Shdr *ss = &sh[sh[i].sh_link];
        if (ss->sh_offset + ss->sh_size > e->size || !ss->sh_size)
            continue;
        const char *str = (const char *)e->p + ss->sh_offset;
        const Elf64_Sym *s = (const Elf64_Sym *)(e->p + sh[i].sh_offset);
        size_t n = sh[i].sh_size / sizeof *s;
        for (size_t k = 0; k < n; k++) {
            if (s[k].st_name >= ss->sh_size || s[k].st_shndx == SHN_UNDEF || !s[k].st_value ||
                ELF64_ST_TYPE(s[k].st_info) != STT_FUNC)
                continue;
            const char *nm = str + s[k].st_name;
            if (memchr(nm, 0, ss->sh_size - s[k].st_name) && !strcmp(nm, name))
                return s[k].st_value;
        }
    }
    return 0;
}

/* Where the file is loaded in the target: the address of its vaddr 0. */
static int elf_base(const struct elf_file *e, const struct pt__vma *v, size_t n, const char *path,
                    uint64_t *base)
{
    uint64_t first = UINT64_MAX;
    for (unsigned i = 0; i < e->eh->e_phnum; i++) {
        const Elf64_Phdr *ph = elf_phdr(e, i);
        if (ph->p_type == PT_LOAD && ph->p_offset == 0)
            first = ph->p_vaddr & ~0xfffull;
    }
    if (first == UINT64_MAX)
        return -ENOEXEC;
    for (size_t i = 0; i < n; i++)
        if (v[i].off == 0 && !strcmp(v[i].path, path)) {
            *base = v[i].lo - first;
            return 0;
        }
    return -ENOENT;
}

/* libc's __restore_rt, the code every signal handler returns through: mov $15,%rax; syscall. */
static uint64_t elf_restorer(const struct elf_file *e)
{
    static const uint8_t pat[] = {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};
    for (unsigned i = 0; i < e->eh->e_phnum; i++) {
        const Elf64_Phdr *ph = elf_phdr(e, i);
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X) || ph->p_offset + ph->p_filesz > e->size)
            continue;
        const uint8_t *at = memmem(e->p + ph->p_offset, ph->p_filesz, pat, sizeof pat);
        if (at)
            return ph->p_vaddr + (uint64_t)(at - (e->p + ph->p_offset));
    }
    return 0;
}

static const struct pt__vma *find_lib(const struct pt__vma *v, size_t n, const char *prefix)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].off == 0 && v[i].path[0] == '/' &&
            !strncmp(base_name(v[i].path), prefix, strlen(prefix)))
            return &v[i];
    return NULL;
}

int pt__libc_find(pid_t pid, const struct pt__vma *v, size_t n, struct pt__libc *out, char *why,
                  size_t len)
{
    memset(out, 0, sizeof *out);
    const struct pt__vma *lc = find_lib(v, n, "libc.so");
    if (!lc)
        lc = find_lib(v, n, "libc-");
    if (!lc) {
        snprintf(why, len, "no C library (libc.so) is mapped in it");
        return -ENOTSUP;
    }
    struct elf_file e = {0};
    int rc = elf_open(pid, lc, &e);
    if (rc < 0) {
        snprintf(why, len, "cannot read its C library %s: %s", lc->path, strerror(-rc));
        return rc;
    }
    uint64_t base;
    if ((rc = elf_base(&e, v, n, lc->path, &base)) < 0) {
        elf_close(&e);
        snprintf(why, len, "cannot tell where %s is loaded", lc->path);
        return rc;
    }
    snprintf(out->path, sizeof out->path, "%s", lc->path);
    struct {
        const char *name;
        uint64_t *slot;
    } want[] = {{"mmap", &out->mmap},         {"munmap", &out->munmap},
                {"mprotect", &out->mprotect}, {"__errno_location", &out->errno_location},
                {"dlopen", &out->dlopen},     {"dlsym", &out->dlsym},
                {"dlerror", &out->dlerror}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        uint64_t s = elf_sym(&e, want[i].name);
        *want[i].slot = s ? base + s : 0;
    }
    uint64_t r = elf_restorer(&e);
    out->restore_rt = r ? base + r : 0;
    elf_close(&e);
    if (!out->dlopen) { /* glibc before 2.34: dlopen lives in libdl, when the program loaded it */
        const struct pt__vma *dl = find_lib(v, n, "libdl.so");
        if (dl && elf_open(pid, dl, &e) == 0) {
            if (elf_base(&e, v, n, dl->path, &base) == 0) {
                uint64_t a = elf_sym(&e, "dlopen"), b = elf_sym(&e, "dlsym"),
                         c = elf_sym(&e, "dlerror");
                out->dlopen = a ? base + a : 0;
                out->dlsym = b ? base + b : 0;
                out->dlerror = c ? base + c : 0;
            }
            elf_close(&e);
        }
    }
    if (!out->mmap || !out->munmap || !out->mprotect || !out->errno_location) {
        snprintf(why, len, "its C library %s lacks mmap/munmap/mprotect/__errno_location",
                 lc->path);
        return -ENOTSUP;
    }
    if (!out->dlopen || !out->dlsym) {
        snprintf(why, len,
                 "its C library %s has no dlopen (a glibc before 2.34 whose libdl the program did "
                 "not load)",
                 lc->path);
        return -ENOTSUP;
    }
    if (!out->restore_rt) {
        snprintf(why, len, "no signal-return trampoline (__restore_rt) found in %s", lc->path);
        return -ENOTSUP;
    }
    return 0;
}
