/* symbolize.h — offline symbolization of recorded stacks: which frames are shown (frames.c), what
 * each address is (on elfutils' libdw: symbolize_dw.c, debugfile_dw.c, code_dw.c; without it
 * symbolize_none.c), C++ and Rust names (demangle_*.c), the code at a call site (disasm.c). */
#ifndef PT_ANALYZER_SYMBOLIZE_H
#define PT_ANALYZER_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer/model.h"

/* One frame as shown. A recorded return address gives one frame, plus one before it for each call
 * inlined at that address (innermost first), as gdb and perf show them: an inlined callee is its
 * own frame, and its caller's frame shows the line of the inlined call. Strings are owned by the
 * process record (module) or the symbolizer (func, file), valid until pt__sym_free. */
struct pt__sym {
    const char *module; /* path of the module, NULL if no module was recorded there */
    const char *func;   /* demangled function name, NULL when unknown */
    uint64_t off;       /* address - start of func (not for inlined frames) */
    const char *file;   /* source file, NULL when no line information */
    unsigned line;
    uint64_t vaddr;      /* the address in the module's ELF terms (0 when no module) */
    int inlined;         /* an inlined call: its caller is the next frame, at the same address */
    const char *problem; /* why func is unknown (static string), NULL when it resolved */
};

struct pt__symbolizer;

/* Frames at most per recorded address: inlined calls and the function that holds them. */
#define PT__FRAMES_PER_ADDR 8
/* Frames at most that a recorded stack shows. */
#define PT__SHOWN_MAX (PT_MAX_FRAMES * PT__FRAMES_PER_ADDR)

/* NULL when out of memory. Separate debug files are looked for by build-id under
 * $PROFTRACE_DEBUG_DIRS (colon-separated), then /usr/lib/debug; MiniDebugInfo (.gnu_debugdata) is
 * read; with $DEBUGINFOD_URLS set, debuginfod servers are asked for what is not found locally. */
struct pt__symbolizer *pt__sym_new(void);
void pt__sym_free(struct pt__symbolizer *s);

/* Resolve `addr` in process p (for a return address, pass the address of the call: ret - 1) into
 * up to `cap` (>= 1) frames, innermost first. Returns the number of frames; when no function is
 * known, one frame with ->problem saying why (NULL in a build that cannot symbolize at all:
 * pt__sym_unavailable says it once). */
unsigned pt__sym_resolve(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr,
                         struct pt__sym *out, unsigned cap);

/* The name of a call or jump target `addr` in process p, as perf annotate shows it, into buf:
 * "shm_unlink@plt" for a PLT slot, "mapisim__purge" or "main+0x12" through the symbol table of the
 * module it falls in. Returns 0, or -ENOENT when nothing names it (buf untouched). */
int pt__sym_target(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr, char *buf,
                   size_t len);

/* The name of the relocated pointer slot at `addr` in process p (a GOT entry): "shm_unlink@got".
 * Returns 0, or -ENOENT. */
int pt__sym_slot(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr, char *buf,
                 size_t len);

/* Up to `len` code bytes of the function containing addr (from its start, or from addr - len/2
 * for a very long function) into buf; *start gets the address of buf[0] (in the process), *machine
 * the ELF e_machine. Returns the byte count, or a negative errno. */
long pt__sym_code(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr, uint8_t *buf,
                  size_t len, uint64_t *start, int *machine);

/* Non-NULL when this build cannot symbolize: the sentence to print. */
const char *pt__sym_unavailable(void);

/* Sentences about symbolization the report should carry (e.g. DEBUGINFOD_URLS is set but the
 * debuginfod client could not be loaded), at most `cap`, valid until pt__sym_free. */
unsigned pt__sym_notes(struct pt__symbolizer *s, const char **out, unsigned cap);

/* demangle_*.c: the demangled form of a C++ or Rust symbol, malloc'd; NULL when `name` is not
 * mangled or this build has no demangler. Rust's legacy hash suffix (::h0123456789abcdef) is
 * dropped, as Rust's own tools do. */
char *pt__demangle(const char *name);
/* Non-NULL when names cannot be demangled (this build has no demangler, or the one it loads at the
 * first mangled name could not be loaded): the sentence to print. */
const char *pt__demangle_unavailable(void);

/* frames.c: the module process p had mapped at addr (the latest mapping wins), or NULL. */
const struct pt__module *pt__module_at(const struct pt__proc *p, uint64_t addr);

/* frames.c: whether frame i of a recorded stack is proftrace's own: in libproftrace.so (its
 * wrappers, stubs and everything they inline), or in no module and called from there (an inline
 * hook's trampoline). */
int pt__frame_is_own(const struct pt__proc *p, const uint64_t *fr, unsigned n, unsigned i);

/* One shown frame of a recorded stack. */
struct pt__frame {
    uint64_t addr; /* the recorded return address */
    unsigned raw;  /* its index in the recorded stack */
    struct pt__sym sym;
};

/* frames.c: the frames of a recorded stack as shown, outermost last: proftrace's own dropped,
 * inlined calls expanded (through the symbolizer; with s NULL, addresses only). Returns the count
 * (at most cap). */
unsigned pt__stack_frames(struct pt__symbolizer *s, const struct pt__proc *p, const uint64_t *fr,
                          unsigned n, struct pt__frame *out, unsigned cap);

/* frames.c: the index in the recorded stack of the call that entered the traced API (the first
 * frame above proftrace's own wrapper frames, or the innermost frame). */
unsigned pt__stack_call_site(const struct pt__proc *p, const uint64_t *fr, unsigned n);

/* disasm.c: a few instructions around the call that returns to `ret` in process p, one per line
 * into out (NUL-terminated, each line prefixed by `indent`), call targets named. Returns 0, or
 * -ENOENT/-ENOTSUP with out holding the reason. */
int pt__disasm_around(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t ret,
                      const char *indent, char *out, size_t len);
const char *pt__disasm_unavailable(void);

#endif
