/* dl_watch.c — the dynamic loader tells the shim about every load and unload.
 *
 * The loader calls _dl_debug_state() (the debugger's breakpoint, r_debug.r_brk) before and after
 * each change to the list of loaded objects. Its body is a lone `ret` (after an endbr64 in a CET
 * build) followed by alignment padding, so it can be replaced whole by a jump to the shim's
 * pt__dl_changed without relocating any instruction, hence without the inline engine: the jump is
 * written over it and its padding while the process has a single thread, at start (the near form
 * with one store of the aligned first word).
 *
 * pt__dl_changed runs inside the loader, with its lock held, once the list is consistent again:
 *  - the module table is refreshed from dl_iterate_phdr (identity.c), so module events come when
 *    an object is loaded, before any stack needs them;
 *  - when inline hooks may be wanted, the return address of the dlopen (or dlmopen) under way is
 *    redirected to pt__dl_return, which scans the new objects (hook_inline.c) once dlopen has
 *    returned, before the program can call into them: only there, outside the loader, may the
 *    inline engine itself be loaded. The original return address is kept in a per-thread list
 *    keyed by the slot it came from; the stub jumps to it with the result registers intact.
 * Without the watch (an unexpected _dl_debug_state, or its page cannot be written), module events
 * come from stacks (identity.c) and hook_spec.c falls back on a watch that needs the engine. */
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "preload/dl_watch.h"
#include "preload/dynsym.h"
#include "preload/fork_guard.h"
#include "preload/hook_inline.h"
#include "preload/shim.h"
#include "preload/unwind.h"

/* The stub a redirected dlopen returns to: keep its result (rax, rdx), ask pt__dl_returned for the
 * real return address (it gets the stack pointer the return left: the slot + 8), go there. The
 * stack is 16-byte aligned at entry (it was before the call dlopen returns from). */
__asm__(".text\n"
        ".globl pt__dl_return\n"
        ".hidden pt__dl_return\n"
        ".type pt__dl_return, @function\n"
        "pt__dl_return:\n"
        ".cfi_startproc\n"
        ".cfi_undefined rip\n" /* no caller to unwind to: the address lives in pt__dl_saved */
        "    pushq %rax\n"
        "    pushq %rdx\n"
        "    leaq 16(%rsp), %rdi\n"
        "    call pt__dl_returned\n"
        "    movq %rax, %r11\n"
        "    popq %rdx\n"
        "    popq %rax\n"
        "    jmp *%r11\n"
        ".cfi_endproc\n"
        ".size pt__dl_return, .-pt__dl_return\n");
extern char pt__dl_return[];

#define PT__DL_NEST 8 /* dlopen from a constructor run by a dlopen, and so on */
static PT__TLS struct {
    unsigned n;
    struct {
        uintptr_t slot, ret;
    } e[PT__DL_NEST];
} pt__dl_saved;

static int pt__dl_on;
/* [lo, hi) of dlopen and dlmopen: libc's, and those the program binds to when they differ (a
 * sanitizer's interceptors; one that only jumps to libc's leaves no frame of its own). */
static uintptr_t pt__dl_open[4][2];
static int pt__dl_nopen;

static void pt__dl_range(void *p, const char *name)
{
    size_t size = pt__dynsym_size(p, name);
    for (int i = 0; i < pt__dl_nopen; i++)
        if (pt__dl_open[i][0] == (uintptr_t)p)
            return;
    if (size && pt__dl_nopen < 4) {
        pt__dl_open[pt__dl_nopen][0] = (uintptr_t)p;
        pt__dl_open[pt__dl_nopen++][1] = (uintptr_t)p + size;
    }
}

/* libc's own definition of name, from libc's table (found through a function only libc has). */
static void *pt__libc_sym(const char *name)
{
    struct dl_find_object fo;
    if (_dl_find_object((void *)_dl_find_object, &fo) != 0 || !fo.dlfo_link_map)
        return NULL;
    const ElfW(Sym) *s = pt__dynsym(fo.dlfo_link_map->l_addr, fo.dlfo_link_map->l_ld, name);
    return s ? (void *)(fo.dlfo_link_map->l_addr + s->st_value) : NULL;
}

/* Redirect the return of the dlopen under way on this thread, once. */
static void pt__dl_redirect(void)
{
    uintptr_t *slot = pt__unwind_ret_slot((const uintptr_t(*)[2])pt__dl_open, pt__dl_nopen);
    if (!slot || *slot == (uintptr_t)pt__dl_return || pt__dl_saved.n == PT__DL_NEST)
        return; /* none (a load by libc itself), already redirected, or too deep */
    pt__dl_saved.e[pt__dl_saved.n].slot = (uintptr_t)slot;
    pt__dl_saved.e[pt__dl_saved.n].ret = *slot;
    pt__dl_saved.n++;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    *slot = (uintptr_t)pt__dl_return;
}

