/* env.c — the shim's environment: PROFTRACE_* values checked once (a bad one is named on stderr
 * and its default used), and LD_PRELOAD and PROFTRACE_* carried into the environment of an exec, so
 * descendants are traced even when the program passes an environment of its own.
 *
 * No allocation on the exec path (an exec may run in a vfork child, which must not touch the
 * heap), and no stack use that grows with the environment (a thread with a small stack may exec
 * one of ARG_MAX's size, some 100 000 entries): the new environment is built in the caller's
 * struct pt__env_buf, whose fixed array on the stack holds the common case, and in pages mapped
 * with a system call beyond it. A vfork child shares its parent's memory, so pages it mapped for
 * an exec that succeeded are still mapped in the parent: the thread's slot below names them, and
 * the next exec on the thread, or the parent resuming, unmaps them. */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload/shim.h"
#include "proftrace/env.h"

static char pt__self[PATH_MAX];             /* absolute path of libproftrace.so */
/* The three entries below, packed one after another in pt__env_strs by pt__env_init: in buffers
 * of their full sizes each was a page of .bss faulted in at every start. Empty strings before. */
#define PT__ENV_PRELOAD_MAX (PATH_MAX + 16)
#define PT__ENV_DIR_MAX (PATH_MAX + 16)
#define PT__ENV_PRELOAD0_MAX 8192
static char pt__env_strs[PT__ENV_PRELOAD_MAX + PT__ENV_DIR_MAX + PT__ENV_PRELOAD0_MAX];
static char *pt__env_preload = pt__env_strs;  /* LD_PRELOAD=<self> */
static char *pt__env_dir = pt__env_strs;      /* PROFTRACE_DIR=<absolute dir> */
static char *pt__env_preload0 = pt__env_strs; /* LD_PRELOAD as this process got it (names us) */
static char pt__env_stacks[256];            /* PROFTRACE_STACKS=... as the process got it */
static char pt__env_gpid[96];               /* PROFTRACE_GPID=gpid:pid:start_time:depth */
static char pt__env_redact[64];             /* PROFTRACE_REDACT=... (redact.c), carried on */

/* The PROFTRACE_* variables whose value pt__env_warn named bad: left out of exec'ed environments,
 * so that descendants use the defaults without saying it again. */
static const char *pt__env_bad[16];
static unsigned pt__env_nbad;

static const char *const pt__env_names[] = {
#define PT__ENV_NAME(name, kind, value, def, help) #name,
    PT_ENV_VARS(PT__ENV_NAME)
#undef PT__ENV_NAME
};

const char *pt__getenv(const char *name)
{
    char why[160];
    const char *v = getenv(name);
    return v && pt_env_check(name, v, why, sizeof why) == -EINVAL ? pt_env_fallback(name) : v;
}

void pt__env_warn(void)
{
    for (size_t i = 0; i < sizeof pt__env_names / sizeof pt__env_names[0]; i++) {
        const char *name = pt__env_names[i], *v = getenv(name);
        char why[160], instead[64], line[512];
        if (!v || pt_env_check(name, v, why, sizeof why) != -EINVAL)
            continue;
        if (pt__env_nbad < sizeof pt__env_bad / sizeof pt__env_bad[0])
            pt__env_bad[pt__env_nbad++] = name;
        int n = snprintf(line, sizeof line, "proftrace: %s=%.100s: %s; %s\n", name, v, why,
                         pt_env_instead(name, instead, sizeof instead));
        if (n > (int)sizeof line - 1)
            n = (int)sizeof line - 1;
        ssize_t w = write(2, line, (size_t)n);
        (void)w;
    }
}

/* Is environment entry `e` one of the bad values pt__env_warn named? */
static int pt__env_is_bad(const char *e)
{
    for (unsigned i = 0; i < pt__env_nbad; i++) {
        size_t n = strlen(pt__env_bad[i]);
        if (!strncmp(e, pt__env_bad[i], n) && e[n] == '=')
            return 1;
    }
    return 0;
}

