/* witness_noperm.c — without the privilege fanotify needs to name deleters, pt_witness_start says
 * why in one line and returns -EPERM, leaves nothing behind, and the process goes on: as an
 * ordinary user (setresuid), as root in a user namespace, and as root without CAP_SYS_ADMIN
 * (setpriv drops it from the bounding set before exec). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <grp.h>
#include <sched.h>
#include <sys/stat.h>

#include "tests/unit/witness_test.h"

/* Try to start a witness in dir; exit 0 when it was refused as it should be. */
static int try_start(const char *dir, const char *expect)
{
    struct pt_witness *w = NULL;
    char why[256] = "";
    int rc = pt_witness_start(dir, 0, &w, why, sizeof why);
    fprintf(stderr, "uid %u: pt_witness_start = %d: %s\n", getuid(), rc, why);
    if (rc == 0) {
        pt_witness_stop(w);
        return 10;
    }
    if (rc != -EPERM)
        return 11;
    if (!why[0] || strchr(why, '\n') || !strstr(why, expect))
        return 12;
    /* nothing was created: no ring, not even the rings directory */
    char rings[600];
    struct stat st;
    snprintf(rings, sizeof rings, "%s/rings", dir);
    if (stat(rings, &st) == 0)
        return 13;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--child")) /* run by setpriv, below */
        return try_start(argv[2], "CAP_SYS_ADMIN");

    char *base = t_mkdtemp("witness-noperm");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/trace", base);
    CHECK(chmod(base, 0777) == 0, "chmod");

    /* an ordinary user */
    pid_t p = fork();
    if (p == 0) {
        if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
            setresuid(65534, 65534, 65534) < 0)
            _exit(2);
        _exit(try_start(dir, "CAP_SYS_ADMIN"));
    }
    CHECK(w_wait(p) == 0, "as nobody: status %d", w_wait(p));

    /* root of a user namespace: all capabilities there, none where fanotify asks */
    p = fork();
    if (p == 0) {
        if (unshare(CLONE_NEWUSER) < 0)
            _exit(3);
        _exit(try_start(dir, "user namespace"));
    }
    int st = w_wait(p);
    CHECK(st == 0, "in a user namespace: status %d", st);

    /* root without CAP_SYS_ADMIN, through setpriv and exec */
    char self[512];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK(n > 0, "readlink");
    self[n > 0 ? n : 0] = 0;
    char *argv2[] = {"/usr/bin/setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin",
                     self, "--child", dir, NULL};
    p = w_spawn(argv2);
    st = w_wait(p);
    CHECK(st == 0, "without CAP_SYS_ADMIN: status %d", st);

    /* and with the privilege it starts (the same directory, so the refusals above left it usable) */
    struct pt_witness *w;
    char why[256];
    int rc = pt_witness_start(dir, 0, &w, why, sizeof why);
    CHECK(rc == 0, "as root: %d %s", rc, why);
    if (rc == 0)
        pt_witness_stop(w);
    t_rmrf(base);
    free(base);
    return t_failures ? 1 : 0;
}
