/* internal.h — what the files of attach/ share (nothing here is used outside attach/). */
#ifndef PT_ATTACH_INTERNAL_H
#define PT_ATTACH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "proftrace/attach.h"

/* ---- The target's memory map (target.c) ---------------------------------------------------- */

struct pt__vma {
    uint64_t lo, hi, off;
    uint64_t dev, ino; /* as /proc/PID/maps shows them */
    char perms[5];
    char path[512]; /* "" for anonymous memory */
};

/* /proc/PID/maps: 0 and a malloc'ed array in *out, or a negative errno. */
int pt__maps_read(pid_t pid, struct pt__vma **out, size_t *n);
const struct pt__vma *pt__maps_find(const struct pt__vma *v, size_t n, uint64_t addr);

/* The functions the injector calls in the target, found in its own libc (and libdl on a glibc
 * older than 2.34), and the signal-return trampoline the injected calls return through. */
struct pt__libc {
    char path[512]; /* libc as the target sees it */
    uint64_t dlopen, dlsym, dlerror, mmap, munmap, mprotect, errno_location;
    uint64_t restore_rt; /* libc's __restore_rt: mov $15,%rax; syscall */
};
int pt__libc_find(pid_t pid, const struct pt__vma *v, size_t n, struct pt__libc *out, char *why,
                  size_t len);

/* Does pid map libproftrace.so (writers.c)? Was it started with it, to trace (the environment it
 * began with has LD_PRELOAD naming it and PROFTRACE_DIR)? */
int pt__shim_mapped(pid_t pid, const char *shim);
int pt__started_traced(pid_t pid, const char *shim);

/* Does the target map an ELF interpreter (a dynamic loader)? */
int pt__maps_dynamic(const struct pt__vma *v, size_t n);

/* ---- Threads (world.c) ----------------------------------------------------------------------- */

struct pt__thr {
    pid_t tid;
    int stopped;                  /* in a ptrace stop */
    int pending_sig;              /* a signal that stopped it, to deliver when it goes on */
    int trap;                     /* calls ran on it: detach from an interrupt stop, so the kernel
                                   * restarts its system call as it would have */
    int tried;                    /* looked at as the thread for the calls */
    struct user_regs_struct regs; /* when it stopped */
};

struct pt__world {
    pid_t pid;
    struct pt__thr *t;
    size_t n, cap;
    int running;       /* the threads other than `hijack` run */
    size_t hijack;     /* the thread the calls run on */
    uint64_t stop_ns;  /* when they were last stopped */
    uint64_t pause_ns; /* how long they stayed stopped, in all */
    int ncalls;        /* calls made into it so far */
};

/* Seize every thread of pid (PTRACE_SEIZE, new threads seized at birth), choose the one the
 * calls run on and stop it; the others run. 0, or a negative errno with a reason; on failure
 * nothing stays seized. */
int pt__world_seize(struct pt__world *w, pid_t pid, const struct pt__vma *v, size_t n, char *why,
                    size_t len);
/* Stop the others (PTRACE_INTERRUPT): the pause starts. */
int pt__world_stop(struct pt__world *w);
/* Let them run again (they stay seized: their signals pass through pt__world_event). */
void pt__world_resume_others(struct pt__world *w);
/* Detach every thread (each goes on with any signal that stopped it); frees w. */
void pt__world_detach(struct pt__world *w);
/* Handle a wait status of a thread other than the one running a call. */
void pt__world_event(struct pt__world *w, pid_t tid, int status);
struct pt__thr *pt__world_thr(struct pt__world *w, pid_t tid);

/* ---- Calls in the target (remote_call.c) ---------------------------------------------------- */

struct pt__rcall {
    struct pt__world *w;
    pid_t tid;
    struct user_regs_struct orig; /* its registers as it was stopped */
    struct user_regs_struct
        resume;     /* the same as a signal frame must hold them (restart applied) */
    uint8_t *xsave; /* its extended state (NT_X86_XSTATE) */
    size_t xlen;
    uint64_t sigmask; /* signals it blocks */
    uint64_t stub;    /* our return stub (0 until the scratch area exists) */
    uint64_t stub_end;
    uint64_t result;        /* where the stub stores rax */
    uint64_t scratch_stack; /* top of the scratch stack (0: none yet) */
    uint64_t restore_rt;    /* libc's __restore_rt */
    uint64_t own_lo;        /* lowest usable address of the thread's own stack */
    int errno_saved;
    uint64_t errno_addr;
};

/* How a call runs: on the thread's own stack returning through libc's __restore_rt (setup and
 * teardown: the result is read from the system call `sysnr` it makes), or on the scratch stack
 * returning through our stub (the result is read from rax). */
enum { PT__ON_OWN_STACK = 1, PT__ON_SCRATCH = 2 };

int pt__rcall_init(struct pt__rcall *rc, struct pt__world *w, char *why, size_t len);
/* Call fn(args...) in the thread; *ret gets its result. 0, or a negative errno with a reason;
 * after an error the thread has its own registers back. */
int pt__rcall(struct pt__rcall *rc, int how, long sysnr, uint64_t fn, int nargs,
              const uint64_t *args, int64_t *ret, char *why, size_t len);
/* Give the thread its state back if calls left it elsewhere (after a failure); frees rc. */
void pt__rcall_fini(struct pt__rcall *rc);

int pt__mem_write(pid_t pid, uint64_t addr, const void *buf, size_t n);
int pt__mem_read(pid_t pid, uint64_t addr, void *buf, size_t n);

/* Set by the command's SIGINT/SIGTERM handler: a call still running is abandoned (it completes
 * in the target on its own and returns the thread to where it was). */
extern volatile int pt__attach_cancel;

/* ---- Holds found in /proc (hold_scan.c) ----------------------------------------------------- */

struct pt__holds {
    struct pt_attach_hold *h;
    size_t n, cap;
    char *str; /* string area; offset 0 is the empty string */
    size_t slen, scap;
};
/* Every hold of pid: open directories and files, shared file mappings, SysV attachments. Paths
 * under `skip_dir` (the trace directory: the shim's own ring) are left out. */
int pt__holds_scan(pid_t pid, const char *skip_dir, struct pt__holds *out);
void pt__holds_free(struct pt__holds *h);

uint64_t pt__now_ns(void);

#endif
