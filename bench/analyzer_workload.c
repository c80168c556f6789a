/* analyzer_workload.c — `pt_analyzer_workload N`: a service-like program for
 * bench/analyzer.bench.sh to record with `proftrace record`, so that `proftrace report` is measured on a real trace (the
 * shim's events, the collector's CTF files, the reader's decoding). Logs on to a MAPI profile of
 * the sample library, then N times: opens the message store (a nested registry read), opens, reads
 * and closes a registry key, and creates, maps, unmaps and unlinks a POSIX shared-memory object.
 * Each round writes about a dozen events. Needs WINSIM_HIVE_ROOT and WINSIM_NAMESPACE (the script
 * gives private ones). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define COBJMACROS
#include <mapix.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000;
    LPPROFADMIN admin = NULL;
    LPMAPISESSION session = NULL;
    char shm[64];
    snprintf(shm, sizeof shm, "/pt-analyzer-workload-%ld", (long)getpid());
    if (MAPIInitialize(NULL) != S_OK || MAPIAdminProfiles(0, &admin) != S_OK ||
        IProfAdmin_CreateProfile(admin, "Bench", NULL, 0, 0) != S_OK ||
        MAPILogonEx(0, "Bench", NULL, MAPI_NEW_SESSION | MAPI_NO_MAIL, &session) != S_OK) {
        fprintf(stderr, "pt_analyzer_workload: cannot log on to a profile\n");
        return 1;
    }
    for (long i = 0; i < n; i++) {
        LPMDB store = NULL;
        if (IMAPISession_OpenMsgStore(session, 0, 0, NULL, NULL, MDB_NO_DIALOG, &store) == S_OK)
            IMsgStore_Release(store);
        HKEY k;
        if (RegOpenKeyExA(HKEY_CURRENT_USER, "Software", 0, KEY_READ, &k) == ERROR_SUCCESS) {
            DWORD size = 0;
            RegQueryValueExA(k, "Missing", NULL, NULL, NULL, &size);
            RegCloseKey(k);
        }
        int fd = shm_open(shm, O_RDWR | O_CREAT, 0600);
        if (fd >= 0) {
            if (ftruncate(fd, 4096) == 0) {
                void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
                if (p != MAP_FAILED)
                    munmap(p, 4096);
            }
            close(fd);
            shm_unlink(shm);
        }
    }
    IMAPISession_Logoff(session, 0, 0, 0);
    IMAPISession_Release(session);
    IProfAdmin_DeleteProfile(admin, "Bench", 0);
    IProfAdmin_Release(admin);
    MAPIUninitialize();
    return 0;
}
