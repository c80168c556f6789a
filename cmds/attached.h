/* attached.h — the processes `record -p` and `collect --attach` attach to (cmds/attached.c). */
#ifndef PT_CMDS_ATTACHED_H
#define PT_CMDS_ATTACHED_H

#include <sys/types.h>

#include "attach/attach.h"

#define PT_ATTACHED_MAX 256

struct pt_attached {
    pid_t pid[PT_ATTACHED_MAX];
    int pidfd[PT_ATTACHED_MAX]; /* -1: exited (or none) */
    int n;
};

/* Add the pids of "PID[,PID...]" (the value of option `opt` of `cmd`) to a; 0, or -1 after a
 * message naming the command, the option and the bad value. */
int pt_attached_parse(struct pt_attached *a, const char *spec, const char *cmd, const char *opt);

/* Before the trace directory exists: every pid can be attached (else a message, -1), and
 * PROFTRACE_ALLOW_UIDS names the users they run as when they are not ours (the rings of those
 * users are then accepted, tracer/perm.h), unless the environment already sets it. */
int pt_attached_prepare(struct pt_attached *a, const char *shim, const char *cmd);

/* Attach every pid, saying `proftrace: attached to PID (exe)` for each; on a failure, detach
 * those attached, say why, and return -1. */
int pt_attached_attach(struct pt_attached *a, const struct pt_attach_opts *o, const char *cmd);

/* Have all attached processes exited? (Their fork children may still write rings.) */
int pt_attached_all_exited(struct pt_attached *a);

/* Detach every attached process still writing a ring into dir, the fork children they made
 * included, until none is left; processes started with the shim are left alone. */
void pt_attached_detach_all(struct pt_attached *a, const char *dir, const char *shim,
                            const char *cmd);

#endif
