/*
 * MAX_PATH (260 characters including the terminating NUL), in one place.
 *
 * DISM (dism-api.md 6.9: "keep paths short (over-long paths fail)"; the HRESULT is not
 * documented, the lab's choice is in the README): every entry point that takes a path
 * calls dism_check_path before translating it, so a path whose full form is longer than
 * 259 characters fails with HRESULT_FROM_WIN32(ERROR_FILENAME_EXCED_RANGE) 0x800700CE
 * before anything is read or written.  A \\?\ prefix does not lift DISM's limit.
 *
 *   DismInitialize       LogFilePath, ScratchDirectory      (model_process.c)
 *   DismOpenSession      ImagePath, <ImagePath>\<WindowsDirectory> (model_session.c)
 *   DismGetImageInfo     ImageFilePath                      (model_image.c)
 *   DismMountImage       ImageFilePath, MountPath           (model_mount.c)
 *   DismUnmountImage     MountPath                          (model_unmount.c)
 *   DismRemountImage     MountPath                          (model_remount.c)
 *   DismAddDriver        DriverPath                         (model_driver_change.c)
 *   DismGetDriverInfo    DriverPath, unless a published name (model_drivers.c)
 *   DismEnableFeature    each SourcePaths entry             (model_feature_enable.c)
 *
 * Win32 (the file calls of libLabKernel32, kernel32_files.c): a process without long-path
 * opt-in gets an error for a longer path unless it has the \\?\ prefix; which error each
 * call sets is in kernel32_files.c.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "lab.h"
#include "model_paths.h"

/* The simulated current directory, as winpath.c reads it. */
static const char *current_dir(void)
{
    const char *c = getenv("DISM_LAB_CWD");
    return (c && *c) ? c : "C:\\Windows\\System32";
}

static int is_sep(char c)
{
    return c == '\\' || c == '/';
}

int lab_path_is_extended(const char *win)
{
    return win && is_sep(win[0]) && is_sep(win[1]) && (win[2] == '?' || win[2] == '.') && is_sep(win[3]);
}

static size_t units(const char *utf8)
{
    return utf8_to_u16(utf8, NULL) - 1;
}

size_t lab_full_path_units(const char *win)
{
    if (!win)
        return 0;
    if (lab_path_is_extended(win))
        return units(win + 4);
    if ((isalpha((unsigned char)win[0]) && win[1] == ':') || (is_sep(win[0]) && is_sep(win[1])))
        return units(win);                                  /* C:\x (C:x too), \\server\share */
    if (is_sep(win[0]))
        return 2 + units(win);                              /* \x on the current drive */
    return units(current_dir()) + 1 + units(win);           /* relative */
}

HRESULT dism_check_path(const char *what, const char *win)
{
    if (!win)
        return LAB_S_OK;
    size_t n = lab_full_path_units(win);
    if (n < LAB_MAX_PATH)
        return LAB_S_OK;
    char *msg = lab_strdup_printf("The filename or extension is too long. %s is %zu characters long; DISM takes "
                                  "paths of at most %u characters (MAX_PATH) (%s)", what, n, LAB_MAX_PATH - 1, win);
    HRESULT hr = msg ? lab_fail_text(LAB_E_FILENAME_EXCED, msg) : lab_fail(LAB_E_FILENAME_EXCED, NULL);
    free(msg);
    return hr;
}

HRESULT dism_path_to_lab(const char *what, const char *win, char **lab_out)
{
    *lab_out = NULL;
    HRESULT hr = dism_check_path(what, win);
    return hr == LAB_S_OK ? winpath_to_lab(win, lab_out) : hr;
}

int win32_path_too_long(const char *win, size_t limit)
{
    return win && !lab_path_is_extended(win) && lab_full_path_units(win) >= limit;
}
