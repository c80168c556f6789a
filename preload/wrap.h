/* wrap.h — generates the shim's per-row code from the call table (calls.h) by X-macro expansion.
 *
 * For every row `name` of PT_CALLS, PT__GEN_RECORDERS defines
 *   pt__pre_<name>(args)   identities that must be taken before the call (PATH, AT_PATH, SHM_NAME);
 *   pt__rec_<name>(args)   after the call: the field values (OUT_* read back, FD identities), the
 *                          optional stack, the encoded event, the row category's follow-up event
 *                          (cred after CRED/IMP rows, ns after NS rows);
 * and PT__GEN_WRAPPERS defines the interposed function itself for SYM and NESTED rows (HAND rows
 * are written in preload/hook_*.c from the same pieces, VTBL rows are generated in hook_mapi.c).
 *
 * A row's field list `F(kind, arg) F(kind, arg)` is expanded with F empty, which turns it into a
 * sequence of tuples `(kind, arg)(kind, arg)`; PT__SEQ walks that sequence once per stage (the
 * alternating _A/_B macros are the usual way to walk a sequence without recursion), so the same
 * list drives the pre-call capture, the values, the size and the encoding.
 */
#ifndef PT_PRELOAD_WRAP_H
#define PT_PRELOAD_WRAP_H

#include <string.h>

#include "preload/breakpoint.h"
#include "preload/holds_hooks.h"
#include "preload/shim.h"

/* ---- Walking a row's field sequence --------------------------------------------------------- */
#define PT__SEQ_END(...) PT__SEQ_END_(__VA_ARGS__)
#define PT__SEQ_END_(...) __VA_ARGS__##_END

#define PT__PRE_A(k, n) PT__PRE_##k(n) PT__PRE_B
#define PT__PRE_B(k, n) PT__PRE_##k(n) PT__PRE_A
#define PT__PRE_A_END
#define PT__PRE_B_END
#define PT__VAL_A(k, n) PT__VAL_##k(n) PT__VAL_B
#define PT__VAL_B(k, n) PT__VAL_##k(n) PT__VAL_A
#define PT__VAL_A_END
#define PT__VAL_B_END
#define PT__SZ_A(k, n) PT_CAP_##k(PT__WSZ, n) PT__SZ_B
#define PT__SZ_B(k, n) PT_CAP_##k(PT__WSZ, n) PT__SZ_A
#define PT__SZ_A_END
#define PT__SZ_B_END
#define PT__ENC_A(k, n) PT_CAP_##k(PT__WENC, n) PT__ENC_B
#define PT__ENC_B(k, n) PT_CAP_##k(PT__WENC, n) PT__ENC_A
#define PT__ENC_A_END
#define PT__ENC_B_END

/* ---- Stage 1: before the call (identities of what a path names now) ------------------------- */
#define PT__PRE_U32(n)
#define PT__PRE_I32(n)
#define PT__PRE_U64(n)
#define PT__PRE_FLAGS(n)
#define PT__PRE_HANDLE(n)
#define PT__PRE_STR(n)
#define PT__PRE_OUT_HANDLE(n)
#define PT__PRE_OUT_OBJECT(n)
#define PT__PRE_OUT_U32(n)
#define PT__PRE_OUT_STR(n)
#define PT__PRE_FD(n)
#define PT__PRE_RET_FD(n)
#define PT__PRE_PATH(n) pt__ident_at(&c->id[c->nid++ & 3], PT__AT_FDCWD, (n));
#define PT__PRE_AT_PATH(n) pt__ident_at(&c->id[c->nid++ & 3], (n##_dirfd), (n));
#define PT__PRE_SHM_NAME(n) pt__ident_shm(&c->id[c->nid++ & 3], (n));

/* ---- Stage 2: values, as locals pt__v_<field> (pt__l_<field>: string length) ---------------- */
#define PT__STRVAL(n, expr)                                                                        \
    const char *pt__v_##n = (expr);                                                                \
    size_t pt__l_##n = strnlen(pt__v_##n, PT__STR_MAX);
#define PT__IDVAL(n)                                                                               \
    uint64_t pt__v_##n##_dev = c->id[c->rid & 3].dev;                                              \
    uint64_t pt__v_##n##_ino = c->id[c->rid++ & 3].ino;
