/* lasterror.c — GetLastError / SetLastError: one error slot per thread, as on Windows. */
#include <windows.h>

static __thread DWORD last_error;

WINBASEAPI DWORD WINAPI GetLastError(void)
{
    return last_error;
}

WINBASEAPI void WINAPI SetLastError(DWORD dwErrCode)
{
    last_error = dwErrCode;
}
