/*
 * DismMountImage's model (dism-api.md 2.2, 5.4, 6.9).  The rules, in the
 * order they are checked:
 *
 *   1. ImageFilePath and MountPath given; Flags only READONLY, OPTIMIZE and
 *      CHECK_INTEGRITY; ImageIdentifier DismImageIndex, or DismImageName
 *      with an ImageName                                     -> E_INVALIDARG
 *   2. the image file exists (0x80070002, 0x80070003 without its folder)
 *      and is a file (0x80070005)
 *   3. .esd -> 0xC142013C; any extension but .wim/.vhd/.vhdx -> E_INVALIDARG
 *   4. VHD(X): by name or with CHECK_INTEGRITY -> E_INVALIDARG; index other
 *      than 1 -> DISMAPI_E_INVALID_IMAGE_INDEX 0xC0040005
 *   5. read-write needs a writable image file               -> 0x80070005
 *   6. the mount folder: not a drive root (E_INVALIDARG), exists
 *      (0x80070003), is a folder (0x8007010B), hosts no mount (0xC1420113),
 *      has no open session (0xC004000B), is empty (0xC1420114)
 *   7. the image opens (CHECK_INTEGRITY verifies the WIM's integrity table:
 *      0x80070017), the index exists (0xC0040005) or the name matches one,
 *      ignoring case (0xC0040006)
 *   8. one writer per image: the same file and index mounted read-write
 *      anywhere (any status)                                 -> 0xC1420127
 *   9. the image is extracted into the folder; a cancel or failure empties
 *      the folder again and records nothing
 *  10. the registry entry is written; the last report is Current == Total
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wimlib.h>
#include "lab.h"
#include "model_paths.h"
#include "model_state.h"

#define MOUNT_FLAGS (DISM_MOUNT_READONLY | DISM_MOUNT_OPTIMIZE | DISM_MOUNT_CHECK_INTEGRITY)
#define MOUNT_TOTAL 1000

typedef struct opened_image {
    WIMStruct *wim;
    char *volume;            /* temporary WIM holding a lab disk's volume */
} opened_image;

static void close_image(opened_image *o)
{
    if (o->wim)
        wimlib_free(o->wim);
    if (o->volume)
        unlink(o->volume);
    free(o->volume);
    memset(o, 0, sizeof(*o));
}

static HRESULT open_image(const char *lab, const char *win, int check_integrity, opened_image *o)
{
    memset(o, 0, sizeof(*o));
    int kind = image_kind(lab);
    const char *wim_path = lab;
    if (kind == LAB_KIND_VHD || kind == LAB_KIND_VHDX) {
        HRESULT hr = disk_extract_volume(lab, win, kind == LAB_KIND_VHDX, &o->volume);
        if (hr != LAB_S_OK)
            return hr;
        wim_path = o->volume;
    }
    wim_init();
    errno = 0;
    int err = wimlib_open_wim(wim_path, check_integrity ? WIMLIB_OPEN_FLAG_CHECK_INTEGRITY : 0, &o->wim);
    if (err) {
        o->wim = NULL;
        close_image(o);
        return wim_error(err, win);
    }
    return LAB_S_OK;
}

static HRESULT resolve_index(WIMStruct *w, const lab_mount_args *a, unsigned *index)
{
    struct wimlib_wim_info info;
    wimlib_get_wim_info(w, &info);
    if (a->identifier == DismImageName) {
        for (unsigned i = 1; i <= info.image_count; i++) {
            const char *name = wimlib_get_image_name(w, (int)i);
            if (name && utf8_casecmp(name, a->name) == 0) {
                *index = i;
                return LAB_S_OK;
            }
        }
        return lab_fail(LAB_E_INVALID_NAME_IMG, "%s has no image named \"%s\".", a->image_path, a->name);
    }
    if (a->index < 1 || a->index > info.image_count)
        return lab_fail(LAB_E_INVALID_INDEX, "%s holds %u image(s); there is no index %u.", a->image_path,
                        info.image_count, a->index);
    *index = a->index;
    return LAB_S_OK;
}

static HRESULT extract(WIMStruct *w, unsigned index, const char *win, const char *folder, lab_progress *p,
                       UINT from, UINT to)
{
    lab_wim_progress wp;
    wim_progress_attach(w, &wp, p, from, to);
    int err = wimlib_extract_image(w, (int)index, folder, 0);
    wimlib_register_progress_function(w, NULL, NULL);
    if (err == WIMLIB_ERR_ABORTED_BY_PROGRESS)
        return wp.hr;
    return err ? wim_error(err, win) : LAB_S_OK;
}

