/* shim.h — internals shared by the files of libproftrace.so (nothing here is public).
 *
 * How a traced call runs (the generated wrappers of wrap.h and the hand-written ones of hook_*.c):
 *   1. fast checks on this thread's initial-exec TLS: not inside the shim itself (`busy`), the shim
 *      is on, the real function is known; otherwise straight through to the real function;
 *   2. pt__call_begin: errno saved, entry time, identities that must be taken before the call
 *      (what a path names before it is unlinked);
 *   3. the real call, with `depth` raised so calls it makes are recorded as nested;
 *   4. pt__call_end: result, error, exit time; then the row's recording function encodes the
 *      event into this thread's buffer of the ring; errno is restored last.
 * The re-entry guard `busy` is set only around the shim's own calls to code that may reach a
 * wrapper (stack unwinding, the holds table, cred/ns events, dlsym, pthread_setspecific, init,
 * fork): calls made from there are never traced and never recurse (pt__own_begin/pt__own_end).
 * The bookkeeping of steps 2 and 4 runs without it, because a signal handler may interrupt it and
 * make traced calls of its own: those are recorded like any other (the ring takes nested
 * reservations; `cur` and `depth` are restored by the nested call before the handler returns), not
 * passed through unseen. A handler that lands inside one of the guarded windows still passes
 * through unrecorded (docs/security.md, "Known limits"). Nothing here takes a lock: a thread that
 * finds the shim initialising passes through.
 */
#ifndef PT_PRELOAD_SHIM_H
#define PT_PRELOAD_SHIM_H

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "proftrace/calls.h"
#include "proftrace/event.h"
#include "proftrace/ring.h"
#include "tracer/ring_fast.h"

#define PT__EXPORT __attribute__((visibility("default")))
#define PT__TLS __thread __attribute__((tls_model("initial-exec")))
#define PT__LIKELY(x) __builtin_expect(!!(x), 1)
#define PT__UNLIKELY(x) __builtin_expect(!!(x), 0)
#define PT__STR_MAX 4096    /* longest string recorded; longer ones are cut */
#define PT__AT_FDCWD (-100) /* AT_FDCWD, without <fcntl.h> whose open() prototype is variadic */

/* Values of pt__tls.busy besides 0 and 1: the thread is unwinding a stack (pt__stack_guarded). */
#define PT__BUSY_STACK 2

/* Shim states (pt__state). */
enum { PT__UNINIT = 0, PT__INITING, PT__ON, PT__INERT };

/* Identity of a named object: what stat() said. Zero when it could not be stat'ed. */
struct pt__ident {
    uint64_t dev, ino;
    int regular; /* a regular file */
};

/* One call in progress on this thread (lives on the wrapper's stack). */
struct pt__call {
    struct pt__call *prev; /* the call this one interrupted (signal handler), restored at end */
    unsigned call;         /* enum pt_call */
    uint64_t t0, t1;
    int64_t ret;
    int32_t err;
    int failed;
    uint8_t delete_hint; /* this call deletes (for rows that delete only sometimes: shmctl) */
    uint8_t depth;
    uint8_t nid, rid; /* identities taken before the call / consumed by the recorder */
    int saved_errno;
    struct pt__ident id[4];
};

/* Per-thread state, initial-exec TLS so reading it never allocates or calls into ld.so. */
struct pt__tls {
    uint8_t busy;    /* the shim's own code may reach a wrapper here: pass everything through */
    uint8_t depth;   /* traced calls in progress on this thread */
    uint8_t vforked; /* vfork returned here; until proven otherwise we may be the borrowed child */
    uint8_t keyed;   /* the thread-exit destructor is registered */
    uint8_t insig;   /* inside the shim's fatal-signal handler */
    uint16_t epoch;  /* pt__epoch when `buf` was claimed (attach.c) */
    uint32_t tid;
    struct pt_tbuf *buf;
    struct pt__call *cur;
    uint64_t anchor_tsc, anchor_ns, last_ns; /* clock.c */
    int *errp;                               /* &errno of this thread, looked up once */
};
extern PT__TLS struct pt__tls pt__tls;

