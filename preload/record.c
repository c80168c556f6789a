/* record.c — this thread's ring buffer: claiming it, reserving and publishing events, giving it
 * back at thread exit. */
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload/shim.h"

PT__TLS struct pt__tls pt__tls;
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
    struct pt_ring *r = pt__ring;
    if (!r)
        return NULL;
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

/* Decisive or bulk (shim.h, pt__event_keep). Decisive: process life (process, exec, exit, module,
 * thread, cred, ns, signal), holds begun and ended, deletions, marks, failures, breakpoints and
 * witnessed deletions: a finding is built from them, so a flood must never push them out. Bulk:
 * the successful calls that only read or write a registry value, the opens nested in them, and
 * PROFTRACE_HOOKS functions; findings near their losses stay as they are. Until calls.h has its
 * role column (DELETE / HOLD_BEGIN / HOLD_END), the category says it: every registry row is bulk
 * except those that open, close or delete a key (the holds table and stack.c's delete rows); a
 * nested open is what the call around it is (PT__KEEP_AS_OUTER); every other category begins, ends
 * or deletes something. Once the column lands this table reads it instead. */
#define PT__ROW_KEEP(name, cat, hook, cret, cparams, cargs, retk, fields)                          \
    (PT_CAT_##cat == PT_CAT_REG && PT_CALL_##name != PT_CALL_RegOpenKeyExA &&                      \
     PT_CALL_##name != PT_CALL_RegCreateKeyExA && PT_CALL_##name != PT_CALL_RegCloseKey &&         \
     PT_CALL_##name != PT_CALL_RegDeleteKeyA && PT_CALL_##name != PT_CALL_RegDeleteTreeA)          \
        ? PT__KEEP_BULK                                                                            \
    : (PT_CALL_##name == PT_CALL_open || PT_CALL_##name == PT_CALL_openat) ? PT__KEEP_AS_OUTER     \
                                                                           : PT__KEEP_DECISIVE,
const uint8_t pt__row_keep[PT_CALL_COUNT] = {PT_CALLS(PT__ROW_KEEP, )};
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
