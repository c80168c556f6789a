/* placement.h — keeps the collector's draining thread off the CPU of the writer that woke it
 * (design: placement.c). Used by the collector (tracer/collector.c) and by whatever starts a
 * thread or a process from that thread (cmds/, analyzer/alert_command.c). */
#ifndef PT_TRACER_PLACEMENT_H
#define PT_TRACER_PLACEMENT_H

#include <sched.h> /* cpu_set_t: the includer defines _GNU_SOURCE */
#include <stdint.h>

#define PT__PLACE_MIN_NS 10000000ull /* a look (and a change) at most this often: 10 ms */

/* What record's and collect's --help say of it (their Environment sections). */
#define PT_PLACE_ENV_DOC                                                                           \
    "PROFTRACE_PLACEMENT=0: the collector runs wherever the scheduler puts it. By default, woken " \
    "by a writer on the writer's own CPU while another CPU idles, it takes that CPU out of those " \
    "it may use (within the ones it was started with: taskset, CPUAffinity=), so that its "        \
    "draining does not preempt the traced program, and takes them all back when no CPU idles (a " \
    "look at most every 10 ms); PROFTRACE_PLACEMENT=always moves it whether a CPU idles or not. " \
    "What it starts (its threads, --on-finding commands, the command record runs) gets the CPUs " \
    "it was started with."

/* The decision, without system calls: the draining thread runs on CPU `here`, its mask excludes
 * CPU `avoid` (-1: none, it has the start mask `start`), a writer on CPU `writer` woke it,
 * `runnable` threads are runnable in the system (itself included), it last looked at `last` (ns,
 * 0: never) and it is `now`. Returns the CPU its mask should exclude (-1: none): `avoid` (no
 * change) when it looked less than PT__PLACE_MIN_NS ago; -1 when `start` has one CPU or when more
 * threads are runnable than `start` has CPUs (none of them idles); `writer` when it runs on the
 * writer's CPU, one of `start`'s; `avoid` otherwise. A `writer` out of range (a hostile ring's
 * hint) changes nothing. */
int pt__place_choose(const cpu_set_t *start, int avoid, int here, int writer, unsigned runnable,
                     uint64_t now, uint64_t last);

/* The calling thread is a collector's draining thread: remember the CPUs it may use now (the
 * user's taskset, systemd's CPUAffinity=), which every later mask is taken from. The policy stays
 * off when PROFTRACE_PLACEMENT=0, when the thread may use one CPU only, or when the kernel cannot
 * tell which CPU it runs on; PROFTRACE_PLACEMENT=always moves it whether another CPU idles or not.
 * Safe to call again (the mask is taken again, narrowing undone). */
void pt_place_begin(void);

/* A writer that ran on CPU `writer_cpu` woke the calling thread (or published a new ring): when
 * the thread runs on that same CPU and another CPU idles, its affinity becomes its start mask less
 * that CPU, so that the kernel moves it now and puts its later wake-ups elsewhere; when no CPU
 * idles any more, the start mask again (pt__place_choose, /proc/loadavg read at most every
 * PT__PLACE_MIN_NS). A failure of the change (EINVAL after a cpuset change) turns the policy off
 * for this thread, quietly. A no-op on a thread that did not call pt_place_begin. */
void pt_place_woken(int writer_cpu);

/* Give the calling thread back the mask it started with, if the policy narrowed it; the policy
 * stays on (the next wake-up narrows again). Call before creating a thread or a process (fork,
 * posix_spawn) that must not inherit the narrowed mask: they inherit the creating thread's. A
 * no-op on any other thread. Async-signal-safe. */
void pt_place_widen(void);

/* pt_place_widen, and the policy off for the calling thread (its collector is closed); its
 * companions get the start mask back. */
void pt_place_end(void);

/* The calling thread is a companion of the draining thread (woken by the same writers: the
 * witness's thread): call it when it wakes; when the draining thread's mask changed since, the
 * calling thread takes it too. One atomic load otherwise. */
void pt_place_companion(void);

#endif
