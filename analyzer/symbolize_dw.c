/* symbolize_dw.c — offline symbolization on elfutils' libdw (libdwfl). A stack address is matched
 * to the module the process had mapped there (module events); the module's file is the recorded
 * path when its build-id is the recorded one, else a file of that build found by build-id (debug
 * directories, then debuginfod). Functions come from .symtab (the file's, its separate debug
 * file's, or MiniDebugInfo's) or .dynsym, file:line and inlined calls from DWARF. Works on a trace
 * from another run or machine as long as files of the same builds can be found.
 *
 * Each module file gets its own Dwfl, placed at its ELF addresses, and is shared by every process
 * that mapped it: a report opens libc and reads its debug information once, whatever the number of
 * processes and stacks. Only the reports call this, never the shim. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>

#include "analyzer/dwarf_names.h"
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

#define MAX_INLINE 8 /* frames kept per address: inlined calls and the function holding them */

/* The frames of one address of one file (module and vaddr are the asking process's). */
struct resolved {
    unsigned n;
    struct pt__sym sym[MAX_INLINE];
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

static int find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
                    char **file_name, Elf **elfp);
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
                          const char *file_name, const char *debuglink, GElf_Word crc,
                          char **debug_name);

struct pt__symbolizer *pt__sym_new(void)
{
    struct pt__symbolizer *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    /* Searches by build-id look under every absolute directory of the path; the empty element and
     * ".debug" are for .gnu_debuglink names next to the file, as gdb looks. */
    const char *dirs = getenv("PROFTRACE_DEBUG_DIRS");
    size_t n = (dirs ? strlen(dirs) : 0) + 32;
    s->debug_path = malloc(n);
    if (!s->debug_path) {
        free(s);
        return NULL;
    }
    snprintf(s->debug_path, n, "%s%s:.debug:/usr/lib/debug", dirs && *dirs ? dirs : "",
             dirs && *dirs ? ":" : "");
    s->cb.find_elf = find_elf;
    s->cb.find_debuginfo = find_debuginfo;
    s->cb.section_address = dwfl_offline_section_address;
    s->cb.debuginfo_path = &s->debug_path;

    const char *urls = getenv("DEBUGINFOD_URLS");
    s->debuginfod = urls && *urls;
    if (s->debuginfod) {
        Dwfl *d = dwfl_begin(&s->cb);
        if (d && !dwfl_get_debuginfod_client(d))
            s->notes[s->nnotes++] = "DEBUGINFOD_URLS is set, but libdw could not load its "
                                    "debuginfod client (libdebuginfod): debug files were looked "
                                    "for locally only";
        dwfl_end(d);
    }
    if (pt__demangle_unavailable())
        s->notes[s->nnotes++] = pt__demangle_unavailable();
    return s;
}

void pt__sym_free(struct pt__symbolizer *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        dwfl_end(s->files[i]->dwfl);
        free(s->files[i]->path);
        free(s->files[i]->build_id);
        free(s->files[i]);
    }
    for (size_t i = 0; i < s->nstrs; i++)
        free(s->strs[i]);
    pt__map_free(&s->memo);
    free(s->res);
    free(s->files);
    free(s->strs);
    free(s->debug_path);
    free(s);
}

const char *pt__sym_unavailable(void)
{
    return NULL;
}

unsigned pt__sym_notes(struct pt__symbolizer *s, const char **out, unsigned cap)
{
    unsigned k = 0;
    for (unsigned i = 0; s && i < s->nnotes && k < cap; i++)
        out[k++] = s->notes[i];
    return k;
}

/* Room for one more resolved address; 0 or -ENOMEM. */
static int grow_res(struct pt__symbolizer *s)
{
    size_t n = s->capres ? s->capres * 2 : 64;
    struct resolved *r = realloc(s->res, n * sizeof *r);
    if (!r)
        return -ENOMEM;
    s->res = r;
    s->capres = n;
    return 0;
}

