/* names.c — event class names and categories, expanded from the one table (calls.h), and the
 * names of the Win32 / MAPI error codes a report shows. */
#include <stddef.h>

#include "analyzer/model.h"

static const char *const ev_names[PT__NIDS] = {
#define EVN(name, fields) #name,
    PT_EVENTS(EVN, _)
#undef EVN
#define CALLN(name, cat, hook, cret, cparams, cargs, retk, fields) #name,
        PT_CALLS(CALLN, _)
#undef CALLN
};

static const int call_cat[PT_CALL_COUNT] = {
#define CALLC(name, cat, hook, cret, cparams, cargs, retk, fields) PT_CAT_##cat,
    PT_CALLS(CALLC, _)
#undef CALLC
};

const char *pt__ev_name(unsigned id)
{
    return id < PT__NIDS ? ev_names[id] : NULL;
}

int pt__ev_category(unsigned id)
{
    if (id < PT_EV_CALL_FIRST || id >= PT__NIDS)
        return -1;
    return call_cat[id - PT_EV_CALL_FIRST];
}

const char *pt__win32_error_name(int64_t code)
{
    switch (code) {
    case 0:
        return "ERROR_SUCCESS";
    case 2:
        return "ERROR_FILE_NOT_FOUND";
    case 3:
        return "ERROR_PATH_NOT_FOUND";
    case 5:
        return "ERROR_ACCESS_DENIED";
    case 6:
        return "ERROR_INVALID_HANDLE";
    case 183:
        return "ERROR_ALREADY_EXISTS";
    case 259:
        return "ERROR_NO_MORE_ITEMS";
    case 1018:
        return "ERROR_KEY_DELETED";
    default:
        return NULL;
    }
}

const char *pt__hresult_name(uint32_t hr)
{
    switch (hr) {
    case 0:
        return "S_OK";
    case 0x80004005u:
        return "MAPI_E_CALL_FAILED";
    case 0x8004010Fu:
        return "MAPI_E_NOT_FOUND";
    case 0x80040111u:
        return "MAPI_E_LOGON_FAILED";
    case 0x80070005u:
        return "E_ACCESSDENIED";
    case 0x80070057u:
        return "E_INVALIDARG";
    case 0x8007000Eu:
        return "E_OUTOFMEMORY";
    default:
        return NULL;
    }
}