HRESULT mount_extract(const char *image_lab, const char *image_win, unsigned index,
                      const char *lab_folder, lab_progress *p, UINT from, UINT to)
{
    opened_image o;
    HRESULT hr = open_image(image_lab, image_win, 0, &o);
    if (hr == LAB_S_OK)
        hr = extract(o.wim, index, image_win, lab_folder, p, from, to);
    close_image(&o);
    return hr;
}

static HRESULT check_args(const lab_mount_args *a)
{
    if (!a->image_path || !a->mount_path)
        return lab_fail(LAB_E_INVALIDARG, "ImageFilePath and MountPath are required.");
    if (a->flags & ~(DWORD)MOUNT_FLAGS)
        return lab_fail(LAB_E_INVALIDARG, "Flags 0x%x hold bits that are not DISM_MOUNT_* flags.", (unsigned)a->flags);
    if (a->identifier != DismImageIndex && a->identifier != DismImageName)
        return lab_fail(LAB_E_INVALIDARG, "ImageIdentifier %d is not a DismImageIdentifier value.", a->identifier);
    if (a->identifier == DismImageName && (!a->name || !a->name[0]))
        return lab_fail(LAB_E_INVALIDARG, "ImageName is required with DismImageName.");
    return LAB_S_OK;
}

static HRESULT check_image_file(const char *lab, const lab_mount_args *a)
{
    struct stat st;
    if (stat(lab, &st) != 0)
        return errno == ENOENT ? image_missing(lab, a->image_path)
                               : lab_fail(lab_hr_from_errno(errno), "(%s)", a->image_path);
    if (S_ISDIR(st.st_mode))
        return lab_fail(LAB_E_ACCESS_DENIED, "%s is a directory, not an image file.", a->image_path);
    int kind = image_kind(lab);
    if (kind == LAB_KIND_ESD)
        return lab_fail(LAB_E_ESD_NOT_MOUNTABLE, "Export the image to a .wim file first (%s).", a->image_path);
    if (kind == LAB_KIND_OTHER)
        return lab_fail(LAB_E_INVALIDARG, "Only .wim, .vhd and .vhdx image files can be mounted (%s).",
                        a->image_path);
    if (kind == LAB_KIND_VHD || kind == LAB_KIND_VHDX) {
        if (a->identifier == DismImageName)
            return lab_fail(LAB_E_INVALIDARG, "A VHD image is selected by index 1, not by name (%s).", a->image_path);
        if (a->flags & DISM_MOUNT_CHECK_INTEGRITY)
            return lab_fail(LAB_E_INVALIDARG, "DISM_MOUNT_CHECK_INTEGRITY does not apply to VHD images (%s).",
                            a->image_path);
        if (a->index != 1)
            return lab_fail(LAB_E_INVALID_INDEX, "A VHD holds one image, index 1, not %u (%s).", a->index,
                            a->image_path);
    }
    if (!(a->flags & DISM_MOUNT_READONLY) && image_is_read_only(lab))
        return lab_fail(LAB_E_ACCESS_DENIED, "%s is read-only; mount it with DISM_MOUNT_READONLY.", a->image_path);
    return LAB_S_OK;
}

static int is_drive_root(const char *lab_folder)
{
    char *win = winpath_from_lab(lab_folder);
    int root = win && strlen(win) == 3;   /* "C:\" */
    free(win);
    return root;
}

static HRESULT check_folder(const char *lab, const char *win, const lab_mount *list, size_t n)
{
    struct stat st;
    if (is_drive_root(lab))
        return lab_fail(LAB_E_INVALIDARG, "An image cannot be mounted to the root of a drive (%s).", win);
    if (stat(lab, &st) != 0)
        return lab_fail(LAB_E_PATH_NOT_FOUND, "The mount folder does not exist (%s).", win);
    if (!S_ISDIR(st.st_mode))
        return lab_fail(LAB_E_DIRECTORY, "The mount path is a file, not a folder (%s).", win);
    int at = mounts_find(list, n, lab);
    if (at >= 0)
        return lab_fail(LAB_E_DIR_MOUNTED, "(%s holds %s index %u)", win, list[at].image_path, list[at].index);
    if (sessreg_count_on(lab) > 0)
        return lab_fail(LAB_E_SESSIONS_MOUNT, "(%s)", win);
    if (lab_dir_is_empty(lab) != 1)
        return lab_fail(LAB_E_DIR_NOT_EMPTY, "(%s)", win);
    return LAB_S_OK;
}

