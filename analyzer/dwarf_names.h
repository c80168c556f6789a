/* dwarf_names.h — function names from DWARF entries (see dwarf_names.c). */
#ifndef PT_ANALYZER_DWARF_NAMES_H
#define PT_ANALYZER_DWARF_NAMES_H

#include <elfutils/libdw.h>
#include <stddef.h>

/* The name of the function of `die` (a subprogram or an inlined call): for C++ (cplusplus set)
 * qualified and with its parameter types, "svc::remove_backing(char const*)", written into buf;
 * else DW_AT_name. Returns buf, the bare name when buf is too small, or NULL when it has none. */
const char *pt__dwarf_func_name(Dwarf_Die *die, int cplusplus, char *buf, size_t len);

#endif
