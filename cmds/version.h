/* version.h — the version of proftrace, from one source: the CMake project's version, plus
 * `git describe` when built from a git checkout (cmake/version.cmake writes it at build time). */
#ifndef PT_CMDS_VERSION_H
#define PT_CMDS_VERSION_H

/* "0.1.0" or "0.1.0 (git e339ba2-dirty)". */
const char *pt__version(void);

#endif
