/* buffer.c — MAPI memory: MAPIAllocateBuffer, MAPIAllocateMore (blocks chained to a parent and
 * freed with it), MAPIFreeBuffer, and FreeProws for row sets. */
#include <stdlib.h>

#include <mapiutil.h>

struct block {
    struct block *more; /* blocks allocated with MAPIAllocateMore on this one */
    max_align_t data[];
};

static struct block *block_of(LPVOID p)
{
    return (struct block *)((char *)p - offsetof(struct block, data));
}

STDAPI_(SCODE) MAPIAllocateBuffer(ULONG cbSize, LPVOID *lppBuffer)
{
    struct block *b = calloc(1, sizeof(*b) + cbSize);

    if (!lppBuffer)
        return MAPI_E_INVALID_PARAMETER;
    if (!b)
        return MAPI_E_NOT_ENOUGH_MEMORY;
    *lppBuffer = b->data;
    return S_OK;
}

STDAPI_(SCODE) MAPIAllocateMore(ULONG cbSize, LPVOID lpObject, LPVOID *lppBuffer)
{
    struct block *parent, *b;

    if (!lpObject || !lppBuffer)
        return MAPI_E_INVALID_PARAMETER;
    parent = block_of(lpObject);
    b = calloc(1, sizeof(*b) + cbSize);
    if (!b)
        return MAPI_E_NOT_ENOUGH_MEMORY;
    b->more = parent->more;
    parent->more = b;
    *lppBuffer = b->data;
    return S_OK;
}

STDAPI_(ULONG) MAPIFreeBuffer(LPVOID lpBuffer)
{
    struct block *b;

    if (!lpBuffer)
        return 0;
    b = block_of(lpBuffer);
    while (b) {
        struct block *next = b->more;
        free(b);
        b = next;
    }
    return 0;
}

STDAPI_(void) FreeProws(LPSRowSet lpRows)
{
    if (!lpRows)
        return;
    for (ULONG i = 0; i < lpRows->cRows; i++)
        MAPIFreeBuffer(lpRows->aRow[i].lpProps);
    MAPIFreeBuffer(lpRows);
}
