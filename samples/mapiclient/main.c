/* mapiclient — an Outlook-like MAPI client: MAPIInitialize (which sweeps profiles marked for
 * deletion that its in-use list does not show), optionally as an impersonated account, optionally
 * logged on to a profile of its own, then MAPIUninitialize.
 *
 * With --hold it prints "mapiclient: holding" and waits for end of input before logging off,
 * so a script can keep it logged on (or kill it) at a known point. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COBJMACROS
#include <mapix.h>

static void usage(void)
{
    fprintf(stderr,
            "usage: mapiclient [--impersonate USER] [--logon PROFILE [--create] [--delete]] "
            "[--hold]\n"
            "  --impersonate USER  impersonate USER (LogonUser + ImpersonateLoggedOnUser) first\n"
            "  --logon PROFILE     log on to PROFILE (--create: create it first;\n"
            "                      --delete: DeleteProfile it right after logon)\n"
            "  --hold              after logon, wait for end of input before exiting\n");
}

/* The login session this client runs in, as libwinsim sees it, for the log. */
static const char *login_session(char *buf, size_t size)
{
    const char *env = getenv("WINSIM_SESSION");
    FILE *f;

    if (env && *env)
        return env;
    f = fopen("/proc/self/sessionid", "r");
    if (!f || !fgets(buf, (int)size, f))
        snprintf(buf, size, "?");
    if (f)
        fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
    if (!strcmp(buf, "4294967295"))
        snprintf(buf, size, "0 (none)");
    return buf;
}

int main(int argc, char **argv)
{
    const char *user = NULL, *profile = NULL;
    int create = 0, delete = 0, hold = 0, rc = 1;
    LPMAPISESSION session = NULL;
    LPPROFADMIN admin = NULL;
    HANDLE token = NULL;
    char buf[256];
    HRESULT hr;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--impersonate") && i + 1 < argc) {
            user = argv[++i];
        } else if (!strcmp(argv[i], "--logon") && i + 1 < argc) {
            profile = argv[++i];
        } else if (!strcmp(argv[i], "--create")) {
            create = 1;
        } else if (!strcmp(argv[i], "--delete")) {
            delete = 1;
        } else if (!strcmp(argv[i], "--hold")) {
            hold = 1;
        } else {
            usage();
            return 2;
        }
    }
    if ((create || delete) && !profile) {
        usage();
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);

    if (user) {
        if (!LogonUserA(user, ".", "", LOGON32_LOGON_INTERACTIVE, LOGON32_PROVIDER_DEFAULT,
                        &token) ||
            !ImpersonateLoggedOnUser(token)) {
            fprintf(stderr, "mapiclient: cannot impersonate %s (error %u)\n", user,
                    (unsigned)GetLastError());
            goto out;
        }
        printf("mapiclient: impersonating %s (euid %u)\n", user, (unsigned)geteuid());
    }
    hr = MAPIInitialize(NULL);
    if (FAILED(hr)) {
        fprintf(stderr, "mapiclient: MAPIInitialize failed (0x%08X)\n", (unsigned)hr);
        goto out;
    }
    printf("mapiclient: MAPIInitialize ok (pid %d, euid %u, login session %s)\n", (int)getpid(),
           (unsigned)geteuid(), login_session(buf, sizeof(buf)));
    if (profile) {
        hr = MAPIAdminProfiles(0, &admin);
        if (SUCCEEDED(hr) && create)
            hr = IProfAdmin_CreateProfile(admin, (LPSTR)profile, NULL, 0, 0);
        if (SUCCEEDED(hr))
            hr = MAPILogonEx(0, (LPSTR)profile, NULL, MAPI_NEW_SESSION | MAPI_EXPLICIT_PROFILE,
                             &session);
        if (SUCCEEDED(hr) && delete)
            hr = IProfAdmin_DeleteProfile(admin, (LPSTR)profile, 0);
        if (FAILED(hr)) {
            fprintf(stderr, "mapiclient: profile '%s': 0x%08X\n", profile, (unsigned)hr);
            goto uninit;
        }
        printf("mapiclient: logged on to '%s'%s\n", profile,
               delete ? " (marked for deletion)" : "");
    }
    if (hold) {
        printf("mapiclient: holding\n");
        while (fgets(buf, sizeof(buf), stdin))
            ;
    }
    rc = 0;
uninit:
    if (session) {
        IMAPISession_Logoff(session, 0, 0, 0);
        IMAPISession_Release(session);
    }
    if (admin)
        IProfAdmin_Release(admin);
    MAPIUninitialize();
out:
    if (token) {
        RevertToSelf();
        CloseHandle(token);
    }
    if (rc == 0)
        printf("mapiclient: done\n");
    return rc;
}
