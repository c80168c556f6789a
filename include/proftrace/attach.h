/* attach.h — what `proftrace record -p` / `collect --attach` hands the shim in a running process.
 *
 * The injector (attach/) makes the process load libproftrace.so with its own libc's dlopen and
 * then calls the shim's exported proftrace_attach(req) on one of its threads, with `req` in a
 * scratch area the injector mapped in the process and filled through ptrace. The shim answers in
 * the same struct. Both sides are built from this header, but the request still crosses a process
 * boundary: it starts with magic, version and its own size, and the shim checks every offset and
 * count against that size before it reads anything.
 *
 * Operations, in the order the injector uses them:
 *   PT_ATTACH_START  start tracing into `dir`: a ring, the process and module events, the GOT
 *                    slots the process already resolved rebound to the shim's wrappers. Answers
 *                    `t0`, the attach time.
 *   PT_ATTACH_STACKS `stacks` applied: which events carry a stack.
 *   PT_ATTACH_HOLDS  record the holds the injector found in /proc (attach/hold_scan.c) as
 *                    `prior_hold` events stamped `t0`: held since before the attach.
 *   PT_ATTACH_HOOKS  inline hooks for what interposition cannot reach (static or -Bsymbolic
 *                    copies of the profile API); run while the other threads run.
 *   PT_ATTACH_STOP   detach: tracing off, GOT slots given back, the ring finished.
 */
#ifndef PROFTRACE_ATTACH_H
#define PROFTRACE_ATTACH_H

#include <stdint.h>

#define PT_ATTACH_MAGIC 0x54415450u /* "PTAT" */
#define PT_ATTACH_VERSION 1u
#define PT_ATTACH_ENTRY "proftrace_attach" /* the shim's exported entry point */

enum pt_attach_op {
    PT_ATTACH_START = 1,
    PT_ATTACH_STACKS,
    PT_ATTACH_HOLDS,
    PT_ATTACH_HOOKS,
    PT_ATTACH_STOP,
};

/* Kinds of holds found by the scan, as the `kind` field of a prior_hold event names them:
 *   key      an open directory (a registry key handle is one; handle = its descriptor)
 *   session  a MAPI session's profile: an open key directly under a `Profiles` key
 *            (name = the profile; handle = the descriptor)
 *   file     an open regular file (handle = its descriptor)
 *   map      a shared mapping of a file (handle = its address, size = its length)
 *   shm      the same, of a POSIX shared-memory object: an in-use object the process maps
 *   sysv     an attached SysV segment (ino = its shmid; handle = address, size = length) */
#define PT_PRIOR_KINDS(X) X(key) X(session) X(file) X(map) X(shm) X(sysv)
enum pt_prior_kind {
    PT_PRIOR_NONE = 0,
#define PT_PRIOR_ENUM(k) PT_PRIOR_##k,
    PT_PRIOR_KINDS(PT_PRIOR_ENUM)
#undef PT_PRIOR_ENUM
        PT_PRIOR_COUNT
};

struct pt_attach_hold {
    uint32_t kind;               /* enum pt_prior_kind */
    uint32_t name_off, path_off; /* into the request's string area; 0: none */
    uint32_t pad;
    uint64_t dev, ino, handle, size;
};

struct pt_attach_req {
    uint32_t magic, version;
    uint32_t size; /* bytes of the request, holds and strings included */
    uint32_t op;   /* enum pt_attach_op */
    /* Written by the shim. */
    int32_t result; /* 0 or a negative errno */
    uint32_t count; /* START: GOT slots rebound; HOLDS: holds recorded; STOP: slots given back */
    char why[256];  /* what went wrong, when result < 0 */
    uint64_t t0;    /* START: the attach time (CLOCK_MONOTONIC ns); HOLDS: what to stamp */
    /* START */
    char dir[4096];     /* absolute trace directory, as the process sees it */
    uint64_t buf_bytes; /* bytes per thread buffer (0: default) */
    uint32_t nthreads;  /* thread buffers (0: default) */
    uint32_t overwrite; /* flight recorder */
    uint32_t host_pid;  /* the process's pid as the injector sees it */
    uint32_t noloss_ms; /* no-loss mode: a writer waits this long for room (0: discard mode) */
    char stacks[256]; /* STACKS: PROFTRACE_STACKS syntax; "" for the default */
    /* HOLDS */
    uint32_t nholds, holds_off;        /* struct pt_attach_hold[nholds] at holds_off */
    uint32_t strings_off, strings_len; /* NUL-terminated strings, referred to by offset */
};

#endif
