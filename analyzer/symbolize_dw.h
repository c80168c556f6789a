/* symbolize_dw.h — what the libdw symbolizer's files share (symbolize_dw.c: the frames of an
 * address; debugfile_dw.c: where a module's files come from; code_dw.c: code bytes and branch
 * targets). Internal to the build with libdw. */
#ifndef PT_ANALYZER_SYMBOLIZE_DW_H
#define PT_ANALYZER_SYMBOLIZE_DW_H

#include <elfutils/libdwfl.h>

#include "analyzer/map.h"
#include "analyzer/symbolize.h"

/* One module file, as a process mapped it. */
struct dw_file {
    struct pt__symbolizer *sy;
    unsigned idx;          /* in pt__symbolizer.files */
    char *path, *build_id; /* as recorded */
    uint64_t lo, size;     /* its mapped range in ELF terms */
    Dwfl *dwfl;
    Dwfl_Module *mod;
    int mismatch; /* the file at `path` is another build */
};

/* The frames of one address of one file (module and vaddr are the asking process's). */
struct resolved {
    unsigned n;
    struct pt__sym sym[PT__FRAMES_PER_ADDR];
};

struct pt__symbolizer {
    struct dw_file **files;
    size_t n, cap;
    struct resolved *res; /* resolved addresses, found through memo: (file idx, address) -> index */
    size_t nres, capres;
    struct pt__map memo;
    char **strs; /* strings handed out in pt__sym (demangled names), freed at the end */
    size_t nstrs, capstrs;
    char *debug_path; /* libdwfl's debuginfo_path: $PROFTRACE_DEBUG_DIRS, then the defaults */
    int debuginfod;   /* DEBUGINFOD_URLS is set */
    Dwfl_Callbacks cb;
    const char *notes[2];
    unsigned nnotes;
};

/* The module file of addr in p with its ELF, and addr in the Dwfl's terms (*at); NULL with
 * *problem saying why. */
struct dw_file *pt__dw_locate(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr,
                              const struct pt__module **mod, Elf **elf, Dwarf_Addr *at,
                              const char **problem);

/* The name to show for a symbol or a DWARF linkage name: without a symbol version
 * ("__libc_start_main@@GLIBC_2.34"), demangled when mangled. Valid until pt__sym_free. */
const char *pt__dw_shown_name(struct pt__symbolizer *s, const char *name);

/* Build-id bytes from the recorded hex; returns the byte count (0 when none or malformed). */
size_t pt__dw_build_id_bits(const char *hex, unsigned char *bits, size_t cap);

/* libdwfl's find_elf and find_debuginfo callbacks (debugfile_dw.c); the module's userdata is its
 * struct dw_file. */
int pt__dw_find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
                    char **file_name, Elf **elfp);
int pt__dw_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
                          const char *file_name, const char *debuglink, GElf_Word crc,
                          char **debug_name);

#endif
