/* preload_libc.c — the libc rows of the shim: POSIX and SysV shared memory, memfd, mmap/munmap of
 * shared descriptors only, unlink/unlinkat/rmdir/remove/rename/renameat/renameat2 with the identity
 * of what they named before the call, open/openat at top level recorded only when they begin an
 * open-file hold (a regular file opened for writing: its close recorded too), set*id followed by
 * cred events, unshare/setns followed by ns events, errno untouched. Each check compares a recorded
 * field with what the call really did (inodes from stat before the call, addresses, errors). */
#include "tests/unit/preload_test.h"

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>

static unsigned long long ino_of(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

static void mkfile(const char *path)
{
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    if (fd >= 0)
        close(fd);
}

static int act(void)
{
    char dir[256], p1[300], p2[300], p3[300], p4[300], p5[300], name[64];
    snprintf(dir, sizeof dir, "%s.files", getenv("PROFTRACE_DIR"));
    mkdir(dir, 0700);
    t_fact("dir", "%s", dir);

    /* POSIX shm, its shared mapping, an anonymous mapping that must not be recorded. */
    snprintf(name, sizeof name, "/pt-preload-libc-%d", (int)getpid());
    int fd = shm_open(name, O_CREAT | O_RDWR, 0600);
    struct stat st;
    fstat(fd, &st);
    t_fact("shm_fd", "%d", fd);
    t_fact("shm_ino", "%llu", (unsigned long long)st.st_ino);
    t_fact("shm_name", "%s", name);
    if (ftruncate(fd, 8192) != 0)
        return 1;
    void *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    t_fact("map_addr", "%llu", (unsigned long long)(uintptr_t)p);
    void *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(q, 4096);
    munmap(p, 8192);
    shm_unlink(name);
    errno = 0;
    int r = shm_unlink(name); /* fails: ENOENT, recorded with a zero identity */
    t_fact("shm_unlink2", "%d %d", r, errno);
    close(fd);

    int mfd = memfd_create("pt-preload-memfd", 0);
    fstat(mfd, &st);
    t_fact("memfd_ino", "%llu", (unsigned long long)st.st_ino);
    close(mfd);

    /* SysV shared memory. */
    int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    void *a = shmat(id, NULL, 0);
    t_fact("shmid", "%d", id);
    t_fact("shmat_addr", "%llu", (unsigned long long)(uintptr_t)a);
    shmdt(a);
    shmctl(id, IPC_RMID, NULL);

    /* Deletions and renames, each path's inode taken before the call. */
    snprintf(p1, sizeof p1, "%s/f1", dir);
    mkfile(p1);
    t_fact("f1_ino", "%llu", ino_of(p1));
    unlink(p1);
    snprintf(p2, sizeof p2, "%s/f2", dir);
    mkfile(p2);
    t_fact("f2_ino", "%llu", ino_of(p2));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY); /* depth 0: must not be recorded */
    t_fact("dfd", "%d", dfd);
    unlinkat(dfd, "f2", 0);
    snprintf(p3, sizeof p3, "%s/d3", dir);
    mkdir(p3, 0700);
    t_fact("d3_ino", "%llu", ino_of(p3));
    rmdir(p3);
    snprintf(p3, sizeof p3, "%s/f3", dir);
    mkfile(p3);
    t_fact("f3_ino", "%llu", ino_of(p3));
    remove(p3); /* libc's remove unlinks without its own unlink: a row of its own */
    snprintf(p4, sizeof p4, "%s/f4", dir);
    snprintf(p5, sizeof p5, "%s/f5", dir);
    mkfile(p4);
    mkfile(p5);
    t_fact("f4_ino", "%llu", ino_of(p4));
    t_fact("f5_ino", "%llu", ino_of(p5));
    errno = EXDEV; /* a successful call must leave errno alone */
    rename(p4, p5);
    t_fact("errno_after_rename", "%d", errno);
    renameat(dfd, "f5", AT_FDCWD, p4);
    mkfile(p5);
    t_fact("f5b_ino", "%llu", ino_of(p5));
    errno = 0;
    r = renameat2(dfd, "f4", dfd, "f5", RENAME_NOREPLACE); /* fails: EEXIST */
    t_fact("renameat2", "%d %d", r, errno);
    unlink(p4);
    unlink(p5);
    close(dfd);
    rmdir(dir);

    /* A bad pointer: the kernel says EFAULT, the shim must not crash reading it. */
    errno = 0;
    r = unlink((const char *)8);
    t_fact("efault", "%d %d", r, errno);

    /* Credentials: each success is followed by a cred event read back from the kernel. */
    setresgid(0, 0, 0);
    setegid(65534);
    setgid(0);
    setregid(0, 0);
    seteuid(65534);
    seteuid(0);
    setreuid(0, 0);
    setresuid(0, 0, 0);
    setuid(0);
    errno = 0;
    r = setresuid(0, 0, 1234567); /* fine as root; then read back */
    t_fact("setresuid_suid", "%d", r);
    setresuid(0, 0, 0);

    /* Namespaces mid-run: unshare a UTS namespace, then setns back into the original one. */
    int orig = open("/proc/self/ns/uts", O_RDONLY);
    stat("/proc/self/ns/uts", &st);
    t_fact("uts0", "%llu", (unsigned long long)st.st_ino);
    if (unshare(CLONE_NEWUTS) == 0) {
        stat("/proc/self/ns/uts", &st);
        t_fact("uts1", "%llu", (unsigned long long)st.st_ino);
        setns(orig, CLONE_NEWUTS);
    }
    close(orig);
    return 0;
}

