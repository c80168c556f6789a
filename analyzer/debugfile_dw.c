/* debugfile_dw.c — where a module's files come from, as libdwfl's find_elf and find_debuginfo
 * callbacks: the file at the recorded path when it is the recorded build (by build-id), else a
 * file of that build from the debug directories ($PROFTRACE_DEBUG_DIRS, /usr/lib/debug) or, with
 * DEBUGINFOD_URLS set, from debuginfod; its separate debug file by build-id or by .gnu_debuglink
 * name, as gdb looks for them. Nothing leaves the machine unless DEBUGINFOD_URLS is set. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <elfutils/libdwelf.h>

#include "analyzer/symbolize_dw.h"

size_t pt__dw_build_id_bits(const char *hex, unsigned char *bits, size_t cap)
{
    size_t n = 0;
    if (!hex)
        return 0;
    for (; hex[0] && hex[1] && n < cap; hex += 2) {
        unsigned v;
        if (sscanf(hex, "%2x", &v) != 1)
            return 0;
        bits[n++] = (unsigned char)v;
    }
    return hex[0] ? 0 : n;
}

static int same_build(Elf *elf, const char *want)
{
    unsigned char bits[64];
    size_t n = pt__dw_build_id_bits(want, bits, sizeof bits);
    if (!n)
        return 1; /* nothing recorded to compare: take the file at its path */
    const void *id;
    ssize_t m = dwelf_elf_gnu_build_id(elf, &id);
    return m == (ssize_t)n && !memcmp(id, bits, n);
}

/* The file at path when it is the separate debug file of the build `bits`: its descriptor, or -1.
 */
static int open_if_build(const char *path, const unsigned char *bits, int nbits)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    const void *id;
    int ok = elf && dwelf_elf_gnu_build_id(elf, &id) == nbits && !memcmp(id, bits, (size_t)nbits);
    elf_end(elf);
    if (!ok) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The debug file at path for the build `bits` (never the file itself): its descriptor with
 * *debug_name set, or -1. */
static int try_debug(const char *path, const char *file, const unsigned char *bits, int nbits,
                     char **debug_name)
{
    if (!strcmp(path, file))
        return -1;
    int fd = open_if_build(path, bits, nbits);
    if (fd >= 0)
        *debug_name = strdup(path);
    return fd;
}

/* A debug file by its .gnu_debuglink name, where gdb looks: next to the file, in .debug/ there,
 * and under each debug directory at the file's own directory. Returns its descriptor, or -1. */
static int by_debuglink(struct pt__symbolizer *s, const char *file, const char *link,
                        const unsigned char *bits, int nbits, char **debug_name)
{
    const char *slash = strrchr(file, '/');
    const char *dir = slash ? file : ".";
    int dirlen = slash ? (int)(slash - file) : 1, fd;
    char path[4096];
    snprintf(path, sizeof path, "%.*s/%s", dirlen, dir, link);
    if ((fd = try_debug(path, file, bits, nbits, debug_name)) >= 0)
        return fd;
    snprintf(path, sizeof path, "%.*s/.debug/%s", dirlen, dir, link);
    if ((fd = try_debug(path, file, bits, nbits, debug_name)) >= 0)
        return fd;
    char *dirs = strdup(s->debug_path), *save = NULL;
    for (char *d = dirs ? strtok_r(dirs, ":", &save) : NULL; d && fd < 0;
         d = strtok_r(NULL, ":", &save))
        if (d[0] == '/' && slash) {
            snprintf(path, sizeof path, "%s%.*s/%s", d, dirlen, dir, link);
            fd = try_debug(path, file, bits, nbits, debug_name);
        }
    free(dirs);
    return fd;
}

/* A file of the build `hex` under the debug directories, as .build-id/xx/rest + suffix ("" for a
 * copy of the binary, ".debug" for its debug file): its descriptor, or -1. */
static int by_build_id(struct pt__symbolizer *s, const char *hex, const char *suffix,
                       char **file_name)
{
    unsigned char bits[64];
    int nbits = (int)pt__dw_build_id_bits(hex, bits, sizeof bits);
    if (nbits < 2)
        return -1;
    char *dirs = strdup(s->debug_path), *save = NULL, path[4096];
    int fd = -1;
    for (char *d = dirs ? strtok_r(dirs, ":", &save) : NULL; d && fd < 0;
         d = strtok_r(NULL, ":", &save)) {
        if (d[0] != '/')
            continue;
        snprintf(path, sizeof path, "%s/.build-id/%.2s/%s%s", d, hex, hex + 2, suffix);
        if ((fd = open_if_build(path, bits, nbits)) >= 0)
            *file_name = strdup(path);
    }
    free(dirs);
    return fd;
}

/* libdwfl's find_debuginfo. With DEBUGINFOD_URLS set, libdwfl's standard search (build-id, then
 * the .gnu_debuglink name, then debuginfod). Without it the same local search, done here for
 * modules with a build-id: the standard one would load libdebuginfod (and curl, TLS, Kerberos...)
 * only to find that no server is configured. */
int pt__dw_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
                          const char *file_name, const char *debuglink, GElf_Word crc,
                          char **debug_name)
{
    struct dw_file *f = *userdata;
    const unsigned char *bits;
    GElf_Addr vaddr;
    int nbits = dwfl_module_build_id(mod, &bits, &vaddr);
    if (f->sy->debuginfod || nbits <= 0) /* without a build-id libdwfl never asks debuginfod */
        return dwfl_standard_find_debuginfo(mod, userdata, name, base, file_name, debuglink, crc,
                                            debug_name);
    int fd = dwfl_build_id_find_debuginfo(mod, userdata, name, base, file_name, debuglink, crc,
                                          debug_name);
    if (fd >= 0 || !file_name || !debuglink)
        return fd;
    return by_debuglink(f->sy, file_name, debuglink, bits, nbits, debug_name);
}

/* libdwfl's find_elf: the recorded file when it is the recorded build; else a file of that build
 * by build-id (a debug directory's copy of the binary, or debuginfod's when DEBUGINFOD_URLS is
 * set); else the separate debug file alone, which still has the symbols and the lines (but no code
 * to disassemble). */
int pt__dw_find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
                    char **file_name, Elf **elfp)
{
    struct dw_file *f = *userdata;
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
        if (elf && elf_kind(elf) == ELF_K_ELF && same_build(elf, f->build_id)) {
            *elfp = elf;
            *file_name = strdup(f->path);
            return fd;
        }
        f->mismatch = elf != NULL;
        elf_end(elf);
        close(fd);
    }
    fd = f->sy->debuginfod ? dwfl_build_id_find_elf(mod, userdata, name, base, file_name, elfp)
                           : by_build_id(f->sy, f->build_id, "", file_name);
    if (fd >= 0 || *elfp)
        return fd;
    char *debug = NULL;
    fd = pt__dw_find_debuginfo(mod, userdata, name, base, NULL, NULL, 0, &debug);
    if (fd < 0)
        return -1;
    *file_name = debug;
    return fd;
}
