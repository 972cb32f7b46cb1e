/* libLabKernel32.so: the Win32 event API the DISM lab needs (cancel events). */
#ifndef WINIMAGING_KERNEL32_LAB_H
#define WINIMAGING_KERNEL32_LAB_H
#include "win_shim.h"

typedef void *LPSECURITY_ATTRIBUTES;

#define WAIT_OBJECT_0  0x00000000u
#define WAIT_TIMEOUT   0x00000102u
#define WAIT_FAILED    0xFFFFFFFFu
#define INFINITE       0xFFFFFFFFu
#define ERROR_INVALID_HANDLE 6u

HANDLE WINAPI CreateEventW(LPSECURITY_ATTRIBUTES attrs, BOOL manual_reset,
                           BOOL initial_state, const WCHAR *name);
BOOL WINAPI SetEvent(HANDLE h);
BOOL WINAPI ResetEvent(HANDLE h);
DWORD WINAPI WaitForSingleObject(HANDLE h, DWORD ms);
BOOL WINAPI CloseHandle(HANDLE h);
DWORD WINAPI GetLastError(void);
void k32_set_last_error(DWORD code);         /* for kernel32_files.c */

/* kernel32_files.c: mount-folder calls of the C# helper, on lab paths. */
DWORD WINAPI GetFileAttributesW(const WCHAR *name);
BOOL WINAPI CreateDirectoryW(const WCHAR *name, LPSECURITY_ATTRIBUTES attrs);
BOOL WINAPI PathIsDirectoryEmptyW(const WCHAR *name);   /* shlwapi.dll on Windows */

/* Directory enumeration (the helper expands driver folders into .inf files). */
typedef struct _FILETIME {
    DWORD dwLowDateTime;
    DWORD dwHighDateTime;
} FILETIME;
typedef struct _WIN32_FIND_DATAW {
    DWORD dwFileAttributes;
    FILETIME ftCreationTime;
    FILETIME ftLastAccessTime;
    FILETIME ftLastWriteTime;
    DWORD nFileSizeHigh;
    DWORD nFileSizeLow;
    DWORD dwReserved0;
    DWORD dwReserved1;
    WCHAR cFileName[260];
    WCHAR cAlternateFileName[14];
} WIN32_FIND_DATAW, *LPWIN32_FIND_DATAW;
_Static_assert(sizeof(WIN32_FIND_DATAW) == 592, "WIN32_FIND_DATAW is 592 bytes");
#define INVALID_HANDLE_VALUE ((HANDLE)(intptr_t)-1)
HANDLE WINAPI FindFirstFileW(const WCHAR *pattern, LPWIN32_FIND_DATAW data);
BOOL WINAPI FindNextFileW(HANDLE h, LPWIN32_FIND_DATAW data);
BOOL WINAPI FindClose(HANDLE h);
#endif
