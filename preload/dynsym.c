/* dynsym.c — a symbol looked up in one loaded object's own dynamic symbol table through its GNU
 * hash table, as the loader itself does, but without the loader: dlsym of a name nothing defines
 * formats an error message, and dladdr1 for a symbol's size walks every symbol of the object;
 * either costs thousands of instructions, which every traced process would pay at start for each
 * row of the call table. */
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <string.h>

#include "preload/dynsym.h"

/* A dynamic entry's address: the loader adjusts them in place, except in a read-only dynamic
 * section (the vDSO's), which keeps the link-time value. */
static uintptr_t pt__dyn_ptr(uintptr_t bias, ElfW(Addr) p)
{
    return p < bias ? bias + p : p;
}

uint32_t pt__dynsym_hash(const char *name)
{
    uint32_t h = 5381;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        h = h * 33 + *c;
    return h;
}

const ElfW(Sym) *pt__dynsym(uintptr_t bias, const ElfW(Dyn) *dyn, const char *name)
{
    return pt__dynsym_h(bias, dyn, name, pt__dynsym_hash(name));
}

const ElfW(Sym) *pt__dynsym_h(uintptr_t bias, const ElfW(Dyn) *dyn, const char *name, uint32_t h)
{
    const uint32_t *gh = NULL;
    const ElfW(Sym) *symtab = NULL;
    const char *strtab = NULL;
    for (; dyn && dyn->d_tag != DT_NULL; dyn++) {
        if (dyn->d_tag == DT_GNU_HASH)
            gh = (const uint32_t *)pt__dyn_ptr(bias, dyn->d_un.d_ptr);
        else if (dyn->d_tag == DT_SYMTAB)
            symtab = (const ElfW(Sym) *)pt__dyn_ptr(bias, dyn->d_un.d_ptr);
        else if (dyn->d_tag == DT_STRTAB)
            strtab = (const char *)pt__dyn_ptr(bias, dyn->d_un.d_ptr);
    }
    if (!gh || !symtab || !strtab)
        return NULL; /* no GNU hash (very old objects): the caller asks the loader instead */
    uint32_t nbuckets = gh[0], symoffset = gh[1], bloom_size = gh[2], shift = gh[3];
    if (!nbuckets || !bloom_size)
        return NULL;
    const ElfW(Addr) *bloom = (const ElfW(Addr) *)(gh + 4);
    const uint32_t *buckets = (const uint32_t *)(bloom + bloom_size);
    const uint32_t *chain = buckets + nbuckets;
    const unsigned bits = sizeof(ElfW(Addr)) * 8;
    ElfW(Addr) word = bloom[(h / bits) % bloom_size];
    ElfW(Addr) mask = ((ElfW(Addr))1 << (h % bits)) | ((ElfW(Addr))1 << ((h >> shift) % bits));
    if ((word & mask) != mask)
        return NULL; /* certainly not defined here: the common answer, in a few instructions */
    uint32_t i = buckets[h % nbuckets];
    if (i < symoffset)
        return NULL;
    for (;; i++) {
        uint32_t h2 = chain[i - symoffset];
        const ElfW(Sym) *s = &symtab[i];
        if ((h | 1) == (h2 | 1) && s->st_shndx != SHN_UNDEF && !strcmp(strtab + s->st_name, name))
            return s;
        if (h2 & 1)
            return NULL;
    }
}

int pt__dynsym_hashed(const ElfW(Dyn) *dyn)
{
    for (; dyn && dyn->d_tag != DT_NULL; dyn++)
        if (dyn->d_tag == DT_GNU_HASH)
            return 1;
    return 0;
}

size_t pt__dynsym_size(void *addr, const char *name)
{
    struct dl_find_object fo;
    if (!addr || _dl_find_object(addr, &fo) != 0 || !fo.dlfo_link_map)
        return 0;
    uintptr_t bias = fo.dlfo_link_map->l_addr;
    const ElfW(Sym) *s = pt__dynsym(bias, fo.dlfo_link_map->l_ld, name);
    return s && bias + s->st_value == (uintptr_t)addr ? (size_t)s->st_size : 0;
}
