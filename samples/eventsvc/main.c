/* eventsvc — the Event Script service of the case: logs on to a temporary profile, deletes the
 * profile right after logon (so it does not clutter the registry), then handles meeting requests,
 * each of which opens the message store.
 *
 * Protocol (so scripts synchronise by handshakes, never by sleeping): after startup it prints
 * "eventsvc: ready ..."; then every line read on stdin is the subject of one meeting request, and
 * it prints exactly one line per request: "eventsvc: processed ..." or the fatal error of the
 * case's event 11. At end of input it logs off and prints "eventsvc: stopped". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COBJMACROS
#include <mapix.h>

static void usage(void)
{
    fprintf(stderr, "usage: eventsvc [--profile NAME]\n"
                    "  reads one meeting-request subject per line on stdin\n");
}

/* Handles one meeting request; prints its one result line. */
static void process(LPMAPISESSION session, const char *subject)
{
    LPMDB store = NULL;
    LPSPropValue props = NULL;
    ULONG count = 0;
    HRESULT hr;

    hr = IMAPISession_OpenMsgStore(session, 0, 0, NULL, NULL, MDB_NO_DIALOG | MAPI_BEST_ACCESS,
                                   &store);
    if (FAILED(hr)) {
        /* All the service ever says about it, as in the case. */
        printf("A fatal error (0x%08X) occurred in an IExchangeEventSink while processing message "
               "[Subject = '%s']\n",
               (unsigned)hr, subject);
        return;
    }
    hr = IMsgStore_GetProps(store, NULL, 0, &count, &props);
    printf("eventsvc: processed message [Subject = '%s'] in store '%s'\n", subject,
           SUCCEEDED(hr) && count > 0 && props[0].ulPropTag == PR_DISPLAY_NAME_A
               ? props[0].Value.lpszA
               : "?");
    MAPIFreeBuffer(props);
    IMsgStore_Release(store);
}

int main(int argc, char **argv)
{
    MAPIINIT_0 init = {MAPI_INIT_VERSION, MAPI_NT_SERVICE | MAPI_MULTITHREAD_NOTIFICATIONS};
    char profile[128], line[1024];
    LPPROFADMIN admin = NULL;
    LPMAPISESSION session = NULL;
    HRESULT hr;

    snprintf(profile, sizeof(profile), "EventScript-%d", (int)getpid());
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--profile") && i + 1 < argc) {
            snprintf(profile, sizeof(profile), "%s", argv[++i]);
        } else {
            usage();
            return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);

    hr = MAPIInitialize(&init);
    if (FAILED(hr)) {
        fprintf(stderr, "eventsvc: MAPIInitialize failed (0x%08X)\n", (unsigned)hr);
        return 1;
    }
    hr = MAPIAdminProfiles(0, &admin);
    if (SUCCEEDED(hr))
        hr = IProfAdmin_CreateProfile(admin, profile, NULL, 0, 0);
    if (FAILED(hr)) {
        fprintf(stderr, "eventsvc: cannot create profile '%s' (0x%08X)\n", profile, (unsigned)hr);
        goto out;
    }
    hr = MAPILogonEx(0, profile, NULL,
                     MAPI_NEW_SESSION | MAPI_EXPLICIT_PROFILE | MAPI_EXTENDED | MAPI_NO_MAIL,
                     &session);
    if (FAILED(hr)) {
        fprintf(stderr, "eventsvc: MAPILogonEx('%s') failed (0x%08X)\n", profile, (unsigned)hr);
        goto out;
    }
    /* Right after logon: the profile is in use, so this only marks it for deletion. */
    hr = IProfAdmin_DeleteProfile(admin, profile, 0);
    if (FAILED(hr)) {
        fprintf(stderr, "eventsvc: DeleteProfile('%s') failed (0x%08X)\n", profile, (unsigned)hr);
        goto out;
    }
    IProfAdmin_Release(admin);
    admin = NULL;
    printf("eventsvc: ready (profile '%s', pid %d)\n", profile, (int)getpid());

    while (fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\r\n")] = '\0';
        process(session, line);
    }
    hr = S_OK;
out:
    if (session) {
        IMAPISession_Logoff(session, 0, 0, 0);
        IMAPISession_Release(session);
    }
    if (admin)
        IProfAdmin_Release(admin);
    MAPIUninitialize();
    if (SUCCEEDED(hr))
        printf("eventsvc: stopped\n");
    return FAILED(hr) ? 1 : 0;
}
