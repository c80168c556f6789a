/* witness_logout.c — the logout clean-up pattern (systemd-logind RemoveIPC): a process in another
 * login session, not traced, removes every /dev/shm object of a user while a daemon of that user
 * still maps them. The witness records each removal naming the cleaner, its exe and that login
 * session (audit session id and loginuid), and the objects' device and inode. */
#define _GNU_SOURCE /* setresuid, setresgid */
#include <fcntl.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "tests/unit/witness_test.h"

#define NOBJ 3
#define USER 65534u

static void attempt(void)
{
    char *base = t_mkdtemp("witness-logout");
    char trace[512], names[NOBJ][256], pattern[128];
    unsigned rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
        rnd = (unsigned)time(NULL);
    snprintf(trace, sizeof trace, "%s/trace", base);
    snprintf(pattern, sizeof pattern, "pt-wl-%d-%08x-*", (int)getpid(), rnd);
    for (int i = 0; i < NOBJ; i++)
        snprintf(names[i], sizeof names[i], "/dev/shm/pt-wl-%d-%08x-%d", (int)getpid(), rnd, i);

    /* The user's daemon: runs as USER, creates and maps its objects. */
    int ready[2], go[2];
    CHECK(pipe(ready) == 0 && pipe(go) == 0, "pipe");
    pid_t daemon = fork();
    if (daemon == 0) {
        char *p[NOBJ];
        if (setgroups(0, NULL) < 0 || setresgid(USER, USER, USER) < 0 ||
            setresuid(USER, USER, USER) < 0)
            _exit(2);
        for (int i = 0; i < NOBJ; i++) {
            int fd = open(names[i], O_CREAT | O_EXCL | O_RDWR, 0600);
            if (fd < 0 || ftruncate(fd, 4096) < 0)
                _exit(3);
            p[i] = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            if (p[i] == MAP_FAILED)
                _exit(4);
            close(fd);
            snprintf(p[i], 64, "in-use %d", i);
        }
        char c = 1;
        if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
            _exit(5);
        for (int i = 0; i < NOBJ; i++) {
            char want[64];
            snprintf(want, sizeof want, "in-use %d", i);
            if (strcmp(p[i], want))
                _exit(6);
        }
        _exit(0);
    }
    char c;
    CHECK(read(ready[0], &c, 1) == 1, "daemon did not start");
    struct stat st[NOBJ];
    for (int i = 0; i < NOBJ; i++) {
        CHECK(stat(names[i], &st[i]) == 0, "stat %s", names[i]);
        CHECK(st[i].st_uid == USER, "%s owned by %u", names[i], st[i].st_uid);
    }

    struct pt_witness *w;
    char why[256];
    int rc = pt_witness_start(trace, 0, &w, why, sizeof why);
    CHECK(rc == 0, "pt_witness_start: %d %s", rc, why);
    if (rc)
        return;
    /* as the collector does: it names the traced daemon, the witness finds what it maps */
    CHECK(pt_witness_watch_pid(w, daemon) == 0, "watch %d", (int)daemon);

    /* The cleaner: a new login session of USER (as logind's helpers: root, loginuid USER), not
     * traced, deletes every object of USER matching the run's pattern. */
    int sesp[2];
    CHECK(pipe(sesp) == 0, "pipe");
    pid_t cleaner = fork();
    if (cleaner == 0) {
        char buf[32];
        int fd = open("/proc/self/loginuid", O_WRONLY);
        int n = snprintf(buf, sizeof buf, "%u", USER);
        if (fd < 0 || write(fd, buf, (size_t)n) != n)
            _exit(2);
        close(fd);
        uint32_t ses = w_read_u32("/proc/self/sessionid");
        if (write(sesp[1], &ses, sizeof ses) != sizeof ses)
            _exit(3);
        char user[16];
        snprintf(user, sizeof user, "%u", USER);
        unsetenv("LD_PRELOAD");
        unsetenv("PROFTRACE_DIR");
        execl("/usr/bin/find", "/usr/bin/find", "/dev/shm", "-maxdepth", "1", "-user", user,
              "-name", pattern, "-delete", (char *)NULL);
        _exit(127);
    }
    uint32_t ses = 0;
    CHECK(read(sesp[0], &ses, sizeof ses) == sizeof ses, "cleaner session");
    CHECK(w_wait(cleaner) == 0, "cleaner failed");
    CHECK(ses != w_read_u32("/proc/self/sessionid") && ses != 0xffffffffu,
          "the cleaner is not in a new session (%u)", ses);
    for (int i = 0; i < NOBJ; i++)
        CHECK(access(names[i], F_OK) != 0, "%s still there", names[i]);
    CHECK(w_wait_recorded(w, NOBJ), "witness recorded fewer than %d removals", NOBJ);
    c = 1;
    CHECK(write(go[1], &c, 1) == 1, "go");
    CHECK(w_wait(daemon) == 0, "the daemon lost its mappings");
    pt_witness_stop(w);

    unsigned n;
    struct w_ev *ev = w_read(trace, &n);
    w_dump(ev, n);
    int found[NOBJ] = {0};
    for (unsigned i = 0; i < n; i++) {
        struct w_ev *e = &ev[i];
        int k;
        for (k = 0; k < NOBJ; k++)
            if (!strcmp(e->path, names[k]))
                break;
        if (k == NOBJ)
            continue; /* another test's /dev/shm object */
        found[k]++;
        CHECK(e->id == PT_EV_witnessed && !strcmp(e->how, "unlink"), "%s: %s", e->path, e->how);
        CHECK(e->dev == (uint64_t)st[k].st_dev && e->ino == (uint64_t)st[k].st_ino,
              "%s: ino %llu, expected %llu", e->path, (unsigned long long)e->ino,
              (unsigned long long)st[k].st_ino);
        CHECK(e->pid == (uint32_t)cleaner, "%s: pid %u, cleaner %d", e->path, e->pid, (int)cleaner);
        if (w_gone(e))
            continue;
        CHECK(!strcmp(e->ident, "live") || !strcmp(e->ident, "exec"), "identity %s", e->ident);
        CHECK(!strcmp(e->exe, "/usr/bin/find"), "exe '%s'", e->exe);
        CHECK(e->sessionid == ses, "session %u, the cleaner's is %u", e->sessionid, ses);
        CHECK(e->loginuid == USER, "loginuid %u", e->loginuid);
        CHECK(e->uid == 0 && e->euid == 0, "uid %u", e->uid);
    }
    for (int k = 0; k < NOBJ; k++)
        CHECK(found[k] == 1, "%s witnessed %d times", names[k], found[k]);
    free(ev);
    for (int k = 0; k < NOBJ; k++)
        unlink(names[k]);
    t_rmrf(base);
    free(base);
}

int main(void)
{
    return w_attempts(attempt);
}
