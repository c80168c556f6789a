/* symbolize.h — offline symbolization of stack addresses through the module files (libelf), and
 * the code bytes around an address for the disassembler. */
#ifndef PT_ANALYZER_SYMBOLIZE_H
#define PT_ANALYZER_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer/model.h"

struct pt__sym {
    const char *module; /* path of the module (owned by the process record), NULL if none */
    char func[160];     /* "" when unknown */
    uint64_t off;       /* addr - start of func */
    char file[256];     /* "" when no line info */
    unsigned line;
    uint64_t vaddr;      /* the address in the module's ELF terms (0 when no module) */
    const char *problem; /* why it could not resolve (static string), NULL when it did */
};

struct pt__symbolizer;

/* NULL when out of memory. */
struct pt__symbolizer *pt__sym_new(void);
void pt__sym_free(struct pt__symbolizer *s);

/* Resolve `addr` in process p. Returns 0 when a symbol was found, -ENOENT otherwise (out->problem
 * says why). */
int pt__sym_resolve(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr,
                    struct pt__sym *out);

/* Up to `len` code bytes of the function containing addr (from its start, or from addr - len/2
 * for a very long function) into buf; *start gets the address of buf[0] (in the process), *machine
 * the ELF e_machine. Returns the byte count, or a negative errno. */
long pt__sym_code(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr, uint8_t *buf,
                  size_t len, uint64_t *start, int *machine);

/* Non-NULL when this build cannot symbolize: the sentence to print. */
const char *pt__sym_unavailable(void);

/* disasm.c: a few instructions around the call that returns to `ret` in process p, one per line
 * into out (NUL-terminated, each line prefixed by `indent`). Returns 0, or -ENOENT/-ENOTSUP with
 * out holding the reason. */
int pt__disasm_around(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t ret,
                      const char *indent, char *out, size_t len);
const char *pt__disasm_unavailable(void);

#endif
