/* inode_home.h — new files of the collector take their inodes in a directory placed in a quiet
 * part of the file system (tracer/inode_home.c says why). */
#ifndef PT_TRACER_INODE_HOME_H
#define PT_TRACER_INODE_HOME_H

#include <sys/types.h>

/* mkdirat(parent, name, mode), asking the file system to place the new directory as it places
 * top-level ones (ext4: FS_TOPDIR_FL on the parent for the time of the mkdir, then put back).
 * Returns mkdirat's result, errno as mkdirat sets it. */
int pt__mkdir_spread(int parent, const char *name, mode_t mode);

/* Create the empty regular file `name` in directory dfd (exclusively: EEXIST when the name is
 * taken) with its inode taken where directory `home` is: made unnamed there, then linked. Returns
 * its descriptor (read-write, close-on-exec), or -1 with errno set, nothing created: the caller
 * then creates it in place. */
int pt__create_in_home(int home, int dfd, const char *name, mode_t mode);

#endif
