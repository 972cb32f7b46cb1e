/* Exports: DismInitialize, DismShutdown, DismGetLastErrorMessage, DismDelete. */
#include <stdlib.h>
#include "lab.h"

/* Converts an optional PCWSTR; *out stays NULL for NULL. */
HRESULT WINAPI DismInitialize(DismLogLevel LogLevel, PCWSTR LogFilePath, PCWSTR ScratchDirectory)
{
    lab_call c;
    char *log = NULL, *scratch = NULL;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_NEEDS_ROOT | LAB_CALL_SETS_ERROR);
    if (hr == LAB_S_OK)
        hr = abi_utf8(LogFilePath, &log);
    if (hr == LAB_S_OK)
        hr = abi_utf8(ScratchDirectory, &scratch);
    if (hr == LAB_S_OK)
        hr = process_initialize((int)LogLevel, log, scratch);
    free(log);
    free(scratch);
    return call_leave(&c, hr);
}

HRESULT WINAPI DismShutdown(void)
{
    lab_call c;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = process_shutdown();
    return call_leave(&c, hr);
}

/* Works without DismInitialize: the failure being explained may be
 * DismInitialize's own.  With no failure on this thread yet it returns
 * HRESULT_FROM_WIN32(ERROR_NOT_FOUND) and leaves *ErrorMessage NULL. */
HRESULT WINAPI DismGetLastErrorMessage(DismString **ErrorMessage)
{
    lab_call c;
    if (ErrorMessage)
        *ErrorMessage = NULL;
    HRESULT hr = call_enter(&c, __func__, 0);
    if (hr == LAB_S_OK && !ErrorMessage)
        hr = LAB_E_INVALIDARG;
    const char *msg = lab_error_get();
    if (hr == LAB_S_OK && !msg)
        hr = LAB_E_NOT_FOUND;
    lab_arena a;
    if (hr == LAB_S_OK && arena_init(&a, sizeof(DismString) + arena_wstr_bound(msg)) != 0)
        hr = LAB_E_OUTOFMEMORY;
    if (hr == LAB_S_OK) {
        DismString *s = arena_take(&a, sizeof(DismString));
        s->Value = arena_wstr(&a, msg);
        if (!(*ErrorMessage = arena_publish(&a)))
            hr = LAB_E_OUTOFMEMORY;
    }
    return call_leave(&c, hr);
}

/* Works without DismInitialize too: memory outlives DismShutdown. */
HRESULT WINAPI DismDelete(VOID *DismStructure)
{
    lab_call c;
    HRESULT hr = call_enter(&c, __func__, 0);
    if (hr == LAB_S_OK)
        hr = lab_mem_release(DismStructure);
    return call_leave(&c, hr);
}
