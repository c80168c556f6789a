/* placement.c — keeps the collector's draining thread off the CPU of the writer that woke it.
 *
 * Design
 * ------
 * Why. A writer wakes the sleeping collector when its buffer fills (ring.c: it reads a byte of its
 * ring, which inotify reports). The scheduler puts a woken thread on the waker's CPU unless it
 * sees an idle one nearby, and on a virtual machine an idle vCPU looks preempted, so it never
 * does: the collector, which asks for prompt scheduling (nice -10, short slices: without them a
 * burst loses events), then preempts the program on its own CPU while the other CPU idles, and its
 * drain is added to the program's wall time (on a 2-vCPU VM, some 110 preemptions in a 1 M-call
 * burst: +58 ns per call against +35 ns with the two on separate CPUs; a process start 1.6 ms
 * against 1.1 ms). A placement, not a priority change: the collector stays as prompt, elsewhere.
 *
 * What. The writer says which CPU it ran on in its ring's hints (format.h) when it wakes the
 * collector and when it publishes a new ring: its slow paths only, with glibc's sched_getcpu
 * (rseq's cpu_id, or the vDSO; signal-safe). The collector, reading the name of the ring that woke
 * it from inotify, calls pt_place_woken with that CPU. When its draining thread runs on that very
 * CPU and the mask it started with has another, the thread's affinity becomes the start mask less
 * that CPU: the kernel moves it at once, and its later wake-ups land on the CPUs left. A writer on
 * another CPU that wakes it there moves the exclusion with it. Only the CPU of a collision is ever
 * excluded, one at a time, from the mask the user gave (taskset, systemd's CPUAffinity=), so the
 * user's choice is respected and the collector keeps every other CPU.
 *
 * Only while another CPU idles. Moved to a CPU that is busy with other work, the collector (at
 * nice -10 it weighs as much as nine ordinary threads) makes the kernel's load balancing push that
 * work onto the program's CPU instead: on the same VM under a load of 5 from other programs, a
 * burst then took the program 89-139 ns per call instead of 62-76. So it moves only while the
 * machine has no more runnable threads than the CPUs it may use (the fourth field of
 * /proc/loadavg, the writer and the collector included: one read, at most every
 * PT__PLACE_MIN_NS), and gets its start mask back as soon as it has more.
 * PROFTRACE_PLACEMENT=always leaves that condition out (CPUs kept for the collector; the tests).
 *
 * Bounds. A change is a system call and a migration: at most one look (and change) every
 * PT__PLACE_MIN_NS, so that writers on many CPUs cannot make the thread thrash (it then shares a
 * CPU with one of them until the next change may come). A thread that may use one CPU only has
 * nothing to choose; a change the kernel refuses (a cpuset changed under us) turns the policy off
 * for good, quietly, after giving the start mask back if it can. PROFTRACE_PLACEMENT=0 turns it
 * off.
 *
 * Inheritance. Threads and processes inherit the affinity of the thread that creates them, and
 * none of them must inherit the narrowed mask: whatever the draining thread starts after its first
 * pass (an `--on-finding` command, a thread) is preceded by pt_place_widen, which gives the start
 * mask back (the next collision narrows again). Closing the collector gives it back too.
 *
 * Companions. Other threads of the collector are woken by the same writers: the witness's thread
 * by the inotify event of a writer backing its ring's next packets (a write into rings/), about
 * once per backing step of a buffer's first lap (17 steps for a 4 MiB buffer, where each 32 KiB
 * packet was one), each time on the writer's CPU and at nice -10 as well. They follow the
 * draining thread's mask: it is published (a generation and a copy under a lock) at each change,
 * and a companion calling pt_place_companion when it wakes takes it for itself (a thread only
 * ever changes its own affinity: no thread id that could be reused meanwhile).
 *
 * State. Affinity is per thread, and so is this state (thread-local): the thread that calls
 * pt_place_begin is the one placed; on any other thread every call but pt_place_companion is a
 * no-op.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tracer/placement.h"

static __thread struct {
    int on;          /* the calling thread is a draining thread and the policy applies */
    int avoid;       /* the CPU its mask excludes now, -1 when it has the start mask */
    int loadavg;     /* /proc/loadavg, -1 when it cannot be read */
    int always;      /* PROFTRACE_PLACEMENT=always: whether a CPU idles does not matter */
    uint64_t last;   /* when it last looked (CLOCK_MONOTONIC ns), 0 never */
    cpu_set_t start; /* the mask it started with */
} me = {.avoid = -1, .loadavg = -1};

