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
 * Nothing in a trace is ever writable by a user other than its writer: each process writes its own
 * ring, each user its own holds table (tracer/holds_table.h).
 */
#ifndef PT_TRACER_PERM_H
#define PT_TRACER_PERM_H

#include <sys/stat.h>
#include <sys/types.h>

enum pt_perm_kind {
    PT_PERM_TRACE_DIR, /* the trace directory itself */
    PT_PERM_RINGS_DIR, /* <dir>/rings */
};

/* A ring writer's (the shim's) directories: create `path` with the mode of `kind` (umask ignored,
 * group applied). An existing directory is accepted when it is a directory (not a link to one)
 * owned by the effective uid or root — or, in a trace that allows other users and for a writer that
 * is not root, by anyone —, and other users cannot write it (rings/: but for its sticky opening).
 * Its mode is left as it is. Returns 0 or a negative errno: -ENOTDIR, -ELOOP (a symbolic link),
 * -EPERM (another user's, or writable by others), or mkdir's error. *nlink (when not NULL): its
 * link count, 2 plus its subdirectories on most file systems (2 when just made). */
int pt_perm_mkdir(const char *path, enum pt_perm_kind kind, nlink_t *nlink);

/* The collector's trace directory: creates `path` and its rings/ with the modes above when
 * missing, and accepts existing ones only when they are real directories owned by the effective
 * user that no other user can write (rings/: but for its sticky opening), inside directories
 * nobody but root and the effective user can rename them in (each one above owned by either, and
 * writable by no one else unless sticky). The checks are made on the opened descriptors, which
 * *dfd and *rfd return (O_DIRECTORY, close-on-exec): the collector opens everything relative to
 * them and never resolves the name again. Returns 0, or a negative errno with a one-line reason
 * naming the directory in why[len]. */
int pt_perm_trace_open(const char *path, int *dfd, int *rfd, char *why, size_t len);

/* pt_perm_trace_open, closing the descriptors: for a command that checks before it starts. */
int pt_perm_trace_dir(const char *path, char *why, size_t len);

/* "/proc/self/fd/FD": a path that reaches the directory of descriptor fd itself, whatever its name
 * now is, for interfaces that take a path (a file opened beneath it is looked up from that very
 * directory). Returns buf. */
const char *pt_perm_fd_path(int fd, char *buf, size_t len);

/* Mode for files of the trace (stream files, metadata, rings): 0600, 0640 with PROFTRACE_GROUP. */
mode_t pt_perm_file_mode(void);

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