/* Keep a malloc'd string until pt__sym_free; returns it (NULL stays NULL). */
static const char *keep(struct pt__symbolizer *s, char *str)
{
    if (!str)
        return NULL;
    if (s->nstrs == s->capstrs) {
        size_t n = s->capstrs ? s->capstrs * 2 : 64;
        char **p = realloc(s->strs, n * sizeof *p);
        if (!p) {
            free(str);
            return NULL;
        }
        s->strs = p;
        s->capstrs = n;
    }
    return s->strs[s->nstrs++] = str;
}

/* The name to show for a symbol or a DWARF linkage name: without a symbol version
 * ("__libc_start_main@@GLIBC_2.34"), demangled when mangled. */
static const char *shown_name(struct pt__symbolizer *s, const char *name)
{
    const char *at = strchr(name, '@');
    if (at && at > name)
        name = keep(s, strndup(name, (size_t)(at - name))) ?: name;
    const char *d = keep(s, pt__demangle(name));
    return d ? d : name;
}

/* Build-id bytes from the recorded hex; returns the byte count (0 when none or malformed). */
static size_t build_id_bits(const char *hex, unsigned char *bits, size_t cap)
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
    size_t n = build_id_bits(want, bits, sizeof bits);
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

/* A debug file by its .gnu_debuglink name, where gdb looks: next to the file, in .debug/ there,
 * and under each debug directory at the file's own directory. Returns its descriptor, or -1. */
static int by_debuglink(struct pt__symbolizer *s, const char *file, const char *link,
                        const unsigned char *bits, int nbits, char **debug_name)
{
    const char *slash = strrchr(file, '/');
    int dirlen = slash ? (int)(slash - file) : 0;
    char path[4096];
    for (int i = 0;; i++) {
        if (i == 0)
            snprintf(path, sizeof path, "%.*s/%s", dirlen, file, link);
        else if (i == 1)
            snprintf(path, sizeof path, "%.*s/.debug/%s", dirlen, file, link);
        else
            break;
        int fd = open_if_build(path, bits, nbits);
        if (fd >= 0 && strcmp(path, file)) {
            *debug_name = strdup(path);
            return fd;
        }
        if (fd >= 0)
            close(fd);
    }
    char *dirs = strdup(s->debug_path), *save = NULL;
    for (char *d = dirs ? strtok_r(dirs, ":", &save) : NULL; d; d = strtok_r(NULL, ":", &save)) {
        if (d[0] != '/')
            continue;
        snprintf(path, sizeof path, "%s%.*s/%s", d, dirlen, file, link);
        int fd = open_if_build(path, bits, nbits);
        if (fd >= 0) {
            free(dirs);
            *debug_name = strdup(path);
            return fd;
        }
    }
    free(dirs);
    return -1;
}

/* A file of the build `hex` under the debug directories, as .build-id/xx/rest + suffix ("" for a
 * copy of the binary, ".debug" for its debug file): its descriptor, or -1. */
static int by_build_id(struct pt__symbolizer *s, const char *hex, const char *suffix,
                       char **file_name)
{
    unsigned char bits[64];
    int nbits = (int)build_id_bits(hex, bits, sizeof bits);
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
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
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
static int find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
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
    fd = find_debuginfo(mod, userdata, name, base, NULL, NULL, 0, &debug);
    if (fd < 0)
        return -1;
    *file_name = debug;
    return fd;
}

