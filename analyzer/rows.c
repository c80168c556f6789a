/* rows.c — the call table (calls.h) as the model reads it: per row, its category, how it fails,
 * its role, and the indices of the fields the role names (struct pt__row, model.h). Everything is
 * a constant expression: a role that names a field the row does not record fails to compile. */
#include <stddef.h>

#include "analyzer/model.h"

/* Index + 1 of field f of call `name` (typed field access, event.h); RET for the result. */
#define IX(name, f) (1 + PT_FIELD(name, f))
#define IX_OR_RET(name, a) PT_PASTE(IX_OR_RET_, PT_ROLE_IS_RET(a))(name, a)
#define IX_OR_RET_1(name, a) PT__IX_RET
#define IX_OR_RET_0(name, a) IX(name, a)

/* What each role and kind names, as designated initializers of struct pt__row. */
#define ROLE_NONE(name, k, a, b)
#define ROLE_OPEN(name, k, a, b) OPEN_##k(name, a, b) OPEN_FLAGS_##k(name)
#define ROLE_CREATE(name, k, a, b) OPEN_##k(name, a, b)
#define OPEN_FILE(name, fd, path)                                                                  \
    .dev = IX(name, fd##_dev), .ino = IX(name, fd##_ino), .s = IX(name, path),
#define OPEN_SHM(name, fd, shm) OPEN_FILE(name, fd, shm)
#define OPEN_MAPPING(name, handle, n) .h = IX_OR_RET(name, handle), .s = IX(name, n),
#define OPEN_FLAGS_FILE(name) .flags = IX(name, flags), /* open(2)'s: an open-file hold? */
#define OPEN_FLAGS_SHM(name)
#define OPEN_FLAGS_MAPPING(name)
#define ROLE_CLOSE(name, k, a, b) .h = IX_OR_RET(name, a),
#define ROLE_HOLD_BEGIN(name, k, a, b) .h = IX_OR_RET(name, a), WHAT_##k(name, b)
#define ROLE_HOLD_CREATE(name, k, a, b) ROLE_HOLD_BEGIN(name, k, a, b)
#define WHAT_KEY(name, subkey) .s = IX(name, subkey),
#define WHAT_SESSION(name, profile) .s = IX(name, profile),
#define WHAT_VIEW(name, mapping) .n = IX(name, mapping),
#define WHAT_MAP(name, fd)                                                                         \
    .n = IX(name, fd), .dev = IX(name, fd##_dev), .ino = IX(name, fd##_ino),                       \
    .len = IX(name, length), .flags = IX(name, flags),
#define WHAT_SYSV(name, shmid) .n = IX(name, shmid),
#define ROLE_HOLD_END(name, k, a, b) .h = IX_OR_RET(name, a), END_##k(name)
#define END_KEY(name)
#define END_SESSION(name)
#define END_VIEW(name)
#define END_MAP(name) .len = IX(name, length),
#define END_SYSV(name)
#define ROLE_DELETE(name, k, a, b) DELETE_##k(name, a)
#define DELETE_FILE(name, what)                                                                    \
    .s = IX(name, what), .dev = IX(name, what##_dev), .ino = IX(name, what##_ino),
#define DELETE_SHM(name, what) DELETE_FILE(name, what)
#define DELETE_RENAME(name, what) DELETE_FILE(name, what)
#define DELETE_SYSV(name, shmid) .n = IX(name, shmid), .flags = IX(name, cmd),
#define DELETE_KEY(name, subkey) .s = IX(name, subkey),
#define DELETE_PROFILE(name, profile) .s = IX(name, profile),
#define ROLE_EXEC(name, k, a, b)
#define ROLE_FORK(name, k, a, b)

/* REG rows work on the key handle hKey (victims of a deleted key are found through it). */
#define HKEY_REG(name) .hkey = IX(name, hKey),
#define HKEY_MAP(name)
#define HKEY_IMP(name)
#define HKEY_MAPI(name)
#define HKEY_SHM(name)
#define HKEY_FILE(name)
#define HKEY_PROC(name)
#define HKEY_CRED(name)
#define HKEY_NS(name)

#define ROLE_APPLY(name, role) ROLE_APPLY_(name, PT_PASTE(ARGS_, role))
#define ROLE_APPLY_(name, ...) ROLE_DISPATCH(name, __VA_ARGS__)
#define ROLE_DISPATCH(name, type, k, a, b) ROLE_##type(name, k, a, b)
#define ARGS_NONE NONE, NONE, pt__count, pt__count
#define ARGS_OPEN(k, a, b) OPEN, k, a, b
#define ARGS_CREATE(k, a, b) CREATE, k, a, b
#define ARGS_CLOSE(k, a) CLOSE, k, a, pt__count
#define ARGS_HOLD_BEGIN(k, a, b) HOLD_BEGIN, k, a, b
#define ARGS_HOLD_CREATE(k, a, b) HOLD_CREATE, k, a, b
#define ARGS_HOLD_END(k, a) HOLD_END, k, a, pt__count
#define ARGS_DELETE(k, a) DELETE, k, a, pt__count
#define ARGS_EXEC EXEC, NONE, pt__count, pt__count
#define ARGS_FORK FORK, NONE, pt__count, pt__count

#define ROW(name, category, hook, cret, cparams, cargs, ret_kind, fields, role_)                   \
    [PT_CALL_##name] = {.cat = PT_CAT_##category,                                                  \
                        .retk = ret_kind,                                                          \
                        .vtbl = PT_PASTE(VTBL_, hook),                                             \
                        .role = PT_ROLE_TYPE(role_),                                               \
                        .kind = PT_ROLE_KIND(role_),                                               \
                        HKEY_##category(name) ROLE_APPLY(name, role_)},
#define VTBL_SYM 0
#define VTBL_HAND 0
#define VTBL_NESTED 0
#define VTBL_VTBL 1

const struct pt__row pt__rows[PT_CALL_COUNT] = {PT_CALLS_ROLE(ROW, )};

/* Method rows name their object first (calls.h): the victims of a session read This there. */
#define VTBL_THIS_FIRST(name, cat, hook, cret, cparams, cargs, retk, fields)                       \
    _Static_assert(PT_PASTE(VTBL_, hook) == 0 || PT_FIELD(name, PT_PASTE(THIS_, hook)) == 0,       \
                   #name ": a method's first field must be This");
#define THIS_SYM pt__count
#define THIS_HAND pt__count
#define THIS_NESTED pt__count
#define THIS_VTBL This
PT_CALLS(VTBL_THIS_FIRST, _)
