/* Exports: DismOpenSession, DismCloseSession. */
#include <stdlib.h>
#include "lab.h"

HRESULT WINAPI DismOpenSession(PCWSTR ImagePath, PCWSTR WindowsDirectory, PCWSTR SystemDrive,
                               DismSession *Session)
{
    lab_call c;
    char *path = NULL, *windir = NULL, *drive = NULL;
    if (Session)
        *Session = DISM_SESSION_DEFAULT;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK && (!ImagePath || !Session))
        hr = lab_fail(LAB_E_INVALIDARG, "ImagePath and Session are required.");
    if (hr == LAB_S_OK) {
        path = u16_to_utf8(ImagePath);
        windir = WindowsDirectory ? u16_to_utf8(WindowsDirectory) : NULL;
        drive = SystemDrive ? u16_to_utf8(SystemDrive) : NULL;
        if (!path || (WindowsDirectory && !windir) || (SystemDrive && !drive))
            hr = lab_fail(LAB_E_OUTOFMEMORY, NULL);
    }
    UINT id = 0;
    if (hr == LAB_S_OK)
        hr = session_open(path, windir, drive, &id);
    if (hr == LAB_S_OK)
        *Session = id;
    free(path);
    free(windir);
    free(drive);
    return call_leave(&c, hr);
}

HRESULT WINAPI DismCloseSession(DismSession Session)
{
    lab_call c;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = session_close(Session);
    return call_leave(&c, hr);
}
