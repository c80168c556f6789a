/* elf_symbols.c — finds a function by name in the symbol tables of the loaded objects (libelf).
 *
 * dl_iterate_phdr gives every loaded object with its load bias; its file is opened and .symtab
 * (all symbols, local and static ones included, when not stripped) and .dynsym (exported ones,
 * always present) are searched for a defined STT_FUNC of that name. The executable's entry has an
 * empty name and is read through /proc/self/exe; the vDSO has no file and is skipped. */
#define _GNU_SOURCE
#include "preload/inline/inline_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#ifdef PT_HAVE_LIBELF
#include <gelf.h>
#include <libelf.h>

struct query {
    const char *lib, *func;
    int want_exe; /* pass 1 of an unrestricted search: only the executable */
    int found;    /* 1 found, -ENOTUNIQ ambiguous, or a negative errno reading a file */
    uintptr_t addr;
    size_t size;
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

/* Search one file; returns 1 found, 0 not found, or a negative errno. */
static int search_file(const char *path, uintptr_t bias, const char *func, uintptr_t *addr,
                       size_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), found = 0;
    if (fd < 0)
        return -errno;
    Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (!e) {
        close(fd);
        return -ENOEXEC;
    }
    Elf_Scn *scn = NULL;
    while (found >= 0 && (scn = elf_nextscn(e, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
            sh.sh_entsize == 0)
            continue;
        Elf_Data *data = elf_getdata(scn, NULL);
        size_t count = sh.sh_size / sh.sh_entsize;
        for (size_t i = 0; data && i < count; i++) {
            GElf_Sym sym;
            if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
                sym.st_shndx == SHN_UNDEF || sym.st_value == 0)
                continue;
            const char *nm = elf_strptr(e, sh.sh_link, sym.st_name);
            if (!nm || strcmp(nm, func) != 0)
                continue;
            uintptr_t a = bias + (uintptr_t)sym.st_value;
            if (found && a != *addr) {
                found = -ENOTUNIQ; /* two static functions of that name */
                break;
            }
            found = 1;
            *addr = a;
            if (sym.st_size > *size)
                *size = (size_t)sym.st_size;
        }
    }
    elf_end(e);
    close(fd);
    return found;
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
    uintptr_t addr = 0;
    size_t size = 0;
    int r = search_file(path, (uintptr_t)info->dlpi_addr, q->func, &addr, &size);
    if (r == 1) {
        q->found = 1;
        q->addr = addr;
        q->size = size;
        return 1;
    }
    if (r < 0 && q->found == 0)
        q->found = r; /* remembered, but another object may still have it */
    return r == -ENOTUNIQ;
}

int pt_inline_find(const char *lib, const char *func, void **addr, size_t *size)
{
    struct query q = {.lib = lib, .func = func, .want_exe = 1};
    if (!func || !addr || !size)
        return -EINVAL;
    if (elf_version(EV_CURRENT) == EV_NONE)
        return -ENOTSUP;
    dl_iterate_phdr(visit, &q);
    if (q.found != 1 && !(lib && *lib)) {
        q.want_exe = 0;
        if (q.found != -ENOTUNIQ)
            dl_iterate_phdr(visit, &q);
    }
    if (q.found != 1)
        return q.found ? (q.found == -ENOTUNIQ ? -ENOTUNIQ : -ENOENT) : -ENOENT;
    *addr = (void *)q.addr;
    *size = q.size;
    return 0;
}

#else

int pt_inline_find(const char *lib, const char *func, void **addr, size_t *size)
{
    return -ENOTSUP;
}

#endif
