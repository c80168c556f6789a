/* collector.h — drains the rings of a trace directory into its CTF streams (used by the
 * `proftrace record` and `proftrace collect` commands). */
#ifndef PT_TRACER_COLLECTOR_H
#define PT_TRACER_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proftrace/trace.h"

struct pt_collector;

struct pt_collector_stats {
    uint64_t processes;   /* distinct (pid, start time) whose rings were finished */
    uint64_t events;      /* events written to stream files */
    uint64_t lost;        /* events the writers counted as lost (and any in damaged packets) */
    uint64_t overwritten; /* flight recorder: events overwritten before they were drained */
    uint64_t unwritten;   /* events of finished rings that could not be written: left in rings/ */
    uint64_t kept;        /* finished rings left in rings/ for that reason */
    int write_error;      /* errno of the first failed write to the trace, 0 when none */
    uint64_t rings;       /* rings being drained now */
    uint64_t reaped;      /* processes that ended without closing their ring */
    uint64_t refused;     /* files in rings/ not taken (not a valid ring, another user's...) */
    uint64_t warned_users; /* users other than the trace's owner whose rings were refused */
};

/* Start collecting into `dir` (created if needed, with rings/, the CTF metadata and the owner's
 * holds table). Resumes from what an earlier collector wrote there (idempotent); refuses (-EPROTO)
 * a directory written with another event format or event tables. An existing directory must be
 * the effective user's and closed to others (pt_perm_trace_open): it is opened once and every file
 * is opened relative to it. diag may be NULL (stderr). */
int pt_collector_open(const char *dir, pt_trace_diag_fn diag, void *diag_arg,
                      struct pt_collector **out);

/* The same, rotated (--max-size, --max-age; tracer/rotate.h): stream files go into the chunks of
 * DIR/chunks/, the next begun when one is full or old, the oldest dropped under the caps once the
 * analyzer's follower has checkpointed the chunk after them. opts NULL: as pt_collector_open, which
 * goes on in the newest chunk (without caps) of a directory that is rotated already. */
struct pt__rotate_opts;
int pt_collector_open_rotated(const char *dir, const struct pt__rotate_opts *opts,
                              pt_trace_diag_fn diag, void *diag_arg, struct pt_collector **out);

/* Wait up to timeout_ms for a new ring, a writer's death or a writer waking us (a packet filled
 * while we slept, or it waits for room), then drain every ring: complete packets of live writers,
 * everything of writers that are gone. Does not wait when the previous call found work. 0 or a
 * negative errno. */
int pt_collector_run_once(struct pt_collector *c, int timeout_ms);

/* The size of the rings the traced processes will create: `buf_bytes` per thread buffer and
 * `nbufs` buffers (0: the defaults, PROFTRACE_BUFSIZE and PROFTRACE_THREADS unset). The collector
 * keeps a few ring files of that size ready (tracer/ring_pool.c), which a starting process takes
 * instead of creating its own; a process with other sizes creates its own. Default: the
 * defaults. */
void pt_collector_ring_size(struct pt_collector *c, size_t buf_bytes, unsigned nbufs);

/* Tell the collector how a process ended (a subreaper learns it from waitid): `signo` is the fatal
 * signal, 0 for a normal exit. `start_time` in clock ticks as /proc/PID/stat gives it, 0 if
 * unknown. Used for the `reaped` event. */
void pt_collector_note_exit(struct pt_collector *c, pid_t pid, uint64_t start_time, int signo);

/* Final pass: every writer is considered gone; drain and finish every ring. A ring whose events
 * could not all be written (trace disk full) is left in rings/ and counted in `unwritten`. */
int pt_collector_finish(struct pt_collector *c);

void pt_collector_stats(const struct pt_collector *c, struct pt_collector_stats *out);

/* Call fn(arg, pid) for every ring attached, those already attached included (pid: its writer in
 * our pid namespace, 0 when unknown). The witness (witness.h) watches what they hold. */
void pt_collector_on_attach(struct pt_collector *c, void (*fn)(void *arg, pid_t pid), void *arg);

/* The shim next to the running executable, as an absolute path in buf: from
 * dirname(/proc/self/exe),
 * ../lib/proftrace/libproftrace.so (installed) or ../lib/libproftrace.so (the build tree). 0 when
 * the file exists, -ENOENT otherwise (buf then holds the installed path). */
int pt_shim_path(char *buf, size_t len);
/* The path of the AddressSanitizer runtime this program runs with, or NULL. A proftrace built
 * with -DPT_SANITIZE=address comes with a shim built the same way, which works in a process only
 * when that runtime is the first library loaded: `record` and `collect` put it first in the
 * LD_PRELOAD they give, and an attach refuses a process started without it. NULL in an ordinary
 * build. The string is static. */
const char *pt_shim_runtime(void);
void pt_collector_close(struct pt_collector *c);

/* The trace directory as a path through the collector's own descriptor of it ("/proc/self/fd/N"):
 * give it to what must open files there (the witness) so they reach the directory the collector
 * checked, even if its name was moved. Valid until pt_collector_close. */
const char *pt_collector_dir_at(const struct pt_collector *c);

#endif
