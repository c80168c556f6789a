/* ctf.h — writing the CTF side of a trace directory: metadata (internal to the tracer). */
#ifndef PT_TRACER_CTF_H
#define PT_TRACER_CTF_H

#include <stdint.h>

/* The TSDL text (malloc'ed, NULL on failure). realtime_offset: CLOCK_REALTIME - CLOCK_MONOTONIC. */
char *pt__ctf_metadata(int64_t realtime_offset);

/* Write <dir>/metadata atomically unless it exists. 0 or a negative errno. */
int pt__ctf_write_metadata(const char *dir, int64_t realtime_offset);

/* Metadata is bounded: a larger file is not proftrace's. */
#define PT__META_MAX (1u << 20)

/* Read metadata file `name` of directory dirfd (AT_FDCWD: a path) as every reader opens a file
 * (tracer/files.h: no symbolic link followed, never blocking, a regular file only), at most
 * PT__META_MAX bytes. 0 and *text (malloc'ed, NUL-terminated), or a negative errno: -EFBIG when
 * larger than PT__META_MAX, -ELOOP / -EINVAL (pt_trace_file_error says why), what open said. */
int pt__ctf_metadata_read(int dirfd, const char *name, char **text);

/* From metadata text: the event table hash (env.table_hash; returns 1, 0 when there is none:
 * written before proftrace recorded one, or not proftrace's) and the clock's CLOCK_REALTIME
 * offset (offset_s, offset), *have_offset saying whether it had one. */
int pt__ctf_metadata_parse(const char *text, uint64_t *hash, int64_t *realtime_offset,
                           int *have_offset);

#endif
