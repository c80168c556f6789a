/* inuse.c — the in-use list: which profiles live processes of this view are logged on to.
 *
 * Real MAPI keeps it in a named section (CreateFileMapping), one per account; here likewise,
 * through libwinsim. The section starts with a self-describing header and a process-shared
 * ROBUST mutex: a process that dies holding the lock does not wedge everyone else. Entries are
 * (profile, pid, process start time, references). A Windows section forgets a process's handles
 * when it exits; we get the same effect by dropping, under the lock, every entry whose process
 * no longer exists.
 *
 * Initialisation race: whoever moves `state` from EMPTY to INITIALISING sets up the mutex and
 * publishes READY; everyone else waits for READY (a few instructions of the creator). */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "samples/mapi/inuse_layout.h"
#include "samples/mapi/mapisim.h"

static HANDLE section;
static struct inuse_region *region;
static pid_t self_pid;
static unsigned long long self_start;

static int init_region(struct inuse_region *r)
{
    pthread_mutexattr_t attr;
    uint32_t expected = INUSE_EMPTY;

    if (atomic_compare_exchange_strong(&r->state, &expected, INUSE_INITIALISING)) {
        pthread_mutexattr_init(&attr);
        pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
        pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
        pthread_mutex_init(&r->lock, &attr);
        pthread_mutexattr_destroy(&attr);
        r->magic = INUSE_MAGIC;
        r->version = INUSE_VERSION;
        r->header_size = (uint32_t)offsetof(struct inuse_region, entry);
        r->entry_size = (uint32_t)sizeof(struct inuse_entry);
        r->entries = INUSE_ENTRIES;
        atomic_store(&r->state, INUSE_READY);
    }
    while (atomic_load(&r->state) != INUSE_READY)
        sched_yield();
    if (r->magic != INUSE_MAGIC || r->version != INUSE_VERSION ||
        r->entry_size != sizeof(struct inuse_entry) || r->entries != INUSE_ENTRIES)
        return -EPROTO; /* another, incompatible build of the library made it */
    return 0;
}

int mapisim__inuse_open(const char *mapping_name)
{
    HANDLE h;
    void *view;
    int rc;

    self_pid = getpid();
    rc = mapisim__proc_start(self_pid, &self_start);
    if (rc < 0)
        return rc;
    h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, INUSE_SIZE, mapping_name);
    if (!h)
        return GetLastError() == ERROR_ACCESS_DENIED ? -EACCES : -EIO;
    view = MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, INUSE_SIZE);
    if (!view) {
        CloseHandle(h);
        return -EIO;
    }
    rc = init_region(view);
    if (rc < 0) {
        UnmapViewOfFile(view);
        CloseHandle(h);
        return rc;
    }
    section = h;
    region = view;
    return 0;
}

void mapisim__inuse_close(void)
{
    if (region)
        UnmapViewOfFile(region);
    if (section)
        CloseHandle(section);
    region = NULL;
    section = NULL;
}

static int entry_alive(const struct inuse_entry *e)
{
    unsigned long long start;

    if (e->pid == self_pid)
        return e->start == self_start;
    return mapisim__proc_start(e->pid, &start) == 0 && start == e->start;
}

int mapisim__inuse_lock(void)
{
    int rc;

    if (!region)
        return -EINVAL;
    rc = pthread_mutex_lock(&region->lock);
    if (rc == EOWNERDEAD) {
        /* The holder died inside the lock; the table is updated one field at a time with whole
         * entries freed by refs = 0, so it is still usable as it is. */
        pthread_mutex_consistent(&region->lock);
    } else if (rc != 0) {
        return -rc;
    }
    for (int i = 0; i < INUSE_ENTRIES; i++) {
        struct inuse_entry *e = &region->entry[i];
        if (e->refs && !entry_alive(e))
            e->refs = 0;
    }
    return 0;
}

void mapisim__inuse_unlock(void)
{
    pthread_mutex_unlock(&region->lock);
}

static struct inuse_entry *find_own(const char *profile)
{
    for (int i = 0; i < INUSE_ENTRIES; i++) {
        struct inuse_entry *e = &region->entry[i];
        if (e->refs && e->pid == self_pid && e->start == self_start && !strcmp(e->profile, profile))
            return e;
    }
    return NULL;
}

int mapisim__inuse_add(const char *profile)
{
    struct inuse_entry *e = find_own(profile);

    if (strlen(profile) >= MAPISIM_PROFILE_MAX)
        return -ENAMETOOLONG;
    if (e) {
        e->refs++;
        return 0;
    }
    for (int i = 0; i < INUSE_ENTRIES; i++) {
        e = &region->entry[i];
        if (e->refs)
            continue;
        snprintf(e->profile, sizeof(e->profile), "%s", profile);
        e->pid = self_pid;
        e->start = self_start;
        e->refs = 1; /* last: publishes the entry */
        return 0;
    }
    return -ENOSPC;
}

int mapisim__inuse_remove(const char *profile)
{
    struct inuse_entry *e = find_own(profile);

    if (!e)
        return -ENOENT;
    e->refs--;
    return 0;
}

unsigned mapisim__inuse_count(const char *profile)
{
    unsigned n = 0;

    for (int i = 0; i < INUSE_ENTRIES; i++) {
        const struct inuse_entry *e = &region->entry[i];
        if (e->refs && !strcmp(e->profile, profile))
            n += e->refs;
    }
    return n;
}
