/* preload_win32.c — the Win32 and MAPI rows of the shim against the real profile library
 * (libwinsim, libmapisim): every Reg* call, the file-mapping calls, LogonUser/impersonation with
 * the per-thread cred events, the MAPI calls and the methods of the objects they return (reached
 * through the wrapped method tables), nesting (the openat under RegOpenKeyExA carries the key's
 * inode, the shm_open under CreateFileMappingA the object's, the unlinkat under RegDeleteTreeA the
 * deleted key's), stacks on deletions, MAPI calls and failures, and Win32 last errors. */
#include "tests/unit/preload_test.h"

#include <fcntl.h>
#include <mapix.h>
#include <sys/stat.h>
#include <windows.h>

static unsigned long long ino_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

static int act(void)
{
    const char *root = getenv("WINSIM_HIVE_ROOT");
    char hive[600], path[900];
    snprintf(hive, sizeof hive, "%s/S-1-5-21-%u", root, (unsigned)getuid());
    HKEY k = NULL, k2 = NULL, ksub = NULL;
    DWORD disp = 0, type = 0, cb, cch;
    char buf[64], name[64];

    LONG r = RegCreateKeyExA(HKEY_CURRENT_USER, "Software\\PtTest", 0, NULL, 0, KEY_ALL_ACCESS,
                             NULL, &k, &disp);
    t_fact("create", "%ld %llu %u", (long)r, (unsigned long long)(uintptr_t)k, disp);
    snprintf(path, sizeof path, "%s/Software/PtTest", hive);
    t_fact("key_ino", "%llu", ino_of(path));
    RegSetValueExA(k, "v1", 0, REG_SZ, (const BYTE *)"hello", 6);
    cb = sizeof buf;
    r = RegQueryValueExA(k, "v1", NULL, &type, (BYTE *)buf, &cb);
    t_fact("query", "%ld %u", (long)r, cb);
    cb = sizeof buf;
    r = RegQueryValueExA(k, "missing", NULL, &type, (BYTE *)buf, &cb);
    t_fact("query_missing", "%ld", (long)r);
    r = RegOpenKeyExA(HKEY_CURRENT_USER, "Software\\PtTest", 0, KEY_READ, &k2);
    t_fact("open", "%ld %llu", (long)r, (unsigned long long)(uintptr_t)k2);
    RegCreateKeyExA(k, "Sub\\Deep", 0, NULL, 0, KEY_ALL_ACCESS, NULL, &ksub, NULL);
    RegCloseKey(ksub);
    snprintf(path, sizeof path, "%s/Software/PtTest/Sub", hive);
    t_fact("sub_ino", "%llu", ino_of(path));
    cch = sizeof name;
    r = RegEnumKeyExA(k, 0, name, &cch, NULL, NULL, NULL, NULL);
    t_fact("enum", "%ld %s", (long)r, r == 0 ? name : "-");
    r = RegDeleteTreeA(k, "Sub");
    t_fact("deltree", "%ld", (long)r);
    RegCloseKey(k2);
    RegCloseKey(k);
    r = RegDeleteKeyA(HKEY_CURRENT_USER, "Software\\PtTest");
    t_fact("delkey", "%ld", (long)r);

    /* Named file mappings. */
    HANDLE h =
        CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 8192, "Local\\PtMap");
    t_fact("cfm", "%llu", (unsigned long long)(uintptr_t)h);
    HANDLE h2 = OpenFileMappingA(FILE_MAP_ALL_ACCESS, FALSE, "Local\\PtMap");
    t_fact("ofm", "%llu", (unsigned long long)(uintptr_t)h2);
    void *view = MapViewOfFile(h2, FILE_MAP_ALL_ACCESS, 0, 0, 8192);
    t_fact("view", "%llu", (unsigned long long)(uintptr_t)view);
    UnmapViewOfFile(view);
    CloseHandle(h2);
    CloseHandle(h);
    HANDLE none = OpenFileMappingA(FILE_MAP_READ, FALSE, "Local\\PtNoSuchMap");
    t_fact("ofm_fail", "%llu %u", (unsigned long long)(uintptr_t)none, GetLastError());

    /* Impersonation mid-run: this thread's ids change, the cred events say so. */
    HANDLE tok = NULL;
    BOOL ok =
        LogonUserA("nobody", ".", "", LOGON32_LOGON_INTERACTIVE, LOGON32_PROVIDER_DEFAULT, &tok);
    t_fact("logon", "%d %llu", ok, (unsigned long long)(uintptr_t)tok);
    ok = ImpersonateLoggedOnUser(tok);
    unsigned imp_euid = (unsigned)geteuid(); /* the facts file is not writable as nobody */
    BOOL imp_ok = ok;
    ok = RevertToSelf();
    t_fact("imp", "%d %u", imp_ok, imp_euid);
    t_fact("revert", "%d %u", ok, (unsigned)geteuid());
    CloseHandle(tok);

    /* MAPI and the methods of the objects it returns. */
    LPPROFADMIN admin = NULL;
    LPMAPISESSION session = NULL;
    HRESULT hr = MAPIInitialize(NULL);
    t_fact("init", "%d", (int)hr);
    hr = MAPIAdminProfiles(0, &admin);
    t_fact("admin", "%d %llu", (int)hr, (unsigned long long)(uintptr_t)admin);
    hr = admin->lpVtbl->CreateProfile(admin, "PtProf", NULL, 0, 0);
    t_fact("createprof", "%d", (int)hr);
    hr = MAPILogonEx(0, "PtProf", NULL, MAPI_NEW_SESSION | MAPI_EXPLICIT_PROFILE, &session);
    t_fact("logonex", "%d %llu", (int)hr, (unsigned long long)(uintptr_t)session);
    LPMDB mdb = NULL;
    hr = session->lpVtbl->OpenMsgStore(session, 0, 0, NULL, NULL, MAPI_BEST_ACCESS, &mdb);
    t_fact("openstore", "%d %llu", (int)hr, (unsigned long long)(uintptr_t)mdb);
    if (SUCCEEDED(hr) && mdb)
        mdb->lpVtbl->Release(mdb);
    hr = admin->lpVtbl->DeleteProfile(admin, "PtProf", 0);
    t_fact("delprof", "%d", (int)hr);
    hr = session->lpVtbl->Logoff(session, 0, 0, 0);
    t_fact("logoff", "%d", (int)hr);
    ULONG rc = session->lpVtbl->Release(session);
    t_fact("srelease", "%u", rc);
    rc = admin->lpVtbl->Release(admin);
    t_fact("arelease", "%u", rc);
    MAPIUninitialize();
    return 0;
}