/* The Dwfl of the file process p mapped as m, opened on first use. NULL when out of memory. */
static struct dw_file *file_for(struct pt__symbolizer *s, const struct pt__module *m)
{
    uint64_t lo = m->base - m->bias;
    const char *bid = m->build_id ? m->build_id : "";
    for (size_t i = 0; i < s->n; i++) {
        struct dw_file *f = s->files[i];
        if (f->lo == lo && !strcmp(f->path, m->path) && !strcasecmp(f->build_id, bid))
            return f;
    }
    if (s->n == s->cap) {
        size_t n = s->cap ? s->cap * 2 : 16;
        struct dw_file **p = realloc(s->files, n * sizeof *p);
        if (!p)
            return NULL;
        s->files = p;
        s->cap = n;
    }
    struct dw_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(m->path)) || !(f->build_id = strdup(bid)) ||
        !(f->dwfl = dwfl_begin(&s->cb))) {
        if (f) {
            free(f->path);
            free(f->build_id);
        }
        free(f);
        return NULL;
    }
    f->lo = lo;
    f->size = m->size;
    f->idx = (unsigned)s->n;
    f->sy = s;
    s->files[s->n++] = f;
    dwfl_report_begin(f->dwfl);
    f->mod = dwfl_report_module(f->dwfl, f->path, lo, lo + m->size);
    if (f->mod) {
        unsigned char bits[64];
        size_t nb = build_id_bits(bid, bits, sizeof bits);
        if (nb)
            dwfl_module_report_build_id(f->mod, bits, nb, 0);
        void **ud;
        dwfl_module_info(f->mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
        *ud = f;
    }
    dwfl_report_end(f->dwfl, NULL, NULL);
    return f;
}

/* The module file of addr in p with its ELF, and addr in the Dwfl's terms; NULL with *problem. */
static struct dw_file *locate(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr,
                              const struct pt__module **mod, Elf **elf, Dwarf_Addr *at,
                              const char **problem)
{
    const struct pt__module *m = pt__module_at(p, addr);
    *mod = m;
    if (!m || !m->path) {
        *problem = "no module recorded at this address";
        return NULL;
    }
    struct dw_file *f = file_for(s, m);
    if (!f || !f->mod) {
        *problem = "out of memory";
        return NULL;
    }
    GElf_Addr bias;
    *elf = dwfl_module_getelf(f->mod, &bias);
    if (!*elf) {
        *problem = f->mismatch ? "module file has another build-id (rebuilt since the trace), and "
                                 "no file of the traced build was found"
                               : "module file not readable, and no file of its build-id was found";
        return NULL;
    }
    *at = addr - m->bias + bias;
    return f;
}

/* A function's name from DWARF: its demangled linkage name when it has one (the exact signature),
 * else spelled from the entries (dwarf_names.c). */
static const char *die_name(struct pt__symbolizer *s, Dwarf_Die *die, Dwarf_Die *cu)
{
    Dwarf_Attribute a;
    const char *link = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &a));
    if (!link)
        link = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a));
    const char *d = link ? keep(s, pt__demangle(link)) : NULL;
    if (d)
        return d;
    int lang = dwarf_srclang(cu);
    int cplusplus = lang == DW_LANG_C_plus_plus || lang == DW_LANG_C_plus_plus_03 ||
                    lang == DW_LANG_C_plus_plus_11 || lang == DW_LANG_C_plus_plus_14;
    char buf[512];
    const char *n = pt__dwarf_func_name(die, cplusplus, buf, sizeof buf);
    if (n == buf)
        return keep(s, strdup(buf)) ?: dwarf_diename(die);
    return n ? n : link;
}

/* The call site of an inlined call: its file and line in the caller. */
static void call_site(Dwarf_Die *inl, Dwarf_Die *cu, const char **file, unsigned *line)
{
    Dwarf_Attribute a;
    Dwarf_Word idx, ln;
    Dwarf_Files *files;
    size_t nfiles;
    *file = NULL;
    *line = 0;
    if (!dwarf_formudata(dwarf_attr(inl, DW_AT_call_line, &a), &ln))
        *line = (unsigned)ln;
    if (!dwarf_formudata(dwarf_attr(inl, DW_AT_call_file, &a), &idx) &&
        !dwarf_getsrcfiles(cu, &files, &nfiles) && idx < nfiles)
        *file = dwarf_filesrc(files, idx, NULL, NULL);
}

