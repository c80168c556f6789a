/* attach.h — attaching proftrace to processes that are already running (`proftrace record -p`,
 * `proftrace collect --attach`).
 *
 * How (design in attach/inject.c): every thread of the process is seized and stopped with ptrace;
 * on one of them, the process's own libc maps a scratch area, dlopen()s libproftrace.so and calls
 * its entry point (proftrace/attach.h), which starts a ring in the trace directory, records the
 * holds found in /proc as held since before the attach, and points the GOT slots the process
 * already resolved at the shim's wrappers. Each injected call returns through a signal frame the
 * injector built, so the thread gets every register, its signal mask and its FPU state back even
 * if proftrace is killed in the middle. Detaching calls the same entry point to turn tracing off.
 */
#ifndef PT_ATTACH_ATTACH_H
#define PT_ATTACH_ATTACH_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pt_attach_opts {
    const char *dir;   /* absolute trace directory */
    const char *shim;  /* absolute path of libproftrace.so */
    size_t buf_bytes;  /* bytes per thread buffer, 0: default */
    unsigned nthreads; /* thread buffers, 0: default */
    int overwrite;     /* flight recorder */
    unsigned noloss_ms; /* no-loss mode (record --no-loss), 0: off; not with overwrite */
};

struct pt_attach_info {
    char exe[PATH_MAX];
    unsigned threads; /* threads the process had */
    unsigned holds;   /* holds found and recorded */
    unsigned slots;   /* GOT slots rebound (0 for a detach) */
    double pause_ms;  /* how long the process's threads stayed stopped */
    double detour_ms; /* how long the thread running the calls was away from its own code */
    char note[256];   /* something to say although it worked (a takeover), else "" */
};

/* Can pid be attached? 0, or -EPERM/-ESRCH/-ENOTSUP/-EBUSY with one line in why saying the reason
 * and what to do (another user's process, Yama's kernel.yama.ptrace_scope, already traced,
 * statically linked, stopped, a mount namespace where the shim or the trace directory is not the
 * same file). Changes nothing. */
int pt_attach_check(pid_t pid, const struct pt_attach_opts *o, char *why, size_t len);

/* Attach: after it returns 0 the process records into o->dir until pt_detach or its exit. On
 * failure (a negative errno and why) the process was given back its registers and its memory as
 * far as the injector had changed them (an inert libproftrace.so may stay loaded). info may be
 * NULL. */
int pt_attach(pid_t pid, const struct pt_attach_opts *o, struct pt_attach_info *info, char *why,
              size_t len);

/* Detach: tracing off in pid, its GOT slots given back, its ring finished. 0, -ENOENT when pid
 * is not attached (traced from its start, or not at all), another negative errno on failure. */
int pt_detach(pid_t pid, const char *shim, struct pt_attach_info *info, char *why, size_t len);

/* The processes writing a ring into dir right now (their pid in our namespace, from the ring's
 * liveness lock), at most max; how many. */
int pt_attach_writers(const char *dir, pid_t *pids, int max);

/* Whether pid has libproftrace.so mapped without having been started with it (LD_PRELOAD): a
 * process attached (or a fork child of one), which pt_detach can detach. */
int pt_attach_is_attached(pid_t pid, const char *shim);

/* Ask a call running in pt_attach / pt_detach to give up (from a signal handler). */
void pt_attach_cancel(void);

/* Yama's verdict for kernel.yama.ptrace_scope `scope` (-1: no Yama): 0 allowed, else -EPERM with
 * the sysctl named in why. `cap`: we have CAP_SYS_PTRACE; `descendant`: the target descends from
 * us. */
int pt_attach_yama(int scope, int cap, int descendant, char *why, size_t len);

#endif