int main(int argc, char **argv)
{
    if (t_acting())
        return act();
    int st = t_run_self(argv, "libc", NULL);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "act side status %#x", st);
    CHECK(t_read(t_dir) == 0, "reader diagnostics");
    const struct t_event *e;
    uint32_t pid = 0;
    CHECK((e = t_find("process", 0, NULL, NULL, 0)) != NULL, "no process event");
    if (e)
        pid = e->pid;

    const char *shm = t_fact_str("shm_name");
    CHECK((e = t_find("shm_open", pid, "name", shm, 0)) != NULL, "shm_open %s", shm);
    if (e) {
        CHECK(e->ret == t_fact_num("shm_fd"), "shm_open ret %lld", (long long)e->ret);
        CHECK(t_u(e, "fd_ino") == (uint64_t)t_fact_num("shm_ino"), "shm_open fd_ino");
        CHECK(t_u(e, "oflag") == (O_CREAT | O_RDWR), "oflag %#llx",
              (unsigned long long)t_u(e, "oflag"));
        CHECK(e->depth == 0, "depth %u", e->depth);
    }
    CHECK(t_count("mmap", pid) == 1, "exactly the shared mapping: %u mmap events",
          t_count("mmap", pid));
    if ((e = t_find("mmap", pid, NULL, NULL, 0))) {
        CHECK((uint64_t)e->ret == (uint64_t)t_fact_num("map_addr"), "mmap ret");
        CHECK(t_u(e, "length") == 8192 && t_u(e, "flags") == MAP_SHARED, "mmap length/flags");
        CHECK(t_u(e, "fd_ino") == (uint64_t)t_fact_num("shm_ino"), "mmap fd identity");
    }
    CHECK(t_count("munmap", pid) == 1, "only the shared munmap: %u", t_count("munmap", pid));
    if ((e = t_find("munmap", pid, NULL, NULL, 0)))
        CHECK(t_u(e, "addr") == (uint64_t)t_fact_num("map_addr") && e->ret == 0, "munmap fields");
    e = t_find("shm_unlink", pid, "name", shm, 0);
    CHECK(e && e->ret == 0 && t_u(e, "name_ino") == (uint64_t)t_fact_num("shm_ino"),
          "shm_unlink identity before the call");
    CHECK(e && e->nframes > 0, "shm_unlink is a delete: stack by default");
    /* Its innermost frame is in this program (the caller), not in the shim. */
    const struct t_event *pe = t_find("process", pid, NULL, NULL, 0);
    const struct t_event *me = pe ? t_find("module", pid, "path", t_s(pe, "exe"), 0) : NULL;
    CHECK(me && e && e->frame0 >= t_u(me, "base") && e->frame0 < t_u(me, "base") + t_u(me, "size"),
          "innermost frame %#llx outside the program's module",
          (unsigned long long)(e ? e->frame0 : 0));
    e = t_find("shm_unlink", pid, "name", shm, 1);
    CHECK(e && e->ret == -1 && e->err == ENOENT && t_u(e, "name_ino") == 0, "failed shm_unlink");
    CHECK(e && e->nframes > 0, "failed call: stack by default");
    CHECK(!strcmp(t_fact_str("shm_unlink2"), "-1 2"), "errno after failed shm_unlink: %s",
          t_fact_str("shm_unlink2"));
    e = t_find("memfd_create", pid, "name", "pt-preload-memfd", 0);
    CHECK(e && t_u(e, "fd_ino") == (uint64_t)t_fact_num("memfd_ino"), "memfd_create identity");

    long long shmid = t_fact_num("shmid");
    e = t_find("shmget", pid, NULL, NULL, 0);
    CHECK(e && e->ret == shmid && t_u(e, "size") == 4096, "shmget");
    e = t_find("shmat", pid, NULL, NULL, 0);
    CHECK(e && (uint64_t)e->ret == (uint64_t)t_fact_num("shmat_addr") &&
              (long long)t_u(e, "shmid") == shmid,
          "shmat");
    e = t_find("shmdt", pid, NULL, NULL, 0);
    CHECK(e && t_u(e, "shmaddr") == (uint64_t)t_fact_num("shmat_addr") && e->ret == 0, "shmdt");
    e = t_find("shmctl", pid, NULL, NULL, 0);
    CHECK(e && (long long)t_u(e, "shmid") == shmid && t_u(e, "cmd") == IPC_RMID && e->nframes > 0,
          "shmctl IPC_RMID with a stack");

    char path[400];
    const char *dir = t_fact_str("dir");
    snprintf(path, sizeof path, "%s/f1", dir);
    e = t_find("unlink", pid, "pathname", path, 0);
    CHECK(e && e->ret == 0 && t_u(e, "pathname_ino") == (uint64_t)t_fact_num("f1_ino"), "unlink");
    e = t_find("unlinkat", pid, "pathname", "f2", 0);
    CHECK(e && t_u(e, "pathname_ino") == (uint64_t)t_fact_num("f2_ino") &&
              (long long)(int32_t)t_u(e, "pathname_dirfd") == t_fact_num("dfd"),
          "unlinkat identity via dirfd");
    snprintf(path, sizeof path, "%s/d3", dir);
    e = t_find("rmdir", pid, "pathname", path, 0);
    CHECK(e && t_u(e, "pathname_ino") == (uint64_t)t_fact_num("d3_ino"), "rmdir");
    snprintf(path, sizeof path, "%s/f3", dir);
    e = t_find("remove", pid, "pathname", path, 0);
    CHECK(e && e->ret == 0 && t_u(e, "pathname_ino") == (uint64_t)t_fact_num("f3_ino") &&
              e->nframes > 0,
          "remove, with the identity before the call and a stack (a delete)");
    snprintf(path, sizeof path, "%s/f4", dir);
    e = t_find("rename", pid, "oldpath", path, 0);
    CHECK(e && t_u(e, "oldpath_ino") == (uint64_t)t_fact_num("f4_ino") &&
              t_u(e, "newpath_ino") == (uint64_t)t_fact_num("f5_ino"),
          "rename: both identities before the call (the replaced file too)");
    CHECK(t_fact_num("errno_after_rename") == EXDEV, "errno changed by a successful call");
    e = t_find("renameat", pid, "oldpath", "f5", 0);
    CHECK(e && t_u(e, "oldpath_ino") == (uint64_t)t_fact_num("f4_ino") &&
              t_u(e, "newpath_ino") == 0,
          "renameat");
    e = t_find("renameat2", pid, NULL, NULL, 0);
    CHECK(e && e->ret == -1 && e->err == EEXIST && t_u(e, "flags") == RENAME_NOREPLACE &&
              t_u(e, "newpath_ino") == (uint64_t)t_fact_num("f5b_ino"),
          "failed renameat2");
    /* Top-level opens: read-only ones (the directory, /proc/self/ns/uts) are not recorded; the
     * files mkfile creates for writing are, with their identity, and so is each close. */
    CHECK(!t_find("open", pid, "pathname", t_fact_str("dir"), 0), "read-only open recorded");
    CHECK(!t_find("open", pid, "pathname", "/proc/self/ns/uts", 0), "read-only open recorded");
    char f1[300];
    snprintf(f1, sizeof f1, "%s/f1", t_fact_str("dir"));
    e = t_find("open", pid, "pathname", f1, 0);
    CHECK(e && e->ret >= 0 && t_u(e, "flags") == (O_CREAT | O_WRONLY | O_TRUNC) &&
              t_u(e, "fd_ino") == (uint64_t)t_fact_num("f1_ino"),
          "open for writing: recorded with the file's identity");
    CHECK(e && t_find("close", pid, NULL, NULL, 0), "close of a held descriptor not recorded");
    unsigned nopen = t_count("open", pid), nclose = t_count("close", pid);
    CHECK(nopen > 0 && nopen == nclose,
          "%u opens recorded, %u closes: every held descriptor's close", nopen, nclose);
    CHECK(t_count("openat", pid) == 0, "openat recorded (%u)", t_count("openat", pid));

    CHECK(!strcmp(t_fact_str("efault"), "-1 14"), "unlink(bad pointer): %s", t_fact_str("efault"));
    e = t_find("unlink", pid, "pathname", "", 0);
    CHECK(e && e->ret == -1 && e->err == EFAULT, "unlink(bad pointer) recorded");

    /* set*id: every row once, each followed by a cred event. */
    static const char *const ids[] = {"setresgid", "setegid",  "setgid",    "setregid",
                                      "seteuid",   "setreuid", "setresuid", "setuid"};
    for (unsigned i = 0; i < sizeof ids / sizeof ids[0]; i++)
        CHECK(t_find(ids[i], pid, NULL, NULL, 0) != NULL, "no %s event", ids[i]);
    e = t_find("seteuid", pid, NULL, NULL, 0);
    CHECK(e && t_u(e, "euid") == 65534, "seteuid arg");
    int saw_nobody = 0, saw_suid = 0;
    for (unsigned i = 0; i < t_nev; i++)
        if (t_ev[i].pid == pid && !strcmp(pt_event_name(t_ev[i].id), "cred")) {
            saw_nobody |= t_u(&t_ev[i], "euid") == 65534 && t_u(&t_ev[i], "uid") == 0;
            saw_suid |= t_u(&t_ev[i], "suid") == 1234567;
        }
    CHECK(saw_nobody && saw_suid, "cred events read back (euid 65534: %d, suid: %d)", saw_nobody,
          saw_suid);
    CHECK(t_count("cred", pid) >= 11, "cred events: %u", t_count("cred", pid));

    /* unshare / setns: ns events with the new, then the original UTS namespace. */
    long long uts0 = t_fact_num("uts0"), uts1 = t_fact_num("uts1");
    CHECK(uts1 > 0 && uts1 != uts0, "unshare did not happen");
    e = t_find("unshare", pid, NULL, NULL, 0);
    CHECK(e && t_u(e, "flags") == CLONE_NEWUTS && e->ret == 0, "unshare event");
    e = t_find("ns", pid, NULL, NULL, 0);
    CHECK(e && (long long)t_u(e, "ns_uts") == uts1, "ns after unshare: %lld",
          (long long)(e ? t_u(e, "ns_uts") : 0));
    e = t_find("ns", pid, NULL, NULL, 1);
    CHECK(e && (long long)t_u(e, "ns_uts") == uts0, "ns after setns");
    e = t_find("process", pid, NULL, NULL, 0);
    CHECK(e && (long long)t_u(e, "ns_uts") == uts0, "process ns_uts");
    CHECK(t_find("exit", pid, NULL, NULL, 0) != NULL, "exit event");
    return t_done("preload_libc");
}