/* Process and thread start-up code, outermost in every stack: named from the symbol table, without
 * file:line. gdb does not show these frames at all, and their lines would cost a read of the C
 * library's whole (compressed) debug information, more than the rest of a report takes. */
static int startup_code(const char *name)
{
    static const char *const names[] = {
        "_start", "__libc_start_main", "__libc_start_call_main", "start_thread", "clone", "clone3"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(name, names[i]))
            return 1;
    return 0;
}

/* The frames at address `at` of file f (innermost first, the real frame last), into
 * out[MAX_INLINE]; returns their number. Only func, off, file, line, inlined and problem are set.
 */
static unsigned frames_at(struct pt__symbolizer *s, struct dw_file *f, Dwarf_Addr at,
                          struct pt__sym *out)
{
    GElf_Off off;
    GElf_Sym sym;
    const char *name = dwfl_module_addrinfo(f->mod, at, &off, &sym, NULL, NULL, NULL);
    if (name && *name && startup_code(shown_name(s, name))) {
        memset(out, 0, sizeof *out);
        out->func = shown_name(s, name);
        out->off = off;
        return 1;
    }

    /* The line at the address is in the innermost inlined callee, if any. */
    const char *file = NULL;
    unsigned line = 0, k = 0;
    int ln = 0;
    Dwfl_Line *l = dwfl_module_getsrc(f->mod, at);
    if (l && (file = dwfl_lineinfo(l, NULL, &ln, NULL, NULL, NULL)))
        line = ln > 0 ? (unsigned)ln : 0;
    /* The chain of DIEs around the address, innermost first: each inlined call is a frame whose
     * caller shows the call's line; the subprogram that holds them is the real frame. */
    const char *dw_func = NULL;
    Dwarf_Addr dw_entry = 0, cubias = 0;
    Dwarf_Die *cu = dwfl_module_addrdie(f->mod, at, &cubias);
    Dwarf_Die *scopes = NULL, *chain = NULL;
    if (cu && dwarf_getscopes(cu, at - cubias, &scopes) > 0) {
        int nc = dwarf_getscopes_die(&scopes[0], &chain);
        for (int i = 0; i < nc; i++) {
            int tag = dwarf_tag(&chain[i]);
            if (tag == DW_TAG_inlined_subroutine && k + 1 < MAX_INLINE) {
                struct pt__sym *o = &out[k++];
                memset(o, 0, sizeof *o);
                o->func = die_name(s, &chain[i], cu);
                o->file = file;
                o->line = line;
                o->inlined = 1;
                call_site(&chain[i], cu, &file, &line);
            } else if (tag == DW_TAG_subprogram) {
                dw_func = die_name(s, &chain[i], cu);
                if (dwarf_entrypc(&chain[i], &dw_entry))
                    dw_entry = 0;
                break;
            }
        }
    }
    free(chain);
    free(scopes);

    struct pt__sym *o = &out[k++];
    memset(o, 0, sizeof *o);
    o->file = file;
    o->line = line;
    if (name && *name) {
        o->func = shown_name(s, name);
        o->off = off;
    } else if (dw_func) {
        o->func = dw_func;
        o->off = dw_entry && dw_entry <= at - cubias ? at - cubias - dw_entry : 0;
    } else {
        o->problem = "no symbol covers this address (stripped, and no debug file was found)";
    }
    return k;
}

