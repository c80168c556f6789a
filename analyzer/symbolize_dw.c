/* symbolize_dw.c — offline symbolization on elfutils' libdw (libdwfl): the frames of a stack
 * address. The address is matched to the module the process had mapped there (module events);
 * the module's files are found by debugfile_dw.c (the recorded file if it is the recorded build,
 * separate debug files, MiniDebugInfo, debuginfod). Functions come from the symbol tables,
 * file:line and inlined calls from DWARF. Works on a trace from another run or machine as long as
 * files of the same builds can be found.
 *
 * Each module file gets its own Dwfl, placed at its ELF addresses, and is shared by every process
 * that mapped it; each address is resolved once. Only the reports call this, never the shim. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <dwarf.h>

#include "analyzer/dwarf_names.h"
#include "analyzer/symbolize_dw.h"

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
    s->cb.find_elf = pt__dw_find_elf;
    s->cb.find_debuginfo = pt__dw_find_debuginfo;
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
    /* asked at the end: the demangler is loaded when a name first needs it */
    if (s && pt__demangle_unavailable() && k < cap)
        out[k++] = pt__demangle_unavailable();
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

const char *pt__dw_shown_name(struct pt__symbolizer *s, const char *name)
{
    const char *at = strchr(name, '@');
    if (at && at > name)
        name = keep(s, strndup(name, (size_t)(at - name))) ?: name;
    const char *d = keep(s, pt__demangle(name));
    return d ? d : name;
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
        size_t nb = pt__dw_build_id_bits(bid, bits, sizeof bits);
        if (nb)
            dwfl_module_report_build_id(f->mod, bits, nb, 0);
        void **ud;
        dwfl_module_info(f->mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
        *ud = f;
    }
    dwfl_report_end(f->dwfl, NULL, NULL);
    return f;
}

struct dw_file *pt__dw_locate(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr,
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

/* The frames at address `at` of file f, innermost first and the real frame last, into
 * out[PT__FRAMES_PER_ADDR] (func, off, file, line, inlined, problem); returns their number. */
static unsigned frames_at(struct pt__symbolizer *s, struct dw_file *f, Dwarf_Addr at,
                          struct pt__sym *out)
{
    GElf_Off off;
    GElf_Sym sym;
    const char *name = dwfl_module_addrinfo(f->mod, at, &off, &sym, NULL, NULL, NULL);
    name = name && *name ? pt__dw_shown_name(s, name) : NULL;
    if (name && startup_code(name)) {
        memset(out, 0, sizeof *out);
        out->func = name;
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
            if (tag == DW_TAG_inlined_subroutine && k + 1 < PT__FRAMES_PER_ADDR) {
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
    if (name) {
        o->func = name;
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
    struct dw_file *f = pt__dw_locate(s, p, addr, &m, &elf, &at, &out->problem);
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
