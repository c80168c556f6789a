/* grow.h — growing the analyzer's index-addressed arrays (records stay where their index says). */
#ifndef PT_ANALYZER_GROW_H
#define PT_ANALYZER_GROW_H

#include <stddef.h>
#include <stdint.h>

/* Make *arr hold at least `need` elements of `elem` bytes, doubling from `first`. Returns 0, or
 * -ENOMEM with *arr and *cap unchanged (the array stays valid). */
int pt__grow(void **arr, uint32_t *cap, uint32_t need, size_t elem, uint32_t first);

#endif
