/*
 * DismUnmountImage and DismCommitImage (dism-api.md 2.2, 6.1 rule 5, 6.9).
 *
 * DismUnmountImage(MountPath, Flags), in order:
 *   1. MountPath given; Flags DISM_DISCARD_IMAGE alone, or DISM_COMMIT_IMAGE
 *      (0) with GENERATE_INTEGRITY and/or APPEND            -> E_INVALIDARG
 *   2. MountPath is a registered mount                      -> 0xC0040007
 *   3. no session of any live process is open on it         -> 0xC004000A
 *   4. no file inside it is held open ($DISM_LAB_ROOT/lab/open-files)
 *                                    -> 0xC1420117, and nothing is changed
 *   5. commit only: the mount is Ok (NeedsRemount 0xC1510114, Invalid
 *      0x80070570) and read-write (0xC142010C); then model_commit.c writes
 *      the folder back, with the fault point "DismUnmountImage:write"
 *   6. the folder's contents and the registry entry are removed
 *
 * DismCommitImage(Session, Flags): the session must be an offline session on
 * a registered mount (else E_INVALIDARG); the rules of 5 apply, with the
 * fault point "DismCommitImage:write", and the image stays mounted.
 * DISM_DISCARD_IMAGE alone (ManagedDism passes it) throws the changes away:
 * the folder gets the image's content again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lab.h"
#include "model_paths.h"
#include "model_state.h"

#define UNMOUNT_TOTAL 1000
#define COMMIT_BITS (DISM_COMMIT_GENERATE_INTEGRITY | DISM_COMMIT_APPEND)

static HRESULT check_flags(DWORD flags)
{
    if (flags == DISM_DISCARD_IMAGE || (flags & ~(DWORD)COMMIT_BITS) == 0)
        return LAB_S_OK;
    return lab_fail(LAB_E_INVALIDARG, "Flags 0x%x: use DISM_DISCARD_IMAGE alone, or DISM_COMMIT_IMAGE with "
                    "DISM_COMMIT_GENERATE_INTEGRITY and/or DISM_COMMIT_APPEND.", (unsigned)flags);
}

/* Changes can be saved only from a mount that is attached and healthy. */
static HRESULT check_committable(const lab_mount *m)
{
    if (m->status == DismMountStatusNeedsRemount)
        return lab_fail(LAB_E_NEEDS_REMOUNT, "(%s; call DismRemountImage first)", m->mount_path);
    if (m->status == DismMountStatusInvalid)
        return lab_fail(LAB_E_FILE_CORRUPT, "The mount at %s is invalid; unmount it with DISM_DISCARD_IMAGE "
                        "and call DismCleanupMountpoints.", m->mount_path);
    return LAB_S_OK;
}

/* The lab knob for files other programs hold open: one Windows path a line. */
static HRESULT check_open_files(const char *folder, const char *win)
{
    char *path = lab_path("lab/open-files");
    FILE *f = path ? fopen(path, "r") : NULL;
    free(path);
    if (!f)
        return LAB_S_OK;
    char line[4096];
    HRESULT hr = LAB_S_OK;
    while (hr == LAB_S_OK && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *lab = NULL;
        if (line[0] == '\0' || line[0] == '#' || winpath_to_lab(line, &lab) != LAB_S_OK)
            continue;
        if (lab_is_under(lab, folder))
            hr = lab_fail(LAB_E_FILES_OPEN, "(%s is open in %s)", line, win);
        free(lab);
    }
    fclose(f);
    return hr;
}

static HRESULT remove_mount(const lab_mount *m, const char *folder)
{
    if (lab_is_dir(folder) && lab_empty_dir(folder) != 0)
        return lab_fail(LAB_E_FILES_OPEN, "(some files in %s could not be removed)", m->mount_path);
    HRESULT hr = mounts_delete(m);
    if (hr == LAB_S_OK)
        log_write(LAB_LOG_INFO, "DismUnmountImage", "Unmounted %s from %s", m->image_path, m->mount_path);
    return hr;
}

