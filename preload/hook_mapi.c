/* hook_mapi.c — tracing the methods of the objects MAPI hands out (the VTBL rows of calls.h).
 *
 * MAPILogonEx and MAPIAdminProfiles return COM-style objects: a pointer whose first member is the
 * method table. The shim gives each such object a copy of its table with the traced slots replaced
 * by the generated wrappers below; the copy keeps a pointer to the original table just before its
 * first slot, which is how a wrapper finds the real method. Only the public slot order of the
 * interfaces is known here, nothing of the library's objects. One copy is made per distinct
 * original table and kept for the life of the process (objects of one class share their table).
 */
#include <stdlib.h>

#include "preload/wrap.h"

/* Interfaces and their slot counts, in the real MAPI slot order. */
enum { PT__IF_NONE, PT__IF_SESSION, PT__IF_PROFADMIN };
#define PT__SLOTS_SESSION 19   /* QueryInterface .. PrepareForm */
#define PT__SLOTS_PROFADMIN 12 /* QueryInterface .. AdminServices */

/* Each VTBL row: its interface and slot. */
#define PT__VT_IProfAdmin_Release PT__IF_PROFADMIN, 2
#define PT__VT_IProfAdmin_CreateProfile PT__IF_PROFADMIN, 5
#define PT__VT_IProfAdmin_DeleteProfile PT__IF_PROFADMIN, 6
#define PT__VT_IMAPISession_Release PT__IF_SESSION, 2
#define PT__VT_IMAPISession_OpenMsgStore PT__IF_SESSION, 5
#define PT__VT_IMAPISession_Logoff PT__IF_SESSION, 14
#define PT__VT_SLOT(name) PT__VT_SLOT_(PT__VT_##name)
#define PT__VT_SLOT_(...) PT__VT_SLOT__(__VA_ARGS__)
#define PT__VT_SLOT__(iface, slot) slot
#define PT__VT_IFACE(name) PT__VT_IFACE_(PT__VT_##name)
#define PT__VT_IFACE_(...) PT__VT_IFACE__(__VA_ARGS__)
#define PT__VT_IFACE__(iface, slot) iface

PT__GEN_RECORDERS

/* The method wrappers: the real method is the same slot of the original table. */
#define PT__GEN_VT(name, cat, hook, cret, cparams, cargs, retk, fields)                            \
    PT__GEN_VT_##hook(name, cret, cparams, cargs, retk)
#define PT__GEN_VT_SYM(name, cret, cparams, cargs, retk)
#define PT__GEN_VT_HAND(name, cret, cparams, cargs, retk)
#define PT__GEN_VT_NESTED(name, cret, cparams, cargs, retk)
#define PT__GEN_VT_VTBL(name, cret, cparams, cargs, retk)                                          \
    static cret pt__vt_##name cparams                                                              \
    {                                                                                              \
        void **pt__orig = (void **)(*(void ***)This)[-1];                                          \
        cret(*pt__fn) cparams;                                                                     \
        *(void **)&pt__fn = pt__orig[PT__VT_SLOT(name)];                                           \
        if (PT__UNLIKELY(!pt__may_trace())) {                                                      \
            PT__PASS_##retk(pt__fn, cargs)                                                         \
        }                                                                                          \
        PT__TRACED_CALL(name, cret, cargs, retk)                                                   \
    }
PT_CALLS(PT__GEN_VT, )

struct pt__vt_slot {
    int iface, slot;
    void *fn;
};
#define PT__VT_ROW(name, cat, hook, cret, cparams, cargs, retk, fields) PT__VT_ROW_##hook(name)
#define PT__VT_ROW_SYM(name)
#define PT__VT_ROW_HAND(name)
#define PT__VT_ROW_NESTED(name)
#define PT__VT_ROW_VTBL(name) {PT__VT_IFACE(name), PT__VT_SLOT(name), (void *)pt__vt_##name},
static const struct pt__vt_slot pt__vt_slots[] = {PT_CALLS(PT__VT_ROW, )};

/* Copies made so far: original table -> copy (its slots; slots[-1] is the original). */
#define PT__MAX_TABLES 32
static struct {
    void **_Atomic orig;
    void **_Atomic slots;
} pt__tables[PT__MAX_TABLES];

static int pt__is_ours(void **vt)
{
    for (unsigned i = 0; i < PT__MAX_TABLES; i++)
        if (atomic_load(&pt__tables[i].slots) == vt)
            return 1;
    return 0;
}

static void **pt__copy_for(void **orig, int iface)
{
    for (unsigned i = 0; i < PT__MAX_TABLES; i++)
        if (atomic_load(&pt__tables[i].orig) == orig && atomic_load(&pt__tables[i].slots))
            return atomic_load(&pt__tables[i].slots);
    unsigned n = iface == PT__IF_SESSION ? PT__SLOTS_SESSION : PT__SLOTS_PROFADMIN;
    void **copy = calloc(n + 1, sizeof(void *));
    if (!copy)
        return NULL;
    copy[0] = orig;
    for (unsigned s = 0; s < n; s++)
        copy[1 + s] = orig[s];
    for (unsigned k = 0; k < sizeof pt__vt_slots / sizeof pt__vt_slots[0]; k++)
        if (pt__vt_slots[k].iface == iface)
            copy[1 + pt__vt_slots[k].slot] = pt__vt_slots[k].fn;
    for (unsigned i = 0; i < PT__MAX_TABLES; i++) {
        void **expect = NULL;
        if (atomic_compare_exchange_strong(&pt__tables[i].orig, &expect, orig)) {
            atomic_store(&pt__tables[i].slots, copy + 1);
            return copy + 1;
        }
    }
    return copy + 1; /* table full: this object still gets its own (leaked) copy */
}

void pt__wrap_object(unsigned call, void *obj)
{
    int iface = call == PT_CALL_MAPILogonEx         ? PT__IF_SESSION
                : call == PT_CALL_MAPIAdminProfiles ? PT__IF_PROFADMIN
                                                    : PT__IF_NONE;
    if (iface == PT__IF_NONE || !obj)
        return;
    void **vt = *(void ***)obj;
    if (!vt || pt__is_ours(vt))
        return; /* the same object handed out again */
    void **copy = pt__copy_for(vt, iface);
    if (copy)
        *(void ***)obj = copy;
}