unsigned pt__sym_resolve(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr,
                         struct pt__sym *out, unsigned cap)
{
    memset(out, 0, sizeof *out);
    const struct pt__module *m;
    Elf *elf;
    Dwarf_Addr at;
    struct dw_file *f = locate(s, p, addr, &m, &elf, &at, &out->problem);
    out->module = m ? m->path : NULL;
    out->vaddr = m ? addr - m->bias : 0;
    if (!f)
        return 1;
    /* Stacks repeat the same addresses (every finding of a loop, each report format): each
     * address of a file is resolved once. */
    struct resolved one, *r = &one;
    uint64_t i;
    if (pt__map_get(&s->memo, f->idx, at, &i)) {
        r = &s->res[i];
    } else {
        one.n = frames_at(s, f, at, one.sym);
        if (s->nres < s->capres || !grow_res(s)) {
            s->res[s->nres] = one;
            if (!pt__map_put(&s->memo, f->idx, at, s->nres))
                s->nres++;
        }
    }
    /* when cap is short, the innermost inlined frames and the real one */
    unsigned n = r->n <= cap ? r->n : cap;
    for (unsigned j = 0; j < n; j++) {
        out[j] = r->sym[j == n - 1 ? r->n - 1 : j];
        out[j].module = m->path;
        out[j].vaddr = addr - m->bias;
    }
    return n;
}

/* The section of elf holding ELF address va, with the flags `need`, whose name starts with
 * prefix (NULL: any name). */
static Elf_Scn *section_at(Elf *elf, uint64_t va, uint64_t need, const char *prefix, GElf_Shdr *sh)
{
    size_t shstrndx;
    if (elf_getshdrstrndx(elf, &shstrndx))
        return NULL;
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(elf, scn))) {
        if (!gelf_getshdr(scn, sh) || (sh->sh_flags & need) != need ||
            sh->sh_type != SHT_PROGBITS || va < sh->sh_addr || va - sh->sh_addr >= sh->sh_size)
            continue;
        const char *n = elf_strptr(elf, shstrndx, sh->sh_name);
        if (!prefix || (n && !strncmp(n, prefix, strlen(prefix))))
            return scn;
    }
    return NULL;
}

/* The dynamic symbol a relocation writes into the slot at ELF address va, or NULL. */
static const char *reloc_name(Elf *elf, uint64_t va)
{
    Elf_Scn *scn = NULL;
    GElf_Shdr sh;
    while ((scn = elf_nextscn(elf, scn))) {
        if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_RELA && sh.sh_type != SHT_REL) ||
            !sh.sh_entsize)
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        Elf_Scn *symscn = elf_getscn(elf, sh.sh_link);
        GElf_Shdr symsh;
        Elf_Data *syms = symscn ? elf_getdata(symscn, NULL) : NULL;
        if (!d || !syms || !gelf_getshdr(symscn, &symsh))
            continue;
        for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
            GElf_Rela r;
            GElf_Rel rel;
            if (sh.sh_type == SHT_RELA ? !gelf_getrela(d, (int)i, &r)
                                       : !gelf_getrel(d, (int)i, &rel))
                continue;
            if (sh.sh_type == SHT_REL) {
                r.r_offset = rel.r_offset;
                r.r_info = rel.r_info;
            }
            GElf_Sym sym;
            if (r.r_offset != va || !GELF_R_SYM(r.r_info) ||
                !gelf_getsym(syms, (int)GELF_R_SYM(r.r_info), &sym))
                continue;
            const char *n = elf_strptr(elf, symsh.sh_link, sym.st_name);
            if (n && *n)
                return n;
        }
    }
    return NULL;
}

/* The pointer slot a PLT entry at ELF address va jumps through (x86-64: an indirect jmp through
 * rip, after endbr64 and bnd prefixes; AArch64: adrp + ldr), or 0. */
