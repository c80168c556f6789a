/* tracer_tool_flood.c — one thread floods its buffer with bulk events and deletes now and then:
 * the traced program of the ring scripts (tracer_reserve_flood.sh, tracer_noloss.sh,
 * tracer_flight_record.sh, fault_diskfull.sh). The bulk calls are RegQueryValueExA of libptflood.so
 * (it answers at once), the deletes shm_unlink of names that do not exist (a failed delete:
 * decisive twice over), so a trace must hold exactly Q queries and D deletes. Not a test by itself.
 *
 *   tracer_tool_flood Q D [DONE]   Q queries, a delete after every Q/D of them; then prints
 *                                  "queries Q deletes D bad 0" and, when given, creates file DONE
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

typedef unsigned int DWORD;
typedef long LONG;
typedef struct HKEY__ *HKEY;
LONG RegQueryValueExA(HKEY key, const char *name, DWORD *reserved, DWORD *type, unsigned char *data,
                      DWORD *cb);

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: tracer_tool_flood QUERIES DELETES [DONE]\n");
        return 2;
    }
    long q = atol(argv[1]), d = atol(argv[2]);
    long every = d > 0 ? q / d : q + 1, deleted = 0, bad = 0;
    char name[64];
    for (long i = 1; i <= q; i++) {
        unsigned char data[8];
        DWORD len = sizeof data;
        if (RegQueryValueExA((HKEY)0x80000001, "001e6614", NULL, NULL, data, &len) != 0)
            bad++;
        if (i % every == 0 && deleted < d) {
            snprintf(name, sizeof name, "/pt-flood-%d-%ld", (int)getpid(), deleted++);
            errno = 0;
            if (shm_unlink(name) != -1 || errno != ENOENT)
                bad++;
        }
    }
    printf("queries %ld deletes %ld bad %ld\n", q, deleted, bad);
    fflush(stdout);
    if (argc > 3) {
        int fd = open(argv[3], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0)
            close(fd);
    }
    return bad ? 1 : 0;
}