static HRESULT unmount_locked(const char *mount_path, const char *folder, DWORD flags, lab_progress *p)
{
    lab_mount *list = NULL;
    size_t n = 0;
    HRESULT hr = mounts_list(&list, &n);
    int at = hr == LAB_S_OK ? mounts_find(list, n, folder) : -1;
    if (hr == LAB_S_OK && at < 0)
        hr = lab_fail(LAB_E_NOT_A_MOUNT, "(%s)", mount_path);
    const lab_mount *m = at >= 0 ? &list[at] : NULL;
    if (hr == LAB_S_OK && sessreg_count_on(folder) > 0)
        hr = lab_fail(LAB_E_SESSIONS_UNMOUNT, "(%s; close it with DismCloseSession)", mount_path);
    if (hr == LAB_S_OK)
        hr = check_open_files(folder, mount_path);
    if (hr == LAB_S_OK && flags != DISM_DISCARD_IMAGE) {
        hr = check_committable(m);
        if (hr == LAB_S_OK)
            hr = commit_mount(m, flags, p, "DismUnmountImage:write");
    } else if (hr == LAB_S_OK) {
        hr = progress_report(p, UNMOUNT_TOTAL / 2);
    }
    if (hr == LAB_S_OK)
        hr = remove_mount(m, folder);
    mounts_free_list(list, n);
    return hr;
}

HRESULT unmount_image(const char *mount_path, DWORD flags, lab_progress *p)
{
    p->total = UNMOUNT_TOTAL;
    if (!mount_path)
        return lab_fail(LAB_E_INVALIDARG, "MountPath is required.");
    HRESULT hr = check_flags(flags);
    char *folder = NULL;
    int lock = -1;
    if (hr == LAB_S_OK)
        hr = dism_path_to_lab("MountPath", mount_path, &folder);
    if (hr == LAB_S_OK)
        hr = mounts_lock(&lock);
    if (hr == LAB_S_OK)
        hr = unmount_locked(mount_path, folder, flags, p);
    if (hr == LAB_S_OK)
        progress_finish(p);
    mounts_unlock(lock);
    free(folder);
    return hr;
}

/* DISM_DISCARD_IMAGE through DismCommitImage: the folder gets the image's content again. */
static HRESULT revert(const lab_mount *m, const char *folder, lab_progress *p)
{
    char *image = NULL;
    HRESULT hr = winpath_to_lab(m->image_path, &image);
    if (hr == LAB_S_OK)
        hr = progress_report(p, 100);
    if (hr == LAB_S_OK && lab_empty_dir(folder) != 0)
        hr = lab_fail(LAB_E_FILES_OPEN, "(some files in %s could not be removed)", m->mount_path);
    if (hr == LAB_S_OK)
        hr = mount_extract(image, m->image_path, m->index, folder, p, 100, 900);
    free(image);
    return hr;
}

HRESULT commit_session(const lab_session *s, DWORD flags, lab_progress *p)
{
    p->total = UNMOUNT_TOTAL;
    if (s->online)
        return lab_fail(LAB_E_INVALIDARG, "DismCommitImage needs a session on a mounted image, not the online image.");
    HRESULT hr = check_flags(flags);
    lab_mount *list = NULL;
    size_t n = 0;
    int lock = -1, at = -1;
    if (hr == LAB_S_OK)
        hr = mounts_lock(&lock);
    if (hr == LAB_S_OK)
        hr = mounts_list(&list, &n);
    if (hr == LAB_S_OK && (at = mounts_find(list, n, s->image_root)) < 0) {
        char *win = winpath_from_lab(s->image_root);
        hr = lab_fail(LAB_E_INVALIDARG, "The session's image (%s) is not mounted with DismMountImage.",
                      win ? win : s->image_root);
        free(win);
    }
    if (hr == LAB_S_OK)
        hr = check_committable(&list[at]);
    if (hr == LAB_S_OK && flags == DISM_DISCARD_IMAGE)
        hr = revert(&list[at], s->image_root, p);
    else if (hr == LAB_S_OK)
        hr = commit_mount(&list[at], flags, p, "DismCommitImage:write");
    if (hr == LAB_S_OK)
        progress_finish(p);
    mounts_unlock(lock);
    mounts_free_list(list, n);
    return hr;
}