static uint64_t plt_slot(Elf *elf, int machine, uint64_t va)
{
    GElf_Shdr sh;
    Elf_Scn *scn = section_at(elf, va, SHF_ALLOC | SHF_EXECINSTR, ".plt", &sh);
    Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
    if (!d || !d->d_buf || va - sh.sh_addr + 16 > d->d_size)
        return 0;
    const uint8_t *c = (const uint8_t *)d->d_buf + (va - sh.sh_addr);
    if (machine == EM_X86_64) {
        size_t i = 0;
        if (!memcmp(c, "\xf3\x0f\x1e\xfa", 4)) /* endbr64 */
            i = 4;
        if (c[i] == 0xf2) /* bnd */
            i++;
        if (i + 6 > 16 || c[i] != 0xff || c[i + 1] != 0x25)
            return 0;
        int32_t disp;
        memcpy(&disp, c + i + 2, 4);
        return va + i + 6 + (int64_t)disp;
    }
    if (machine == EM_AARCH64) {
        uint32_t adrp, ldr;
        memcpy(&adrp, c, 4);
        memcpy(&ldr, c + 4, 4);
        if ((adrp & 0x9f000000u) != 0x90000000u || (ldr & 0xffc00000u) != 0xf9400000u)
            return 0;
        int64_t imm = (int64_t)((((adrp >> 5) & 0x7ffff) << 2) | ((adrp >> 29) & 3));
        if (imm & (1 << 20))
            imm -= 1 << 21;
        return (va & ~(uint64_t)0xfff) + (uint64_t)(imm << 12) + ((ldr >> 10) & 0xfff) * 8;
    }
    return 0;
}

static int machine_of(Elf *elf)
{
    GElf_Ehdr eh;
    return gelf_getehdr(elf, &eh) ? eh.e_machine : 0;
}

int pt__sym_slot(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr, char *buf,
                 size_t len)
{
    const struct pt__module *m;
    Elf *elf;
    Dwarf_Addr at;
    const char *problem;
    if (!locate(s, p, addr, &m, &elf, &at, &problem))
        return -ENOENT;
    const char *n = reloc_name(elf, addr - m->bias);
    if (!n)
        return -ENOENT;
    snprintf(buf, len, "%s@got", shown_name(s, n));
    return 0;
}

int pt__sym_target(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr, char *buf,
                   size_t len)
{
    const struct pt__module *m;
    Elf *elf;
    Dwarf_Addr at;
    const char *problem;
    struct dw_file *f = locate(s, p, addr, &m, &elf, &at, &problem);
    if (!f)
        return -ENOENT;
    uint64_t slot = plt_slot(elf, machine_of(elf), addr - m->bias);
    const char *n = slot ? reloc_name(elf, slot) : NULL;
    if (n) {
        snprintf(buf, len, "%s@plt", shown_name(s, n));
        return 0;
    }
    GElf_Off off;
    GElf_Sym sym;
    n = dwfl_module_addrinfo(f->mod, at, &off, &sym, NULL, NULL, NULL);
    if (!n || !*n)
        return -ENOENT;
    if (off)
        snprintf(buf, len, "%s+0x%llx", shown_name(s, n), (unsigned long long)off);
    else
        snprintf(buf, len, "%s", shown_name(s, n));
    return 0;
}

long pt__sym_code(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr, uint8_t *buf,
                  size_t len, uint64_t *start, int *machine)
{
    const struct pt__module *m;
    Elf *elf;
    Dwarf_Addr at;
    const char *problem;
    struct dw_file *f = locate(s, p, addr, &m, &elf, &at, &problem);
    if (!f)
        return -ENOENT;
    uint64_t va = addr - m->bias, from = va > len / 2 ? va - len / 2 : 0;
    GElf_Off off;
    GElf_Sym sym;
    if (dwfl_module_addrinfo(f->mod, at, &off, &sym, NULL, NULL, NULL) && off < len - 32)
        from = va - off;
    GElf_Shdr sh;
    Elf_Scn *scn = section_at(elf, va, SHF_ALLOC | SHF_EXECINSTR, NULL, &sh);
    if (!scn)
        return -ENOENT; /* e.g. only the separate debug file was found: it has no code */
    Elf_Data *d = elf_getdata(scn, NULL);
    if (!d || !d->d_buf)
        return -EIO;
    if (from < sh.sh_addr)
        from = sh.sh_addr;
    size_t n = sh.sh_addr + sh.sh_size - from;
    if (n > len)
        n = len;
    memcpy(buf, (const uint8_t *)d->d_buf + (from - sh.sh_addr), n);
    *start = addr - (va - from);
    *machine = machine_of(elf);
    return (long)n;
}
