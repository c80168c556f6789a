/* inuse_layout.h — the layout of the in-use section (private to libmapisim; its own tests read
 * it to play a process that dies holding the lock). Self-describing: readers check magic,
 * version, entry size and count before trusting it. */
#ifndef MAPISIM_INUSE_LAYOUT_H
#define MAPISIM_INUSE_LAYOUT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "samples/mapi/mapisim.h"

#define INUSE_MAGIC 0x4e49534dU /* "MSIN" */
#define INUSE_VERSION 1
#define INUSE_ENTRIES 256
#define INUSE_SIZE 65536

enum { INUSE_EMPTY = 0, INUSE_INITIALISING = 1, INUSE_READY = 2 };

struct inuse_entry {
    char profile[MAPISIM_PROFILE_MAX];
    int32_t pid;
    uint32_t refs; /* 0: free slot */
    uint64_t start;
};

struct inuse_region {
    _Atomic uint32_t state;
    uint32_t magic;
    uint32_t version;
    uint32_t header_size;
    uint32_t entry_size;
    uint32_t entries;
    pthread_mutex_t lock;
    struct inuse_entry entry[INUSE_ENTRIES];
};

_Static_assert(sizeof(struct inuse_region) <= INUSE_SIZE, "in-use region too large");

#endif
