/* inline_hook.h — function-entry hooks on x86-64 for what LD_PRELOAD interposition cannot reach. */
#ifndef PT_INLINE_HOOK_H
#define PT_INLINE_HOOK_H

#include <stddef.h>
#include <stdint.h>

/* Built into libproftrace-inline.so (the engine the shim loads on demand), these are what it
 * exports; built into a program or the shim itself, they stay hidden. */
#ifdef PT_INLINE_ENGINE_SO
#define PT_INLINE_API __attribute__((visibility("default")))
#else
#define PT_INLINE_API
#endif

/* Every defined function symbol of the ELF file at `path`, .symtab first, then .dynsym:
 * fn(arg, name, value, size, st_other, in_dynsym) for each, until fn returns non-zero. Reads the
 * file itself (no libelf), checking every offset against its size. Returns 0, or a negative errno
 * (-ENOEXEC for a file that is not a 64-bit little-endian ELF). */
typedef int (*pt_elf_fn)(void *arg, const char *name, uint64_t value, uint64_t size,
                         unsigned char other, int in_dynsym);
int pt_elf_functions(const char *path, pt_elf_fn fn, void *arg);

/* Find function `func` by name in the .symtab or .dynsym of a loaded object (local and static
 * symbols included). `lib` selects the object: NULL or "" searches the executable first, then every
 * loaded library; otherwise it matches an object whose path equals `lib`, whose file name equals
 * `lib`, or whose file name starts with `lib` followed by '.' ("libmapisim" matches
 * "libmapisim.so.1"). On success stores the run-time address and the symbol's size (0 when the
 * symbol has none) and returns 0. Returns -ENOENT when no object or symbol matches, -ENOTUNIQ when
 * one object holds two different functions of that name (two static functions in different files),
 * or another negative errno from reading the file. */
PT_INLINE_API int pt_inline_find(const char *lib, const char *func, void **addr, size_t *size);

/* How the entry of a function was rewritten (see preload/inline/patch.c). */
enum pt_inline_method {
    PT_INLINE_SINGLE = 1, /* the process had one thread: plain write with signals blocked */
    PT_INLINE_ATOMIC,     /* one aligned 8-byte store replacing a single whole instruction */
    PT_INLINE_INT3,       /* breakpoint first, threads moved out of the patched bytes, then jump */
};

/* Flags for pt_inline_hook_ex. */
/* use the breakpoint protocol even when another would do */
#define PT_INLINE_FORCE_INT3 0x1u
/* put the trampoline more than 4 GiB away (14-byte patch), as when nothing within ±2 GiB is free */
#define PT_INLINE_FORCE_FAR 0x2u

/* What pt_inline_hook_ex did, for diagnostics and tests. */
struct pt_inline_info {
    enum pt_inline_method method;
    size_t entry_kept;      /* bytes left in place at the entry (4 for endbr64, else 0) */
    size_t patch_len;       /* bytes of jump written after them: 5 (rel32) or 14 (absolute) */
    size_t displaced;       /* bytes of whole instructions moved to the trampoline */
    size_t tramp_len;       /* bytes of trampoline code */
    unsigned threads_fixed; /* threads moved out of the patched bytes (PT_INLINE_INT3) */
};

/* Hook the function at `target` (`size` bytes, from its symbol; 0 = unknown, which is refused
 * because the body cannot be checked for branches back into the entry). After success every call
 * of the function runs `replacement` with the original arguments, and `*trampoline` points to code
 * that runs the original function (call it as if it were the original). `name` is used in messages.
 *
 * Returns 0, or a negative errno with a one-line reason "NAME: why" in `why` (truncated to
 * `whylen`): -EINVAL for bad arguments, -ENOTSUP for code that cannot be relocated safely (too
 * short, ret/syscall/int3/indirect jmp in the patched bytes, a branch back into them, undecodable
 * bytes, an operand out of range), -ENOMEM when no trampoline memory, -EBUSY when a thread could
 * not be moved out of the patched bytes, -EACCES when the code cannot be made writable. On failure
 * the function is left untouched; the object holding a hooked function is pinned (never unloaded
 * by dlclose); `*trampoline` is untouched by a refusal, but is set (to working
 * code) before the entry is patched, so after a failed patch (-EBUSY, -EACCES) it stays valid for
 * a thread that the breakpoint already sent to the replacement. A hooked function is never
 * unhooked; hooking the same address twice is refused with -EEXIST. Thread-safe;
 * async-signal-unsafe. */
PT_INLINE_API int pt_inline_hook(const char *name, void *target, size_t size, void *replacement,
                   void **trampoline, char *why, size_t whylen);

/* The replacement is entered exactly as the original would be (same registers, same stack), so an
 * ordinary C function with the same prototype works for exported functions. For a static
 * (local) function it may not: with -fipa-ra (gcc's default at -O2) its callers may keep values
 * in caller-saved registers the original never touches, and gcc may have changed its calling
 * convention (.isra/.constprop clones). A replacement for those must save and restore every
 * register it uses (an assembly thunk), and record only entry/exit. */

/* pt_inline_hook with PT_INLINE_* flags and a report of what was done (`info` may be NULL). */
PT_INLINE_API int pt_inline_hook_ex(const char *name, void *target, size_t size, void *replacement,
                      void **trampoline, unsigned flags, struct pt_inline_info *info, char *why,
                      size_t whylen);

/* pt_inline_find then pt_inline_hook; the message names "lib:func". */
PT_INLINE_API int pt_inline_hook_symbol(const char *lib, const char *func, void *replacement, void **trampoline,
                          char *why, size_t whylen);

#endif
