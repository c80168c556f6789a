/* record.c — this thread's ring buffer: claiming it, reserving and publishing events, giving it
 * back at thread exit. */
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload/shim.h"

PT__TLS struct pt__tls pt__tls;
uint16_t pt__epoch;
static pthread_key_t pt__key;
static int pt__key_ok;

uint32_t pt__gettid(void)
{
    if (PT__UNLIKELY(pt__tls.tid == 0))
        pt__tls.tid = (uint32_t)syscall(SYS_gettid);
    return pt__tls.tid;
}

/* Registered once per process from pt__init (before any thread buffer is claimed). */
void pt__thread_key_init(void)
{
    pt__key_ok = pthread_key_create(&pt__key, pt__thread_exit) == 0;
}

struct pt_tbuf *pt__tbuf_claim(void)
{
    struct pt_tbuf *b;
    uint16_t epoch = __atomic_load_n(&pt__epoch, __ATOMIC_ACQUIRE);
    if (pt__tls.buf && pt__tls.epoch != epoch) /* a buffer of a ring from before a re-attach */
        pt__tls.buf = NULL; /* that ring stays mapped (attach.c): nothing to give back */
    struct pt_ring *r = pt__ring;
    if (!r) {
        r = pt__fork_start(); /* a fork child's first event: its start, made now (fork_start.c) */
        if (pt__tls.buf) /* the start's own events claimed this thread's buffer */
            return pt__tls.buf;
        if (!r)
            return NULL;
    }
    uint32_t tid = pt__gettid();
    b = pt_ring_claim(r, tid); /* the ring writes the `thread` event itself */
    if (!b)
        return NULL;
    /* A signal handler that interrupted this claim may have claimed a buffer of its own for this
     * thread meanwhile: keep the one installed first and give the other back. */
    struct pt_tbuf *none = NULL;
    if (!__atomic_compare_exchange_n(&pt__tls.buf, &none, b, 0, __ATOMIC_RELAXED,
                                     __ATOMIC_RELAXED)) {
        pt_ring_release(r, b);
        return none;
    }
    pt__tls.epoch = epoch;
    /* The key's value only has to be non-NULL for the destructor to run at thread exit. Setting
     * it from a signal handler is not async-signal-safe, so a thread whose first event comes from
     * a handler gives its buffer back only when the process ends. */
    if (pt__key_ok && !pt__tls.keyed && !pt__tls.insig) {
        pt__tls.keyed = 1;
        uint8_t ob = pt__own_begin(); /* it may allocate */
        pthread_setspecific(pt__key, (void *)1);
        pt__own_end(ob);
    }
    return b;
}

void pt__thread_exit(void *unused)
{
    struct pt_tbuf *b = pt__tls.buf;
    uint8_t busy = pt__tls.busy;
    pt__tls.busy = 1;
    pt__tls.buf = NULL;
    pt__tls.keyed = 0;
    if (b && pt__ring)
        pt_ring_release(pt__ring, b);
    pt__tls.busy = busy;
}

/* Decisive or bulk (shim.h, pt__event_keep), from the role column of calls.h. Decisive: every
 * call that opens, creates, closes, holds or deletes something (a role), every call outside the
 * registry (process life, credentials, namespaces, impersonation, the MAPI calls a finding names),
 * failures, and the events that are not calls but PROFTRACE_HOOKS ones: a finding is built from
 * them, so a flood must never push them out. Bulk: a registry call with no role, which only reads or writes a
 * value of a key already open (RegQueryValueExA in a service's loop), and PROFTRACE_HOOKS
 * functions; findings near their losses stay as they are. A NESTED row (the opens recorded only
 * inside another traced call, to give it its identity) is what the call around it is. */
#define PT__KEEP_HOOK_SYM 0
#define PT__KEEP_HOOK_HAND 0
#define PT__KEEP_HOOK_VTBL 0
#define PT__KEEP_HOOK_NESTED 1
#define PT__ROW_KEEP(name, cat, hook, cret, cparams, cargs, retk, fields, role)                    \
    PT__KEEP_HOOK_##hook                                                ? PT__KEEP_AS_OUTER        \
    : (PT_CAT_##cat == PT_CAT_REG && PT_ROLE_TYPE(role) == PT_ROLE_NONE) ? PT__KEEP_BULK           \
                                                                         : PT__KEEP_DECISIVE,
const uint8_t pt__row_keep[PT_CALL_COUNT] = {PT_CALLS_ROLE(PT__ROW_KEEP, )};
#undef PT__ROW_KEEP

int pt__begin_lost(void)
{
    if (pt__ring)
        pt_ring_lost(pt__ring, 1);
    return -ENOBUFS;
}

uint32_t pt__last_error(void)
{
    DWORD (*fn)(void) = pt__real.GetLastError;
    if (!fn) /* loaded later, or looked up again after a dlclose */
        fn = pt__real.GetLastError = (DWORD(*)(void))pt__resolve("GetLastError");
    return fn ? fn() : 0;
}
