/* fuzz_reloc.c — libFuzzer target: the inline-hook relocation engine (preload/inline/relocate.c)
 * on arbitrary function entries. Every function a PROFTRACE_HOOKS spec (or automatic hooking)
 * names is code from some library the shim does not control: decoding it, deciding whether its
 * first instructions can be displaced, and re-encoding them at the trampoline address must never
 * read past the function or write past the plan.
 *
 * Input: byte 0 chooses the patch length (5 or 14 bytes) and where the trampoline lies (near,
 * exactly ±2 GiB, far); the rest is the function's code, in a buffer of exactly its size. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "preload/inline/inline_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t mode = data[0];
    size_t n = size - 1;
    uint8_t *fn = malloc(n); /* exact size: ASan catches any read past the function */
    if (!fn)
        return 0;
    memcpy(fn, data + 1, n);
    struct pt__reloc r;
    char why[256];
    size_t patch = (mode & 1) ? PT__ABSJMP_LEN : PT__REL32_LEN;
    memset(&r, 0, sizeof r);
    if (pt__reloc_plan(&r, "fuzzed", (uintptr_t)fn, n, patch, why, sizeof why) == 0) {
        if (r.displaced < patch || r.n_insns > PT__MAX_INSNS || r.entry_kept + r.displaced > n)
            abort();
        static const int64_t delta[] = {4096, -4096, 0x7fff0000, -0x7fff0000, 1ll << 40};
        uintptr_t at = (uintptr_t)fn + (uintptr_t)delta[(mode >> 1) % 5];
        if (pt__reloc_emit(&r, at, why, sizeof why) == 0 && r.code_len > PT__CODE_MAX)
            abort();
    }
    free(fn);
    return 0;
}
