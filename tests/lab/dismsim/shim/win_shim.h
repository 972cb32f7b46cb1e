/*
 * The few Windows types DismApi.h needs, defined for a Linux x86-64 build of
 * the DISM lab.  Sizes match Win64: pointers 8 bytes, UINT/DWORD/BOOL/enums 4,
 * UINT64 8, SYSTEMTIME 16.  WCHAR is UTF-16 (uint16_t) because Linux wchar_t
 * is 4 bytes; lab code writes DISM strings as u"..." literals, never L"...".
 *
 * Include this, then the mingw-w64 dismapi.h (see dismapi_lab.h), so the
 * compiler checks every exported signature against an independent header.
 */
#ifndef WINIMAGING_LAB_WIN_SHIM_H
#define WINIMAGING_LAB_WIN_SHIM_H

#include <stdint.h>

#if !defined(__x86_64__) || !defined(__LP64__)
#error "the DISM lab models the Win64 ABI and builds only for x86-64"
#endif

#define WINAPI
#define CALLBACK

typedef void VOID;
typedef void *PVOID;
typedef void *HANDLE;
typedef uint16_t WORD;
typedef uint32_t UINT;
typedef uint32_t DWORD;
typedef int32_t WINBOOL;
typedef int32_t BOOL;
typedef uint64_t UINT64;
typedef int32_t HRESULT;
typedef uint16_t WCHAR;
typedef const WCHAR *PCWSTR;
typedef DWORD *PDWORD;

typedef struct _SYSTEMTIME {
    WORD wYear;
    WORD wMonth;
    WORD wDayOfWeek;
    WORD wDay;
    WORD wHour;
    WORD wMinute;
    WORD wSecond;
    WORD wMilliseconds;
} SYSTEMTIME;

#ifndef TRUE
#define TRUE 1
#define FALSE 0
#endif

#endif
