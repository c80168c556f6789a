/* samples_mapping.c — libwinsim named file mappings: Local\ and bare names are per login session,
 * Global\ is machine-wide, ERROR_ALREADY_EXISTS, shared views, and the POSIX objects behind them.
 * Other sessions are real processes: this program re-executes itself as the child, in a session
 * given by WINSIM_SESSION and, as root, in a new audit session (writing /proc/self/loginuid). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <windows.h>

#include "tests/unit/samples_test.h"

static char ns[64];

static unsigned long own_session(void)
{
    unsigned long id = 0;
    FILE *f = fopen("/proc/self/sessionid", "r");
    if (f && fscanf(f, "%lu", &id) != 1)
        id = 0;
    if (f)
        fclose(f);
    return id == 4294967295UL ? 0 : id;
}

/* Does the POSIX object behind a mapping exist? session -1 means Global. */
static int shm_exists(const char *name, unsigned long session)
{
    char path[256];
    struct stat st;
    if (session == (unsigned long)-1)
        snprintf(path, sizeof(path), "/dev/shm/winsim.%s.global.%s", ns, name);
    else
        snprintf(path, sizeof(path), "/dev/shm/winsim.%s.s%lu.%s", ns, session, name);
    return stat(path, &st) == 0;
}

/* Child: what a process in another (or the same) session sees. Exit 0 when it matches. */
static int child(const char *mode, const char *name, const char *value)
{
    HANDLE h;
    char *view;
    int ok;

    if (!strcmp(mode, "sees")) { /* the object exists and holds value */
        h = OpenFileMappingA(FILE_MAP_ALL_ACCESS, FALSE, name);
        if (!h)
            return 10;
        view = MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, 0);
        ok = view && !strcmp(view, value);
        if (view)
            strcpy(view, "child was here");
        UnmapViewOfFile(view);
        CloseHandle(h);
        return ok ? 0 : 11;
    }
    if (!strcmp(mode, "missing")) { /* no such object here; creating one makes a fresh one */
        h = OpenFileMappingA(FILE_MAP_ALL_ACCESS, FALSE, name);
        if (h || GetLastError() != ERROR_FILE_NOT_FOUND)
            return 20;
        h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, name);
        if (!h || GetLastError() == ERROR_ALREADY_EXISTS)
            return 21;
        view = MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, 0);
        ok = view && view[0] == '\0';
        UnmapViewOfFile(view);
        CloseHandle(h);
        return ok ? 0 : 22;
    }
    return 99;
}

