/* hook_open.c — opening and closing files: rows whose wrapper decides per call what to trace.
 *
 * Opens are the most frequent calls of a build, and almost all of them only read. An open inside
 * another traced call is recorded whatever it is (it gives a key or a mapping its identity). An
 * open the program makes itself is recorded only when it may begin an open-file hold
 * (proftrace/open_holds.h): a read-only open goes straight to the kernel after one flag test; an
 * open for writing is recorded when it failed (a victim, perhaps) or opened a regular file, whose
 * descriptor is then marked held and the hold published in the holds table (holds.c). close, dup2
 * and dup3 of a descriptor that is not marked go straight through after one bit test; of a marked
 * one, the hold is withdrawn before the call (the number may be another thread's a moment later)
 * and the call recorded. close_range and closefrom do the same for every marked descriptor of
 * their range, recorded as one close each.
 *
 * glibc's fopen, creat and the fortified __open_2 reach the kernel through libc-internal calls that
 * no interposition sees, and fclose closes its descriptor the same way: each is wrapped here and
 * recorded as the open(2) or close(2) it makes (fopen's mode turned into open flags, as glibc
 * does), so the table keeps one class per meaning. They are followed only outside traced calls,
 * as before. PROFTRACE_OPEN_FILES=0 turns the program's own opens back to straight through.
 *
 * Deliberately includes no header that declares open() (its libc prototype is variadic).
 */
#include <stdio.h>
#include <sys/stat.h>

#include "preload/wrap.h"
#include "proftrace/open_holds.h"

PT__GEN_RECORDERS

int pt__open_files = 1;

void pt__open_files_config(const char *v)
{
    pt__open_files = !(v && !strcmp(v, "0"));
}

