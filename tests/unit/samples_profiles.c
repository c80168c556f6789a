/* samples_profiles.c — the profile state machine of libmapisim, across real processes (this one
 * and the mapiclient program, whose path is argv[1]):
 *   T1  DeleteProfile of a profile nobody uses deletes it at once;
 *   mark DeleteProfile of a profile in use only marks it, and hides it from GetProfileTable;
 *   T3  MAPIInitialize in the same view leaves a marked profile a live process holds alone...
 *   T2  ...and the last logoff deletes it;
 *   crash a holder SIGKILLed without logging off is forgotten, and the next MAPIInitialize (T3)
 *       deletes its marked profile;
 *   split a MAPIInitialize in another login session purges a profile held here (bug 2), and the
 *       holder's next OpenMsgStore fails with MAPI_E_CALL_FAILED, as in the case;
 *   lock a process SIGKILLed while holding the in-use list's lock does not wedge the others
 *       (robust mutex). */
#define _GNU_SOURCE
#include <ftw.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#define COBJMACROS
#include <mapix.h>
#include <mapiutil.h>

#include "samples/mapi/inuse_layout.h"
#include "tests/unit/samples_test.h"

#define CHECK_HR(expr, want)                                                                       \
    do {                                                                                           \
        HRESULT hr_ = (expr);                                                                      \
        if (hr_ != (HRESULT)(want)) {                                                              \
            fprintf(stderr, "%s:%d: %s = 0x%08X, expected 0x%08X\n", __FILE__, __LINE__, #expr,    \
                    (unsigned)hr_, (unsigned)(want));                                              \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

#define PROFILES                                                                                   \
    "Software\\Microsoft\\Windows NT\\CurrentVersion\\Windows Messaging Subsystem\\Profiles"

static const char *client;

static int key_exists(const char *sub)
{
    char path[512];
    HKEY key;

    snprintf(path, sizeof(path), "%s\\%s", PROFILES, sub);
    if (RegOpenKeyExA(HKEY_CURRENT_USER, path, 0, KEY_READ, &key) != ERROR_SUCCESS)
        return 0;
    RegCloseKey(key);
    return 1;
}

static int marked(const char *name)
{
    char sub[256];
    snprintf(sub, sizeof(sub), "Deleted Profiles\\%s", name);
    return key_exists(sub);
}

/* Runs mapiclient with args (NULL-terminated); session NULL = ours. Returns its exit status. */
static int run_client(const char *session, const char *const *args)
{
    const char *argv[16] = {client};
    int status, n = 1;
    pid_t pid;

    for (; *args && n < 15; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    pid = fork();
    if (pid == 0) {
        if (session)
            setenv("WINSIM_SESSION", session, 1);
        execv(client, (char *const *)argv);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

static int table_has(LPPROFADMIN admin, const char *name)
{
    LPMAPITABLE table;
    LPSRowSet rows;
    ULONG count = 0;
    int found = 0;

    if (FAILED(IProfAdmin_GetProfileTable(admin, 0, &table)))
        return -1;
    IMAPITable_GetRowCount(table, 0, &count);
    if (SUCCEEDED(IMAPITable_QueryRows(table, (LONG)count, 0, &rows))) {
        for (ULONG i = 0; i < rows->cRows; i++)
            if (rows->aRow[i].lpProps[0].ulPropTag == PR_DISPLAY_NAME_A &&
                !strcmp(rows->aRow[i].lpProps[0].Value.lpszA, name))
                found = 1;
        FreeProws(rows);
    }
    IMAPITable_Release(table);
    return found;
}

static HRESULT open_store(LPMAPISESSION session)
{
    LPMDB store;
    HRESULT hr = IMAPISession_OpenMsgStore(session, 0, 0, NULL, NULL, MDB_NO_DIALOG, &store);
    if (SUCCEEDED(hr))
        IMsgStore_Release(store);
    return hr;
}

static void test_t1(LPPROFADMIN admin)
{
    CHECK_HR(IProfAdmin_CreateProfile(admin, "T1", NULL, 0, 0), S_OK);
    CHECK_HR(IProfAdmin_CreateProfile(admin, "T1", NULL, 0, 0), MAPI_E_NO_ACCESS);
    CHECK(table_has(admin, "T1") == 1);
    CHECK_HR(IProfAdmin_DeleteProfile(admin, "T1", 0), S_OK);
    CHECK(!key_exists("T1") && !marked("T1"));
    CHECK_HR(IProfAdmin_DeleteProfile(admin, "T1", 0), MAPI_E_NOT_FOUND);
}

static void test_mark_t3_t2(LPPROFADMIN admin)
{
    LPMAPISESSION s1, s2;
    const char *plain[] = {NULL};

    CHECK_HR(IProfAdmin_CreateProfile(admin, "P", NULL, 0, 0), S_OK);
    CHECK_HR(IProfAdmin_CreateProfile(admin, "Q", NULL, 0, 0), S_OK);
    CHECK_HR(MAPILogonEx(0, "P", NULL, MAPI_NEW_SESSION | MAPI_EXPLICIT_PROFILE, &s1), S_OK);
    CHECK_HR(IProfAdmin_DeleteProfile(admin, "P", 0), S_OK);
    CHECK(key_exists("P") && marked("P"));
    CHECK(table_has(admin, "P") == 0 && table_has(admin, "Q") == 1);
    CHECK_HR(open_store(s1), S_OK);

    /* T3 by another process in the same view: P is held by a live process, it stays. */
    CHECK(run_client(NULL, plain) == 0);
    CHECK(key_exists("P") && marked("P"));
    CHECK_HR(open_store(s1), S_OK);

    /* A second session: the first logoff is not the last. */
    CHECK_HR(MAPILogonEx(0, "P", NULL, MAPI_NEW_SESSION | MAPI_EXPLICIT_PROFILE, &s2), S_OK);
    CHECK_HR(IMAPISession_Logoff(s1, 0, 0, 0), S_OK);
    CHECK(IMAPISession_Release(s1) == 0);
    CHECK(key_exists("P") && marked("P"));
    CHECK_HR(open_store(s2), S_OK);

    /* T2: the last release (without an explicit Logoff) deletes the marked profile. */
    CHECK(IMAPISession_Release(s2) == 0);
    CHECK(!key_exists("P") && !marked("P"));
    CHECK(key_exists("Q"));
}

static void test_crashed_holder(void)
{
    int in[2], out[2], status;
    char line[256] = "";
    FILE *from;
    pid_t pid;

    CHECK(pipe(in) == 0 && pipe(out) == 0);
    pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        execl(client, client, "--logon", "H", "--create", "--delete", "--hold", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    from = fdopen(out[0], "r");
    while (from && fgets(line, sizeof(line), from) && strcmp(line, "mapiclient: holding\n"))
        ;
    CHECK(!strcmp(line, "mapiclient: holding\n"));
    CHECK(key_exists("H") && marked("H"));

    kill(pid, SIGKILL); /* no logoff, no MAPIUninitialize */
    CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status));
    close(in[1]);
    if (from)
        fclose(from);
    CHECK(key_exists("H") && marked("H")); /* nothing runs at a crash */

    /* T3: the next MAPIInitialize in the same view forgets the dead holder and deletes H. */
    CHECK_HR(MAPIInitialize(NULL), S_OK);
    CHECK(!key_exists("H") && !marked("H"));
    MAPIUninitialize();
}

static void test_session_split(LPPROFADMIN admin, const char *other_session)
{
    LPMAPISESSION s;
    const char *plain[] = {NULL};

    CHECK_HR(IProfAdmin_CreateProfile(admin, "V", NULL, 0, 0), S_OK);
    CHECK_HR(MAPILogonEx(0, "V", NULL, MAPI_NEW_SESSION | MAPI_EXPLICIT_PROFILE, &s), S_OK);
    CHECK_HR(IProfAdmin_DeleteProfile(admin, "V", 0), S_OK);
    CHECK_HR(open_store(s), S_OK);
    CHECK(run_client(other_session, plain) == 0);
    CHECK(!key_exists("V") && !marked("V"));
    CHECK_HR(open_store(s), MAPI_E_CALL_FAILED);
    CHECK_HR(open_store(s), MAPI_E_CALL_FAILED); /* and it stays broken */
    CHECK_HR(IMAPISession_Logoff(s, 0, 0, 0), S_OK);
    IMAPISession_Release(s);
}

/* A process takes the in-use lock the way libmapisim does and is killed holding it. */
static void test_lock_holder_killed(LPPROFADMIN admin)
{
    char name[96];
    int ready[2], status;
    LPMAPISESSION s;
    pid_t pid;

    snprintf(name, sizeof(name), "Local\\MAPISIM_InUse_S-1-5-21-%u", (unsigned)geteuid());
    CHECK(pipe(ready) == 0);
    pid = fork();
    if (pid == 0) {
        HANDLE h = OpenFileMappingA(FILE_MAP_ALL_ACCESS, FALSE, name);
        struct inuse_region *r = h ? MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, 0) : NULL;
        if (!r || r->magic != INUSE_MAGIC || pthread_mutex_lock(&r->lock) != 0)
            _exit(1);
        if (write(ready[1], "L", 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    close(ready[1]);
    CHECK(read(ready[0], name, 1) == 1 && name[0] == 'L');
    close(ready[0]);
    kill(pid, SIGKILL);
    CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status));

    /* Every path that takes the lock still works: sweep, logon, mark, T2. */
    CHECK_HR(MAPIInitialize(NULL), S_OK);
    MAPIUninitialize();
    CHECK_HR(IProfAdmin_CreateProfile(admin, "R", NULL, 0, 0), S_OK);
    CHECK_HR(MAPILogonEx(0, "R", NULL, MAPI_NEW_SESSION | MAPI_EXPLICIT_PROFILE, &s), S_OK);
    CHECK_HR(IProfAdmin_DeleteProfile(admin, "R", 0), S_OK);
    CHECK(key_exists("R") && marked("R"));
    IMAPISession_Release(s);
    CHECK(!key_exists("R") && !marked("R"));
}

int main(int argc, char **argv)
{
    char root[] = "/tmp/samples_profiles.XXXXXX", ns[64], other[32], pattern[128];
    unsigned long session = 0;
    LPPROFADMIN admin;
    FILE *f;
    glob_t g;

    if (argc != 2) {
        fprintf(stderr, "usage: samples_profiles PATH-TO-MAPICLIENT\n");
        return 2;
    }
    client = argv[1];
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(ns, sizeof(ns), "unit_profiles_%d", (int)getpid());
    setenv("WINSIM_HIVE_ROOT", root, 1);
    setenv("WINSIM_NAMESPACE", ns, 1);
    setenv("MAPISIM_FIXES", "none", 1);
    unsetenv("WINSIM_SESSION");
    f = fopen("/proc/self/sessionid", "r");
    if (f && fscanf(f, "%lu", &session) != 1)
        session = 0;
    if (f)
        fclose(f);
    snprintf(other, sizeof(other), "%lu", session == 4294967295UL ? 1 : session + 1);

    CHECK_HR(MAPIAdminProfiles(0, &admin), MAPI_E_NOT_INITIALIZED);
    CHECK_HR(MAPIInitialize(NULL), S_OK);
    CHECK_HR(MAPIAdminProfiles(0, &admin), S_OK);
    test_t1(admin);
    test_mark_t3_t2(admin);
    test_crashed_holder();
    test_session_split(admin, other);
    test_lock_holder_killed(admin);
    IProfAdmin_Release(admin);
    MAPIUninitialize();

    snprintf(pattern, sizeof(pattern), "/dev/shm/winsim.%s.*", ns);
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            unlink(g.gl_pathv[i]);
        globfree(&g);
    }
    nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (failures)
        fprintf(stderr, "samples_profiles: %d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
