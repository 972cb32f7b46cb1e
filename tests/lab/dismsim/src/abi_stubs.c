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

HRESULT WINAPI DismAddPackage(DismSession Session, PCWSTR PackagePath, WINBOOL IgnoreCheck,
                              WINBOOL PreventPending, HANDLE CancelEvent,
                              DISM_PROGRESS_CALLBACK Progress, PVOID UserData)
{
    UNUSED(PackagePath); UNUSED(IgnoreCheck); UNUSED(PreventPending);
    UNUSED(CancelEvent); UNUSED(Progress); UNUSED(UserData);
    return stub(__func__, 1, Session);
}

HRESULT WINAPI DismRemovePackage(DismSession Session, PCWSTR Identifier,
                                 DismPackageIdentifier PackageIdentifier, HANDLE CancelEvent,
                                 DISM_PROGRESS_CALLBACK Progress, PVOID UserData)
{
    UNUSED(Identifier); UNUSED(PackageIdentifier); UNUSED(CancelEvent); UNUSED(Progress); UNUSED(UserData);
    return stub(__func__, 1, Session);
}

HRESULT WINAPI DismGetPackages(DismSession Session, DismPackage **Package, UINT *Count)
{
    CLEAR(Package); CLEAR(Count);
    return stub(__func__, 1, Session);
}

HRESULT WINAPI DismGetPackageInfo(DismSession Session, PCWSTR Identifier,
                                  DismPackageIdentifier PackageIdentifier, DismPackageInfo **PackageInfo)
{
    UNUSED(Identifier); UNUSED(PackageIdentifier);
    CLEAR(PackageInfo);
    return stub(__func__, 1, Session);
}

HRESULT WINAPI DismGetPackageInfoEx(DismSession Session, PCWSTR Identifier,
                                    DismPackageIdentifier PackageIdentifier, DismPackageInfoEx **PackageInfoEx)
{
    UNUSED(Identifier); UNUSED(PackageIdentifier);
    CLEAR(PackageInfoEx);
    return stub(__func__, 1, Session);
}

HRESULT WINAPI DismApplyUnattend(DismSession Session, PCWSTR UnattendFile, WINBOOL SingleSession)
{
    UNUSED(UnattendFile); UNUSED(SingleSession);
    return stub(__func__, 1, Session);
}

HRESULT WINAPI DismGetCapabilities(DismSession Session, DismCapability **Capability, UINT *Count)
{
    CLEAR(Capability); CLEAR(Count);
    return stub(__func__, 1, Session);
}

HRESULT WINAPI DismGetCapabilityInfo(DismSession Session, PCWSTR Name, DismCapabilityInfo **Info)
{
    UNUSED(Name);
    CLEAR(Info);
    return stub(__func__, 1, Session);
}

HRESULT WINAPI DismAddCapability(DismSession Session, PCWSTR Name, WINBOOL LimitAccess, PCWSTR *SourcePaths,
                                 UINT SourcePathCount, HANDLE CancelEvent,
                                 DISM_PROGRESS_CALLBACK Progress, PVOID UserData)
{
    UNUSED(Name); UNUSED(LimitAccess); UNUSED(SourcePaths); UNUSED(SourcePathCount);
    UNUSED(CancelEvent); UNUSED(Progress); UNUSED(UserData);
    return stub(__func__, 1, Session);
}

HRESULT WINAPI DismRemoveCapability(DismSession Session, PCWSTR Name, HANDLE CancelEvent,
                                    DISM_PROGRESS_CALLBACK Progress, PVOID UserData)
{
    UNUSED(Name); UNUSED(CancelEvent); UNUSED(Progress); UNUSED(UserData);
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