/* The event of class `name` that is the last one of its kind before event `before`. */
static const struct t_event *last_before(const char *name, const struct t_event *before, int depth)
{
    for (const struct t_event *e = before - 1; e >= t_ev; e--)
        if (!strcmp(pt_event_name(e->id), name) && (depth < 0 || e->depth == depth))
            return e;
    return NULL;
}

int main(int argc, char **argv)
{
    if (t_acting())
        return act();
    char hive[300], ns[64], hive_env[400], ns_env[100];
    snprintf(hive, sizeof hive, "/tmp/pt-preload-win32-hive-%d", (int)getpid());
    snprintf(ns, sizeof ns, "ptw32-%d", (int)getpid());
    snprintf(hive_env, sizeof hive_env, "WINSIM_HIVE_ROOT=%s", hive);
    snprintf(ns_env, sizeof ns_env, "WINSIM_NAMESPACE=%s", ns);
    const char *env[] = {hive_env, ns_env, NULL};
    int st = t_run_self(argv, "win32", env);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "act side status %#x", st);
    CHECK(t_read(t_dir) == 0, "reader diagnostics");
    const struct t_event *e, *n;
    long long a, b, c;
    char s[128];

    /* Registry. */
    sscanf(t_fact_str("create"), "%lld %lld %lld", &a, &b, &c);
    e = t_find("RegCreateKeyExA", 0, "lpSubKey", "Software\\PtTest", 0);
    CHECK(e && e->ret == a && (long long)t_u(e, "phkResult") == b &&
              (long long)t_u(e, "lpdwDisposition") == c &&
              t_u(e, "hKey") == (uint64_t)(uintptr_t)HKEY_CURRENT_USER && e->depth == 0,
          "RegCreateKeyExA fields");
    e = t_find("RegSetValueExA", 0, "lpValueName", "v1", 0);
    CHECK(e && e->ret == 0 && t_u(e, "dwType") == REG_SZ && t_u(e, "cbData") == 6 &&
              (long long)t_u(e, "hKey") == b,
          "RegSetValueExA");
    sscanf(t_fact_str("query"), "%lld %lld", &a, &c);
    e = t_find("RegQueryValueExA", 0, "lpValueName", "v1", 0);
    CHECK(e && e->ret == a && (long long)t_u(e, "lpcbData") == c && e->nframes == 0,
          "RegQueryValueExA ok");
    e = t_find("RegQueryValueExA", 0, "lpValueName", "missing", 0);
    CHECK(e && e->ret == t_fact_num("query_missing") && e->ret != 0 && e->err == e->ret &&
              t_u(e, "lpcbData") == 0 && e->nframes > 0,
          "RegQueryValueExA failure: ret, err, stack");
    sscanf(t_fact_str("open"), "%lld %lld", &a, &b);
    e = t_find("RegOpenKeyExA", 0, "lpSubKey", "Software\\PtTest", 0);
    CHECK(e && e->ret == a && (long long)t_u(e, "phkResult") == b, "RegOpenKeyExA");
    /* The key's physical identity comes from the nested open of its directory. */
    n = e ? last_before("openat", e, 1) : NULL;
    CHECK(n && n->ret == b && t_u(n, "fd_ino") == (uint64_t)t_fact_num("key_ino"),
          "nested openat under RegOpenKeyExA: key inode %lld", t_fact_num("key_ino"));
    CHECK(n && n->ts >= e->ts_enter && n->ts <= e->ts, "nested call inside the outer call's time");
    snprintf(s, sizeof s, "%s", t_fact_str("enum"));
    e = t_find("RegEnumKeyExA", 0, NULL, NULL, 0);
    CHECK(e && !strcmp(s, "0 Sub") && !strcmp(t_s(e, "lpName"), "Sub") && t_u(e, "dwIndex") == 0,
          "RegEnumKeyExA name (%s)", s);
    e = t_find("RegDeleteTreeA", 0, "lpSubKey", "Sub", 0);
    CHECK(e && e->ret == t_fact_num("deltree") && e->nframes > 0, "RegDeleteTreeA with stack");
    int found_sub = 0;
    for (const struct t_event *x = t_ev; e && x < e; x++)
        if (!strcmp(pt_event_name(x->id), "unlinkat") && x->depth == 1 && x->ts >= e->ts_enter &&
            t_u(x, "pathname_ino") == (uint64_t)t_fact_num("sub_ino"))
            found_sub = 1;
    CHECK(found_sub, "nested unlinkat of the Sub key directory with its inode");
    e = t_find("RegDeleteKeyA", 0, "lpSubKey", "Software\\PtTest", 0);
    CHECK(e && e->ret == t_fact_num("delkey") && e->nframes > 0, "RegDeleteKeyA");
    CHECK(t_count("RegCloseKey", 0) >= 3, "RegCloseKey events: %u", t_count("RegCloseKey", 0));

    /* The hive directory's own open (libwinsim opens HKCU once, inside the first registry call). */
    char hpath[400];
    snprintf(hpath, sizeof hpath, "%s/S-1-5-21-%u", hive, (unsigned)getuid());
    e = t_find("open", 0, "pathname", hpath, 0);
    CHECK(e && e->depth >= 1 && e->ret >= 0 && t_u(e, "fd_ino") == ino_of(hpath),
          "nested open of the hive with its inode");

    /* File mappings. */
    e = t_find("CreateFileMappingA", 0, "lpName", "Local\\PtMap", 0);
    CHECK(e && (long long)e->ret == t_fact_num("cfm") && t_u(e, "flProtect") == PAGE_READWRITE &&
              t_u(e, "dwMaximumSizeLow") == 8192,
          "CreateFileMappingA");
    n = e ? last_before("shm_open", e, 1) : NULL;
    CHECK(n && strstr(t_s(n, "name"), ns) && strstr(t_s(n, "name"), "PtMap") &&
              t_u(n, "fd_ino") != 0,
          "nested shm_open under CreateFileMappingA with identity");
    e = t_find("OpenFileMappingA", 0, "lpName", "Local\\PtMap", 0);
    CHECK(e && (long long)e->ret == t_fact_num("ofm"), "OpenFileMappingA");
    e = t_find("MapViewOfFile", 0, NULL, NULL, 0);
    CHECK(e && (long long)e->ret == t_fact_num("view") &&
              (long long)t_u(e, "hFileMappingObject") == t_fact_num("ofm") &&
              t_u(e, "dwNumberOfBytesToMap") == 8192,
          "MapViewOfFile");
    n = e ? last_before("mmap", e, 1) : NULL;
    CHECK(n && n->ret == e->ret, "nested mmap under MapViewOfFile");
    e = t_find("UnmapViewOfFile", 0, NULL, NULL, 0);
    CHECK(e && e->ret == 1 && (long long)t_u(e, "lpBaseAddress") == t_fact_num("view"),
          "UnmapViewOfFile");
    n = e ? last_before("munmap", e, 1) : NULL;
    CHECK(n && (long long)t_u(n, "addr") == t_fact_num("view"), "nested munmap");
    CHECK(t_count("CloseHandle", 0) >= 3, "CloseHandle");
    sscanf(t_fact_str("ofm_fail"), "%lld %lld", &a, &b);
    e = t_find("OpenFileMappingA", 0, "lpName", "Local\\PtNoSuchMap", 0);
    CHECK(e && a == 0 && e->ret == 0 && e->err == b && b != 0 && e->nframes > 0,
          "failed OpenFileMappingA: last error %lld recorded as %d", b, e ? e->err : -1);

    /* Impersonation. */
    sscanf(t_fact_str("logon"), "%lld %lld", &a, &b);
    e = t_find("LogonUserA", 0, "lpszUsername", "nobody", 0);
    CHECK(e && e->ret == a && (long long)t_u(e, "phToken") == b, "LogonUserA");
    e = t_find("ImpersonateLoggedOnUser", 0, NULL, NULL, 0);
    CHECK(e && e->ret == 1 && (long long)t_u(e, "hToken") == b, "ImpersonateLoggedOnUser");
    sscanf(t_fact_str("imp"), "%lld %lld", &a, &b);
    n = e ? e + 1 : NULL;
    CHECK(n && !strcmp(pt_event_name(n->id), "cred") && (long long)t_u(n, "euid") == b && b != 0 &&
              t_u(n, "uid") == 0,
          "cred after impersonation: euid %lld", b);
    e = t_find("RevertToSelf", 0, NULL, NULL, 0);
    n = e ? e + 1 : NULL;
    CHECK(n && !strcmp(pt_event_name(n->id), "cred") && t_u(n, "euid") == 0,
          "cred after RevertToSelf");

    /* MAPI. */
    e = t_find("MAPIInitialize", 0, NULL, NULL, 0);
    CHECK(e && e->ret == t_fact_num("init") && e->nframes > 0 && e->depth == 0,
          "MAPIInitialize (stack: MAPI)");
    sscanf(t_fact_str("admin"), "%lld %lld", &a, &b);
    e = t_find("MAPIAdminProfiles", 0, NULL, NULL, 0);
    CHECK(e && e->ret == a && (long long)t_u(e, "lppProfAdmin") == b, "MAPIAdminProfiles");
    e = t_find("IProfAdmin_CreateProfile", 0, "lpszProfileName", "PtProf", 0);
    CHECK(e && e->ret == t_fact_num("createprof") && (long long)t_u(e, "This") == b &&
              e->depth == 0,
          "IProfAdmin_CreateProfile through the wrapped table");
    long long sess;
    sscanf(t_fact_str("logonex"), "%lld %lld", &a, &sess);
    e = t_find("MAPILogonEx", 0, "lpszProfileName", "PtProf", 0);
    CHECK(e && e->ret == a && (long long)t_u(e, "lppSession") == sess &&
              t_u(e, "flFlags") == (MAPI_NEW_SESSION | MAPI_EXPLICIT_PROFILE),
          "MAPILogonEx");
    sscanf(t_fact_str("openstore"), "%lld %lld", &a, &b);
    e = t_find("IMAPISession_OpenMsgStore", 0, NULL, NULL, 0);
    CHECK(e && e->ret == a && (long long)t_u(e, "This") == sess &&
              (long long)t_u(e, "lppMDB") == (a == 0 ? b : 0),
          "IMAPISession_OpenMsgStore");
    e = t_find("IProfAdmin_DeleteProfile", 0, "lpszProfileName", "PtProf", 0);
    CHECK(e && e->ret == t_fact_num("delprof") && e->nframes > 0, "IProfAdmin_DeleteProfile");
    e = t_find("IMAPISession_Logoff", 0, NULL, NULL, 0);
    CHECK(e && e->ret == t_fact_num("logoff") && (long long)t_u(e, "This") == sess,
          "IMAPISession_Logoff");
    e = t_find("IMAPISession_Release", 0, NULL, NULL, 0);
    CHECK(e && e->ret == t_fact_num("srelease"), "IMAPISession_Release");
    e = t_find("IProfAdmin_Release", 0, NULL, NULL, 0);
    CHECK(e && e->ret == t_fact_num("arelease"), "IProfAdmin_Release");
    CHECK(t_find("MAPIUninitialize", 0, NULL, NULL, 0) != NULL, "MAPIUninitialize");
    /* MAPIInitialize's purge runs registry calls at depth 1. */
    e = t_find("MAPIInitialize", 0, NULL, NULL, 0);
    int nested = 0;
    for (const struct t_event *x = t_ev; e && x < e; x++)
        nested += x->ts >= e->ts_enter && x->depth >= 1 && !strncmp(pt_event_name(x->id), "Reg", 3);
    CHECK(nested > 0, "registry calls nested in MAPIInitialize");

    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'; rm -f /dev/shm/winsim.%s.*", hive, ns);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: cleanup failed\n");
    return t_done("preload_win32");
}
