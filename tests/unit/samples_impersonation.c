/* samples_impersonation.c — LogonUserA / ImpersonateLoggedOnUser / RevertToSelf: the effective
 * ids change for the calling thread only, file access follows them, RevertToSelf restores them,
 * and HKCU stays the hive of the REAL user (also when first used while impersonating). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <windows.h>

#include "tests/unit/samples_test.h"

static pthread_barrier_t barrier;
static uid_t other_thread_euid;

/* Waits while the main thread impersonates, then records its own euid. */
static void *bystander(void *arg)
{
    pthread_barrier_wait(&barrier); /* main thread is impersonating now */
    other_thread_euid = geteuid();
    pthread_barrier_wait(&barrier);
    return NULL;
}

/* In a fresh process: the first use of HKCU happens while impersonating. */
static int hkcu_first_used_while_impersonating(HANDLE token, const char *root)
{
    char path[4200];
    struct stat st;
    HKEY key;
    pid_t pid = fork();
    int status;

    if (pid == 0) {
        if (!ImpersonateLoggedOnUser(token))
            _exit(10);
        if (RegCreateKeyExA(HKEY_CURRENT_USER, "Software\\FirstUse", 0, NULL, 0, KEY_ALL_ACCESS,
                            NULL, &key, NULL) != ERROR_SUCCESS)
            _exit(11);
        _exit(0);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    CHECK(WEXITSTATUS(status) == 0);
    snprintf(path, sizeof(path), "%s/S-1-5-21-%u/Software/FirstUse", root, (unsigned)getuid());
    CHECK(stat(path, &st) == 0);
    return 0;
}

static void as_root(const char *root, const char *user)
{
    struct passwd *pw = getpwnam(user);
    gid_t groups_before[64], groups_during[64];
    int ngroups_before, ngroups_during;
    char path[4200];
    struct stat st;
    pthread_t thread;
    HANDLE token;
    HKEY key;
    int fd;

    CHECK(pw != NULL);
    if (!pw)
        return;
    CHECK(LogonUserA(user, ".", "", LOGON32_LOGON_INTERACTIVE, LOGON32_PROVIDER_DEFAULT, &token));
    hkcu_first_used_while_impersonating(token, root);

    ngroups_before = getgroups(64, groups_before);
    pthread_barrier_init(&barrier, NULL, 2);
    pthread_create(&thread, NULL, bystander, NULL);

    CHECK(ImpersonateLoggedOnUser(token));
    CHECK(geteuid() == pw->pw_uid);
    CHECK(getegid() == pw->pw_gid);
    CHECK(getuid() == 0); /* the real account is still ours */
    ngroups_during = getgroups(64, groups_during);
    CHECK(ngroups_during == 1 && groups_during[0] == pw->pw_gid);
    pthread_barrier_wait(&barrier);
    pthread_barrier_wait(&barrier);
    CHECK(other_thread_euid == 0); /* other threads are not impersonating */

    /* Files are created as, and access checked for, the impersonated account. */
    snprintf(path, sizeof(path), "%s/shared/created", root);
    fd = open(path, O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    CHECK(stat(path, &st) == 0 && st.st_uid == pw->pw_uid);
    snprintf(path, sizeof(path), "%s/private", root);
    CHECK(open(path, O_RDONLY) < 0 && errno == EACCES);

    /* HKCU is still the real user's hive, and the other account's hive is never made. */
    CHECK(RegOpenKeyExA(HKEY_CURRENT_USER, "Software", 0, KEY_READ, &key) == ERROR_SUCCESS);
    RegCloseKey(key);
    snprintf(path, sizeof(path), "%s/S-1-5-21-%u", root, (unsigned)pw->pw_uid);
    CHECK(stat(path, &st) < 0 && errno == ENOENT);

    /* Impersonating again while impersonating, then one RevertToSelf gets us back. */
    CHECK(ImpersonateLoggedOnUser(token));
    CHECK(geteuid() == pw->pw_uid);
    CHECK(RevertToSelf());
    CHECK(geteuid() == 0 && getegid() == 0);
    CHECK(getgroups(64, groups_during) == ngroups_before);
    CHECK(ngroups_before <= 0 ||
          !memcmp(groups_during, groups_before, (size_t)ngroups_before * sizeof(gid_t)));
    CHECK(RevertToSelf()); /* not impersonating: still succeeds */
    pthread_join(thread, NULL);
    pthread_barrier_destroy(&barrier);
    CHECK(CloseHandle(token));
}

static void as_user(void)
{
    HANDLE token;
    uid_t euid = geteuid();

    /* Without privilege, another account cannot be impersonated; our own can. */
    CHECK(LogonUserA("root", ".", "", LOGON32_LOGON_INTERACTIVE, LOGON32_PROVIDER_DEFAULT, &token));
    CHECK(!ImpersonateLoggedOnUser(token) && GetLastError() == ERROR_PRIVILEGE_NOT_HELD);
    CHECK(geteuid() == euid);
    CloseHandle(token);
    CHECK(LogonUserA(getpwuid(euid)->pw_name, ".", "", LOGON32_LOGON_INTERACTIVE,
                     LOGON32_PROVIDER_DEFAULT, &token));
    CHECK(ImpersonateLoggedOnUser(token) && geteuid() == euid);
    CHECK(RevertToSelf() && geteuid() == euid);
    CloseHandle(token);
}

int main(void)
{
    char root[] = "/tmp/samples_impersonation.XXXXXX", path[4200];
    const char *user = getenv("SAMPLES_IMPERSONATE_USER");
    HANDLE token;
    HKEY key;
    int fd;

    if (!user)
        user = "nobody";
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    chmod(root, 0755);
    setenv("WINSIM_HIVE_ROOT", root, 1);
    /* The real user's hive exists and is usable by the impersonated account, as in the case. */
    snprintf(path, sizeof(path), "%s/S-1-5-21-%u", root, (unsigned)getuid());
    mkdir(path, 0777);
    chmod(path, 0777);
    snprintf(path, sizeof(path), "%s/shared", root);
    mkdir(path, 01777);
    chmod(path, 01777);
    snprintf(path, sizeof(path), "%s/private", root);
    fd = open(path, O_CREAT | O_WRONLY, 0600);
    if (fd >= 0)
        close(fd);

    CHECK(!LogonUserA("no-such-user-winsim", ".", "", LOGON32_LOGON_INTERACTIVE,
                      LOGON32_PROVIDER_DEFAULT, &token) &&
          GetLastError() == ERROR_LOGON_FAILURE);
    CHECK(!ImpersonateLoggedOnUser(NULL) && GetLastError() == ERROR_INVALID_HANDLE);

    if (geteuid() == 0) {
        umask(0);
        as_root(root, user);
        CHECK(RegCreateKeyExA(HKEY_CURRENT_USER, "Software", 0, NULL, 0, KEY_ALL_ACCESS, NULL, &key,
                              NULL) == ERROR_SUCCESS);
        RegCloseKey(key);
    } else {
        fprintf(stderr, "note: not root, only the unprivileged behaviour is checked\n");
        as_user();
    }
    nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (failures)
        fprintf(stderr, "samples_impersonation: %d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
