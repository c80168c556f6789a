/* stack.c — which events carry a stack (PROFTRACE_STACKS) and taking it with libunwind. */
#include <ctype.h>
#include <dlfcn.h>
#include <link.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload/shim.h"
#include "tracer/internal.h"

#ifdef PT_HAVE_LIBUNWIND
#define UNW_LOCAL_ONLY
#include <libunwind.h>
const char pt__stacks_note[] = "";
#else
const char pt__stacks_note[] = "stacks unavailable: built without libunwind";
#endif

uint8_t pt__want[PT_CALL_COUNT];
int pt__want_fail, pt__want_delete;
static uintptr_t pt__self_lo, pt__self_hi; /* the shim's own code, skipped in stacks */

/* Rows that delete something (shmctl only with IPC_RMID: it sets delete_hint itself). */
static int pt__is_delete(unsigned call)
{
    switch (call) {
    case PT_CALL_unlink:
    case PT_CALL_unlinkat:
    case PT_CALL_rmdir:
    case PT_CALL_rename:
    case PT_CALL_renameat:
    case PT_CALL_renameat2:
    case PT_CALL_shm_unlink:
    case PT_CALL_RegDeleteKeyA:
    case PT_CALL_RegDeleteTreeA:
    case PT_CALL_IProfAdmin_DeleteProfile:
        return 1;
    default:
        return 0;
    }
}

static const char *const pt__cat_names[] = {
#define PT__CAT_NAME(c) #c,
    PT_CATEGORIES(PT__CAT_NAME)
#undef PT__CAT_NAME
};
#define PT__ROW_CAT(name, cat, hook, cret, cparams, cargs, retk, fields) PT_CAT_##cat,
static const uint8_t pt__row_cat[PT_CALL_COUNT] = {PT_CALLS(PT__ROW_CAT, )};
#define PT__ROW_NAME(name, cat, hook, cret, cparams, cargs, retk, fields) #name,
static const char *const pt__row_name[PT_CALL_COUNT] = {PT_CALLS(PT__ROW_NAME, )};

/* One word of the list: all, none, delete, fail, a category, or a function name. */
static void pt__stacks_word(const char *w, size_t n)
{
    if (n == 3 && !strncasecmp(w, "all", 3)) {
        memset(pt__want, 1, sizeof pt__want);
        pt__want_fail = pt__want_delete = 1;
    } else if (n == 4 && !strncasecmp(w, "none", 4)) {
        memset(pt__want, 0, sizeof pt__want);
        pt__want_fail = pt__want_delete = 0;
    } else if (n == 4 && !strncasecmp(w, "fail", 4)) {
        pt__want_fail = 1;
    } else if (n == 6 && !strncasecmp(w, "delete", 6)) {
        pt__want_delete = 1;
        for (unsigned i = 0; i < PT_CALL_COUNT; i++)
            if (pt__is_delete(i))
                pt__want[i] = 1;
    } else {
        for (unsigned c = 0; c < PT_CAT_COUNT; c++)
            if (strlen(pt__cat_names[c]) == n && !strncasecmp(w, pt__cat_names[c], n))
                for (unsigned i = 0; i < PT_CALL_COUNT; i++)
                    if (pt__row_cat[i] == c)
                        pt__want[i] = 1;
        for (unsigned i = 0; i < PT_CALL_COUNT; i++)
            if (strlen(pt__row_name[i]) == n && !strncmp(w, pt__row_name[i], n))
                pt__want[i] = 1;
    }
}

#ifdef PT_HAVE_LIBUNWIND
/* Take every free descriptor number below `base`, so that the next descriptor opened lands at or
 * above it: the numbers taken go to held[] (at most max); how many, or -1 when this way is not
 * available. The kernel installs the descriptors of an SCM_RIGHTS message at the lowest free
 * numbers, up to 253 per message, so this takes a few system calls where taking one number at a
 * time takes one per number: under the ptrace of an attach (preload/attach.c), each of those is a
 * round trip to the injector. */
static int pt__hold_low_fds(int base, int anchor, int *held, int max)
{
    enum { PER_MSG = 253 }; /* SCM_MAX_FD */
    int sv[2], n = 0;
    if (max < 2 || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
        return -1;
    held[n++] = sv[0]; /* low numbers too: they stay taken until the caller releases them all */
    held[n++] = sv[1];
    int out[PER_MSG];
    for (int i = 0; i < PER_MSG; i++)
        out[i] = anchor;
    union {
        char buf[CMSG_SPACE(PER_MSG * sizeof(int))];
        struct cmsghdr align;
    } cm;
    for (int full = 0; !full && n < max;) {
        int k = max - n < PER_MSG ? max - n : PER_MSG;
        char byte = 0;
        struct iovec iov = {&byte, 1};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
                           .msg_controllen = CMSG_SPACE(k * sizeof(int))};
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(k * sizeof(int));
        memcpy(CMSG_DATA(c), out, k * sizeof(int));
        if (sendmsg(sv[0], &m, 0) < 0)
            break;
        m.msg_controllen = sizeof cm.buf;
        if (recvmsg(sv[1], &m, MSG_CMSG_CLOEXEC) < 0)
            break;
        int got = 0;
        for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            int cnt = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int)), fds[PER_MSG];
            memcpy(fds, CMSG_DATA(c), (size_t)cnt * sizeof(int));
            for (int i = 0; i < cnt; i++) {
                got++;
                if (fds[i] >= base || n == max) {
                    close(fds[i]); /* past the numbers the program uses: the job is done */
                    full = 1;
                } else {
                    held[n++] = fds[i];
                }
            }
        }
        if (got < k || (m.msg_flags & MSG_CTRUNC))
            full = 1; /* the table is full (RLIMIT_NOFILE) */
    }
    return n;
}

