/* hook.c — puts relocation, trampoline memory and patching together into one hook.
 *
 * Layout of a hook's trampoline slot: first the "stub", a jump to the replacement (jmp rel32 when
 * the replacement is within reach, else absolute; the 5-byte jmp rel32 at the entry targets it,
 * since the replacement itself may be anywhere), then the relocated entry instructions and a jump
 * back; `*trampoline` is the second part. When no slot within ±1 GiB of the function is free, the
 * slot goes anywhere, the entry gets a 14-byte absolute jump to the replacement, and RIP-relative
 * operands that can no longer reach are refused by relocate.c. */
#define _GNU_SOURCE
#include "preload/inline/inline_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int pt_inline_hook_ex(const char *name, void *target, size_t size, void *replacement,
                      void **trampoline, unsigned flags, struct pt_inline_info *info, char *why,
                      size_t whylen)
{
    struct pt__reloc r;
    struct pt__site site;
    uint8_t slot[PT__ABSJMP_LEN + PT__CODE_MAX], jump[PT__ABSJMP_LEN];
    uintptr_t at = 0;
    size_t patch_len = PT__REL32_LEN;
    int err;

    if (!name)
        name = "?";
    if (!target || !replacement || !trampoline)
        return pt__why(-EINVAL, why, whylen, name, "null target, replacement or trampoline");

    uintptr_t t = (uintptr_t)target;
    if (pt__patch_hooked(t) || pt__patch_hooked(t + 4))
        return pt__why(-EEXIST, why, whylen, name, "already hooked");

    /* Near first (5-byte jump), else anywhere (14-byte jump); a refusal is final either way. */
    for (int far = !!(flags & PT_INLINE_FORCE_FAR); far < 2; far++) {
        patch_len = far ? PT__ABSJMP_LEN : PT__REL32_LEN;
        if ((err = pt__reloc_plan(&r, name, (uintptr_t)target, size, patch_len, why, whylen)) < 0)
            return err;
        /* an upper bound of the code size, so the slot can be chosen before emitting */
        size_t need = PT__ABSJMP_LEN + r.n_insns * 32u + PT__ABSJMP_LEN;
        if (flags & PT_INLINE_FORCE_FAR) {
            if (pt__tramp_alloc_away((uintptr_t)target, need, &at) == 0)
                break;
        } else if (pt__tramp_alloc(far ? 0 : (uintptr_t)target, need, &at) == 0) {
            break;
        }
        at = 0;
    }
    if (!at)
        return pt__why(-ENOMEM, why, whylen, name, "no memory for a trampoline");

    uintptr_t code_at = at + PT__ABSJMP_LEN;
    if ((err = pt__reloc_emit(&r, code_at, why, whylen)) < 0)
        return err;
    memset(slot, 0xcc, PT__ABSJMP_LEN);
    pt__encode_jmp(slot, at, (uintptr_t)replacement);
    memcpy(slot + PT__ABSJMP_LEN, r.code, r.code_len);
    err = pt__tramp_write(at, slot, PT__ABSJMP_LEN + r.code_len);
    if (err == -EACCES && pt__tramp_alloc(patch_len == PT__REL32_LEN ? (uintptr_t)target : 0,
                                          PT__ABSJMP_LEN + r.code_len, &at) == 0) {
        /* writable+executable refused (SELinux execmem): the new slot is written before it
         * becomes executable; the code moved, so emit it again for its new address */
        code_at = at + PT__ABSJMP_LEN;
        if ((err = pt__reloc_emit(&r, code_at, why, whylen)) < 0)
            return err;
        memset(slot, 0xcc, PT__ABSJMP_LEN);
        pt__encode_jmp(slot, at, (uintptr_t)replacement);
        memcpy(slot + PT__ABSJMP_LEN, r.code, r.code_len);
        err = pt__tramp_write(at, slot, PT__ABSJMP_LEN + r.code_len);
    }
    if (err < 0)
        return pt__why(err, why, whylen, name, "cannot write the trampoline: %s", strerror(-err));

    uintptr_t site_addr = (uintptr_t)target + r.entry_kept;
    if (patch_len == PT__REL32_LEN) {
        int32_t rel = (int32_t)((intptr_t)at - (intptr_t)(site_addr + PT__REL32_LEN));
        jump[0] = 0xe9;
        memcpy(jump + 1, &rel, 4);
    } else {
        pt__encode_absjmp(jump, (uintptr_t)replacement);
    }

    memset(&site, 0, sizeof site);
    site.addr = site_addr;
    site.redirect = (uintptr_t)replacement;
    site.n_insns = r.n_insns;
    site.displaced = r.displaced;
    for (unsigned i = 0; i < r.n_insns; i++) {
        site.insn_off[i] = r.insn_off[i];
        site.moved[i] = code_at + r.moved_off[i];
    }
    /* A hooked object must never be unloaded: its code would go while the site, and maybe a
     * thread in the trampoline, still refer to it. dlopen with NOLOAD|NODELETE pins it. */
    Dl_info di;
    if (dladdr(target, &di) && di.dli_fname && *di.dli_fname)
        dlopen(di.dli_fname, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);

    struct pt_inline_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    /* The trampoline, and the pointer the replacement calls it through, are complete before
     * the entry changes: a thread that takes the new jump finds finished code. The pointer stays
     * set even if patching fails, because a thread may already have been sent to the replacement
     * by the breakpoint. */
    __atomic_store_n(trampoline, (void *)code_at, __ATOMIC_SEQ_CST);
    if ((err = pt__patch_apply(&site, name, jump, patch_len, flags, info, why, whylen)) < 0)
        return err;
    info->entry_kept = r.entry_kept;
    info->patch_len = patch_len;
    info->displaced = r.displaced;
    info->tramp_len = r.code_len;
    return 0;
}

int pt_inline_hook(const char *name, void *target, size_t size, void *replacement,
                   void **trampoline, char *why, size_t whylen)
{
    return pt_inline_hook_ex(name, target, size, replacement, trampoline, 0, NULL, why, whylen);
}

int pt_inline_hook_symbol(const char *lib, const char *func, void *replacement, void **trampoline,
                          char *why, size_t whylen)
{
    char name[256];
    void *addr;
    size_t size;
    snprintf(name, sizeof name, "%s:%s", lib && *lib ? lib : "*", func ? func : "?");
    int err = pt_inline_find(lib, func, &addr, &size);
    if (err < 0)
        return pt__why(err, why, whylen, name, "%s",
                       err == -ENOENT     ? "no such function in the loaded objects"
                       : err == -ENOTUNIQ ? "several functions of that name in one object"
                       : err == -ENOTSUP  ? "built without libelf"
                                          : strerror(-err));
    return pt_inline_hook(name, addr, size, replacement, trampoline, why, whylen);
}