extern _Atomic int pt__state;
extern struct pt_ring *pt__ring;
/* Bumped each time tracing starts again in a process the shim was attached to (attach.c): a
 * thread's buffer claimed from an earlier ring is then stale and claimed anew. 0 in a process
 * traced from its start. */
extern uint16_t pt__epoch;
extern uint32_t pt__pid; /* the pid that owns pt__ring */

/* The real functions behind the SYM, HAND and NESTED rows, found with dlsym. */
#include "preload/win32.h"
#include <spawn.h>
#include <sys/shm.h>
#include <sys/types.h>
#define PT__REAL_MEMBER(name, cat, hook, cret, cparams, cargs, retk, fields)                       \
    PT__REAL_MEMBER_##hook(name, cret, cparams)
#define PT__REAL_MEMBER_SYM(name, cret, cparams) cret(*name) cparams;
#define PT__REAL_MEMBER_HAND(name, cret, cparams) cret(*name) cparams;
#define PT__REAL_MEMBER_NESTED(name, cret, cparams) cret(*name) cparams;
#define PT__REAL_MEMBER_VTBL(name, cret, cparams)
struct pt__real {
    PT_CALLS(PT__REAL_MEMBER, _)
    /* Functions the shim wraps without a row of their own, or needs to call. */
    int (*execv)(const char *, char *const[]);
    int (*execvp)(const char *, char *const[]);
    int (*execvpe)(const char *, char *const[], char *const[]);
    void (*_exit)(int);
    void (*_Exit)(int);
    int (*posix_spawnp)(pid_t *, const char *, const posix_spawn_file_actions_t *,
                        const posix_spawnattr_t *, char *const[], char *const[]);
    DWORD (*GetLastError)(void);
};
extern struct pt__real pt__real;
extern struct pt_ring_config pt__cfg;

/* Init and failure (state.c). pt__init runs once, from the constructor or the first traced call
 * before it; a racing thread returns at once and passes through. */
void pt__init(void);
void pt__fail(const char *what, int err); /* one stderr line, then the shim is inert for good */
void pt__process_hooks_once(void);         /* thread-exit, fork-child and exit handlers, once */
static PT__HOT int pt__on(void)
{
    int s = atomic_load_explicit(&pt__state, memory_order_acquire);
    if (PT__UNLIKELY(s == PT__UNINIT)) {
        pt__init();
        s = atomic_load_explicit(&pt__state, memory_order_acquire);
    }
    return s == PT__ON;
}
int pt__vfork_child(void); /* after a vfork: is this the child borrowing our memory? */
void pt__record_exit(int status);

/* Real functions (real.c). */
void pt__resolve_all(void);
void *pt__resolve(const char *name); /* RTLD_NEXT, then every loaded object but the shim */

/* Recording (record.c). */
struct pt_tbuf *pt__tbuf_claim(void);
/* This thread's buffer, claimed on first use; NULL: lost. */
static PT__HOT struct pt_tbuf *pt__tbuf(void)
{
    struct pt_tbuf *b = pt__tls.buf;
    return PT__LIKELY(b != NULL && pt__tls.epoch == pt__epoch) ? b : pt__tbuf_claim();
}
int pt__begin_lost(void);
/* Reserve an event in this thread's buffer: 0, or <0 when it was counted as lost. `keep`: how it
 * fares in a full buffer (pt__event_keep). */
static PT__HOT int pt__begin(uint16_t id, size_t size, uint64_t ts, enum pt_keep keep,
                             struct pt_enc *e)
{
    struct pt_tbuf *b = pt__tbuf();
    if (PT__UNLIKELY(!b)) {
        *e = (struct pt_enc){0}; /* never used, but set on every path */
        return pt__begin_lost();
    }
    return pt__tbuf_begin(b, id, ts, size, keep, e);
}
/* Whether an event is decisive (a finding may depend on it: it may use the buffer's reserve) or
 * bulk (may be lost, counted, when the buffer is full): event class `id`, and for a call event
 * the call `c` (NULL otherwise). record.c has the rule. */
