/* calls.c — real calls with every family of named constants `proftrace events` decodes, for
 * tests/integration/events_*.sh to record and read back: registry (predefined keys, KEY_*, REG_*),
 * file mappings (INVALID_HANDLE_VALUE, PAGE_*, FILE_MAP_*), MAPI flags, POSIX shared memory (O_*,
 * PROT_*, MAP_*), memfd (MFD_*), SysV shared memory (IPC_*, SHM_*), *at calls (AT_FDCWD,
 * AT_REMOVEDIR, RENAME_*), unshare (CLONE_*), some calls that fail, and one thread of its own.
 *
 * usage: calls TAG DIR — every name it makes contains TAG (unique per test run) and its files go in
 * DIR; the registry key it creates is named TAG-shmget-decoy, so that a key's name holds the name
 * of a call (what tells --name from --path). It writes "tid N" (its thread's id) to DIR/facts. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define COBJMACROS
#include <mapix.h>
#include <windows.h>

static const char *tag;

static void *thread_main(void *facts)
{
    char name[256];
    snprintf(name, sizeof name, "/%s-thread", tag);
    int fd = shm_open(name, O_RDONLY | O_CREAT, 0600);
    if (fd >= 0)
        close(fd);
    shm_unlink(name);
    fprintf(facts, "tid %d\n", (int)gettid());
    return NULL;
}

static void registry(void)
{
    char key[256], missing[256];
    HKEY k = NULL, k2 = NULL;
    DWORD disp = 0, one = 1;
    snprintf(key, sizeof key, "Software\\%s-shmget-decoy", tag);
    snprintf(missing, sizeof missing, "Software\\%s-missing", tag);
    RegCreateKeyExA(HKEY_CURRENT_USER, key, 0, NULL, REG_OPTION_VOLATILE, KEY_ALL_ACCESS, NULL, &k,
                    &disp);
    RegSetValueExA(k, "count", 0, REG_DWORD, (const BYTE *)&one, sizeof one);
    RegCloseKey(k);
    RegCreateKeyExA(HKEY_CURRENT_USER, key, 0, NULL, REG_OPTION_NON_VOLATILE,
                    KEY_READ | KEY_SET_VALUE, NULL, &k, &disp);
    RegCloseKey(k);
    if (RegOpenKeyExA(HKEY_CURRENT_USER, key, 0, KEY_READ, &k2) == ERROR_SUCCESS)
        RegCloseKey(k2);
    RegOpenKeyExA(HKEY_CURRENT_USER, missing, 0, KEY_QUERY_VALUE, &k2); /* fails */
    RegOpenKeyExA(HKEY_LOCAL_MACHINE, "Software", 0, KEY_READ, &k2);
}

static void mappings(void)
{
    char name[256];
    snprintf(name, sizeof name, "Local\\%s-map", tag);
    HANDLE h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, name);
    void *view = MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, 4096);
    HANDLE h2 = OpenFileMappingA(FILE_MAP_READ, FALSE, name);
    UnmapViewOfFile(view);
    CloseHandle(h2);
    CloseHandle(h);
}

static void mapi(void)
{
    char profile[256];
    LPPROFADMIN admin = NULL;
    LPMAPISESSION session = NULL;
    LPMDB store = NULL;
    snprintf(profile, sizeof profile, "%s-profile", tag);
    MAPIInitialize(NULL);
    MAPIAdminProfiles(0, &admin);
    IProfAdmin_CreateProfile(admin, profile, NULL, 0, MAPI_DEFAULT_SERVICES);
    MAPILogonEx(0, profile, NULL,
                MAPI_NEW_SESSION | MAPI_EXPLICIT_PROFILE | MAPI_EXTENDED | MAPI_NO_MAIL, &session);
    if (session && SUCCEEDED(IMAPISession_OpenMsgStore(session, 0, 0, NULL, NULL,
                                                       MDB_NO_DIALOG | MDB_WRITE, &store)))
        IMsgStore_Release(store);
    if (session) {
        IMAPISession_Logoff(session, 0, 0, 0);
        IMAPISession_Release(session);
    }
    IProfAdmin_DeleteProfile(admin, profile, 0);
    IProfAdmin_Release(admin);
    MAPIUninitialize();
}

static void shared_memory(void)
{
    char name[256];
    snprintf(name, sizeof name, "/%s-posix", tag);
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd >= 0 && ftruncate(fd, 4096) == 0) {
        void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p != MAP_FAILED)
            munmap(p, 4096);
    }
    int again = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600); /* fails: EEXIST */
    if (again >= 0)
        close(again);
    if (fd >= 0)
        close(fd);
    shm_unlink(name);

    snprintf(name, sizeof name, "%s-memfd", tag);
    int mfd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (mfd >= 0)
        close(mfd);

    int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    if (id >= 0) {
        void *p = shmat(id, NULL, SHM_RDONLY);
        if (p != (void *)-1)
            shmdt(p);
        shmctl(id, IPC_RMID, NULL);
    }
}

static void files(const char *dir)
{
    char d[512], a[512], b[512];
    snprintf(d, sizeof d, "%s/%s-dir", dir, tag);
    snprintf(a, sizeof a, "%s/%s-a", dir, tag);
    snprintf(b, sizeof b, "%s/%s-b", dir, tag);
    mkdir(d, 0700);
    unlinkat(AT_FDCWD, d, AT_REMOVEDIR);
    int fd = open(a, O_WRONLY | O_CREAT, 0600);
    if (fd >= 0)
        close(fd);
    renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE);
    unlink(b);
}

static void namespaces(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(unshare(CLONE_NEWIPC | CLONE_NEWUTS) == 0 ? 0 : 1);
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: calls TAG DIR\n");
        return 2;
    }
    tag = argv[1];
    char path[512];
    snprintf(path, sizeof path, "%s/facts", argv[2]);
    FILE *facts = fopen(path, "w");
    if (!facts)
        return perror(path), 1;
    registry();
    mappings();
    mapi();
    shared_memory();
    files(argv[2]);
    namespaces();
    pthread_t t;
    if (pthread_create(&t, NULL, thread_main, facts) == 0)
        pthread_join(t, NULL);
    /* last: a call whose argument names the decoy key again, after every shmget */
    char key[256];
    snprintf(key, sizeof key, "Software\\%s-shmget-decoy", tag);
    RegDeleteKeyA(HKEY_CURRENT_USER, key);
    return fclose(facts) ? 1 : 0;
}
