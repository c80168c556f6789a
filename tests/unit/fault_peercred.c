/* fault_peercred.c — pt_perm_peer_allowed, the check the live-client socket is to make: a client
 * process running as nobody that connects to a collector's AF_UNIX socket is refused, the same
 * process is accepted once PROFTRACE_ALLOW_UIDS names it, and the collector's own user always is.
 * Real processes, a real listening socket in a private directory. Needs root (to become nobody). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include "tests/unit/fault_test.h"
#include "tracer/perm.h"

/* Fork a client that becomes `uid` and connects to `path`; accept it; return the check's verdict. */
static int client_as(int lsock, const char *path, uid_t uid, char *why, size_t len)
{
    pid_t p = fork();
    if (p == 0) {
        if (uid != geteuid() && (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
                                 setresuid(uid, uid, uid) < 0))
            _exit(3);
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
        if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0)
            _exit(4);
        char c;
        ssize_t r = read(s, &c, 1); /* until the server has looked */
        (void)r;
        _exit(0);
    }
    int c = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
    int ok = c >= 0 ? pt_perm_peer_allowed(c, why, len) : -1;
    if (c >= 0)
        close(c);
    int st;
    waitpid(p, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "client as uid %u failed (status %d)",
          (unsigned)uid, st);
    return ok;
}

int main(void)
{
    char dir[] = "/tmp/pt-fault-peercred-XXXXXX", path[100], why[256];
    if (geteuid() != 0) {
        fprintf(stderr, "fault_peercred: needs root to run a client as nobody\n");
        return 1;
    }
    if (!mkdtemp(dir))
        return perror("mkdtemp"), 1;
    chmod(dir, 0755);
    snprintf(path, sizeof path, "%s/live.sock", dir);
    int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || chmod(path, 0777) < 0 ||
        listen(l, 4) < 0)
        return perror("socket"), 1;

    unsetenv("PROFTRACE_ALLOW_UIDS");
    CHECK(client_as(l, path, geteuid(), why, sizeof why) == 1, "own user refused: %s", why);
    int r = client_as(l, path, 65534, why, sizeof why);
    CHECK(r == 0, "nobody accepted without PROFTRACE_ALLOW_UIDS");
    CHECK(r != 0 || strstr(why, "uid 65534"), "reason does not name the uid: %s", why);
    setenv("PROFTRACE_ALLOW_UIDS", "daemon,65534", 1);
    CHECK(client_as(l, path, 65534, why, sizeof why) == 1, "allowed nobody refused: %s", why);
    setenv("PROFTRACE_ALLOW_UIDS", "nobody", 1);
    CHECK(client_as(l, path, 65534, why, sizeof why) == 1, "nobody by name refused: %s", why);
    setenv("PROFTRACE_ALLOW_UIDS", "daemon", 1);
    CHECK(client_as(l, path, 65534, why, sizeof why) == 0, "nobody accepted when only daemon is");

    close(l);
    unlink(path);
    rmdir(dir);
    if (!failures)
        printf("fault_peercred: nobody refused, accepted only when allowed; own user accepted\n");
    return failures ? 1 : 0;
}