enum { PT__KEEP_DECISIVE, PT__KEEP_BULK, PT__KEEP_AS_OUTER /* what the traced call around is */ };
extern const uint8_t pt__row_keep[PT_CALL_COUNT];
static PT__HOT enum pt_keep pt__event_keep(unsigned id, const struct pt__call *c)
{
    if (id < PT_EV_CALL_FIRST || !c)
        return id == PT_EV_hook ? PT_KEEP_BULK : PT_KEEP_DECISIVE;
    if (c->failed || c->delete_hint)
        return PT_KEEP_DECISIVE;
    uint8_t k = pt__row_keep[id - PT_EV_CALL_FIRST];
    if (k == PT__KEEP_AS_OUTER)
        k = c->prev ? pt__row_keep[c->prev->call] : PT__KEEP_DECISIVE;
    return k == PT__KEEP_BULK ? PT_KEEP_BULK : PT_KEEP_DECISIVE;
}
static PT__HOT void pt__commit(struct pt_enc *e)
{
    pt__tbuf_commit(e);
}
uint32_t pt__last_error(void);
void pt__thread_exit(void *unused);
void pt__thread_key_init(void);

/* Identities (capture.c): all return a zero identity when the object cannot be stat'ed. */
void pt__ident_at(struct pt__ident *id, int dirfd, const char *path);
void pt__ident_shm(struct pt__ident *id, const char *name);
void pt__ident_fd(struct pt__ident *id, int fd);

/* Non-call events (identity.c). */
void pt__emit_process(void);
/* This process's pid in the outermost pid namespace the shim can know (identity.c). At start it
 * reads every namespace link once; the process event of that start takes them, unless
 * pt__start_ns_forget (a failed start) came between. */
uint32_t pt__global_pid(void);
void pt__start_ns_forget(void);
/* This process's start time (/proc/self/stat field 22), read once per process; 0 unknown. */
uint64_t pt__self_start_time(void);
/* From the same read: its threads, and the signals whose disposition is not SIG_DFL (ignored or
 * caught; bit sig - 1). 0, or -1 when unknown. */
int pt__self_start_state(unsigned *threads, uint64_t *not_default);
/* Module events (identity.c): the table refreshed from the loader (at start, after a load or an
 * unload), emitted again as inherited in a fork child (no loader call), completed from a stack;
 * forgotten for a new ring of the same process (attach.c), whose next listing emits them all. */
void pt__modules_list(void);
void pt__modules_replay(void);
void pt__modules_forget(void);
void pt__modules_note(const uint64_t *pcs, unsigned n);
const char *pt__self_exe(void); /* the executable's path, read at start */
void pt__emit_cred(void);
void pt__emit_ns(void);
void pt__emit_exit(int status);
void pt__emit_signal(int signo, int code, uint64_t addr);
/* pid (0 unknown) runs exe, which nothing traces because of reason ("" withdraws it: an exec
 * returned). */
void pt__emit_untraced(uint32_t pid, const char *exe, const char *reason);
void pt__emit_thread(struct pt_tbuf *b, uint32_t tid);

/* The non-call event classes as structs, and their encoders (events.c, from PT_EVENTS). */
#define PT__MEMB_U8 uint8_t
#define PT__MEMB_U16 uint16_t
#define PT__MEMB_U32 uint32_t
#define PT__MEMB_U64 uint64_t
#define PT__MEMB_I32 int32_t
#define PT__MEMB_I64 int64_t
#define PT__MEMB_X64 uint64_t
#define PT__MEMB_STR const char *
#define W(wire, n) PT__MEMB_##wire n;
#define PT__EV_STRUCT(name, fields)                                                                \
    struct pt__ev_##name {                                                                         \
        fields                                                                                     \
    };
PT_EVENTS(PT__EV_STRUCT, W)
#undef PT__EV_STRUCT
#undef W
/* Encode one event into buffer b (NULL: this thread's); 0, or <0 when it was lost. */
#define PT__EV_PUT(name, fields)                                                                   \
    int pt__put_##name(struct pt_tbuf *b, uint64_t ts, const struct pt__ev_##name *v);
PT_EVENTS(PT__EV_PUT, _)
#undef PT__EV_PUT

