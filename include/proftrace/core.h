/* core.h — recovering the rings of a dumped process from its core file (`proftrace core`). */
#ifndef PROFTRACE_CORE_H
#define PROFTRACE_CORE_H

#include <stdint.h>
#include <stdio.h>

struct pt_core_result {
    uint32_t core_pid; /* pid from NT_PRSTATUS (the dumping kernel's or gdb's view), 0 if none */
    int signo;         /* pr_cursig of the first thread: the signal that killed it (0 for gcore) */
    unsigned rings;    /* rings recovered */
    unsigned missing;  /* ring mappings named in NT_FILE whose bytes the core does not hold */
    uint64_t bytes;    /* ring bytes copied */
};

/* Read core file `core` with libelf: find every mapping of a "*.ring" file in its NT_FILE note,
 * copy the bytes of those mappings from the PT_LOAD segments into `outdir`/rings/<ring name>
 * (sparse: pages of zeros are not written), so that every trace reader takes them as undrained
 * rings. Progress and problems are written to `log` as one line each, naming the core and the
 * ring. Returns 0 when at least one ring was recovered, -ENOENT when the core maps no ring,
 * -ENODATA when rings were mapped but none is in the dump (coredump_filter), another negative
 * errno on I/O or format errors (`log` said why); *res is filled in every case. */
int pt_core_recover(const char *core, const char *outdir, FILE *log, struct pt_core_result *res);

#endif