/* The draining thread's mask as it last changed, for companions: generation 0 is none yet. */
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static cpu_set_t shared_mask;
static unsigned shared_gen;
static __thread unsigned seen_gen; /* the generation a companion took last */

static void publish(const cpu_set_t *mask)
{
    pthread_mutex_lock(&shared_lock);
    shared_mask = *mask;
    __atomic_store_n(&shared_gen, shared_gen + 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&shared_lock);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int pt__place_choose(const cpu_set_t *start, int avoid, int here, int writer, unsigned runnable,
                     uint64_t now, uint64_t last)
{
    if (last && now - last < PT__PLACE_MIN_NS)
        return avoid;
    if (CPU_COUNT(start) < 2 || runnable > (unsigned)CPU_COUNT(start))
        return -1; /* nothing to choose, or no CPU idles: the start mask */
    if (writer >= 0 && writer < CPU_SETSIZE && here == writer && CPU_ISSET(writer, start))
        return writer;
    return avoid;
}

/* Threads runnable in the whole system now, this one included (/proc/loadavg's fourth field,
 * "R/T"); 0 when it cannot be read. */
static unsigned runnable_now(void)
{
    char buf[128];
    ssize_t n = me.loadavg >= 0 ? pread(me.loadavg, buf, sizeof buf - 1, 0) : -1;
    if (n <= 0)
        return 0;
    buf[n] = 0;
    const char *p = buf;
    for (int field = 0; field < 3 && p; field++)
        if ((p = strchr(p, ' ')))
            p++;
    return p ? (unsigned)strtoul(p, NULL, 10) : 0;
}

void pt_place_begin(void)
{
    pt_place_end();
    const char *v = getenv("PROFTRACE_PLACEMENT");
    if (v && !strcmp(v, "0"))
        return;
    if (sched_getaffinity(0, sizeof me.start, &me.start) < 0 || CPU_COUNT(&me.start) < 2 ||
        sched_getcpu() < 0)
        return;
    me.always = v && !strcmp(v, "always");
    me.loadavg = me.always ? -1 : open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
    me.on = 1;
    me.avoid = -1;
    me.last = 0;
}

/* Exclude CPU `cpu` from the thread's mask (-1: none, the start mask); companions follow. */
static void place(int cpu)
{
    cpu_set_t mask = me.start;
    if (cpu >= 0)
        CPU_CLR(cpu, &mask);
    if (sched_setaffinity(0, sizeof mask, &mask) < 0) {
        pt_place_end(); /* the start mask back if it can be; off for good */
        return;
    }
    me.avoid = cpu;
    publish(&mask);
}

void pt_place_woken(int writer_cpu)
{
    if (!me.on)
        return;
    int here = sched_getcpu();
    if (me.avoid < 0 && here != writer_cpu)
        return; /* placed as it should be, whatever the load */
    uint64_t now = now_ns();
    int recent = me.last && now - me.last < PT__PLACE_MIN_NS; /* no look now: no read either */
    unsigned runnable = me.always || recent ? 0 : runnable_now();
    int next = pt__place_choose(&me.start, me.avoid, here, writer_cpu, runnable, now, me.last);
    if (!recent)
        me.last = now;
    if (next != me.avoid)
        place(next);
}

void pt_place_widen(void)
{
    if (!me.on || me.avoid < 0)
        return;
    int saved = errno;
    if (sched_setaffinity(0, sizeof me.start, &me.start) < 0)
        me.on = 0; /* the start mask is no longer allowed (cpuset): nothing to give back */
    me.avoid = -1;
    errno = saved;
}

void pt_place_end(void)
{
    if (me.on && me.last)
        publish(&me.start); /* companions go back to it too */
    pt_place_widen();
    if (me.loadavg >= 0)
        close(me.loadavg);
    me.loadavg = -1;
    me.on = 0;
    me.avoid = -1;
}

void pt_place_companion(void)
{
    if (__atomic_load_n(&shared_gen, __ATOMIC_ACQUIRE) == seen_gen)
        return;
    cpu_set_t mask;
    pthread_mutex_lock(&shared_lock);
    mask = shared_mask;
    seen_gen = shared_gen;
    pthread_mutex_unlock(&shared_lock);
    int saved = errno;
    (void)sched_setaffinity(0, sizeof mask, &mask); /* refused (cpuset): it stays where it is */
    errno = saved;
}