/* Stacks (stack.c). */
void pt__stacks_config(const char *spec);
extern uint8_t pt__want[PT_CALL_COUNT];
extern int pt__want_fail, pt__want_delete;
static PT__HOT int pt__stack_wanted(unsigned call, int failed, int is_delete)
{
    return pt__want[call] | (failed & pt__want_fail) | (is_delete & pt__want_delete);
}
uint8_t pt__stack(uint64_t *frames); /* the caller's stack, innermost first, wrappers skipped */
void pt__break_config(const char *spec);
extern int pt__break_armed; /* PROFTRACE_BREAK set */

/* PROFTRACE_OPEN_FILES (hook_open.c): 0 when the program's opens for writing are not followed. */
extern int pt__open_files;
void pt__open_files_config(const char *v);
/* PROFTRACE_REDACT (redact.c): argv of the process event reduced to argv[0] and a count. */
extern int pt__redact;
void pt__redact_config(const char *v);
size_t pt__redact_cmdline(char *cmd, size_t n, size_t cap);

/* Method tables (hook_mapi.c). */
void pt__wrap_object(unsigned call, void *obj);

/* Process life (hook_proc.c, signals.c, env.c). */
void pt__after_fork_child(void);
/* A fork child's start (fork_start.c): made when it first records, or at once when it holds what
 * its parent held. pt__fork_begin: from pt__after_fork_child, given the parent's ring (forgotten at
 * the start). pt__fork_start: the ring, made now if the start was pending (pt__tbuf_claim, when
 * there is none); NULL when none could be had. pt__fork_start_pending: nothing recorded yet in this
 * fork child. pt__image_forked: this image is a copy of its parent's (the process event's exec=0). */
void pt__fork_begin(struct pt_ring *parent);
struct pt_ring *pt__fork_start(void);
int pt__fork_start_pending(void);
extern int pt__image_forked;
/* In a fork child, at the fork: the global pid read now unless the child is in the initial pid
 * namespace, where its pid is global and reads the same later (identity.c). */
void pt__global_pid_at_fork(void);
void pt__exec_init(void);
void pt__signals_install(const uint64_t *not_default); /* NULL: unknown, ask each */
void pt__signals_remove(void); /* SIG_DFL back wherever the shim's handler still stands */
/* Where an exec's new environment is built (env.c): `fixed`, on the caller's stack, holds the
 * common case; a larger one gets pages of its own (map), which pt__env_release unmaps once the
 * exec or spawn has returned. */
#define PT__ENV_FIXED 512
struct pt__env_buf {
    void *map;
    size_t len;
    char *fixed[PT__ENV_FIXED];
};
/* envp carrying LD_PRELOAD and PROFTRACE_* (built in b), or envp itself when the shim has nothing
 * to add or no room could be had (the new image then goes untraced, said once on stderr). */
char **pt__env_fix(char *const envp[], struct pt__env_buf *b);
/* envp with PROFTRACE_SECCOMP=1 (seccomp.c), built in b; envp itself when no room could be had. */
char **pt__env_seccomp(char *const envp[], struct pt__env_buf *b);
void pt__env_release(struct pt__env_buf *b); /* after the exec or spawn returned; keeps errno */
/* Unmaps what a vfork child of this thread mapped for an exec that succeeded (see env.c). */
void pt__env_reclaim(void);
int pt__env_traced(char *const envp[]); /* LD_PRELOAD names the shim and PROFTRACE_DIR is set */
/* The image an exec of envp starts preloads this shim (every LD_PRELOAD names its path) and traces
 * into this trace directory (the first PROFTRACE_DIR is this one; no PROFTRACE_SECCOMP). */
int pt__env_keeps_shim(char *const envp[]);
void pt__exec_flush(void); /* a vfork child's word on its exec, told by the resumed parent */
void pt__env_init(void);
/* A PROFTRACE_* value as the environment has it, or NULL (the default) when unset or not valid
 * (include/proftrace/env.h); pt__env_warn has said so, once, at start. */
const char *pt__getenv(const char *name);
void pt__env_warn(void);
/* What the next exec hands on in PROFTRACE_GPID (identity.c reads it back in the new image). */
void pt__env_set_gpid(uint32_t gpid, uint32_t pid, uint64_t start_time, unsigned depth);

/* mmap region table (hook_mmap.c). */
void pt__regions_reset(void);

/* A thread id, cached per thread. */
uint32_t pt__gettid(void);

