/* Exports: DismMountImage, DismUnmountImage, DismRemountImage, DismCleanupMountpoints,
 * DismCommitImage (the rules are in model_mount.c, model_unmount.c, model_remount.c). */
#include <stdlib.h>
#include "lab.h"

/* Converts an optional PCWSTR; *out stays NULL for NULL. */
HRESULT WINAPI DismMountImage(PCWSTR ImageFilePath, PCWSTR MountPath, UINT ImageIndex, PCWSTR ImageName,
                              DismImageIdentifier ImageIdentifier, DWORD Flags, HANDLE CancelEvent,
                              DISM_PROGRESS_CALLBACK Progress, PVOID UserData)
{
    lab_call c;
    char *image = NULL, *mount = NULL, *name = NULL;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = abi_utf8(ImageFilePath, &image);
    if (hr == LAB_S_OK)
        hr = abi_utf8(MountPath, &mount);
    if (hr == LAB_S_OK)
        hr = abi_utf8(ImageName, &name);
    if (hr == LAB_S_OK) {
        lab_mount_args a = { image, mount, ImageIndex, ImageIdentifier == DismImageName ? name : NULL,
                             (int)ImageIdentifier, Flags };
        lab_progress p;
        progress_init(&p, CancelEvent, Progress, UserData, 0);
        hr = mount_image(&a, &p);
    }
    free(image);
    free(mount);
    free(name);
    return call_leave(&c, hr);
}

HRESULT WINAPI DismUnmountImage(PCWSTR MountPath, DWORD Flags, HANDLE CancelEvent,
                                DISM_PROGRESS_CALLBACK Progress, PVOID UserData)
{
    lab_call c;
    char *mount = NULL;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = abi_utf8(MountPath, &mount);
    if (hr == LAB_S_OK) {
        lab_progress p;
        progress_init(&p, CancelEvent, Progress, UserData, 0);
        hr = unmount_image(mount, Flags, &p);
    }
    free(mount);
    return call_leave(&c, hr);
}

HRESULT WINAPI DismRemountImage(PCWSTR MountPath)
{
    lab_call c;
    char *mount = NULL;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = abi_utf8(MountPath, &mount);
    if (hr == LAB_S_OK)
        hr = remount_image(mount);
    free(mount);
    return call_leave(&c, hr);
}

HRESULT WINAPI DismCleanupMountpoints(void)
{
    lab_call c;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = cleanup_mountpoints();
    return call_leave(&c, hr);
}

HRESULT WINAPI DismCommitImage(DismSession Session, DWORD Flags, HANDLE CancelEvent,
                               DISM_PROGRESS_CALLBACK Progress, PVOID UserData)
{
    lab_call c;
    lab_session *s = NULL;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = session_acquire(Session, &s);
    if (hr == LAB_S_OK) {
        lab_progress p;
        progress_init(&p, CancelEvent, Progress, UserData, 0);
        hr = commit_session(s, Flags, &p);
    }
    session_release(s);
    return call_leave(&c, hr);
}
