/* wrappers.c — the interposed functions of every SYM and NESTED row, generated from calls.h.
 *
 * Deliberately includes no header that declares open() (its libc prototype is variadic; the table
 * gives the three-argument form, which is what the ABI passes): a NESTED row may be an open.
 */
#include "preload/wrap.h"

PT__GEN_RECORDERS
PT__GEN_WRAPPERS