/* Timestamps (clock.c): CLOCK_MONOTONIC ns from the TSC, anchored per thread. */
#include <x86intrin.h>
extern int pt__tsc_ok;
extern uint64_t _Atomic pt__tsc_mult;
extern uint64_t pt__tsc_window;
void pt__clock_init(void);
uint64_t pt__clock_anchor(uint64_t tsc);
uint64_t pt__clock_slow(void);
static PT__HOT uint64_t pt__clock(void)
{
    if (PT__UNLIKELY(!pt__tsc_ok))
        return pt__clock_slow();
    uint64_t t = __rdtsc();
    uint64_t d = t - pt__tls.anchor_tsc;
    if (PT__UNLIKELY(d > pt__tsc_window))
        return pt__clock_anchor(t);
    uint64_t ns =
        pt__tls.anchor_ns + ((d * atomic_load_explicit(&pt__tsc_mult, memory_order_relaxed)) >> 32);
    if (PT__UNLIKELY(ns < pt__tls.last_ns))
        ns = pt__tls.last_ns;
    pt__tls.last_ns = ns;
    return ns;
}

static PT__HOT int *pt__errno(void)
{
    int *p = pt__tls.errp;
    if (PT__UNLIKELY(!p))
        p = pt__tls.errp = &errno;
    return p;
}

/* Raise the re-entry guard around the shim's own calls to code that may reach a wrapper; returns
 * what to restore (guards nest, and a signal handler's traced call leaves the guard as it found
 * it). The fences keep the compiler from moving the guarded code outside the window. */
static inline uint8_t pt__own_begin(void)
{
    uint8_t b = pt__tls.busy;
    pt__tls.busy = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    return b;
}
static inline void pt__own_end(uint8_t b)
{
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    pt__tls.busy = b;
}

/* The four steps around a real call (see the top of this file). Inline: they are the hot path.
 * None of them touches `busy`: a signal handler that interrupts them records its own calls. */
static PT__HOT void pt__call_begin(struct pt__call *c, unsigned call)
{
    c->saved_errno = *pt__errno();
    c->call = call;
    c->prev = pt__tls.cur;
    pt__tls.cur = c;
    c->nid = c->rid = 0;
    c->delete_hint = 0;
    c->depth = pt__tls.depth;
    c->t0 = pt__clock();
}
static PT__HOT void pt__call_enter(struct pt__call *c)
{
    pt__tls.depth++;
    *pt__tls.errp = c->saved_errno;
}
static PT__HOT void pt__call_leave(struct pt__call *c)
{
    c->saved_errno = *pt__tls.errp;
    pt__tls.depth--;
    c->t1 = pt__clock();
}
static PT__HOT void pt__call_end(struct pt__call *c)
{
    pt__tls.cur = c->prev;
    *pt__tls.errp = c->saved_errno;
}
/* May a wrapper trace now? (Otherwise it calls the real function and nothing else.) */
static PT__HOT int pt__may_trace(void)
{
    if (PT__UNLIKELY(pt__tls.busy | pt__tls.vforked)) {
        if (pt__tls.busy || pt__vfork_child())
            return 0;
    }
    return pt__on();
}
/* The same for a row that taking a stack never calls (every SYM row: unwind.c and the module table
 * make raw system calls only). While this thread unwinds a stack (busy == PT__BUSY_STACK) such a
 * call can only come from a signal handler that interrupted the unwinding: it is traced, without a
 * stack. */
static PT__HOT int pt__may_trace_row(void)
{
    if (PT__UNLIKELY(pt__tls.busy | pt__tls.vforked)) {
        if ((pt__tls.busy && pt__tls.busy != PT__BUSY_STACK) ||
            (pt__tls.vforked && pt__vfork_child()))
            return 0;
    }
    return pt__on();
}

/* The caller's stack, unwound with the guard at PT__BUSY_STACK; none when this thread is already
 * unwinding (a signal handler's call that interrupted it: the unwinder is not reentrant). */
static inline uint8_t pt__stack_guarded(uint64_t *frames)
{
    if (pt__tls.busy)
        return 0;
    pt__tls.busy = PT__BUSY_STACK;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    uint8_t n = pt__stack(frames);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    pt__tls.busy = 0;
    return n;
}

#endif