static int pt__regular(int fd)
{
    struct stat st;
    return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* The call as it runs: `real` is the expression that makes it (its result an int, a descriptor or
 * -1 with errno); then the open row `rec` (open or openat) is recorded when the call failed or
 * opened a regular file, with `rec_args`, its descriptor the result. */
#define PT__OPEN_HOLD(rec, rec_args, real_call)                                                    \
    struct pt__call pt__c;                                                                         \
    pt__call_begin(&pt__c, PT_CALL_##rec);                                                         \
    pt__call_enter(&pt__c);                                                                        \
    int pt__r = (real_call);                                                                       \
    pt__call_leave(&pt__c);                                                                        \
    pt__c.ret = pt__r;                                                                             \
    PT__FAIL_PT_RET_FD_ERRNO(pt__c)                                                                \
    if (pt__c.failed || pt__regular(pt__r))                                                        \
        pt__rec_##rec rec_args;                                                                    \
    pt__call_end(&pt__c);                                                                          \
    return pt__r;

/* An open row's wrapper: nested, traced as any row; the program's own, only when it may hold. */
#define PT__OPEN_WRAPPER(name, cparams, cargs)                                                     \
    PT__EXPORT int name cparams                                                                    \
    {                                                                                              \
        __typeof__(pt__real.name) pt__fn = pt__real.name;                                          \
        if (PT__LIKELY(pt__tls.depth == 0 && !(flags & PT_O_MAY_HOLD) && pt__fn))                  \
            return pt__fn cargs;                                                                   \
        PT__REAL_OR_MISSING(name, int, PT_RET_FD_ERRNO)                                            \
        if (!pt__may_trace())                                                                      \
            return pt__fn cargs;                                                                   \
        if (pt__tls.depth > 0) {                                                                   \
            PT__TRACED_CALL(name, int, cargs, PT_RET_FD_ERRNO)                                     \
        }                                                                                          \
        if (!pt__open_files || !pt_open_holds((unsigned)flags))                                    \
            return pt__fn cargs;                                                                   \
        PT__OPEN_HOLD(name, cargs, pt__fn cargs)                                                   \
    }

PT__OPEN_WRAPPER(open, (const char *pathname, int flags, mode_t mode), (pathname, flags, mode))
PT__OPEN_WRAPPER(openat, (int dirfd, const char *pathname, int flags, mode_t mode),
                 (dirfd, pathname, flags, mode))
/* Programs built with _FILE_OFFSET_BITS=64 call the *64 names; on LP64 they are the same
 * functions, so the same wrappers serve them. */
PT__EXPORT int open64(const char *pathname, int flags, mode_t mode) __attribute__((alias("open")));
PT__EXPORT int openat64(int dirfd, const char *pathname, int flags, mode_t mode)
    __attribute__((alias("openat")));

/* ---- What libc opens and closes out of the interposer's sight ------------------------------- */

/* The real function behind a wrapper that has no row: looked up once (the lookup keeps the
 * re-entry guard up itself). */
static void *pt__libc(void *_Atomic *slot, const char *name)
{
    void *fn = atomic_load_explicit(slot, memory_order_acquire);
    if (PT__UNLIKELY(!fn)) {
        fn = pt__resolve(name);
        atomic_store_explicit(slot, fn, memory_order_release);
    }
    return fn;
}

/* Is an open the program makes itself with these flags to be traced? (Caller: a wrapper with no
 * row of its own, which passes nested calls through as it always did.) */
static int pt__top_hold(unsigned flags)
{
    return pt_open_holds(flags) && pt__tls.depth == 0 && pt__may_trace() && pt__open_files;
}

/* The fortified open(path, flags) with no mode (bits/fcntl2.h); it refuses O_CREAT itself. */
#define PT__OPEN2_WRAPPER(name, name64, cparams, cargs, rec, rec_args)                             \
    PT__EXPORT int name cparams                                                                    \
    {                                                                                              \
        static void *_Atomic slot;                                                                 \
        int(*pt__fn) cparams = (int(*) cparams)pt__libc(&slot, #name);                             \
        if (PT__UNLIKELY(!pt__fn))                                                                 \
            return (errno = ENOSYS, -1);                                                           \
        if (PT__LIKELY(!(flags & PT_O_MAY_HOLD)) || !pt__top_hold((unsigned)flags))                \
            return pt__fn cargs;                                                                   \
        PT__OPEN_HOLD(rec, rec_args, pt__fn cargs)                                                 \
    }                                                                                              \
    PT__EXPORT int name64 cparams __attribute__((alias(#name)));

PT__OPEN2_WRAPPER(__open_2, __open64_2, (const char *pathname, int flags), (pathname, flags), open,
                  (pathname, flags, 0))
PT__OPEN2_WRAPPER(__openat_2, __openat64_2, (int dirfd, const char *pathname, int flags),
                  (dirfd, pathname, flags), openat, (dirfd, pathname, flags, 0))

PT__EXPORT int creat(const char *pathname, mode_t mode)
{
    static void *_Atomic slot;
    int (*pt__fn)(const char *, mode_t) = (int (*)(const char *, mode_t))pt__libc(&slot, "creat");
    if (PT__UNLIKELY(!pt__fn))
        return (errno = ENOSYS, -1);
    const int flags = PT_O_WRONLY | PT_O_CREAT | PT_O_TRUNC;
    if (!pt__top_hold(flags))
        return pt__fn(pathname, mode);
    PT__OPEN_HOLD(open, (pathname, flags, mode), pt__fn(pathname, mode))
}
PT__EXPORT int creat64(const char *pathname, mode_t mode) __attribute__((alias("creat")));

/* The open flags of an fopen mode, as glibc reads it: r, w or a, then + x e m c in any order up to
 * a ',' (what follows names a character set). */
static unsigned pt__fopen_flags(const char *mode)
{
    unsigned f;
    switch (mode ? mode[0] : 0) {
    case 'r':
        f = PT_O_RDONLY;
        break;
    case 'w':
        f = PT_O_WRONLY | PT_O_CREAT | PT_O_TRUNC;
        break;
    case 'a':
        f = PT_O_WRONLY | PT_O_CREAT | PT_O_APPEND;
        break;
    default:
        return 0; /* EINVAL: nothing is opened */
    }
    for (const char *m = mode + 1; *m && *m != ','; m++)
        if (*m == '+')
            f = (f & ~PT_O_ACCMODE) | PT_O_RDWR;
        else if (*m == 'x')
            f |= PT_O_EXCL;
        else if (*m == 'e')
            f |= PT_O_CLOEXEC;
    return f;
}

/* The descriptor an fopen returned, or -1 with errno for a NULL stream. */
static int pt__stream_fd(FILE *fp)
{
    return fp ? fileno(fp) : -1;
}

#define PT__FOPEN_WRAPPER(name)                                                                    \
    PT__EXPORT FILE *name(const char *pathname, const char *mode)                                  \
    {                                                                                              \
        static void *_Atomic slot;                                                                 \
        FILE *(*pt__fn)(const char *, const char *) =                                              \
            (FILE * (*)(const char *, const char *)) pt__libc(&slot, #name);                       \
        if (PT__UNLIKELY(!pt__fn))                                                                 \
            return (errno = ENOSYS, NULL);                                                         \
        unsigned flags = pt__fopen_flags(mode);                                                    \
        if (PT__LIKELY(!(flags & PT_O_MAY_HOLD)) || !pt__top_hold(flags))                          \
            return pt__fn(pathname, mode);                                                         \
        FILE *fp;                                                                                  \
        pt__fopen_traced(pathname, flags, (fp = pt__fn(pathname, mode), pt__stream_fd(fp)));       \
        return fp;                                                                                 \
    }

/* The traced part of fopen: `fd` is evaluated as the call (a macro keeps it lazy). */
#define pt__fopen_traced(pathname, flags, fd_of_call)                                              \
    do {                                                                                           \
        struct pt__call pt__c;                                                                     \
        pt__call_begin(&pt__c, PT_CALL_open);                                                      \
        pt__call_enter(&pt__c);                                                                    \
        int pt__fd = (fd_of_call);                                                                 \
        pt__call_leave(&pt__c);                                                                    \
        pt__c.ret = pt__fd;                                                                        \
        PT__FAIL_PT_RET_FD_ERRNO(pt__c)                                                            \
        if (pt__c.failed || pt__regular(pt__fd))                                                   \
            pt__rec_open(pathname, (int)(flags), 0);                                               \
        pt__call_end(&pt__c);                                                                      \
    } while (0)

PT__FOPEN_WRAPPER(fopen)
PT__FOPEN_WRAPPER(fopen64)

/* ---- Ends of holds --------------------------------------------------------------------------- */

/* Is descriptor fd held, and may this call end it? Takes its mark and withdraws its hold. */
static int pt__ending(int fd)
{
    if (PT__LIKELY(!pt__fd_held(fd)) || !pt__may_trace() || !pt__fd_unhold(fd))
        return 0;
    PT__OWNED(pt__hold_file_close(fd);)
    return 1;
}

PT__EXPORT int close(int fd)
{
    __typeof__(pt__real.close) pt__fn = pt__real.close;
    PT__REAL_OR_MISSING(close, int, PT_RET_INT_ERRNO)
    if (PT__LIKELY(!pt__ending(fd)))
        return pt__fn(fd);
    PT__TRACED_CALL(close, int, (fd), PT_RET_INT_ERRNO)
}

PT__EXPORT int dup2(int oldfd, int newfd)
{
    __typeof__(pt__real.dup2) pt__fn = pt__real.dup2;
    PT__REAL_OR_MISSING(dup2, int, PT_RET_FD_ERRNO)
    if (PT__LIKELY(oldfd == newfd || !pt__ending(newfd)))
        return pt__fn(oldfd, newfd);
    PT__TRACED_CALL(dup2, int, (oldfd, newfd), PT_RET_FD_ERRNO)
}

PT__EXPORT int dup3(int oldfd, int newfd, int flags)
{
    __typeof__(pt__real.dup3) pt__fn = pt__real.dup3;
    PT__REAL_OR_MISSING(dup3, int, PT_RET_FD_ERRNO)
    if (PT__LIKELY(oldfd == newfd || !pt__ending(newfd)))
        return pt__fn(oldfd, newfd, flags);
    PT__TRACED_CALL(dup3, int, (oldfd, newfd, flags), PT_RET_FD_ERRNO)
}

/* fclose closes its descriptor inside libc: recorded as that close(2), 0 or -1 like it. */
PT__EXPORT int fclose(FILE *fp)
{
    static void *_Atomic slot;
    int (*pt__fn)(FILE *) = (int (*)(FILE *))pt__libc(&slot, "fclose");
    if (PT__UNLIKELY(!pt__fn))
        return (errno = ENOSYS, EOF);
    int saved = errno, fd = fp ? fileno(fp) : -1; /* -1 and EBADF for a stream with none */
    errno = saved;
    if (PT__LIKELY(fd < 0 || !pt__ending(fd)))
        return pt__fn(fp);
    struct pt__call pt__c;
    pt__call_begin(&pt__c, PT_CALL_close);
    pt__call_enter(&pt__c);
    int r = pt__fn(fp);
    pt__call_leave(&pt__c);
    pt__c.ret = r == 0 ? 0 : -1;
    PT__FAIL_PT_RET_INT_ERRNO(pt__c)
    pt__rec_close(fd);
    pt__call_end(&pt__c);
    return r;
}

/* close_range(2) and closefrom close a whole range in one call (closefrom inside libc, where no
 * interposition sees it): daemons and sandboxes close everything they inherited that way. Each
 * held descriptor among them ends its hold, recorded as its own close(2) with the call's result,
 * as fclose's is. The held ones are taken PT__CLOSE_BATCH at a time, the range closed in pieces
 * that end at each batch's last one (the same descriptors closed, in the same order), so nothing
 * here grows with the number held. CLOSE_RANGE_CLOEXEC closes nothing now: the exec ends every
 * hold. A range without a held descriptor goes straight through after one bitmap scan. */
#define PT__CLOSE_BATCH 64
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Take the marks of up to PT__CLOSE_BATCH held descriptors in [first, last], withdrawing their
 * holds, into fds[]: how many; *end is the last descriptor their piece of the range must close
 * (`last`, or the batch's last when the batch is full). */
static unsigned pt__ending_batch(unsigned first, unsigned last, int *fds, unsigned *end)
{
    unsigned n = 0;
    *end = last;
    for (unsigned fd = first; fd <= last && fd < PT__HELD_FDS; fd++) {
        if (fd % 64 == 0 && !__atomic_load_n(&pt__held_fds[fd / 64], __ATOMIC_RELAXED)) {
            fd += 63; /* a word with nothing held */
            continue;
        }
        if (!pt__ending((int)fd))
            continue;
        fds[n++] = (int)fd;
        if (n == PT__CLOSE_BATCH) {
            *end = fd;
            break;
        }
    }
    return n;
}

/* One piece: the real call closing [first, end] (flags: close_range's), recorded as the close of
 * each of the n held descriptors in fds[]. */
static int pt__close_piece(int (*fn)(unsigned, unsigned, int), unsigned first, unsigned end,
                           int flags, const int *fds, unsigned n)
{
    struct pt__call pt__c;
    pt__call_begin(&pt__c, PT_CALL_close);
    pt__call_enter(&pt__c);
    int r = fn(first, end, flags);
    pt__call_leave(&pt__c);
    pt__c.ret = r == 0 ? 0 : -1;
    PT__FAIL_PT_RET_INT_ERRNO(pt__c)
    for (unsigned i = 0; i < n; i++)
        pt__rec_close(fds[i]);
    pt__call_end(&pt__c);
    return r;
}

PT__EXPORT int close_range(unsigned first, unsigned last, int flags)
{
    static void *_Atomic slot;
    int (*pt__fn)(unsigned, unsigned, int) =
        (int (*)(unsigned, unsigned, int))pt__libc(&slot, "close_range");
    if (PT__UNLIKELY(!pt__fn))
        return (errno = ENOSYS, -1);
    if (PT__LIKELY((flags & CLOSE_RANGE_CLOEXEC) || first > last || !pt__may_trace()))
        return pt__fn(first, last, flags);
    for (;;) {
        int fds[PT__CLOSE_BATCH];
        unsigned end, n = pt__ending_batch(first, last, fds, &end);
        if (n == 0)
            return pt__fn(first, last, flags);
        int r = pt__close_piece(pt__fn, first, end, flags, fds, n);
        if (r != 0 || end == last)
            return r;
        first = end + 1;
    }
}

/* closefrom's pieces before its last: close_range, or one close per descriptor where the kernel
 * has none (closefrom's own fallback reads /proc instead; the range here is below PT__HELD_FDS). */
static int pt__close_upto(unsigned first, unsigned end, int flags)
{
    (void)flags;
    static void *_Atomic slot;
    int (*range)(unsigned, unsigned, int) =
        (int (*)(unsigned, unsigned, int))pt__libc(&slot, "close_range");
    if (range && range(first, end, 0) == 0)
        return 0;
    for (unsigned fd = first; fd <= end; fd++)
        pt__real.close((int)fd);
    return 0;
}

static void *_Atomic pt__closefrom_slot; /* libc's closefrom */

/* closefrom's last piece: the real closefrom from `first` on (it cannot fail: glibc aborts when it
 * cannot close), shaped as a piece for pt__close_piece. */
static int pt__closefrom_rest(unsigned first, unsigned end, int flags)
{
    (void)end, (void)flags;
    ((void (*)(int))pt__libc(&pt__closefrom_slot, "closefrom"))((int)first);
    return 0;
}

PT__EXPORT void closefrom(int lowfd)
{
    void (*pt__fn)(int) = (void (*)(int))pt__libc(&pt__closefrom_slot, "closefrom");
    if (PT__UNLIKELY(!pt__fn))
        return;
    unsigned first = lowfd < 0 ? 0 : (unsigned)lowfd;
    if (PT__LIKELY(!pt__may_trace())) {
        pt__fn(lowfd);
        return;
    }
    for (;;) {
        int fds[PT__CLOSE_BATCH];
        unsigned end, n = pt__ending_batch(first, ~0u, fds, &end);
        if (n == 0 || end == ~0u) {
            pt__close_piece(pt__closefrom_rest, first, ~0u, 0, fds, n);
            return;
        }
        pt__close_piece(pt__close_upto, first, end, 0, fds, n);
        first = end + 1;
    }
}
