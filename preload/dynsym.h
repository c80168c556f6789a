/* dynsym.h — symbols of loaded objects from their GNU hash tables (dynsym.c). */
#ifndef PT_PRELOAD_DYNSYM_H
#define PT_PRELOAD_DYNSYM_H

#include <link.h>
#include <stddef.h>
#include <stdint.h>

/* The definition of `name` in the object loaded at `bias` whose dynamic section is `dyn`, or NULL
 * (not defined there, or the object has no GNU hash table). Lock-free; reads only the object. */
const ElfW(Sym) *pt__dynsym(uintptr_t bias, const ElfW(Dyn) *dyn, const char *name);
/* The same with the name's GNU hash already computed (pt__dynsym_hash), for many objects. */
uint32_t pt__dynsym_hash(const char *name);
const ElfW(Sym) *pt__dynsym_h(uintptr_t bias, const ElfW(Dyn) *dyn, const char *name, uint32_t h);
/* Whether the object has a GNU hash table (pt__dynsym can answer "not defined" for it). */
int pt__dynsym_hashed(const ElfW(Dyn) *dyn);
/* The size of the function `name` that starts at addr (from its object's table), or 0. */
size_t pt__dynsym_size(void *addr, const char *name);

#endif