/* Does the LD_PRELOAD value `v` name the shim already? */
static int pt__has_self(const char *v)
{
    const char *base = strrchr(pt__self, '/');
    base = base ? base + 1 : pt__self;
    return strstr(v, pt__self) || strstr(v, base);
}

void pt__env_init(void)
{
    /* The name the loader opened the shim by: an absolute one is handed on as it is (the exec'd
     * image opens the same file); only a relative one is resolved, which costs a readlink per
     * component of the path. */
    Dl_info di;
    if (dladdr((void *)pt__env_init, &di) && di.dli_fname &&
        (di.dli_fname[0] == '/' || !realpath(di.dli_fname, pt__self)))
        snprintf(pt__self, sizeof pt__self, "%s", di.dli_fname); /* not strncpy: its zero fill
                                                                     faulted in 2 pages */
    char *preload = pt__env_strs, *dir = preload + PT__ENV_PRELOAD_MAX, *preload0;
    strcpy(preload, "LD_PRELOAD=");
    strncat(preload, pt__self, PT__ENV_PRELOAD_MAX - 12);
    dir = preload + strlen(preload) + 1;
    strcpy(dir, "PROFTRACE_DIR=");
    strncat(dir, pt__cfg.dir ? pt__cfg.dir : "", PT__ENV_DIR_MAX - 15);
    preload0 = dir + strlen(dir) + 1;
    /* An environment without LD_PRELOAD gets the whole list this process was started with (it may
     * hold more than the shim: a sanitizer runtime that must stay first, another preload). */
    const char *pre = getenv("LD_PRELOAD");
    if (pre && strlen(pre) + 12 < PT__ENV_PRELOAD0_MAX && pt__has_self(pre)) {
        strcpy(preload0, "LD_PRELOAD=");
        strcat(preload0, pre);
    } else {
        strcpy(preload0, preload);
    }
    pt__env_preload = preload;
    pt__env_dir = dir;
    pt__env_preload0 = preload0;
    const char *rd = pt__getenv("PROFTRACE_REDACT");
    if (rd && strlen(rd) < sizeof pt__env_redact - 18) {
        strcpy(pt__env_redact, "PROFTRACE_REDACT=");
        strcat(pt__env_redact, rd);
    }
    const char *s = pt__getenv("PROFTRACE_STACKS");
    if (s && strlen(s) < sizeof pt__env_stacks - 18) {
        strcpy(pt__env_stacks, "PROFTRACE_STACKS=");
        strcat(pt__env_stacks, s);
    }
}

void pt__env_set_gpid(uint32_t gpid, uint32_t pid, uint64_t start_time, unsigned depth)
{
    snprintf(pt__env_gpid, sizeof pt__env_gpid, "PROFTRACE_GPID=%u:%u:%llu:%u", gpid, pid,
             (unsigned long long)start_time, depth);
}

int pt__env_traced(char *const envp[])
{
    int pre = 0, dir = 0;
    for (size_t i = 0; envp && envp[i]; i++) {
        if (!strncmp(envp[i], "LD_PRELOAD=", 11))
            pre = pt__has_self(envp[i] + 11) != 0;
        else if (!strncmp(envp[i], "PROFTRACE_DIR=", 14))
            dir = envp[i][14] != 0;
    }
    return pre && dir;
}

/* Do the paths name the same file (a directory when `dir`)? (A relative PROFTRACE_DIR or
 * LD_PRELOAD, which the new image resolves from its working directory, the one the exec leaves
 * it.) */
static int pt__env_same_file(const char *a, const char *b, int dir)
{
    struct stat sa, sb;
    int saved = errno;
    int same = *a && syscall(SYS_newfstatat, AT_FDCWD, a, &sa, 0) == 0 &&
               syscall(SYS_newfstatat, AT_FDCWD, b, &sb, 0) == 0 &&
               (!dir || S_ISDIR(sa.st_mode)) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    errno = saved;
    return same;
}