static HRESULT check_single_writer(const lab_mount *list, size_t n, const char *image_lab, unsigned index,
                                   const char *win)
{
    for (size_t i = 0; i < n; i++) {
        char *lab = NULL;
        if (list[i].mode != DismReadWrite || list[i].index != index || !list[i].image_path ||
            winpath_to_lab(list[i].image_path, &lab) != LAB_S_OK)
            continue;
        int same = lab_same_path(lab, image_lab);
        free(lab);
        if (same)
            return lab_fail(LAB_E_ALREADY_RW, "(%s index %u is mounted read-write at %s)", win, index,
                            list[i].mount_path);
    }
    return LAB_S_OK;
}

static HRESULT record(const lab_mount_args *a, const char *image_lab, const char *folder_lab, unsigned index)
{
    lab_mount m = { 0 };
    m.id = mounts_new_id();
    m.mount_path = winpath_from_lab(folder_lab);
    m.image_path = winpath_from_lab(image_lab);
    m.index = index;
    m.mode = (a->flags & DISM_MOUNT_READONLY) ? DismReadOnly : DismReadWrite;
    m.status = DismMountStatusOk;
    m.optimize = (a->flags & DISM_MOUNT_OPTIMIZE) != 0;
    HRESULT hr = (m.id && m.mount_path && m.image_path) ? mounts_save(&m) : lab_fail(LAB_E_OUTOFMEMORY, NULL);
    if (hr == LAB_S_OK)
        log_write(LAB_LOG_INFO, "DismMountImage", "Mounted %s index %u at %s (%s)", m.image_path, index,
                  m.mount_path, m.mode == DismReadOnly ? "read-only" : "read-write");
    free(m.id);
    free(m.mount_path);
    free(m.image_path);
    return hr;
}

HRESULT mount_image(const lab_mount_args *a, lab_progress *p)
{
    HRESULT hr = check_args(a);
    if (hr != LAB_S_OK)
        return hr;
    char *image = NULL, *folder = NULL;
    lab_mount *list = NULL;
    size_t n = 0;
    opened_image o = { 0 };
    int lock = -1, extracting = 0;
    unsigned index = 0;
    p->total = MOUNT_TOTAL;
    hr = dism_check_path("ImageFilePath", a->image_path);
    if (hr == LAB_S_OK)
        hr = dism_check_path("MountPath", a->mount_path);
    if (hr == LAB_S_OK)
        hr = winpath_to_lab(a->image_path, &image);
    if (hr == LAB_S_OK)
        hr = check_image_file(image, a);
    if (hr == LAB_S_OK)
        hr = winpath_to_lab(a->mount_path, &folder);
    if (hr == LAB_S_OK)
        hr = mounts_lock(&lock);
    if (hr == LAB_S_OK)
        hr = mounts_list(&list, &n);
    if (hr == LAB_S_OK)
        hr = check_folder(folder, a->mount_path, list, n);
    if (hr == LAB_S_OK)
        hr = open_image(image, a->image_path, (a->flags & DISM_MOUNT_CHECK_INTEGRITY) != 0, &o);
    if (hr == LAB_S_OK)
        hr = resolve_index(o.wim, a, &index);
    if (hr == LAB_S_OK && !(a->flags & DISM_MOUNT_READONLY))
        hr = check_single_writer(list, n, image, index, a->image_path);
    if (hr == LAB_S_OK)
        hr = progress_report(p, MOUNT_TOTAL / 10);
    if (hr == LAB_S_OK) {
        extracting = 1;
        hr = extract(o.wim, index, a->image_path, folder, p, MOUNT_TOTAL / 10, MOUNT_TOTAL * 9 / 10);
    }
    if (hr == LAB_S_OK)
        hr = record(a, image, folder, index);
    if (hr != LAB_S_OK && extracting)
        lab_empty_dir(folder);   /* cancelled or failed: leave the folder as it was */
    if (hr == LAB_S_OK)
        progress_finish(p);
    close_image(&o);
    mounts_unlock(lock);
    mounts_free_list(list, n);
    free(image);
    free(folder);
    return hr;
}
