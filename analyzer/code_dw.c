/* code_dw.c — the code at an address for the disassembler (bytes from the module file's
 * executable sections) and the names of branch targets in it: a PLT entry by the relocation of the
 * slot it jumps through (`shm_unlink@plt`), a GOT slot by its relocation, anything else by the
 * symbol table of the module it falls in. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <gelf.h>

#include "analyzer/symbolize_dw.h"

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
    if (!pt__dw_locate(s, p, addr, &m, &elf, &at, &problem))
        return -ENOENT;
    const char *n = reloc_name(elf, addr - m->bias);
    if (!n)
        return -ENOENT;
    snprintf(buf, len, "%s@got", pt__dw_shown_name(s, n));
    return 0;
}

int pt__sym_target(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr, char *buf,
                   size_t len)
{
    const struct pt__module *m;
    Elf *elf;
    Dwarf_Addr at;
    const char *problem;
    struct dw_file *f = pt__dw_locate(s, p, addr, &m, &elf, &at, &problem);
    if (!f)
        return -ENOENT;
    uint64_t slot = plt_slot(elf, machine_of(elf), addr - m->bias);
    const char *n = slot ? reloc_name(elf, slot) : NULL;
    if (n) {
        snprintf(buf, len, "%s@plt", pt__dw_shown_name(s, n));
        return 0;
    }
    GElf_Off off;
    GElf_Sym sym;
    n = dwfl_module_addrinfo(f->mod, at, &off, &sym, NULL, NULL, NULL);
    if (!n || !*n)
        return -ENOENT;
    if (off)
        snprintf(buf, len, "%s+0x%llx", pt__dw_shown_name(s, n), (unsigned long long)off);
    else
        snprintf(buf, len, "%s", pt__dw_shown_name(s, n));
    return 0;
}

long pt__sym_code(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr, uint8_t *buf,
                  size_t len, uint64_t *start, int *machine)
{
    const struct pt__module *m;
    Elf *elf;
    Dwarf_Addr at;
    const char *problem;
    struct dw_file *f = pt__dw_locate(s, p, addr, &m, &elf, &at, &problem);
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
