/* exec_check.c — will the image an exec starts be traced? Known before the call, from the file:
 *  - statically linked (no PT_INTERP): no loader reads LD_PRELOAD;
 *  - started in secure mode (AT_SECURE): set-user-ID or set-group-ID to another id than the real
 *    one, file capabilities for a non-root user, or a process whose ids already differ; the
 *    loader then ignores LD_PRELOAD's path;
 *  - built for another machine or word size: the shim cannot be loaded into it;
 * following "#!" to the interpreter, as the kernel does. Only raw system calls and the caller's
 * buffers: it runs in a vfork child too, which must not touch the heap or record a call. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload/exec_check.h"

#ifndef ST_NOSUID
#define ST_NOSUID 2
#endif

static const char *pt__why_file(int fd, char *why, size_t wsz, int depth, char *real, size_t rsz);

const char *pt__exec_untraceable(int dirfd, const char *path, int flags, char *why, size_t wsz,
                                 char *real, size_t rsz)
{
    int saved = errno;
    int fd;
    if ((flags & AT_EMPTY_PATH) && path && !*path) {
        char self[64]; /* fexecve: the descriptor itself, reopened to read from offset 0 */
        snprintf(self, sizeof self, "/proc/self/fd/%d", dirfd);
        fd = (int)syscall(SYS_openat, AT_FDCWD, self, O_RDONLY | O_CLOEXEC);
    } else {
        int of = O_RDONLY | O_CLOEXEC | ((flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0);
        fd = path ? (int)syscall(SYS_openat, dirfd, path, of) : -1;
    }
    const char *r = NULL;
    real[0] = 0;
    if (fd >= 0) {
        r = pt__why_file(fd, why, wsz, 0, real, rsz);
        syscall(SYS_close, fd);
    }
    if (!real[0] && path)
        snprintf(real, rsz, "%s", path);
    errno = saved;
    return r;
}

const char *pt__exec_search(const char *file, char *buf, size_t n)
{
    if (!file || !*file)
        return NULL;
    if (strchr(file, '/'))
        return file;
    const char *p = getenv("PATH");
    if (!p)
        p = "/bin:/usr/bin"; /* glibc's execvp default */
    int saved = errno;
    const char *found = NULL;
    while (!found) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if ((size_t)snprintf(buf, n, "%.*s%s%s", (int)len, len ? p : ".", "/", file) < n &&
            syscall(SYS_faccessat, AT_FDCWD, buf, X_OK) == 0) {
            struct stat st;
            if (syscall(SYS_newfstatat, AT_FDCWD, buf, &st, 0) == 0 && S_ISREG(st.st_mode))
                found = buf;
        }
        if (!end)
            break;
        p = end + 1;
    }
    errno = saved;
    return found;
}

/* Would the kernel start this file in secure mode for this process? */
static const char *pt__why_secure(int fd, const struct stat *st, char *why, size_t wsz)
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    syscall(SYS_getresuid, &ru, &eu, &su);
    syscall(SYS_getresgid, &rg, &eg, &sg);
    struct statfs fs;
    int nosuid = syscall(SYS_fstatfs, fd, &fs) == 0 && (fs.f_flags & ST_NOSUID);
    int nnp = syscall(SYS_prctl, PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
    int setid = !nosuid && !nnp;
    uid_t neu = setid && (st->st_mode & S_ISUID) ? st->st_uid : eu;
    gid_t neg = setid && (st->st_mode & S_ISGID) ? st->st_gid : eg;
    if (neu != ru) {
        snprintf(why, wsz, "runs set-user-ID (uid %u, euid %u): the loader ignores LD_PRELOAD",
                 (unsigned)ru, (unsigned)neu);
        return why;
    }
    if (neg != rg) {
        snprintf(why, wsz, "runs set-group-ID (gid %u, egid %u): the loader ignores LD_PRELOAD",
                 (unsigned)rg, (unsigned)neg);
        return why;
    }
    char cap[64];
    if (setid && ru != 0 &&
        syscall(SYS_fgetxattr, fd, "security.capability", cap, sizeof cap) > 0) {
        snprintf(why, wsz, "has file capabilities: the loader ignores LD_PRELOAD");
        return why;
    }
    return NULL;
}

static const char *pt__why_file(int fd, char *why, size_t wsz, int depth, char *real, size_t rsz)
{
    struct stat st;
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
    if (depth == 0 || !real[0]) {
        ssize_t n = syscall(SYS_readlinkat, AT_FDCWD, self, real, rsz - 1);
        real[n > 0 ? n : 0] = 0;
    }
    if (syscall(SYS_fstat, fd, &st) != 0 || !S_ISREG(st.st_mode))
        return NULL;
    unsigned char h[256];
    ssize_t n = syscall(SYS_pread64, fd, h, sizeof h, 0);
    if (n >= 2 && h[0] == '#' && h[1] == '!') {
        /* The interpreter (setuid bits of a script are ignored by Linux). */
        if (depth >= 4)
            return NULL;
        char interp[256];
        size_t i = 2, k = 0;
        while (i < (size_t)n && (h[i] == ' ' || h[i] == '\t'))
            i++;
        while (i < (size_t)n && h[i] != ' ' && h[i] != '\t' && h[i] != '\n' && k + 1 < sizeof interp)
            interp[k++] = (char)h[i++];
        interp[k] = 0;
        if (!k)
            return NULL;
        int ifd = (int)syscall(SYS_openat, AT_FDCWD, interp, O_RDONLY | O_CLOEXEC);
        if (ifd < 0)
            return NULL;
        char ireal[4096];
        ireal[0] = 0;
        const char *r = pt__why_file(ifd, why, wsz, depth + 1, ireal, sizeof ireal);
        syscall(SYS_close, ifd);
        if (r && ireal[0]) { /* name what is untraced: the interpreter, for the script */
            size_t used = strlen(why);
            snprintf(why + used, wsz - used, " (interpreter %s)", ireal);
        }
        return r;
    }
    if (n < (ssize_t)sizeof(Elf64_Ehdr) || memcmp(h, ELFMAG, SELFMAG))
        return NULL; /* not an ELF file: the exec fails, or a shell runs it */
    const char *secure = pt__why_secure(fd, &st, why, wsz);
    if (secure)
        return secure;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)h;
    if (h[EI_CLASS] != ELFCLASS64 || h[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_X86_64) {
        /* e_machine lies at the same offset in both classes */
        snprintf(why, wsz, "a program for another machine (ELF class %u, machine %u): the x86-64 "
                 "shim cannot be loaded into it", (unsigned)h[EI_CLASS], (unsigned)eh->e_machine);
        return why;
    }
    if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > 128)
        return NULL;
    Elf64_Phdr ph[128];
    size_t want = eh->e_phnum * sizeof(Elf64_Phdr);
    if (syscall(SYS_pread64, fd, ph, want, (off_t)eh->e_phoff) != (ssize_t)want)
        return NULL;
    for (unsigned i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_INTERP)
            return NULL; /* dynamically linked: the loader reads LD_PRELOAD */
    snprintf(why, wsz, "statically linked: no loader reads LD_PRELOAD");
    return why;
}
