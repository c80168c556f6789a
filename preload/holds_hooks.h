/* holds_hooks.h — which traced calls feed the holds table, generated from the role column of the
 * call table (calls.h).
 *
 * PT__HOLD_HOOK(role, retk) is expanded by the generated recorder of every row (wrap.h), where the
 * recorded values are locals named pt__v_<field> and `c` is the call. A role the table acts on
 * becomes one call into holds.c; every other role expands to nothing, so those rows pay nothing,
 * not even a test. Per kind:
 *   OPEN(FILE)         the identity of a descriptor opened inside another call (a key's directory);
 *                      an open-file hold (open_holds.h) marked and published;
 *   CLOSE(FILE)        nothing here: the wrapper withdraws the hold before the descriptor is
 *                      closed (preload/hook_open.c);
 *   HOLD_BEGIN / HOLD_CREATE / HOLD_END of KEY, SESSION and MAP: published and withdrawn;
 *   SESSION ends at a release that returns a reference count only when the count reaches 0;
 *   VIEW, SYSV, MAPPING and SHM are not in the table (the breakpoint checks descriptors' and key
 *   directories' identities only); a VIEW or SYSV begun is noted all the same (pt__holds_begin_seen:
 *   a fork child of a process that held anything starts at once, preload/fork_start.c).
 * The table is not signal-safe, so a hook runs with the re-entry guard up (PT__OWNED, wrap.h).
 */
#ifndef PT_PRELOAD_HOLDS_HOOKS_H
#define PT_PRELOAD_HOLDS_HOOKS_H

#include "preload/holds.h"
#include "proftrace/calls.h"

#define PT__HOLD_HOOK(role, retk) PT_PASTE(PT__HH_, role)

/* A role argument's value: RET is the call's result, anything else the recorded field. (Its own
 * paste: PT_PASTE is still being expanded here.) */
#define PT__HH_VAL(a) PT__HH_CAT(PT__HH_VAL_, PT_ROLE_IS_RET(a))(a)
#define PT__HH_CAT(a, b) PT__HH_CAT_(a, b)
#define PT__HH_CAT_(a, b) a##b
#define PT__HH_VAL_1(a) ((uint64_t)c->ret)
#define PT__HH_VAL_0(a) pt__v_##a

#define PT__HH_NONE
#define PT__HH_CREATE(kind, result, name)
#define PT__HH_CLOSE(kind, handle)
#define PT__HH_EXEC
#define PT__HH_FORK
#define PT__HH_DELETE(kind, what)
#define PT__HH_OPEN(kind, result, name) PT__HH_OPEN_##kind(result, name)
#define PT__HH_HOLD_BEGIN(kind, handle, what) PT__HH_BEGIN_##kind(handle, what)
#define PT__HH_HOLD_CREATE(kind, handle, what) PT__HH_BEGIN_##kind(handle, what)
#define PT__HH_HOLD_END(kind, handle) PT__HH_END_##kind(handle)

#define PT__HH_OPEN_FILE(fd, path)                                                                 \
    PT__OWNED(pt__hold_file_open(c->t1, c->failed, c->ret, pt__v_flags, pt__v_##fd##_dev,          \
                                 pt__v_##fd##_ino, pt__i_##fd.regular, pt__v_##path);)
#define PT__HH_OPEN_SHM(fd, name)
#define PT__HH_OPEN_MAPPING(handle, name)

#define PT__HH_BEGIN_KEY(handle, subkey)                                                           \
    PT__OWNED(pt__hold_key_open(c->t0, c->failed, PT__HH_VAL(handle), pt__v_##subkey);)
#define PT__HH_END_KEY(handle) PT__OWNED(pt__hold_key_close(c->failed, PT__HH_VAL(handle));)
#define PT__HH_BEGIN_SESSION(handle, profile)                                                      \
    PT__OWNED(pt__hold_logon(c->t0, c->failed, pt__v_##profile, PT__HH_VAL(handle));)
#define PT__HH_END_SESSION(handle)                                                                 \
    PT__OWNED(pt__hold_session_end(PT__HH_VAL(handle), pt__retk == PT_RET_ULONG, c->ret);)
#define PT__HH_BEGIN_MAP(handle, fd)                                                               \
    PT__OWNED(pt__hold_mmap(c->failed, PT__HH_VAL(handle), pt__v_flags, pt__v_##fd##_dev,         \
                            pt__v_##fd##_ino);)
#define PT__HH_END_MAP(handle) PT__OWNED(pt__hold_munmap(c->failed, PT__HH_VAL(handle));)
#define PT__HH_BEGIN_VIEW(handle, mapping)                                                         \
    if (!c->failed)                                                                                \
        pt__holds_begin_seen();
#define PT__HH_END_VIEW(handle)
#define PT__HH_BEGIN_SYSV(handle, shmid)                                                           \
    if (!c->failed)                                                                                \
        pt__holds_begin_seen();
#define PT__HH_END_SYSV(handle)

#endif
