/*
 * Exports the lab does not simulate yet.  They exist with their exact
 * signatures, apply the process and session rules (not initialized, unknown
 * session, injected faults) and then return E_NOTIMPL with a last-error
 * message saying so, rather than pretending to have done the work.
 * Out-pointers are cleared so a caller that DismDeletes them is safe.
 */
#include "lab.h"

#define UNUSED(x) ((void)(x))
#define CLEAR(p) do { if (p) *(p) = 0; } while (0)

static HRESULT stub(const char *func, int uses_session, DismSession id)
{
    lab_call c;
    lab_session *s = NULL;
    HRESULT hr = call_enter(&c, func, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK && uses_session)
        hr = session_acquire(id, &s);
    if (hr == LAB_S_OK)
        hr = call_not_simulated(func);
    session_release(s);
    return call_leave(&c, hr);
}

/* ---- session operations ---- */

HRESULT WINAPI DismRestoreImageHealth(DismSession Session, PCWSTR *SourcePaths, UINT SourcePathCount,
                                      WINBOOL LimitAccess, HANDLE CancelEvent,
                                      DISM_PROGRESS_CALLBACK Progress, PVOID UserData)
{
    UNUSED(SourcePaths); UNUSED(SourcePathCount); UNUSED(LimitAccess);
    UNUSED(CancelEvent); UNUSED(Progress); UNUSED(UserData);
    return stub(__func__, 1, Session);
}

HRESULT WINAPI DismApplyUnattend(DismSession Session, PCWSTR UnattendFile, WINBOOL SingleSession)
{
    UNUSED(UnattendFile); UNUSED(SingleSession);
    return stub(__func__, 1, Session);
}

HRESULT WINAPI DismGetReservedStorageState(DismSession Session, PDWORD State)
{
    UNUSED(State);
    return stub(__func__, 1, Session);
}

HRESULT WINAPI DismSetReservedStorageState(DismSession Session, DWORD State)
{
    UNUSED(State);
    return stub(__func__, 1, Session);
}
