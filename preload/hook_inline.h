/* hook_inline.h — inline hooks in the shim: the API rows where interposition cannot reach them
 * (hook_inline.c) and PROFTRACE_HOOKS (hook_spec.c). */
#ifndef PT_PRELOAD_HOOK_INLINE_H
#define PT_PRELOAD_HOOK_INLINE_H

/* From pt__init, once the shim is on: PROFTRACE_INLINE and PROFTRACE_HOOKS read, the loaded
 * objects scanned and hooked. No-op when built without the inline engine. */
void pt__inline_init(void);
/* Scan objects loaded since the last scan (after a dlopen). Runs with busy set. */
void pt__inline_rescan(void);
/* The trampoline standing for the real `name` when an API row was hooked inline, else NULL. */
void *pt__inline_real(const char *name);
/* Whether automatic hooking of the API rows is on (PROFTRACE_INLINE is not "off"). */
int pt__inline_auto_wanted(void);
/* PROFTRACE_INLINE has ",verbose": one stderr line per hook and per refusal of the dlopen watch. */
int pt__inline_verbose(void);
/* Load the inline engine (libproftrace-inline.so, capstone) if that has not been done: 0, or -1
 * when it cannot be (said once on stderr). Never from inside the loader (see hook_inline.c). */
int pt__inline_engine(void);
#include <stddef.h>
/* pt_inline_hook of the engine, loading it first; -ENOTSUP without it. */
int pt__inline_hook(const char *name, void *target, size_t size, void *replacement,
                    void **trampoline, char *why, size_t whylen);
/* PROFTRACE_HOOKS (hook_spec.c); also sets up the dlopen watch when automatic hooking is on. */
void pt__hooks_spec_init(const char *spec);

#endif