#define PT__VAL_U32(n) uint32_t pt__v_##n = (uint32_t)(n);
#define PT__VAL_I32(n) int32_t pt__v_##n = (int32_t)(n);
#define PT__VAL_U64(n) uint64_t pt__v_##n = (uint64_t)(n);
#define PT__VAL_FLAGS(n) uint64_t pt__v_##n = (uint64_t)(uintptr_t)(n);
#define PT__VAL_HANDLE(n) uint64_t pt__v_##n = (uint64_t)(uintptr_t)(n);
/* A string the kernel refused to read (EFAULT) is not read here either: recorded as "". */
#define PT__VAL_STR(n)                                                                             \
    PT__STRVAL(n, (n) && !(c->failed && c->err == EFAULT) ? (const char *)(n) : "")
#define PT__VAL_OUT_HANDLE(n)                                                                      \
    uint64_t pt__v_##n = (!c->failed && (n)) ? (uint64_t)(uintptr_t) * (n) : 0;
#define PT__VAL_OUT_OBJECT(n)                                                                      \
    PT__VAL_OUT_HANDLE(n)                                                                          \
    if (pt__v_##n) {                                                                               \
        uint8_t pt__ob = pt__own_begin();                                                          \
        pt__wrap_object(c->call, (void *)(uintptr_t)pt__v_##n);                                    \
        pt__own_end(pt__ob);                                                                       \
    }
#define PT__VAL_OUT_U32(n) uint32_t pt__v_##n = (!c->failed && (n)) ? (uint32_t) * (n) : 0;
#define PT__VAL_OUT_STR(n) PT__STRVAL(n, (!c->failed && (n)) ? (const char *)(n) : "")
#define PT__VAL_PATH(n) PT__VAL_STR(n) PT__IDVAL(n)
#define PT__VAL_AT_PATH(n)                                                                         \
    int32_t pt__v_##n##_dirfd = (int32_t)(n##_dirfd);                                              \
    PT__VAL_PATH(n)
#define PT__VAL_SHM_NAME(n) PT__VAL_PATH(n)
#define PT__VAL_FD(n)                                                                              \
    int32_t pt__v_##n = (int32_t)(n);                                                              \
    struct pt__ident pt__i_##n = {0, 0};                                                           \
    if ((n) >= 0)                                                                                  \
        pt__ident_fd(&pt__i_##n, (n));                                                             \
    uint64_t pt__v_##n##_dev = pt__i_##n.dev, pt__v_##n##_ino = pt__i_##n.ino;

#define PT__VAL_RET_FD(n)                                                                          \
    struct pt__ident pt__i_##n = {0, 0};                                                           \
    if (!c->failed)                                                                                \
        pt__ident_fd(&pt__i_##n, (int)c->ret);                                                     \
    uint64_t pt__v_##n##_dev = pt__i_##n.dev, pt__v_##n##_ino = pt__i_##n.ino;

/* ---- Stages 3 and 4: size and encoding, per wire field (event.h's PT_CAP_* expansions) ------- */
#define PT__WSZ(wire, f) +PT__WSZ_##wire(f)
#define PT__WSZ_U8(f) 1
#define PT__WSZ_U16(f) 2
#define PT__WSZ_U32(f) 4
#define PT__WSZ_I32(f) 4
#define PT__WSZ_U64(f) 8
#define PT__WSZ_I64(f) 8
#define PT__WSZ_X64(f) 8
#define PT__WSZ_STR(f) pt_size_str(pt__l_##f)
#define PT__WENC(wire, f) PT__WENC_##wire(f)
#define PT__WENC_U8(f) pt_enc_u8(&e, pt__v_##f);
#define PT__WENC_U16(f) pt_enc_u16(&e, pt__v_##f);
#define PT__WENC_U32(f) pt_enc_u32(&e, pt__v_##f);
#define PT__WENC_I32(f) pt_enc_i32(&e, pt__v_##f);
#define PT__WENC_U64(f) pt_enc_u64(&e, pt__v_##f);
#define PT__WENC_I64(f) pt_enc_i64(&e, pt__v_##f);
#define PT__WENC_X64(f) pt_enc_x64(&e, pt__v_##f);
#define PT__WENC_STR(f) pt_enc_str(&e, pt__v_##f, pt__l_##f);

/* ---- Return kinds: declaring, calling, judging, returning ----------------------------------- */
#define PT__DECL_RET_PT_RET_VOID(cret)
#define PT__DO_CALL_PT_RET_VOID(fn, cargs) fn cargs;
#define PT__RET_VAL_PT_RET_VOID(c) (c).ret = 0;
#define PT__RETURN_PT_RET_VOID return;
#define PT__MISSING_PT_RET_VOID(cret) return;
#define PT__PASS_PT_RET_VOID(fn, cargs)                                                            \
    fn cargs;                                                                                      \
    return;
#define PT__PASS_ANY(fn, cargs) return fn cargs;
#define PT__PASS_PT_RET_W32 PT__PASS_ANY
#define PT__PASS_PT_RET_HRESULT PT__PASS_ANY
#define PT__PASS_PT_RET_BOOL_W32 PT__PASS_ANY
#define PT__PASS_PT_RET_HANDLE_W32 PT__PASS_ANY
#define PT__PASS_PT_RET_INT_ERRNO PT__PASS_ANY
#define PT__PASS_PT_RET_FD_ERRNO PT__PASS_ANY
#define PT__PASS_PT_RET_PTR_ERRNO PT__PASS_ANY
#define PT__PASS_PT_RET_ULONG PT__PASS_ANY
#define PT__PASS_PT_RET_ERRNUM PT__PASS_ANY
#define PT__DECL_RET_ANY(cret) cret pt__r;
#define PT__DO_CALL_ANY(fn, cargs) pt__r = fn cargs;
#define PT__RET_VAL_ANY(c) (c).ret = (int64_t)(intptr_t)pt__r;
#define PT__RETURN_ANY return pt__r;
#define PT__DECL_RET_PT_RET_W32 PT__DECL_RET_ANY
#define PT__DECL_RET_PT_RET_HRESULT PT__DECL_RET_ANY
#define PT__DECL_RET_PT_RET_BOOL_W32 PT__DECL_RET_ANY
#define PT__DECL_RET_PT_RET_HANDLE_W32 PT__DECL_RET_ANY
#define PT__DECL_RET_PT_RET_INT_ERRNO PT__DECL_RET_ANY
#define PT__DECL_RET_PT_RET_FD_ERRNO PT__DECL_RET_ANY
#define PT__DECL_RET_PT_RET_PTR_ERRNO PT__DECL_RET_ANY
#define PT__DECL_RET_PT_RET_ULONG PT__DECL_RET_ANY
#define PT__DECL_RET_PT_RET_ERRNUM PT__DECL_RET_ANY
#define PT__DO_CALL_PT_RET_W32 PT__DO_CALL_ANY
#define PT__DO_CALL_PT_RET_HRESULT PT__DO_CALL_ANY
#define PT__DO_CALL_PT_RET_BOOL_W32 PT__DO_CALL_ANY
#define PT__DO_CALL_PT_RET_HANDLE_W32 PT__DO_CALL_ANY
#define PT__DO_CALL_PT_RET_INT_ERRNO PT__DO_CALL_ANY
#define PT__DO_CALL_PT_RET_FD_ERRNO PT__DO_CALL_ANY
#define PT__DO_CALL_PT_RET_PTR_ERRNO PT__DO_CALL_ANY
#define PT__DO_CALL_PT_RET_ULONG PT__DO_CALL_ANY
#define PT__DO_CALL_PT_RET_ERRNUM PT__DO_CALL_ANY
#define PT__RET_VAL_PT_RET_W32 PT__RET_VAL_ANY
#define PT__RET_VAL_PT_RET_HRESULT PT__RET_VAL_ANY
#define PT__RET_VAL_PT_RET_BOOL_W32 PT__RET_VAL_ANY
#define PT__RET_VAL_PT_RET_HANDLE_W32 PT__RET_VAL_ANY
#define PT__RET_VAL_PT_RET_INT_ERRNO PT__RET_VAL_ANY
#define PT__RET_VAL_PT_RET_FD_ERRNO PT__RET_VAL_ANY
#define PT__RET_VAL_PT_RET_PTR_ERRNO PT__RET_VAL_ANY
#define PT__RET_VAL_PT_RET_ULONG PT__RET_VAL_ANY
#define PT__RET_VAL_PT_RET_ERRNUM PT__RET_VAL_ANY
#define PT__RETURN_PT_RET_W32 PT__RETURN_ANY
#define PT__RETURN_PT_RET_HRESULT PT__RETURN_ANY
#define PT__RETURN_PT_RET_BOOL_W32 PT__RETURN_ANY
#define PT__RETURN_PT_RET_HANDLE_W32 PT__RETURN_ANY
#define PT__RETURN_PT_RET_INT_ERRNO PT__RETURN_ANY
#define PT__RETURN_PT_RET_FD_ERRNO PT__RETURN_ANY
#define PT__RETURN_PT_RET_PTR_ERRNO PT__RETURN_ANY
#define PT__RETURN_PT_RET_ULONG PT__RETURN_ANY
#define PT__RETURN_PT_RET_ERRNUM PT__RETURN_ANY

/* What an interposed function returns when the real one does not exist in this process (only a
 * dlsym(RTLD_DEFAULT) lookup can reach the shim's copy then): "not implemented", never a crash. */
#define PT__MISSING_PT_RET_W32(cret) return (cret)120;             /* ERROR_CALL_NOT_IMPLEMENTED */
#define PT__MISSING_PT_RET_HRESULT(cret) return (cret)0x80004001u; /* E_NOTIMPL */
#define PT__MISSING_PT_RET_BOOL_W32(cret) return (cret)0;
#define PT__MISSING_PT_RET_HANDLE_W32(cret) return (cret)0;
#define PT__MISSING_PT_RET_INT_ERRNO(cret) return (errno = ENOSYS, (cret)-1);
#define PT__MISSING_PT_RET_FD_ERRNO(cret) return (errno = ENOSYS, (cret)-1);
#define PT__MISSING_PT_RET_PTR_ERRNO(cret) return (errno = ENOSYS, (cret)(intptr_t)-1);
#define PT__MISSING_PT_RET_ULONG(cret) return (cret)0;
#define PT__MISSING_PT_RET_ERRNUM(cret) return (cret)ENOSYS;

/* Failure and error per return kind (event.h). */
#define PT__FAIL_PT_RET_VOID(c) (c).failed = 0, (c).err = 0;
#define PT__FAIL_PT_RET_W32(c) (c).failed = (c).ret != 0, (c).err = (int32_t)(c).ret;
#define PT__FAIL_PT_RET_HRESULT(c) (c).failed = (int32_t)(c).ret < 0, (c).err = 0;
#define PT__FAIL_PT_RET_BOOL_W32(c)                                                                \
    (c).failed = (c).ret == 0, (c).err = (c).failed ? (int32_t)pt__last_error() : 0;
#define PT__FAIL_PT_RET_HANDLE_W32(c) PT__FAIL_PT_RET_BOOL_W32(c)
#define PT__FAIL_PT_RET_INT_ERRNO(c)                                                               \
    (c).failed = (c).ret == -1, (c).err = (c).failed ? (c).saved_errno : 0;
#define PT__FAIL_PT_RET_FD_ERRNO(c)                                                                \
    (c).failed = (c).ret < 0, (c).err = (c).failed ? (c).saved_errno : 0;
#define PT__FAIL_PT_RET_PTR_ERRNO(c) PT__FAIL_PT_RET_INT_ERRNO(c)
#define PT__FAIL_PT_RET_ULONG(c) (c).failed = 0, (c).err = 0;
#define PT__FAIL_PT_RET_ERRNUM(c) (c).failed = (c).ret != 0, (c).err = (int32_t)(c).ret;

/* `code` with the re-entry guard up (it may call functions the shim wraps: see shim.h). */
#define PT__OWNED(code)                                                                            \
    {                                                                                              \
        uint8_t pt__ob = pt__own_begin();                                                          \
        code pt__own_end(pt__ob);                                                                  \
    }

/* Follow-up events per category: the state a successful call changed. */
#define PT__AFTER_REG(name)
#define PT__AFTER_MAP(name)
#define PT__AFTER_MAPI(name)
#define PT__AFTER_SHM(name)
#define PT__AFTER_FILE(name)
#define PT__AFTER_PROC(name)
#define PT__AFTER_IMP(name)                                                                        \
    if (!c->failed && PT_CALL_##name != PT_CALL_LogonUserA)                                        \
        PT__OWNED(pt__emit_cred();)
#define PT__AFTER_CRED(name)                                                                       \
    if (!c->failed)                                                                                \
        PT__OWNED(pt__emit_cred();)
#define PT__AFTER_NS(name)                                                                         \
    if (!c->failed)                                                                                \
        PT__OWNED(pt__emit_ns();)

/* ---- The per-row recorders ------------------------------------------------------------------- */
#define PT__GEN_REC(name, cat, hook, cret, cparams, cargs, retk, fields, role)                     \
    static inline __attribute__((unused)) void pt__pre_##name cparams                              \
    {                                                                                              \
        struct pt__call *c __attribute__((unused)) = pt__tls.cur;                                  \
        PT__SEQ_END(PT__PRE_A fields)                                                              \
    }                                                                                              \
    static inline __attribute__((unused)) void pt__rec_##name cparams                              \
    {                                                                                              \
        struct pt__call *c = pt__tls.cur;                                                          \
        const enum pt_ret_kind pt__retk __attribute__((unused)) = retk;                            \
        PT__SEQ_END(PT__VAL_A fields)                                                              \
        uint64_t pt__fr[PT_MAX_FRAMES];                                                            \
        uint8_t pt__nf = 0;                                                                        \
        if (pt__stack_wanted(PT_CALL_##name, c->failed, c->delete_hint))                           \
            pt__nf = pt__stack_guarded(pt__fr);                                                    \
        size_t pt__size = pt_size_call(c->t0, c->t1, c->ret, pt__nf) PT__SEQ_END(PT__SZ_A fields); \
        struct pt_enc e;                                                                           \
        if (pt__begin(PT_EV_CALL_FIRST + PT_CALL_##name, pt__size, c->t1,                          \
                      pt__event_keep(PT_EV_CALL_FIRST + PT_CALL_##name, c), &e) == 0) {           \
            pt_enc_call(&e, c->t0, c->t1, c->depth, c->ret, c->err, pt__fr, pt__nf);               \
            PT__SEQ_END(PT__ENC_A fields)                                                          \
            pt__commit(&e);                                                                        \
        }                                                                                          \
        if (PT__UNLIKELY(pt__break_armed))                                                         \
            PT__OWNED(pt__break_after(c);)                                                         \
        PT__HOLD_HOOK(role, retk)                                                                  \
        PT__AFTER_##cat(name)                                                                      \
    }

#define PT__GEN_RECORDERS PT_CALLS_ROLE(PT__GEN_REC, )

/* The traced path of a wrapper, once it knows it may trace and `pt__fn` is the real function.
 * PT__TRACED_CALL_NORET leaves the result in pt__r and the call record in pt__c. */
#define PT__TRACED_CALL_NORET(name, cret, cargs, retk, hint)                                       \
    struct pt__call pt__c;                                                                         \
    PT__DECL_RET_##retk(cret) pt__call_begin(&pt__c, PT_CALL_##name);                              \
    pt__c.delete_hint = (hint);                                                                    \
    pt__pre_##name cargs;                                                                          \
    if (PT__UNLIKELY(pt__break_armed))                                                             \
        PT__OWNED(pt__break_before(&pt__c);)                                                       \
    pt__call_enter(&pt__c);                                                                        \
    PT__DO_CALL_##retk(pt__fn, cargs) pt__call_leave(&pt__c);                                      \
    PT__RET_VAL_##retk(pt__c) PT__FAIL_##retk(pt__c) pt__rec_##name cargs;                         \
    pt__call_end(&pt__c);
#define PT__TRACED_CALL(name, cret, cargs, retk)                                                   \
    PT__TRACED_CALL_NORET(name, cret, cargs, retk, 0)                                              \
    PT__RETURN_##retk

/* Resolving the real function on the untraced path (before init, inside the shim, inert). */
#define PT__REAL_OR_MISSING(name, cret, retk)                                                      \
    if (PT__UNLIKELY(!pt__fn)) {                                                                   \
        pt__fn = (__typeof__(pt__fn))pt__resolve(#name);                                           \
        if (!pt__fn) {                                                                             \
            PT__MISSING_##retk(cret)                                                               \
        }                                                                                          \
        pt__real.name = pt__fn;                                                                    \
    }

/* ---- The interposed functions ---------------------------------------------------------------- */
#define PT__GEN_WRAP(name, cat, hook, cret, cparams, cargs, retk, fields)                          \
    PT__GEN_WRAP_##hook(name, cret, cparams, cargs, retk)
#define PT__GEN_WRAP_HAND(name, cret, cparams, cargs, retk)
#define PT__GEN_WRAP_VTBL(name, cret, cparams, cargs, retk)
#define PT__GEN_WRAP_SYM(name, cret, cparams, cargs, retk)                                         \
    PT__EXPORT cret name cparams                                                                   \
    {                                                                                              \
        __typeof__(pt__real.name) pt__fn = pt__real.name;                                          \
        PT__REAL_OR_MISSING(name, cret, retk) /* a library loaded later: found on first use */    \
        if (PT__UNLIKELY(!pt__may_trace_row())) {                                                  \
            PT__PASS_##retk(pt__fn, cargs)                                                         \
        }                                                                                          \
        PT__TRACED_CALL(name, cret, cargs, retk)                                                   \
    }
#define PT__GEN_WRAP_NESTED(name, cret, cparams, cargs, retk)                                      \
    PT__EXPORT cret name cparams                                                                   \
    {                                                                                              \
        __typeof__(pt__real.name) pt__fn = pt__real.name;                                          \
        if (PT__LIKELY(pt__tls.depth == 0) || PT__UNLIKELY(!pt__may_trace() || !pt__fn)) {         \
            PT__REAL_OR_MISSING(name, cret, retk)                                                  \
            PT__PASS_##retk(pt__fn, cargs)                                                         \
        }                                                                                          \
        PT__TRACED_CALL(name, cret, cargs, retk)                                                   \
    }

#define PT__GEN_WRAPPERS PT_CALLS(PT__GEN_WRAP, )

#endif
