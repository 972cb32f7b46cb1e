/*
 * Mount status and recovery (dism-api.md 6.9): DismRemountImage,
 * DismCleanupMountpoints, and the check DismOpenSession makes.
 *
 *   status        how the lab gets there                 recovery
 *   Ok            DismMountImage, DismRemountImage       -
 *   NeedsRemount  state/boot-id changed ("reboot")       DismRemountImage, or discard
 *   Invalid       status=invalid in the registry entry   discard, then DismCleanupMountpoints
 *                 (labctl.py invalidate)
 *
 * DismRemountImage(MountPath): not a mount -> 0xC0040007; a session of a live
 * process open on it -> 0xC004000C; Invalid -> 0x80070570 (the lab's choice);
 * Ok -> S_OK with nothing to do; NeedsRemount -> Ok under the current boot id.
 * DismCleanupMountpoints(): every Invalid mount loses its folder's contents
 * and its registry entry; Ok and NeedsRemount mounts are left alone.
 * DismOpenSession on NeedsRemount -> 0xC1510114; on Invalid -> 0x80070570.
 */
#include <stdlib.h>
#include "lab.h"
#include "model_paths.h"

static HRESULT invalid(const lab_mount *m)
{
    return lab_fail(LAB_E_FILE_CORRUPT, "The mount at %s is invalid; unmount it with DISM_DISCARD_IMAGE and "
                    "call DismCleanupMountpoints.", m->mount_path);
}

HRESULT remount_image(const char *mount_path)
{
    if (!mount_path)
        return lab_fail(LAB_E_INVALIDARG, "MountPath is required.");
    char *folder = NULL;
    lab_mount *list = NULL;
    size_t n = 0;
    int lock = -1, at = -1;
    HRESULT hr = dism_path_to_lab("MountPath", mount_path, &folder);
    if (hr == LAB_S_OK)
        hr = mounts_lock(&lock);
    if (hr == LAB_S_OK)
        hr = mounts_list(&list, &n);
    if (hr == LAB_S_OK && (at = mounts_find(list, n, folder)) < 0)
        hr = lab_fail(LAB_E_NOT_A_MOUNT, "(%s)", mount_path);
    if (hr == LAB_S_OK && sessreg_count_on(folder) > 0)
        hr = lab_fail(LAB_E_SESSIONS_REMOUNT, "(%s; close it with DismCloseSession)", mount_path);
    if (hr == LAB_S_OK && list[at].status == DismMountStatusInvalid)
        hr = invalid(&list[at]);
    if (hr == LAB_S_OK && list[at].status == DismMountStatusNeedsRemount) {
        list[at].status = DismMountStatusOk;
        hr = mounts_save(&list[at]);   /* records the current boot id */
        if (hr == LAB_S_OK)
            log_write(LAB_LOG_INFO, "DismRemountImage", "Remounted %s", list[at].mount_path);
    }
    mounts_unlock(lock);
    mounts_free_list(list, n);
    free(folder);
    return hr;
}

HRESULT cleanup_mountpoints(void)
{
    lab_mount *list = NULL;
    size_t n = 0;
    int lock = -1;
    HRESULT hr = mounts_lock(&lock);
    if (hr == LAB_S_OK)
        hr = mounts_list(&list, &n);
    for (size_t i = 0; hr == LAB_S_OK && i < n; i++) {
        if (list[i].status != DismMountStatusInvalid)
            continue;
        char *folder = NULL;
        if (winpath_to_lab(list[i].mount_path, &folder) == LAB_S_OK && lab_is_dir(folder) &&
            lab_empty_dir(folder) != 0)
            hr = lab_fail(LAB_E_ACCESS_DENIED, "Some files in %s could not be removed.", list[i].mount_path);
        free(folder);
        if (hr == LAB_S_OK)
            hr = mounts_delete(&list[i]);
        if (hr == LAB_S_OK)
            log_write(LAB_LOG_INFO, "DismCleanupMountpoints", "Removed the invalid mount %s", list[i].mount_path);
    }
    mounts_unlock(lock);
    mounts_free_list(list, n);
    return hr;
}

HRESULT mounts_check_serviceable(const char *lab_folder, const char *win_path)
{
    lab_mount *list = NULL;
    size_t n = 0;
    if (mounts_list(&list, &n) != LAB_S_OK)
        return LAB_S_OK;   /* an unreadable registry is not this call's problem */
    int at = mounts_find(list, n, lab_folder);
    HRESULT hr = LAB_S_OK;
    if (at >= 0 && list[at].status == DismMountStatusNeedsRemount)
        hr = lab_fail(LAB_E_NEEDS_REMOUNT, "(%s; call DismRemountImage first)", win_path);
    else if (at >= 0 && list[at].status == DismMountStatusInvalid)
        hr = invalid(&list[at]);
    mounts_free_list(list, n);
    return hr;
}
