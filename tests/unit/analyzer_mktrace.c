/* analyzer_mktrace.c — writes a real trace directory (one ring per process, through the tracer's
 * ring writer, one forked writer process per traced process) from a hand-built scenario, for the
 * analyzer's input tests:
 *     analyzer_mktrace DIR bug2|clean [PROFILE [EXE]]
 *     analyzer_mktrace --corrupt FILE SEED   overwrite bytes inside FILE's written data
 * bug2: the service holds a marked profile, a client in another login session sweeps it, the
 * service fails (one finding); clean: the same client but the service logged off first. PROFILE
 * and EXE name the profile and the service's executable (the readers' tests give hostile ones). */
#define _GNU_SOURCE
#include "tests/unit/analyzer_scn_rings.h"

#define INUSE "Local\\MAPISIM_InUse_S-1-5-21-1000"

/* Overwrite 1..64 bytes at a seed-chosen place among the written (non-zero) bytes past the first
 * page of a ring, so the damage hits events, not the unused tail of the file. */
static int corrupt(const char *path, unsigned seed)
{
    FILE *f = fopen(path, "r+b");
    if (!f)
        return 2;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    long lo = -1, hi = -1;
    unsigned char buf[65536];
    for (long off = 0; off < size; off += (long)sizeof buf) {
        fseek(f, off, SEEK_SET);
        size_t n = fread(buf, 1, sizeof buf, f);
        for (size_t i = 0; i < n; i++)
            if (buf[i] && off + (long)i >= 4096) {
                if (lo < 0)
                    lo = off + (long)i;
                hi = off + (long)i;
            }
    }
    if (lo < 0)
        lo = 0, hi = size > 0 ? size - 1 : 0;
    srand(seed);
    long at = lo + (hi > lo ? rand() % (hi - lo + 1) : 0);
    int n = 1 + rand() % 64;
    fseek(f, at, SEEK_SET);
    for (int i = 0; i < n; i++)
        fputc(rand() & 0xff, f);
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "--corrupt"))
        return corrupt(argv[2], (unsigned)atoi(argv[3]));
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: analyzer_mktrace DIR bug2|clean [PROFILE [EXE]]\n");
        return 2;
    }
    struct scn *s = scn_new();
    s->sink = scn_keep;
    /* after the writers' own events (thread claims are stamped with the real clock): a ring keeps
     * time non-decreasing, so events stamped before those would be moved */
    s->ts = pt_now() + 10000000000ull;
    static const uint64_t sweep[] = {700, 0};
    const char *names[] = {argc > 3 ? argv[3] : "EvtSvc-1"};
    proc(s, 100, WHO(), argc > 4 ? argv[4] : "/usr/lib/eventsvc");
    struct lib a = mapi_init(s, 100, INUSE, 500, NULL, NULL, NULL);
    uint64_t session = logon(s, &a, names[0], 700);
    mark(s, &a, names[0], 900);
    if (!strcmp(argv[2], "clean")) {
        release(s, &a, session, names[0], 0);
        reg_close(s, 100, 0, 0x5002);
    }
    proc(s, 200, WHO(.session = 7, .start = 2), "/usr/bin/mapiclient");
    mapi_init(s, 200, INUSE, 501, NULL, sweep, names);
    if (!strcmp(argv[2], "bug2"))
        open_msg_store_fails(s, 100, session, 0x5002);
    EXIT(s, 200);
    EXIT(s, 100);
    int rc = scn_write_proc(argv[1], 100) || scn_write_proc(argv[1], 200);
    scn_free(s);
    if (rc || failures) {
        fprintf(stderr, "analyzer_mktrace: could not write the trace\n");
        return 2;
    }
    return 0;
}
