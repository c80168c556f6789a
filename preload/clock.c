/* clock.c — the shim's timestamps: CLOCK_MONOTONIC nanoseconds, read cheaply.
 *
 * A traced call needs two timestamps, and clock_gettime costs ~30 ns on a virtual machine — more
 * than everything else the shim does. So the shim reads the TSC (invariant TSC only) and converts
 * it with a per-thread anchor: (tsc, CLOCK_MONOTONIC ns) taken by a real clock_gettime at the
 * thread's first event and again whenever the anchor is older than ~1 ms; the rate (ns per cycle)
 * is measured between successive anchors, so between two anchors the error is the rate error
 * times at most ~1 ms (well under a microsecond), and at each re-anchor the value is pulled back
 * to the real clock without ever going backwards in that thread. Without an invariant TSC every
 * timestamp is a real clock_gettime.
 *
 * Start costs nothing: the first rate is not measured by a spin (that was 50 us of every traced
 * process). pt__clock_init notes one (tsc, ns) pair; until 50 us have passed since it, timestamps
 * are real clock reads, and the first one after that computes the rate from the pair and switches
 * every thread to the TSC. Whether the TSC is invariant comes from glibc's CPUID table, not from
 * a CPUID instruction.
 *
 * The start pair and pt__tsc_invariant are plain variables: pt__clock_init runs before pt__state
 * turns ON (at start, and in an attach while other threads already run), and every hook reads
 * pt__state with acquire before it takes a timestamp, so every thread sees them written. */
#include <sys/platform/x86.h>
#include <time.h>
#include <x86intrin.h>

#include "preload/shim.h"

int pt__tsc_ok;
uint64_t _Atomic pt__tsc_mult = 0; /* ns per cycle, 32.32 fixed point */
uint64_t pt__tsc_window;           /* cycles between anchors */

static uint64_t pt__mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int pt__tsc_invariant;
static uint64_t pt__start_tsc, pt__start_ns; /* the pair the first rate is measured from */

/* Shortest interval a first rate is measured over: the rate error is the error of two clock reads
 * (tens of ns) over it, then refined by every anchor. */
#define PT__RATE_NS 50000u

void pt__clock_init(void)
{
    /* glibc's copy of the CPUID leaves, read once by the loader: a CPUID instruction of our own
     * traps to the hypervisor in a virtual machine (10-30 us each here). */
    if (!CPU_FEATURE_PRESENT(INVARIANT_TSC))
        return; /* no invariant TSC: real clock reads */
    pt__start_ns = pt__mono();
    pt__start_tsc = __rdtsc();
    pt__tsc_invariant = 1;
}

/* A real clock read at (ns, tsc): once far enough from the start pair, the rate it gives switches
 * timestamps to the TSC. Threads racing here each store a valid rate; readers see the rate and
 * window before pt__tsc_ok (release store), and a thread without an anchor of its own re-anchors
 * on its next timestamp anyway. */
static void pt__clock_rate(uint64_t ns, uint64_t tsc)
{
    if (ns < pt__start_ns + PT__RATE_NS || tsc <= pt__start_tsc)
        return;
    unsigned __int128 dn = ns - pt__start_ns; /* a process may idle long before its next event */
    uint64_t mult = (uint64_t)((dn << 32) / (tsc - pt__start_tsc));
    if (!mult)
        return;
    atomic_store(&pt__tsc_mult, mult);
    pt__tsc_window = ((uint64_t)1000000 << 32) / mult; /* ~1 ms of cycles */
    __atomic_store_n(&pt__tsc_ok, 1, __ATOMIC_RELEASE);
}

uint64_t pt__clock_anchor(uint64_t tsc)
{
    uint64_t ns = pt__mono();
    uint64_t t = __rdtsc();
    struct pt__tls *s = &pt__tls;
    if (s->anchor_tsc && t > s->anchor_tsc && ns > s->anchor_ns) {
        uint64_t dt = t - s->anchor_tsc, dn = ns - s->anchor_ns;
        if (dt < (1ull << 31) && dn < (1ull << 31)) /* a fresh interval: refine the rate */
            atomic_store_explicit(&pt__tsc_mult, (dn << 32) / dt, memory_order_relaxed);
    }
    if (ns < s->last_ns)
        ns = s->last_ns; /* never backwards within a thread */
    s->anchor_tsc = t;
    s->anchor_ns = ns;
    s->last_ns = ns;
    (void)tsc;
    return ns;
}

uint64_t pt__clock_slow(void)
{
    uint64_t ns = pt__mono();
    if (pt__tsc_invariant)
        pt__clock_rate(ns, __rdtsc());
    if (ns < pt__tls.last_ns)
        ns = pt__tls.last_ns;
    pt__tls.last_ns = ns;
    return ns;
}
