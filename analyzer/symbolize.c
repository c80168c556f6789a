/* symbolize.c — offline symbolization: a stack address is matched to the module the process had
 * mapped there (module events), the module file is checked against the recorded build-id, and the
 * function comes from its .symtab / .dynsym (libelf). Works on a trace from another run as long
 * as the same files (same build-ids) are readable. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/dwarf_line.h"
#include "analyzer/symbolize.h"

#ifdef PT_HAVE_LIBELF
#include <gelf.h>
#include <libelf.h>

struct elf_file {
    char *path;
    int fd;
    Elf *elf;
    int type, machine;
    char build_id[130];
    int bad; /* could not open or parse */
};

struct pt__symbolizer {
    struct elf_file *files;
    size_t n, cap;
};

struct pt__symbolizer *pt__sym_new(void)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return NULL;
    return calloc(1, sizeof(struct pt__symbolizer));
}

void pt__sym_free(struct pt__symbolizer *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        if (s->files[i].elf)
            elf_end(s->files[i].elf);
        if (s->files[i].fd >= 0)
            close(s->files[i].fd);
        free(s->files[i].path);
    }
    free(s->files);
    free(s);
}

const char *pt__sym_unavailable(void)
{
    return NULL;
}

static void read_build_id(struct elf_file *f)
{
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(f->elf, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        size_t off = 0, noff, doff;
        GElf_Nhdr nh;
        while (d && (off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
            if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
                !memcmp((char *)d->d_buf + noff, "GNU", 4)) {
                const unsigned char *b = (const unsigned char *)d->d_buf + doff;
                for (size_t i = 0; i < nh.n_descsz && i < 64; i++)
                    snprintf(f->build_id + 2 * i, 3, "%02x", b[i]);
                return;
            }
        }
    }
}

static struct elf_file *open_file(struct pt__symbolizer *s, const char *path)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->files[i].path, path))
            return &s->files[i];
    if (s->n == s->cap) {
        size_t n = s->cap ? s->cap * 2 : 8;
        void *p = realloc(s->files, n * sizeof *s->files);
        if (!p)
            return NULL;
        s->files = p;
        s->cap = n;
    }
    struct elf_file *f = &s->files[s->n++];
    memset(f, 0, sizeof *f);
    f->path = strdup(path);
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0 || !(f->elf = elf_begin(f->fd, ELF_C_READ, NULL)) ||
        elf_kind(f->elf) != ELF_K_ELF) {
        f->bad = 1;
        return f;
    }
    GElf_Ehdr eh;
    if (!gelf_getehdr(f->elf, &eh)) {
        f->bad = 1;
        return f;
    }
    f->type = eh.e_type;
    f->machine = eh.e_machine;
    read_build_id(f);
    return f;
}

static const struct pt__module *module_of(const struct pt__proc *p, uint64_t addr)
{
    for (uint32_t i = p->nmods; i-- > 0;) /* the latest mapping at that address wins */
        if (addr >= p->mods[i].base && addr - p->mods[i].base < p->mods[i].size)
            return &p->mods[i];
    return NULL;
}

/* The file and the ELF address of addr, or NULL with *problem set. */
static struct elf_file *locate(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr,
                               uint64_t *vaddr, const struct pt__module **mod, const char **problem)
{
    const struct pt__module *m = module_of(p, addr);
    *mod = m;
    if (!m) {
        *problem = "no module recorded at this address";
        return NULL;
    }
    struct elf_file *f = open_file(s, m->path);
    int same =
        f && !f->bad &&
        !(m->build_id && m->build_id[0] && f->build_id[0] && strcasecmp(m->build_id, f->build_id));
    if (!same && m->build_id && strlen(m->build_id) > 2) {
        /* the file moved or was rebuilt: the separate debug file of that build, by build-id */
        char dbg[512];
        snprintf(dbg, sizeof dbg, "/usr/lib/debug/.build-id/%.2s/%s.debug", m->build_id,
                 m->build_id + 2);
        struct elf_file *g = open_file(s, dbg);
        if (g && !g->bad) {
            f = g;
            same = 1;
        }
    }
    if (!f || f->bad) {
        *problem = "module file not readable";
        return NULL;
    }
    if (!same) {
        *problem = "module file has another build-id (rebuilt since the trace)";
        return NULL;
    }
    uint64_t bias = m->bias;
    if (!bias && f->type == ET_DYN)
        bias = m->base;
    *vaddr = addr - bias;
    return f;
}

int pt__sym_resolve(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr,
                    struct pt__sym *out)
{
    memset(out, 0, sizeof *out);
    uint64_t va;
    const struct pt__module *m;
    struct elf_file *f = locate(s, p, addr, &va, &m, &out->problem);
    out->module = m ? m->path : NULL;
    if (!f)
        return -ENOENT;
    out->vaddr = va;
    uint64_t best = 0, bestsize = 0;
    const char *bestname = NULL;
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(f->elf, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
        for (size_t i = 0; d && i < n; i++) {
            GElf_Sym sym;
            if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
                !sym.st_value || sym.st_value > va)
                continue;
            int inside = va < sym.st_value + (sym.st_size ? sym.st_size : 1);
            if ((inside && (!bestname || sym.st_value >= best)) ||
                (!sym.st_size && sym.st_value > best && !(bestname && va < best + bestsize))) {
                best = sym.st_value;
                bestsize = sym.st_size;
                bestname = elf_strptr(f->elf, sh.sh_link, sym.st_name);
            }
        }
    }
    if (!bestname) {
        out->problem = "no symbol covers this address (stripped?)";
        return -ENOENT;
    }
    snprintf(out->func, sizeof out->func, "%s", bestname);
    out->off = va - best;
    if (pt__dwarf_line(f->elf, va, out->file, sizeof out->file, &out->line))
        out->file[0] = 0;
    return 0;
}

long pt__sym_code(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr, uint8_t *buf,
                  size_t len, uint64_t *start, int *machine)
{
    uint64_t va;
    const struct pt__module *m;
    const char *problem;
    struct elf_file *f = locate(s, p, addr, &va, &m, &problem);
    if (!f)
        return -ENOENT;
    struct pt__sym sym;
    uint64_t from = va > len / 2 ? va - len / 2 : 0;
    if (!pt__sym_resolve(s, p, addr, &sym) && sym.off < len - 32)
        from = va - sym.off;
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(f->elf, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_EXECINSTR) ||
            sh.sh_type != SHT_PROGBITS || va < sh.sh_addr || va >= sh.sh_addr + sh.sh_size)
            continue;
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
        *machine = f->machine;
        return (long)n;
    }
    return -ENOENT;
}

#else /* !PT_HAVE_LIBELF */

struct pt__symbolizer {
    int unused;
};

struct pt__symbolizer *pt__sym_new(void)
{
    return calloc(1, sizeof(struct pt__symbolizer));
}

void pt__sym_free(struct pt__symbolizer *s)
{
    free(s);
}

const char *pt__sym_unavailable(void)
{
    return "stacks unsymbolized: built without libelf";
}

int pt__sym_resolve(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr,
                    struct pt__sym *out)
{
    memset(out, 0, sizeof *out);
    out->problem = "built without libelf";
    return -ENOENT;
}

long pt__sym_code(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr, uint8_t *buf,
                  size_t len, uint64_t *start, int *machine)
{
    return -ENOTSUP;
}

#endif