__attribute__((visibility("hidden"))) uintptr_t pt__dl_returned(uintptr_t sp)
{
    uintptr_t slot = sp - 8, ret = 0;
    unsigned i = pt__dl_saved.n;
    while (i > 0 && pt__dl_saved.e[i - 1].slot != slot)
        i--; /* entries above it were left by a longjmp out of a dlopen */
    if (i == 0) {
        static const char msg[] = "proftrace: dlopen returned to an unknown place; aborting\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        abort(); /* cannot happen: there is no address to return to */
    }
    ret = pt__dl_saved.e[i - 1].ret;
    pt__dl_saved.n = i - 1;
    int *ep = pt__errno();
    int saved = *ep;
    if (!pt__tls.busy && !pt__tls.vforked && atomic_load(&pt__state) == PT__ON) {
        uint8_t ob = pt__own_begin();
        pt__inline_rescan();
        pt__own_end(ob);
    }
    *ep = saved;
    return ret;
}

/* The replacement of _dl_debug_state: the loader's lock is held, no allocation may happen here
 * that the loader itself would not do, and nothing may be loaded. */
static void pt__dl_changed(void)
{
    if (pt__tls.busy || pt__tls.vforked || atomic_load(&pt__state) != PT__ON ||
        _r_debug.r_state != RT_CONSISTENT)
        return;
    int *ep = pt__errno();
    int saved = *ep;
    uint8_t ob = pt__own_begin();
    if (pt__loader_begin() == 0) {
        pt__modules_list();
        pt__loader_end();
    }
    if (pt__inline_auto_wanted())
        pt__dl_redirect();
    pt__own_end(ob);
    *ep = saved;
}

static int pt__is_pad(uint8_t b)
{
    /* bytes of the nop forms compilers pad with (nop, data16, cs, nopw/nopl, their operands) */
    return b == 0x90 || b == 0x66 || b == 0x2e || b == 0x0f || b == 0x1f || b == 0x84 ||
           b == 0x00 || b == 0x40 || b == 0x44 || b == 0x80 || b == 0xcc;
}

int pt__dl_watch_init(int single_threaded)
{
    pt__dl_range(pt__libc_sym("dlopen"), "dlopen");
    pt__dl_range(pt__libc_sym("dlmopen"), "dlmopen");
    pt__dl_range(dlsym(RTLD_DEFAULT, "dlopen"), "dlopen");
    pt__dl_range(dlsym(RTLD_DEFAULT, "dlmopen"), "dlmopen");
    void *p = single_threaded ? dlsym(RTLD_DEFAULT, "_dl_debug_state") : NULL;
    if (!p || ((uintptr_t)p & 15))
        return -1; /* a function start compilers align: what follows it up to 16 is padding */
    uint8_t *f = p;
    size_t body = f[0] == 0xc3 ? 1 : !memcmp(f, "\xf3\x0f\x1e\xfa\xc3", 5) ? 5 : 0;
    if (!body || pt__dynsym_size(p, "_dl_debug_state") != body)
        return -1; /* not the empty function this relies on */
    /* jmp rel32 (5 bytes) when the shim lies within 2 GiB, else jmp *0(%rip) and the address
     * (14 bytes: a sanitizer's shadow memory can put the shim farther away). */
    uint8_t code[16];
    size_t len;
    intptr_t rel = (intptr_t)(uintptr_t)pt__dl_changed - (intptr_t)((uintptr_t)f + 5);
    if (rel == (int32_t)rel) {
        int32_t r32 = (int32_t)rel;
        code[0] = 0xe9;
        memcpy(code + 1, &r32, 4);
        len = 5;
    } else {
        uint64_t abs = (uint64_t)(uintptr_t)pt__dl_changed;
        memcpy(code, "\xff\x25\x00\x00\x00\x00", 6);
        memcpy(code + 6, &abs, 8);
        len = 14;
    }
    for (size_t i = body; i < (len < 8 ? 8 : len); i++)
        if (!pt__is_pad(f[i]))
            return -1;
    uintptr_t page = (uintptr_t)f & ~(uintptr_t)4095; /* f..f+16 lie in one page: 16-aligned */
    if (mprotect((void *)page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC) < 0)
        return -1;
    if (len == 5) { /* one store of the aligned word: the jump and the padding as it was */
        uint64_t v;
        memcpy(code + 5, f + 5, 3);
        memcpy(&v, code, 8);
        __atomic_store_n((uint64_t *)f, v, __ATOMIC_SEQ_CST);
    } else {
        memcpy(f, code, len); /* one thread: nobody runs it meanwhile */
    }
    (void)mprotect((void *)page, 4096, PROT_READ | PROT_EXEC);
    pt__dl_on = 1;
    return 0;
}

int pt__dl_watching(void)
{
    return pt__dl_on;
}