/* Runs this program as a child; session "" = inherit, "audit" = new audit session (root). */
static int run_child(const char *session, const char *mode, const char *name, const char *value)
{
    int status;
    pid_t pid = fork();

    if (pid == 0) {
        if (!strcmp(session, "audit")) {
            int fd = open("/proc/self/loginuid", O_WRONLY);
            if (fd < 0 || write(fd, "1000", 4) != 4)
                _exit(98);
            close(fd);
            unsetenv("WINSIM_SESSION");
        } else if (*session) {
            setenv("WINSIM_SESSION", session, 1);
        }
        execl("/proc/self/exe", "samples_mapping", "child", mode, name, value, (char *)NULL);
        _exit(97);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

static HANDLE create(const char *name, DWORD size, DWORD *err)
{
    HANDLE h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, size, name);
    *err = GetLastError();
    return h;
}

int main(int argc, char **argv)
{
    unsigned long session = own_session();
    char other[32], *view, *view2;
    HANDLE local, again, global;
    DWORD err;

    if (argc == 5 && !strcmp(argv[1], "child"))
        return child(argv[2], argv[3], argv[4]);
    unsetenv("WINSIM_SESSION");
    snprintf(ns, sizeof(ns), "unit_mapping_%d", (int)getpid());
    setenv("WINSIM_NAMESPACE", ns, 1);
    snprintf(other, sizeof(other), "%lu", session + 1000);

    /* Local\ and bare names: one object per session; a second create finds it. */
    local = create("Local\\Section", 8192, &err);
    CHECK(local && err == ERROR_SUCCESS);
    CHECK(shm_exists("Section", session));
    again = create("Section", 4096, &err);
    CHECK(again && err == ERROR_ALREADY_EXISTS);
    view = MapViewOfFile(local, FILE_MAP_ALL_ACCESS, 0, 0, 0);
    view2 = MapViewOfFile(again, FILE_MAP_ALL_ACCESS, 0, 0, 0);
    CHECK(view && view2 && view != view2);
    strcpy(view, "local data");
    CHECK(view2 && !strcmp(view2, "local data"));
    CHECK(view2 && view2[8191 - 1] == '\0'); /* the existing size stays 8192 */

    /* Same session: sees it (and writes back); another session: does not. */
    CHECK(run_child("", "sees", "Local\\Section", "local data") == 0);
    CHECK(view && !strcmp(view, "child was here"));
    strcpy(view, "local data");
    CHECK(run_child(other, "missing", "Local\\Section", "-") == 0);
    CHECK(shm_exists("Section", session + 1000));
    if (geteuid() == 0) {
        int rc = run_child("audit", "missing", "Section", "-");
        CHECK(rc == 0);
        if (rc == 98)
            fprintf(stderr, "note: cannot start an audit session here\n");
    } else {
        fprintf(stderr, "note: not root, real audit sessions not exercised\n");
    }

    CHECK(UnmapViewOfFile(view2));
    CHECK(CloseHandle(again));

    /* Global\: one object for every session. */
    global = create("Global\\Shared", 4096, &err);
    CHECK(global && err == ERROR_SUCCESS);
    CHECK(shm_exists("Shared", (unsigned long)-1));
    view2 = MapViewOfFile(global, FILE_MAP_ALL_ACCESS, 0, 0, 4096);
    CHECK(view2 != NULL);
    if (view2)
        strcpy(view2, "global data");
    CHECK(run_child(other, "sees", "Global\\Shared", "global data") == 0);
    CHECK(run_child(other, "missing", "Local\\Shared", "-") == 0);

    /* Names: backslashes inside a name are kept legible, bad arguments refused. */
    again = create("Local\\a\\b", 4096, &err);
    CHECK(again && shm_exists("a!b", session));
    CloseHandle(again);
    CHECK(create("", 4096, &err) == NULL && err == ERROR_INVALID_PARAMETER);
    CHECK(create("Local\\zero", 0, &err) == NULL && err == ERROR_INVALID_PARAMETER);
    CHECK(OpenFileMappingA(FILE_MAP_READ, FALSE, "Local\\nothing") == NULL &&
          GetLastError() == ERROR_FILE_NOT_FOUND);
    CHECK(MapViewOfFile(global, FILE_MAP_READ, 0, 0, 8192) == NULL &&
          GetLastError() == ERROR_INVALID_PARAMETER);
    CHECK(!UnmapViewOfFile((LPCVOID)0x1000) && GetLastError() == ERROR_INVALID_ADDRESS);
    CHECK(!CloseHandle(INVALID_HANDLE_VALUE) && GetLastError() == ERROR_INVALID_HANDLE);

    CHECK(UnmapViewOfFile(view));
    CHECK(UnmapViewOfFile(view2));
    CHECK(CloseHandle(local));
    CHECK(CloseHandle(global));

    /* Remove every object of this run (all sessions). */
    char pattern[128];
    glob_t g;
    snprintf(pattern, sizeof(pattern), "/dev/shm/winsim.%s.*", ns);
    if (glob(pattern, 0, NULL, &g) == 0) {
        /* Section in 2 sessions (3 as root: the audit session), Shared in 2, a!b */
        CHECK(g.gl_pathc == (geteuid() == 0 ? 6u : 5u));
        for (size_t i = 0; i < g.gl_pathc; i++)
            unlink(g.gl_pathv[i]);
        globfree(&g);
    }
    if (failures)
        fprintf(stderr, "samples_mapping: %d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
