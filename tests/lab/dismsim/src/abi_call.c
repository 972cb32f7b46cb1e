/*
 * The prologue and epilogue every exported function runs, so the process
 * rules, fault injection, logging and the last-error message are applied in
 * one place:
 *
 *   enter: count the call (calls.c) -> DISM_LAB_ROOT set? -> initialized? -> injected fault?
 *   leave: failure -> last-error message (if the call set none) + log line;
 *          success -> an injected success code (1, 3010) replaces S_OK.
 */
#include <stdlib.h>
#include "lab.h"

HRESULT call_enter(lab_call *c, const char *func, int flags)
{
    calls_count(func);   /* first, so every call of every export is counted, refused ones too */
    c->func = func;
    c->flags = flags;
    c->fault.late_success = 0;
    if (flags & LAB_CALL_SETS_ERROR)
        lab_error_mark();
    if ((flags & LAB_CALL_NEEDS_ROOT) && !lab_root())
        return lab_fail(LAB_E_ENVVAR_NOT_FOUND,
                        "DISM_LAB_ROOT is not set, so the DISM lab does not know which simulated host to use.");
    if ((flags & LAB_CALL_NEEDS_INIT) && !process_is_initialized())
        return lab_fail(LAB_E_NOT_INITIALIZED, "Call DismInitialize before %s.", func);
    HRESULT hr = faults_check(func, &c->fault);
    if (hr == LAB_S_OK)
        log_write(LAB_LOG_INFO, func, "Enter %s", func);
    return hr;
}

HRESULT call_leave(lab_call *c, HRESULT hr)
{
    /* DismGetLastErrorMessage/DismDelete failures are not "errors" worth a
     * log line or a new message: they are about the caller's bookkeeping. */
    if (LAB_FAILED(hr) && (c->flags & LAB_CALL_SETS_ERROR)) {
        if (!lab_error_fresh())
            lab_fail(hr, "(%s)", c->func);
        log_write(LAB_LOG_ERROR, c->func, "%s failed. hr = 0x%08x - %s", c->func, (unsigned)hr,
                  lab_error_get() ? lab_error_get() : "");
        return hr;
    }
    if (!LAB_FAILED(hr) && c->fault.late_success)
        hr = c->fault.late_success;
    log_write(LAB_LOG_INFO, c->func, "Leave %s (hr = 0x%08x)", c->func, (unsigned)hr);
    return hr;
}

HRESULT call_not_simulated(const char *func)
{
    return lab_fail(LAB_E_NOTIMPL, "%s is not simulated by the DISM lab yet.", func);
}

/* Argument conversion the exports share: optional strings (NULL stays NULL) and
 * string arrays such as SourcePaths. */
HRESULT abi_utf8(PCWSTR in, char **out)
{
    *out = NULL;
    if (in && !(*out = u16_to_utf8(in)))
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    return LAB_S_OK;
}

HRESULT abi_utf8_array(PCWSTR *in, UINT count, char ***out)
{
    *out = NULL;
    if (count == 0)
        return LAB_S_OK;
    if (!in)
        return lab_fail(LAB_E_INVALIDARG, "SourcePaths is required when SourcePathCount is not 0.");
    if (!(*out = calloc(count, sizeof(char *))))
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    HRESULT hr = LAB_S_OK;
    for (UINT i = 0; hr == LAB_S_OK && i < count; i++)
        hr = abi_utf8(in[i], &(*out)[i]);
    return hr;   /* on failure *out still holds what was converted: abi_free_array frees it */
}

void abi_free_array(char **list, UINT count)
{
    for (UINT i = 0; list && i < count; i++)
        free(list[i]);
    free(list);
}
