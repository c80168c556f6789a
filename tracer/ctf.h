/* ctf.h — writing the CTF side of a trace directory: metadata (internal to the tracer). */
#ifndef PT_TRACER_CTF_H
#define PT_TRACER_CTF_H

#include <stdint.h>

/* The TSDL text (malloc'ed, NULL on failure). realtime_offset: CLOCK_REALTIME - CLOCK_MONOTONIC. */
char *pt__ctf_metadata(int64_t realtime_offset);

/* Write <dir>/metadata atomically unless it exists. 0 or a negative errno. */
int pt__ctf_write_metadata(const char *dir, int64_t realtime_offset);

/* The event table hash recorded in metadata file `path` (env.table_hash): 1 and *hash, 0 when the
 * file has none (written before proftrace recorded one, or not proftrace's), or a negative errno. */
int pt__ctf_metadata_hash(const char *path, uint64_t *hash);

#endif
