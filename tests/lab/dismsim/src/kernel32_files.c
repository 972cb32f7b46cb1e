/*
 * libLabKernel32.so, part two: the few file-system calls the C# helper makes
 * for mount folders (GetFileAttributesW, CreateDirectoryW, and shlwapi's
 * PathIsDirectoryEmptyW, which the lab host maps here too).
 *
 * Windows paths are translated exactly as the simulator translates them
 * (winpath.c), so the helper and DISM see the same folders.  Failures set the
 * Win32 last error both where GetLastError reads it and in errno, which is
 * where Mono's Marshal.GetLastWin32Error looks after a SetLastError P/Invoke.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "kernel32_lab.h"
#include "lab.h"

#define FILE_ATTRIBUTE_DIRECTORY 0x10u
#define FILE_ATTRIBUTE_NORMAL    0x80u
#define INVALID_FILE_ATTRIBUTES  0xFFFFFFFFu
#define ERROR_FILE_NOT_FOUND     2u
#define ERROR_PATH_NOT_FOUND     3u
#define ERROR_ACCESS_DENIED      5u
#define ERROR_INVALID_NAME       123u
#define ERROR_ALREADY_EXISTS     183u

static void set_error(DWORD code)
{
    k32_set_last_error(code);
    errno = (int)code;
}

/* The lab path for a Windows path, or NULL with the last error set. */
static char *translate(const WCHAR *win)
{
    char *utf8 = win ? u16_to_utf8(win) : NULL;
    char *lab = NULL;
    if (!utf8 || winpath_to_lab(utf8, &lab) != LAB_S_OK) {
        free(utf8);
        free(lab);
        set_error(ERROR_INVALID_NAME);
        return NULL;
    }
    free(utf8);
    return lab;
}

/* A parent that does not exist makes the path "not found" (3), a missing leaf "file not found" (2). */
static DWORD missing_error(const char *lab)
{
    char *parent = lab_strdup_printf("%s", lab);
    char *slash = parent ? strrchr(parent, '/') : NULL;
    if (slash)
        *slash = '\0';
    DWORD code = slash && lab_is_dir(parent) ? ERROR_FILE_NOT_FOUND : ERROR_PATH_NOT_FOUND;
    free(parent);
    return code;
}

DWORD WINAPI GetFileAttributesW(const WCHAR *name)
{
    char *lab = translate(name);
    if (!lab)
        return INVALID_FILE_ATTRIBUTES;
    struct stat st;
    DWORD result = INVALID_FILE_ATTRIBUTES;
    if (stat(lab, &st) == 0)
        result = S_ISDIR(st.st_mode) ? FILE_ATTRIBUTE_DIRECTORY : FILE_ATTRIBUTE_NORMAL;
    else
        set_error(errno == EACCES ? ERROR_ACCESS_DENIED : missing_error(lab));
    free(lab);
    return result;
}

BOOL WINAPI CreateDirectoryW(const WCHAR *name, LPSECURITY_ATTRIBUTES attrs)
{
    (void)attrs;
    char *lab = translate(name);
    if (!lab)
        return FALSE;
    BOOL ok = mkdir(lab, 0755) == 0;
    if (!ok)
        set_error(errno == EEXIST ? ERROR_ALREADY_EXISTS : errno == ENOENT ? ERROR_PATH_NOT_FOUND : ERROR_ACCESS_DENIED);
    free(lab);
    return ok;
}

BOOL WINAPI PathIsDirectoryEmptyW(const WCHAR *name)
{
    char *lab = translate(name);
    if (!lab)
        return FALSE;
    BOOL empty = lab_dir_is_empty(lab) == 1;
    free(lab);
    return empty;
}