static int pt__int_cmp(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* Close the numbers held, a run of consecutive numbers at a time (close_range). */
static void pt__release_fds(int *held, int n)
{
    qsort(held, (size_t)n, sizeof held[0], pt__int_cmp);
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && held[j + 1] == held[j] + 1)
            j++;
        if (syscall(SYS_close_range, (unsigned)held[i], (unsigned)held[j], 0u) < 0)
            for (int k = i; k <= j; k++)
                close(held[k]);
        i = j + 1;
    }
}

/* libunwind's first call opens a pipe (it validates memory by writing it to the pipe), keeps it for
 * the life of the process, and later closes and reopens it by number. At the lowest free numbers it
 * would shift every descriptor number the program gets, and once the program reused those numbers
 * libunwind would read, write and close the program's files. So, like the ring (pt__fd_high), it
 * gets numbers above the program's: every free number below pt__fd_high_base() is held while it
 * opens the pipe, then released. */
static void pt__unwind_init(void)
{
    int held[1088], n = 0, base = pt__fd_high_base();
    int anchor = open("/", O_PATH | O_CLOEXEC);
    if (anchor >= 0 && anchor < base) {
        held[n++] = anchor;
        int more = pt__hold_low_fds(base, anchor, held + n, (int)(sizeof held / sizeof held[0]) - n);
        if (more >= 0)
            n += more;
        while (more < 0 && n < (int)(sizeof held / sizeof held[0])) { /* one number at a time */
            int f = fcntl(anchor, F_DUPFD_CLOEXEC, 0);
            if (f < 0)
                break;
            if (f >= base) {
                close(f);
                break;
            }
            held[n++] = f;
        }
    } else if (anchor >= 0) {
        close(anchor);
    }
    /* Per-thread caches: libunwind's global cache has a lock, which a fork child could inherit
     * held by a thread that no longer exists there. */
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    pt__release_fds(held, n);
}
#endif

void pt__stacks_config(const char *spec)
{
#ifndef PT_HAVE_LIBUNWIND
    return; /* nothing wanted: no stacks without libunwind */
#else
    pt__unwind_init();
#endif
    if (!spec)
        spec = "delete,MAPI,fail";
    while (*spec) {
        while (*spec == ',' || isspace((unsigned char)*spec))
            spec++;
        const char *w = spec;
        while (*spec && *spec != ',' && !isspace((unsigned char)*spec))
            spec++;
        if (spec > w)
            pt__stacks_word(w, (size_t)(spec - w));
    }
    Dl_info di;
    struct link_map *lm = NULL;
    if (dladdr1((void *)pt__stacks_config, &di, (void **)&lm, RTLD_DL_LINKMAP) && lm) {
        /* The shim's text: from its base to the end of its executable segments. */
        const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)di.dli_fbase;
        const ElfW(Phdr) *ph = (const ElfW(Phdr) *)((const char *)eh + eh->e_phoff);
        pt__self_lo = pt__self_hi = 0;
        for (int i = 0; i < eh->e_phnum; i++)
            if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X)) {
                uintptr_t a = lm->l_addr + ph[i].p_vaddr, b = a + ph[i].p_memsz;
                if (!pt__self_lo || a < pt__self_lo)
                    pt__self_lo = a;
                if (b > pt__self_hi)
                    pt__self_hi = b;
            }
    }
}

/* PROFTRACE_BREAK: arms the checks of breakpoint.c (which parses the conditions) for any value
 * but empty or "0"; kept here, with the other environment parsing, for the env fuzz target. */
int pt__break_armed;

void pt__break_config(const char *spec)
{
    pt__break_armed = spec && *spec && strcmp(spec, "0") != 0;
}

__attribute__((noinline)) uint8_t pt__stack(uint64_t *frames)
{
#ifdef PT_HAVE_LIBUNWIND
    void *ip[PT_MAX_FRAMES + 8];
    pt__emit_modules(1); /* a stack is only useful if its modules are known */
    int n = unw_backtrace(ip, (int)(sizeof ip / sizeof ip[0]));
    uint8_t k = 0;
    int i = 0;
    while (i < n && (uintptr_t)ip[i] >= pt__self_lo && (uintptr_t)ip[i] < pt__self_hi)
        i++; /* the shim's own frames */
    for (; i < n && k < PT_MAX_FRAMES; i++)
        frames[k++] = (uint64_t)(uintptr_t)ip[i];
    return k;
#else
    (void)frames;
    return 0;
#endif
}
