/* guid.c — the interface identifiers (the real MAPI values). */
#include <mapiguid.h>

#define MAPI_GUID(name, d1) const IID name = {d1, 0, 0, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}}

MAPI_GUID(IID_IUnknown, 0x00000000);
MAPI_GUID(IID_IMAPISession, 0x00020300);
MAPI_GUID(IID_IMAPITable, 0x00020301);
MAPI_GUID(IID_IMAPIProp, 0x00020303);
MAPI_GUID(IID_IMsgStore, 0x00020306);
MAPI_GUID(IID_IProfAdmin, 0x0002031C);
