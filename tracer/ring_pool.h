/* ring_pool.h — ring files the collector prepares ahead, so that a traced process starts without
 * creating one (tracer/ring_pool.c says why and how). */
#ifndef PT_TRACER_RING_POOL_H
#define PT_TRACER_RING_POOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "tracer/internal.h"

#define PT__POOL_DIR ".pool" /* in rings/: a leading dot, so no reader takes it for a ring */
#define PT__POOL_SLOTS 8u    /* files kept ready */

/* Writer side (pt_ring_create). Take a prepared file for a ring of layout L: rename one from
 * <rings>/.pool to this process's own name there (".<pid>-<instance>.tmp", written to tmp[len]),
 * which no reader takes for a ring, and open it. Returns its descriptor (read-write, close-on-exec)
 * with its fstat in *st, or -1 when there is none to take — no collector or an older one, a pool of
 * another layout or another user, all taken — and the caller creates its own file. A file taken
 * that is not what a prepared one must be (a regular file of this effective user, of L's size,
 * with one link) is removed. errno is not preserved. */
int pt__pool_claim(const char *rings, const struct pt__ring_layout *L, uint32_t pid,
                   uint64_t instance, char *tmp, size_t len, struct stat *st);

/* Collector side: the pool of one trace directory. */
struct pt__pool {
    int fd;                   /* rings/.pool, -1 when there is none */
    struct pt__ring_layout L; /* the layout of the files it prepares */
    uint32_t full;            /* slots that held a file when last looked at */
    int stale;                /* a process may have taken one since: look again before use */
    uint64_t retry_at;        /* pt_now() before which no file is made (a failure happened) */
};

/* Open (or make) rings/.pool in the rings directory rfd for files of `buf_bytes` x `nbufs` (0: the
 * defaults), keeping the prepared files an earlier collector left that are still right and removing
 * the others. A directory that is not ours and private is not used. Returns 0, or a negative errno
 * (p->fd is then -1 and the collector goes on without a pool). */
int pt__pool_open(struct pt__pool *p, int rfd, size_t buf_bytes, unsigned nbufs);

/* Prepare files of another layout from now on (a command that sets the buffer size); the files
 * of the old one are removed. */
void pt__pool_layout(struct pt__pool *p, size_t buf_bytes, unsigned nbufs);

/* A new ring appeared in rings/: its process may have taken a file from the pool. */
void pt__pool_taken(struct pt__pool *p);

/* The collector is done with ring `name` of rings directory rfd: drained, unmapped, still open as
 * fd. When a slot is free, the ring is this user's, and nothing else has it open or mapped, it is
 * emptied and becomes a prepared file: no file is created for the next process, nor one freed
 * (on a disk file system both cost more than the rest of a process's start). Returns 1 when its
 * name is gone from rings/ (recycled, or removed), 0 when it is untouched: the caller removes it.
 */
int pt__pool_recycle(struct pt__pool *p, int rfd, const char *name, int fd);

/* Make the files missing from the pool when it is less than half full (none for a second after a
 * failure, such as a full disk). For a collector with nothing else to do: making a file may cost
 * a millisecond. */
void pt__pool_fill(struct pt__pool *p);

/* Remove every file of the pool and the pool itself from rings directory rfd (the collection
 * ends); closes p->fd. */
void pt__pool_close(struct pt__pool *p, int rfd);

#endif
