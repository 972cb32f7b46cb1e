/*
 * MAX_PATH, as DISM's entry points and the Win32 file calls of libLabKernel32 apply it
 * (model_paths.c; README "Long paths").
 */
#ifndef WINIMAGING_MODEL_PATHS_H
#define WINIMAGING_MODEL_PATHS_H
#include <stddef.h>
#include "lab.h"

#define LAB_MAX_PATH             260u            /* characters, including the terminating NUL */
#define LAB_E_FILENAME_EXCED     LAB_HR(0x800700CE) /* HRESULT_FROM_WIN32(ERROR_FILENAME_EXCED_RANGE) */
#define LAB_ERROR_FILENAME_EXCED 206u            /* ERROR_FILENAME_EXCED_RANGE */

/* UTF-16 units of the full path `win` names: a relative path joined to DISM_LAB_CWD, a rooted
 * one (\x) given the current drive; a \\?\ or \\.\ prefix is not counted. */
size_t lab_full_path_units(const char *win);
/* Whether `win` has the \\?\ (or \\.\) prefix that lifts the Win32 limit. */
int lab_path_is_extended(const char *win);

/* DISM's rule, the one check every entry point that takes a path runs before using it:
 * S_OK, or 0x800700CE with a message naming `what` (e.g. "ImageFilePath") and the path.
 * NULL is allowed (S_OK). The \\?\ prefix does not lift DISM's limit. */
HRESULT dism_check_path(const char *what, const char *win);
/* dism_check_path, then winpath_to_lab. */
HRESULT dism_path_to_lab(const char *what, const char *win, char **lab_out);

/* Win32's rule for the calls of a process without long-path opt-in: 0 when `win` (UTF-8) fits
 * `limit` characters including the terminator or has the \\?\ prefix, else 1. */
int win32_path_too_long(const char *win, size_t limit);
#endif
