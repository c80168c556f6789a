/* witness_mntns.c — a holder with a private /dev/shm (its own mount namespace and tmpfs: the
 * kernel-namespace split) maps an object; an untraced rm inside that mount namespace deletes it,
 * while an object of the same name in the collector's /dev/shm is deleted too. The witness, told
 * to watch /proc/PID/root/dev/shm, records the private one only, with the private tmpfs's device
 * and inode and the deleter's mount namespace. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/random.h>

#include "tests/unit/witness_test.h"

int main(void)
{
    char *base = t_mkdtemp("witness-mntns");
    char trace[512], name[128], host[256];
    unsigned rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
        rnd = (unsigned)time(NULL);
    snprintf(trace, sizeof trace, "%s/trace", base);
    snprintf(name, sizeof name, "/dev/shm/pt-wm-%d-%08x", (int)getpid(), rnd);
    snprintf(host, sizeof host, "%s", name);

    int ready[2], go[2];
    CHECK(pipe(ready) == 0 && pipe(go) == 0, "pipe");
    pid_t holder = fork();
    if (holder == 0) {
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("pt-witness", "/dev/shm", "tmpfs", 0, "size=1m") < 0)
            _exit(2);
        int fd = open(name, O_CREAT | O_RDWR, 0600);
        if (fd < 0 || ftruncate(fd, 4096) < 0)
            _exit(3);
        char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
            _exit(4);
        strcpy(p, "private");
        char c = 1;
        if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
            _exit(5);
        _exit(strcmp(p, "private") ? 6 : 0);
    }
    char c;
    CHECK(read(ready[0], &c, 1) == 1, "holder did not start");
    char root_shm[128], mntns[128], priv_obj[256];
    snprintf(root_shm, sizeof root_shm, "/proc/%d/root/dev/shm", (int)holder);
    snprintf(mntns, sizeof mntns, "--mount=/proc/%d/ns/mnt", (int)holder);
    snprintf(priv_obj, sizeof priv_obj, "/proc/%d/root%s", (int)holder, name);
    struct stat pst, hst;
    CHECK(stat(priv_obj, &pst) == 0, "stat %s", priv_obj);
    int hfd = open(host, O_CREAT | O_EXCL | O_RDWR, 0600);
    CHECK(hfd >= 0, "create %s", host);
    close(hfd);
    CHECK(stat(host, &hst) == 0 && hst.st_dev != pst.st_dev, "not two filesystems");

    struct pt_witness *w;
    char why[256];
    int rc = pt_witness_start(trace, 0, &w, why, sizeof why);
    CHECK(rc == 0, "pt_witness_start: %d %s", rc, why);
    if (rc)
        return 1;
    CHECK(pt_witness_watch_path(w, root_shm) == 0, "watch %s", root_shm);

    char *rm_host[] = {"/usr/bin/rm", "-f", host, NULL};
    CHECK(w_wait(w_spawn(rm_host)) == 0, "rm host");
    char *rm_priv[] = {"/usr/bin/nsenter", mntns, "/usr/bin/rm", "-f", name, NULL};
    pid_t p_priv = w_spawn(rm_priv);
    CHECK(w_wait(p_priv) == 0, "nsenter rm");
    CHECK(w_wait_recorded(w, 1), "nothing recorded");
    w_sleep_ms(100);
    c = 1;
    CHECK(write(go[1], &c, 1) == 1, "go");
    CHECK(w_wait(holder) == 0, "holder lost its mapping");
    pt_witness_stop(w);

    unsigned n;
    struct w_ev *ev = w_read(trace, &n);
    w_dump(ev, n);
    CHECK(n == 1, "%u events, expected the private deletion only", n);
    if (n >= 1) {
        struct w_ev *e = &ev[0];
        char pidstr[16];
        snprintf(pidstr, sizeof pidstr, "%d", (int)holder);
        CHECK(!strcmp(e->path, name), "path %s", e->path);
        CHECK(e->dev == (uint64_t)pst.st_dev && e->ino == (uint64_t)pst.st_ino,
              "dev/ino %llx/%llu, the private object is %llx/%llu", (unsigned long long)e->dev,
              (unsigned long long)e->ino, (unsigned long long)pst.st_dev,
              (unsigned long long)pst.st_ino);
        CHECK(e->pid == (uint32_t)p_priv, "pid %u", e->pid);
        if (!w_gone(e)) {
            CHECK(!strcmp(e->exe, "/usr/bin/rm"), "exe %s", e->exe);
            CHECK(e->ns[1] != w_ns("self", "mnt"), "deleter's mnt ns is the collector's");
        }
    }
    free(ev);
    unlink(host);
    t_rmrf(base);
    free(base);
    return t_failures ? 1 : 0;
}
