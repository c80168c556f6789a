/* elf_symbols.c — the function symbols of an ELF file, and a function found by name in the loaded
 * objects, read directly from the file (no libelf: the shim reads symbols in processes where
 * loading a library for it would cost more than the reading).
 *
 * The file is mapped read-only and every offset, size and string is checked against its size
 * before use: a file on disk is outside input. dl_iterate_phdr gives every loaded object with its
 * load bias; the executable's entry has an empty name and is read through /proc/self/exe; the vDSO
 * has no file and is skipped. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "preload/inline/inline_internal.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int pt_elf_functions(const char *path, pt_elf_fn fn, void *arg)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < sizeof(Elf64_Ehdr)) {
        close(fd);
        return -ENOEXEC;
    }
    size_t size = (size_t)st.st_size;
    const uint8_t *f = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (f == MAP_FAILED)
        return -ENOMEM;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_shentsize != sizeof(Elf64_Shdr) ||
        eh->e_shoff > size || (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > size - eh->e_shoff) {
        rc = -ENOEXEC;
        goto out;
    }
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(f + eh->e_shoff);
    /* .symtab first: it has the local definitions .dynsym lacks. */
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        unsigned want = pass ? SHT_DYNSYM : SHT_SYMTAB;
        for (unsigned i = 0; i < eh->e_shnum && rc == 0; i++) {
            const Elf64_Shdr *s = &sh[i];
            if (s->sh_type != want || s->sh_entsize != sizeof(Elf64_Sym) || s->sh_offset > size ||
                s->sh_size > size - s->sh_offset || s->sh_link >= eh->e_shnum)
                continue;
            const Elf64_Shdr *str = &sh[s->sh_link];
            if (str->sh_type != SHT_STRTAB || str->sh_offset > size ||
                str->sh_size > size - str->sh_offset || str->sh_size == 0)
                continue;
            const char *strs = (const char *)(f + str->sh_offset);
            const Elf64_Sym *sym = (const Elf64_Sym *)(f + s->sh_offset);
            size_t n = s->sh_size / sizeof(Elf64_Sym);
            for (size_t k = 0; k < n && rc == 0; k++) {
                if (ELF64_ST_TYPE(sym[k].st_info) != STT_FUNC || sym[k].st_shndx == SHN_UNDEF ||
                    !sym[k].st_value || sym[k].st_name >= str->sh_size)
                    continue;
                const char *name = strs + sym[k].st_name;
                if (!memchr(name, 0, str->sh_size - sym[k].st_name))
                    continue; /* not terminated inside its table */
                rc = fn(arg, name, sym[k].st_value, sym[k].st_size, sym[k].st_other, pass);
            }
        }
    }
    if (rc > 0)
        rc = 0;
out:
    munmap((void *)f, size);
    return rc;
}

struct query {
    const char *lib, *func;
    int want_exe; /* pass 1 of an unrestricted search: only the executable */
    int found;    /* 1 found, -ENOTUNIQ ambiguous, or a negative errno reading a file */
    uintptr_t addr, bias, hit;
    size_t size;
    int ambiguous;
};

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int lib_matches(const char *lib, const char *path)
{
    const char *b = base_name(path);
    size_t n = strlen(lib);
    return strcmp(lib, path) == 0 || strcmp(lib, b) == 0 ||
           (strncmp(lib, b, n) == 0 && b[n] == '.');
}

static int match_func(void *arg, const char *name, uint64_t value, uint64_t size,
                      unsigned char other, int dynsym)
{
    struct query *q = arg;
    if (strcmp(name, q->func) != 0)
        return 0;
    uintptr_t a = q->bias + (uintptr_t)value;
    if (q->hit && a != q->hit) {
        q->ambiguous = 1; /* two static functions of that name */
        return 1;
    }
    q->hit = a;
    if (size > q->size)
        q->size = (size_t)size;
    return 0;
}

static int visit(struct dl_phdr_info *info, size_t len, void *arg)
{
    struct query *q = arg;
    const char *path = info->dlpi_name;
    int is_exe = !path || !*path;

    if (q->want_exe != is_exe && !(q->lib && *q->lib))
        return 0;
    if (is_exe)
        path = "/proc/self/exe";
    else if (path[0] != '/' && !strchr(path, '/'))
        return 0; /* linux-vdso.so.1: no file */
    if (q->lib && *q->lib) {
        char exe[4096];
        const char *name = path;
        if (is_exe) {
            ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
            exe[n > 0 ? n : 0] = 0;
            name = exe;
        }
        if (!lib_matches(q->lib, name))
            return 0;
    }
    q->bias = (uintptr_t)info->dlpi_addr;
    q->hit = 0;
    q->ambiguous = 0;
    size_t size_before = q->size;
    q->size = 0;
    int r = pt_elf_functions(path, match_func, q);
    if (r == 0 && q->ambiguous) {
        q->found = -ENOTUNIQ;
        return 1;
    }
    if (r == 0 && q->hit) {
        q->found = 1;
        q->addr = q->hit;
        return 1;
    }
    q->size = size_before;
    if (r < 0 && q->found == 0)
        q->found = r; /* remembered, but another object may still have it */
    return 0;
}

int pt_inline_find(const char *lib, const char *func, void **addr, size_t *size)
{
    struct query q = {.lib = lib, .func = func, .want_exe = 1};
    if (!func || !addr || !size)
        return -EINVAL;
    dl_iterate_phdr(visit, &q);
    if (q.found != 1 && !(lib && *lib)) {
        q.want_exe = 0;
        if (q.found != -ENOTUNIQ)
            dl_iterate_phdr(visit, &q);
    }
    if (q.found != 1)
        return q.found == -ENOTUNIQ ? -ENOTUNIQ : -ENOENT;
    *addr = (void *)q.addr;
    *size = q.size;
    return 0;
}