/* Does the LD_PRELOAD list v load this shim? By its path, or by another name of the same file (a
 * relative one, which the new image's loader resolves from the working directory the exec leaves
 * it). */
static int pt__env_loads_self(const char *v)
{
    if (strstr(v, pt__self))
        return 1;
    const char *base = strrchr(pt__self, '/');
    base = base ? base + 1 : pt__self;
    char one[PATH_MAX];
    while (*v) {
        size_t n = strcspn(v, ": \t");
        if (n && n < sizeof one) {
            memcpy(one, v, n);
            one[n] = 0;
            const char *b = strrchr(one, '/');
            if (!strcmp(b ? b + 1 : one, base) && pt__env_same_file(one, pt__self, 0))
                return 1;
        }
        v += n;
        v += strspn(v, ": \t");
    }
    return 0;
}

int pt__env_keeps_shim(char *const envp[])
{
    int pre = 0, dir = 0, dir_seen = 0;
    const char *ours = pt__env_dir + 14;
    if (!pt__self[0] || !*ours)
        return 0;
    for (size_t i = 0; envp && envp[i]; i++) {
        const char *e = envp[i];
        if (!strncmp(e, "LD_PRELOAD=", 11)) {
            if (!pt__env_loads_self(e + 11))
                return 0; /* the loader takes the last one, getenv the first: every one names us */
            pre = 1;
        } else if (!strncmp(e, "PROFTRACE_DIR=", 14) && !dir_seen) {
            dir_seen = 1; /* the new image's getenv takes the first */
            dir = !strcmp(e + 14, ours) || pt__env_same_file(e + 14, ours, 1);
        } else if (!strncmp(e, "PROFTRACE_SECCOMP=", 18)) {
            return 0; /* the new image stays inert (seccomp.c) */
        }
    }
    return pre && dir;
}

/* Pages a process sharing this thread's memory (a vfork child) mapped for its exec: if the exec
 * succeeded they were never unmapped. `pid` is that process: another pid finding them here runs
 * on this thread after it, so it has exec'd or exited. */
static PT__TLS struct {
    void *map;
    size_t len;
    uint32_t pid;
} pt__env_left;

static void pt__env_unmap(void *map, size_t len)
{
    int saved = errno;
    syscall(SYS_munmap, map, len); /* not munmap: the shim's wrapper would record it */
    errno = saved;
}

void pt__env_reclaim(void)
{
    if (pt__env_left.map && pt__env_left.pid != (uint32_t)syscall(SYS_getpid)) {
        pt__env_unmap(pt__env_left.map, pt__env_left.len);
        pt__env_left.map = NULL;
    }
}

/* Room for `nptr` pointers followed by `nstr` bytes: b->fixed when it fits, else mapped pages
 * (b->map); NULL when they cannot be mapped. errno is kept. */
