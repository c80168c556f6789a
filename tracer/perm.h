/* perm.h — who may read and write a trace directory (tracer/perm.c; used by the tracer and cmds/).
 *
 * Default: a trace is private to the user who made it. Directories 0700, files 0600, created with
 * O_NOFOLLOW|O_EXCL where a link could be planted, and the collector drains only rings owned by
 * its own effective uid or root. Two environment settings open it up, both read where the
 * directories are created (the collector, or the first traced process when there is none):
 *   PROFTRACE_GROUP=<group name or gid>  the group may read the trace: directories 02750 (files
 *                                        inherit the group), files 0640;
 *   PROFTRACE_ALLOW_UIDS=<user|uid>,...  processes of these users may write rings into the trace
 *                                        (trace directory 0701, rings/ 01733: they can create
 *                                        files there but not list or read the others'), and the
 *                                        collector accepts their rings; "*" allows every user.
 */
#ifndef PT_TRACER_PERM_H
#define PT_TRACER_PERM_H

#include <sys/stat.h>
#include <sys/types.h>

enum pt_perm_kind {
    PT_PERM_TRACE_DIR, /* the trace directory itself */
    PT_PERM_RINGS_DIR, /* <dir>/rings */
};

/* Create directory `path` with the mode of `kind` (umask ignored, group applied). An existing
 * directory is accepted when it is a directory (not a link to one) owned by the effective uid or
 * root (or, for the rings of a trace that allows other users, by anyone): its mode is left as it
 * is. Returns 0 or a negative errno: -ENOTDIR, -ELOOP (a symbolic link), -EPERM (owned by another
 * user), or mkdir's error. */
int pt_perm_mkdir(const char *path, enum pt_perm_kind kind);

/* Mode for files of the trace (stream files, metadata, rings): 0600, 0640 with PROFTRACE_GROUP. */
mode_t pt_perm_file_mode(void);

/* Mode for a file every traced account must write (the shim's shared holds table): 0666 when the
 * trace lets other users in (PROFTRACE_ALLOW_UIDS), else pt_perm_file_mode(). */
mode_t pt_perm_shared_mode(void);

/* open(2) for files of the trace: never follows a final symbolic link (O_NOFOLLOW), close-on-exec,
 * created with pt_perm_file_mode(). Returns the descriptor or -1 with errno set. */
int pt_perm_open(const char *path, int flags);

/* May a ring file described by `st` (from lstat or fstat) be taken into trace directory whose
 * owner is `trace_owner`? 1 when it is a regular file owned by the trace's owner, the effective
 * uid, root, or a user of PROFTRACE_ALLOW_UIDS; 0 otherwise, with a reason in why[len]. Used by
 * the collector and by every reader, so another user cannot inject events into a trace. */
int pt_perm_ring_allowed(const struct stat *st, uid_t trace_owner, char *why, size_t len);

/* May the peer of connected AF_UNIX socket `sock` talk to this collector (the live-client
 * socket)? 1 when its credentials (SO_PEERCRED, taken by the kernel at connect) are the effective
 * uid's, root's or a user's of PROFTRACE_ALLOW_UIDS; 0 otherwise or when they cannot be read,
 * with a reason in why[len]. */
int pt_perm_peer_allowed(int sock, char *why, size_t len);

#endif
