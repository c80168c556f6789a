/* mapiutil.h — MAPI utility functions libmapisim provides. */
#ifndef MAPISIM_MAPIUTIL_H
#define MAPISIM_MAPIUTIL_H

#include <mapidefs.h>

/* Frees a row set from IMAPITable::QueryRows: every row's properties, then the set. */
STDAPI_(void) FreeProws(LPSRowSet lpRows);

#endif