static char **pt__env_room(struct pt__env_buf *b, size_t nptr, size_t nstr)
{
    b->map = NULL;
    if (nptr <= PT__ENV_FIXED && nstr <= (PT__ENV_FIXED - nptr) * sizeof(char *))
        return b->fixed;
    pt__env_reclaim();
    int saved = errno;
    size_t len = nptr * sizeof(char *) + nstr;
    void *m = (void *)syscall(SYS_mmap, NULL, len, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    errno = saved;
    if (m == MAP_FAILED) {
        static _Atomic int said;
        static const char msg[] = "proftrace: no memory for an exec's environment of that size: "
                                  "the new image is not traced\n";
        if (!atomic_exchange(&said, 1)) {
            ssize_t w = write(2, msg, sizeof msg - 1);
            (void)w;
            errno = saved;
        }
        return NULL;
    }
    b->map = m;
    b->len = len;
    uint32_t pid = (uint32_t)syscall(SYS_getpid);
    if (pid != pt__pid && !pt__env_left.map) { /* maybe a vfork child: see above */
        pt__env_left.map = m;
        pt__env_left.len = len;
        pt__env_left.pid = pid;
    }
    return (char **)m;
}

void pt__env_release(struct pt__env_buf *b)
{
    if (!b->map)
        return;
    if (pt__env_left.map == b->map)
        pt__env_left.map = NULL;
    pt__env_unmap(b->map, b->len);
    b->map = NULL;
}

/* The number of entries of envp. */
static size_t pt__env_count(char *const envp[])
{
    size_t n = 0;
    while (envp && envp[n])
        n++;
    return n;
}

char **pt__env_seccomp(char *const envp[], struct pt__env_buf *b)
{
    static char mark[] = "PROFTRACE_SECCOMP=1";
    size_t n = 0, nbuf = pt__env_count(envp) + 2;
    char **buf = pt__env_room(b, nbuf, 0);
    if (!buf)
        return (char **)envp; /* without the mark: the new image says what seccomp stops */
    for (size_t i = 0; envp && envp[i]; i++)
        if (strncmp(envp[i], "PROFTRACE_SECCOMP=", 18))
            buf[n++] = envp[i];
    buf[n++] = mark;
    buf[n] = NULL;
    return buf;
}

char **pt__env_fix(char *const envp[], struct pt__env_buf *b)
{
    b->map = NULL;
    if (!pt__self[0] || !pt__env_dir[14])
        return (char **)envp;
    /* The room: every entry, the five we may add and the NULL; and, when the (first) LD_PRELOAD
     * does not name us, that one joined with ours. */
    size_t nenv = pt__env_count(envp), pre_at = nenv, nstr = 0;
    for (size_t i = 0; i < nenv && pre_at == nenv; i++)
        if (!strncmp(envp[i], "LD_PRELOAD=", 11))
            pre_at = i;
    if (pre_at < nenv && !pt__has_self(envp[pre_at] + 11))
        nstr = strlen(pt__env_preload) + 1 + strlen(envp[pre_at] + 11) + 1;
    char **buf = pt__env_room(b, nenv + 6, nstr);
    if (!buf)
        return (char **)envp;
    char *str = (char *)(buf + nenv + 6);
    int have_pre = 0, have_dir = 0, have_stacks = 0, have_redact = 0;
    size_t n = 0;
    for (size_t i = 0; i < nenv; i++) {
        char *e = envp[i];
        if (!strncmp(e, "LD_PRELOAD=", 11)) {
            have_pre = 1;
            if (i == pre_at && nstr) { /* ours first, then theirs */
                strcpy(str, pt__env_preload);
                strcat(str, ":");
                strcat(str, e + 11);
                e = str;
            }
        } else if (pt__env_is_bad(e)) {
            continue; /* named once here; descendants use the default (or the fallback below) */
        } else if (!strncmp(e, "PROFTRACE_DIR=", 14)) {
            have_dir = 1;
        } else if (!strncmp(e, "PROFTRACE_STACKS=", 17)) {
            have_stacks = 1;
        } else if (!strncmp(e, "PROFTRACE_GPID=", 15) && pt__env_gpid[0]) {
            continue; /* someone else's (inherited): ours replaces it */
        } else if (!strncmp(e, "PROFTRACE_REDACT=", 17)) {
            have_redact = 1;
        }
        buf[n++] = e;
    }
    if (!have_pre)
        buf[n++] = pt__env_preload0;
    if (!have_dir)
        buf[n++] = pt__env_dir;
    if (!have_stacks && pt__env_stacks[0])
        buf[n++] = pt__env_stacks;
    if (pt__env_gpid[0])
        buf[n++] = pt__env_gpid;
    if (!have_redact && pt__env_redact[0]) /* a redacted trace stays redacted in descendants */
        buf[n++] = pt__env_redact;
    buf[n] = NULL;
    return buf;
}
