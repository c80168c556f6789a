/* stack.c — which events carry a stack (PROFTRACE_STACKS) and taking it (unwind.c). */
#include <ctype.h>
#include <dlfcn.h>
#include <link.h>
#include <string.h>
#include <strings.h>
#include <stdlib.h>
#include <unistd.h>

#include "preload/breakpoint.h"
#include "preload/shim.h"
#include "preload/unwind.h"

uint8_t pt__want[PT_CALL_COUNT];
int pt__want_fail, pt__want_delete;
static uintptr_t pt__self_lo, pt__self_hi; /* the shim's own code, skipped in stacks */

/* Rows that delete something, from the role column of calls.h (a SysV delete only with
 * IPC_RMID: its wrapper says so per call, with delete_hint). */
#define PT__ROW_DELETES(name, cat, hook, cret, cparams, cargs, retk, fields, role)                 \
    PT_ROLE_TYPE(role) == PT_ROLE_DELETE && PT_ROLE_KIND(role) != PT_K_SYSV,
static const uint8_t pt__row_deletes[PT_CALL_COUNT] = {PT_CALLS_ROLE(PT__ROW_DELETES, )};

static const char *const pt__cat_names[] = {
#define PT__CAT_NAME(c) #c,
    PT_CATEGORIES(PT__CAT_NAME)
#undef PT__CAT_NAME
};
#define PT__ROW_CAT(name, cat, hook, cret, cparams, cargs, retk, fields) PT_CAT_##cat,
static const uint8_t pt__row_cat[PT_CALL_COUNT] = {PT_CALLS(PT__ROW_CAT, )};
#define PT__ROW_NAME(name, cat, hook, cret, cparams, cargs, retk, fields) #name,
static const char *const pt__row_name[PT_CALL_COUNT] = {PT_CALLS(PT__ROW_NAME, )};

/* One word of the list: all, none, delete, fail, a category, or a function name. */
static void pt__stacks_word(const char *w, size_t n)
{
    if (n == 3 && !strncasecmp(w, "all", 3)) {
        memset(pt__want, 1, sizeof pt__want);
        pt__want_fail = pt__want_delete = 1;
    } else if (n == 4 && !strncasecmp(w, "none", 4)) {
        memset(pt__want, 0, sizeof pt__want);
        pt__want_fail = pt__want_delete = 0;
    } else if (n == 4 && !strncasecmp(w, "fail", 4)) {
        pt__want_fail = 1;
    } else if (n == 6 && !strncasecmp(w, "delete", 6)) {
        pt__want_delete = 1;
        for (unsigned i = 0; i < PT_CALL_COUNT; i++)
            if (pt__row_deletes[i])
                pt__want[i] = 1;
    } else {
        for (unsigned c = 0; c < PT_CAT_COUNT; c++)
            if (strlen(pt__cat_names[c]) == n && !strncasecmp(w, pt__cat_names[c], n))
                for (unsigned i = 0; i < PT_CALL_COUNT; i++)
                    if (pt__row_cat[i] == c)
                        pt__want[i] = 1;
        for (unsigned i = 0; i < PT_CALL_COUNT; i++)
            if (strlen(pt__row_name[i]) == n && !strncmp(w, pt__row_name[i], n))
                pt__want[i] = 1;
    }
}

void pt__stacks_config(const char *spec)
{
    /* The whole list replaces what was chosen before (an attach again, with other stacks). */
    memset(pt__want, 0, sizeof pt__want);
    pt__want_fail = pt__want_delete = 0;
    if (!spec)
        spec = "delete,MAPI,fail";
    while (*spec) {
        while (*spec == ',' || isspace((unsigned char)*spec))
            spec++;
        const char *w = spec;
        while (*spec && *spec != ',' && !isspace((unsigned char)*spec))
            spec++;
        if (spec > w)
            pt__stacks_word(w, (size_t)(spec - w));
    }
    Dl_info di;
    struct link_map *lm = NULL;
    if (dladdr1((void *)pt__stacks_config, &di, (void **)&lm, RTLD_DL_LINKMAP) && lm) {
        /* The shim's text: from its base to the end of its executable segments. */
        const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)di.dli_fbase;
        const ElfW(Phdr) *ph = (const ElfW(Phdr) *)((const char *)eh + eh->e_phoff);
        pt__self_lo = pt__self_hi = 0;
        for (int i = 0; i < eh->e_phnum; i++)
            if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X)) {
                uintptr_t a = lm->l_addr + ph[i].p_vaddr, b = a + ph[i].p_memsz;
                if (!pt__self_lo || a < pt__self_lo)
                    pt__self_lo = a;
                if (b > pt__self_hi)
                    pt__self_hi = b;
            }
    }
}

/* PROFTRACE_BREAK, parsed once, here with the other environment parsing (for the env fuzz
 * target): which conditions breakpoint.c checks (words in preload/breakpoint.h). */
int pt__break_armed;
unsigned pt__break_mask;

void pt__break_config(const char *spec)
{
    pt__break_mask = 0;
    pt__break_armed = 0;
    if (!spec || !*spec || !strcmp(spec, "0"))
        return;
    for (const char *p = spec; *p;) {
        size_t n = strcspn(p, ",");
        if (n == 11 && !strncmp(p, "delete-held", n))
            pt__break_mask |= PT__BRK_DELETE_HELD;
        else if (n == 11 && !strncmp(p, "key-deleted", n))
            pt__break_mask |= PT__BRK_KEY_DELETED;
        else if (n == 6 && !strncmp(p, "delete", n))
            pt__break_mask |= PT__BRK_DELETE;
        else if ((n == 1 && *p == '1') || (n == 3 && !strncmp(p, "all", n)))
            pt__break_mask |= PT__BRK_DELETE_HELD | PT__BRK_KEY_DELETED;
        p += n;
        if (*p == ',')
            p++;
    }
    if (!pt__break_mask) /* an unknown word still means the user wants to stop somewhere */
        pt__break_mask = PT__BRK_DELETE_HELD | PT__BRK_KEY_DELETED;
    pt__break_armed = 1;
}

__attribute__((noinline)) uint8_t pt__stack(uint64_t *frames)
{
    uintptr_t ip[PT_MAX_FRAMES + 8];
    int n = pt__unwind(ip, (int)(sizeof ip / sizeof ip[0]));
    uint8_t k = 0;
    int i = 0;
    while (i < n && ip[i] >= pt__self_lo && ip[i] < pt__self_hi)
        i++; /* the shim's own frames */
    for (; i < n && k < PT_MAX_FRAMES; i++)
        frames[k++] = (uint64_t)ip[i];
    pt__modules_note(frames, k); /* a stack is only useful if its modules are known */
    return k;
}
