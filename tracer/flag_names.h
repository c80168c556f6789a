/* flag_names.h — call arguments shown by the names of their constants (include/proftrace/
 * call_flags.h says which field takes which set; flag_names.c holds the sets). */
#ifndef PT_TRACER_FLAG_NAMES_H
#define PT_TRACER_FLAG_NAMES_H

#include <stddef.h>
#include <stdint.h>

struct pt__flagset;

/* The set of named constants field `field` (index in the class's field list) of event class `id`
 * takes, or NULL (not a call, or a field without one). */
const struct pt__flagset *pt__flagset_of(unsigned id, unsigned field);

/* Value v of a field of set s as text, like snprintf into buf[len]: "O_RDWR|O_CREAT|O_EXCL",
 * "IPC_CREAT|0600", "KEY_READ|0x40000000" (bits no constant names, in hex), "0". Returns the length
 * needed, or 0 when s is a list of values that does not name v (show it as a plain number). */
size_t pt__flags_text(const struct pt__flagset *s, uint64_t v, char *buf, size_t len);

#endif
