/* dwarf_line.h — file:line from DWARF line tables (see dwarf_line.c). */
#ifndef PT_ANALYZER_DWARF_LINE_H
#define PT_ANALYZER_DWARF_LINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef PT_HAVE_LIBELF
#include <libelf.h>
/* The source file and line of ELF address `addr` (not biased). Returns 0, or -1 when no line
 * table covers it. `file` gets "dir/name" as recorded at build time. */
int pt__dwarf_line(Elf *elf, uint64_t addr, char *file, size_t len, unsigned *line);
#endif

#endif
