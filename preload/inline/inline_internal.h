/* inline_internal.h — what the files of the inline-hook engine share (pt__ names). */
#ifndef PT_INLINE_INTERNAL_H
#define PT_INLINE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "preload/inline/inline_hook.h"

#define PT__REL32_LEN 5   /* jmp rel32 */
#define PT__ABSJMP_LEN 14 /* jmp [rip+0]; .quad target */
#define PT__MAX_INSNS 16  /* displaced instructions: 14 bytes need at most 14 */
#define PT__CODE_MAX 512  /* relocated code: every instruction grows to at most 16 + 14 bytes */

/* The plan for one function: which instructions move and the code that replaces them. */
struct pt__reloc {
    const char *name;
    uintptr_t target;  /* function start */
    size_t size;       /* function size from its symbol */
    size_t entry_kept; /* bytes kept at the entry: 4 for endbr64, else 0 */
    size_t patch_len;  /* bytes of jump written at target + entry_kept */
    size_t displaced;  /* bytes of the whole instructions that jump overwrites */
    unsigned n_insns;
    uint8_t insn_off[PT__MAX_INSNS];   /* offsets of the displaced instructions from the site */
    uint16_t moved_off[PT__MAX_INSNS]; /* offsets of their relocated copies in code[] */
    size_t code_len;
    uint8_t code[PT__CODE_MAX];
};

/* Decode the entry of `target` (`size` bytes) and check that `patch_len` bytes (5 or 14) can be
 * displaced safely; fills everything in *r except code[]. Returns 0 or -ENOTSUP/-EINVAL with
 * "name: why" in `why`. */
int pt__reloc_plan(struct pt__reloc *r, const char *name, uintptr_t target, size_t size,
                   size_t patch_len, char *why, size_t whylen);

/* Write the relocated instructions, followed by a jump back to the rest of the function, as they
 * must be to run at address `at`; sets r->code and r->code_len. Returns 0 or -ENOTSUP when an
 * operand cannot reach from `at`. */
int pt__reloc_emit(struct pt__reloc *r, uintptr_t at, char *why, size_t whylen);

/* Encode `jmp [rip+0]; .quad dest` (PT__ABSJMP_LEN bytes) at p. */
void pt__encode_absjmp(uint8_t *p, uintptr_t dest);
/* Encode a jump at p (which will run at address `at`) to dest: jmp rel32 when it reaches, else
 * the absolute form. Returns its length. */
size_t pt__encode_jmp(uint8_t *p, uintptr_t at, uintptr_t dest);

/* Trampoline memory (trampoline.c): executable slots that are never freed. `near` = 0 means
 * anywhere; otherwise the whole slot lies within PT__NEAR_RANGE of `near`. Returns 0 or -ENOMEM. */
#define PT__NEAR_RANGE ((intptr_t)1 << 30) /* 1 GiB: leaves room for operands of the function */
int pt__tramp_alloc(uintptr_t near, size_t len, uintptr_t *out);
/* A slot more than 4 GiB away from `avoid` (for PT_INLINE_FORCE_FAR). Returns 0 or -ENOMEM. */
int pt__tramp_alloc_away(uintptr_t avoid, size_t len, uintptr_t *out);
/* Fill a slot (it is executable before and after). Returns 0 or -errno. */
int pt__tramp_write(uintptr_t at, const void *code, size_t len);

/* A patched entry, kept for the life of the process so the SIGTRAP handler can always finish what
 * the breakpoint protocol started (patch.c). */
struct pt__site {
    uintptr_t addr;     /* the patched address (after endbr64) */
    uintptr_t redirect; /* where a thread that hits the breakpoint continues: the replacement */
    unsigned n_insns;
    uint8_t insn_off[PT__MAX_INSNS]; /* boundaries of displaced instructions, from addr */
    uintptr_t moved[PT__MAX_INSNS];  /* where each one's relocated copy is */
    size_t displaced;
};

/* Replace site->addr[0..len) by `bytes` so that no thread ever runs half-written code. Returns 0
 * or a negative errno with "name: why". */
int pt__patch_apply(struct pt__site *site, const char *name, const uint8_t *bytes, size_t len,
                    unsigned flags, struct pt_inline_info *info, char *why, size_t whylen);

/* Is there a finished hook at `addr` (the address after any endbr64)? */
int pt__patch_hooked(uintptr_t addr);

/* snprintf "name: fmt..." into why; returns err. */
int pt__why(int err, char *why, size_t whylen, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
