/* files.h — the files a reader reads in a trace directory (internal to the tracer): each opened
 * safely, relative to the directory's descriptor, and only a bounded number open at once. */
#ifndef PT_TRACER_FILES_H
#define PT_TRACER_FILES_H

#include <stdint.h>
#include <sys/stat.h>

struct pt__files; /* the files of one trace directory */
struct pt__file;  /* one of them, opened when read and closed when others need the room */

/* The files of the directory open at dirfd (taken over: closed by pt__files_free). At most
 * max(4, min(256, RLIMIT_NOFILE / 4)) are open at any time, so a trace of any number of stream
 * files reads under the default limit. NULL when out of memory (dirfd is closed then). */
struct pt__files *pt__files_new(int dirfd);
void pt__files_free(struct pt__files *fs);
int pt__files_dirfd(const struct pt__files *fs);

/* File `name` (relative to the directory; "rings/x.ring" works) with one reference; nothing is
 * opened yet. NULL when out of memory. */
struct pt__file *pt__file_new(struct pt__files *fs, const char *name);
struct pt__file *pt__file_ref(struct pt__file *f);
void pt__file_put(struct pt__file *f);

/* Its descriptor, opened now if closed (which may close the least recently used other file):
 * read-only, O_NOFOLLOW | O_NONBLOCK, a regular file only, and the same file (device and inode)
 * as when first opened. Valid until the next pt__file_fd or pt__file_put of this set. Returns
 * the descriptor, or a negative errno: -ENOENT (gone), -ELOOP (a symbolic link), -EINVAL (not a
 * regular file), -ESTALE (another file now has the name), or what open(2) said. */
int pt__file_fd(struct pt__file *f);
/* Its size now; a negative errno as for pt__file_fd. */
int64_t pt__file_size(struct pt__file *f);
const char *pt__file_name(const struct pt__file *f);
/* The descriptor of the directory its name is relative to. */
int pt__file_dirfd(const struct pt__file *f);

/* Open `name` relative to dirfd (AT_FDCWD: a path) the way pt__file_fd does, for a file read
 * once. fstat's result goes to *st when st is not NULL. A descriptor or a negative errno. */
int pt__open_regular(int dirfd, const char *name, struct stat *st);

#endif
