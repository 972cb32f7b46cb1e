/*
 * A scripted DismApi for tests/gates/test_executor.py: not a model of DISM (that is
 * tests/lab/dismsim), just fixed answers that reach executor paths the simulator rarely does.
 *
 * - DismCheckImageHealth returns the codes listed in $FAKE_DISM_HEALTH_CODES ("1,3010,0"), one
 *   per call (0 after the list), reports progress 50/1000 then 1000/1000.
 * - DismGetMountedImageInfo returns two mounts in an array that starts at an odd address.
 * - DismGetImageInfo fails with 0x80070002 and a padded message for paths starting with 'Z'.
 * - DismOpenSession fails for paths starting with 'X'; session ids count up from 1.
 * - Every allocation is counted; DismShutdown fails with E_FAIL (0x80004005) if any is left or a
 *   session is still open, so a missing DismDelete/DismCloseSession fails the test.
 * Built with the lab's shim against the mingw-w64 dismapi.h, like the simulator.
 */
#include "dismapi_lab.h"
#include <stdlib.h>
#include <string.h>

static int initialized, open_sessions, live_allocs, health_calls;
static UINT next_session = 1;
static const char *last_error;
static char *odd_base;

static void *lab_alloc(size_t n) { live_allocs++; return calloc(1, n); }
static WCHAR *u16(const char *s)
{
    size_t n = strlen(s);
    WCHAR *w = calloc(n + 1, sizeof(WCHAR));
    for (size_t i = 0; i < n; i++)
        w[i] = (unsigned char)s[i];
    return w;   /* owned by the parent structure; leaked on purpose, tests are short-lived */
}

HRESULT WINAPI DismInitialize(DismLogLevel l, PCWSTR log, PCWSTR scratch)
{
    (void)l; (void)log; (void)scratch;
    if (initialized)
        return (HRESULT)0xC0040008;
    initialized = 1;
    return 0;
}

HRESULT WINAPI DismShutdown(void)
{
    if (!initialized)
        return (HRESULT)0xC0040001;
    if (open_sessions)
        return (HRESULT)0xC0040003;
    initialized = 0;
    return live_allocs ? (HRESULT)0x80004005 : 0;
}

HRESULT WINAPI DismOpenSession(PCWSTR path, PCWSTR windir, PCWSTR drive, DismSession *session)
{
    (void)windir; (void)drive;
    if (path[0] == 'X') {
        last_error = "  no such image  ";
        return (HRESULT)0x80070003;
    }
    *session = next_session++;
    open_sessions++;
    return 0;
}

HRESULT WINAPI DismCloseSession(DismSession session)
{
    if (session == 0 || open_sessions == 0)
        return (HRESULT)0x80070057;
    open_sessions--;
    return 0;
}

HRESULT WINAPI DismDelete(VOID *p)
{
    if (!p)
        return 0;
    live_allocs--;
    if (odd_base && (char *)p == odd_base + 1) {
        free(odd_base);
        odd_base = NULL;
    } else {
        free(p);
    }
    return 0;
}

HRESULT WINAPI DismGetLastErrorMessage(DismString **message)
{
    if (!last_error)
        return 1;
    DismString *s = lab_alloc(sizeof *s);
    s->Value = u16(last_error);
    *message = s;
    return 0;
}

HRESULT WINAPI DismGetMountedImageInfo(DismMountedImageInfo **out, UINT *count)
{
    odd_base = lab_alloc(2 * sizeof(DismMountedImageInfo) + 1);
    DismMountedImageInfo *a = (DismMountedImageInfo *)(odd_base + 1);
    a[0].MountPath = u16("C:\\mnt\\a"); a[0].ImageFilePath = u16("C:\\a.wim");
    a[0].ImageIndex = 1; a[0].MountMode = DismReadWrite; a[0].MountStatus = DismMountStatusOk;
    a[1].MountPath = u16("C:\\mnt\\b"); a[1].ImageFilePath = u16("C:\\b.wim");
    a[1].ImageIndex = 2; a[1].MountMode = DismReadOnly; a[1].MountStatus = DismMountStatusNeedsRemount;
    *out = a;
    *count = 2;
    return 0;
}

HRESULT WINAPI DismGetImageInfo(PCWSTR path, DismImageInfo **out, UINT *count)
{
    if (path[0] == 'Z') {
        last_error = "  The system cannot find the file specified.\r\n";
        return (HRESULT)0x80070002;
    }
    DismImageInfo *a = lab_alloc(2 * sizeof *a);
    static DismLanguage langs[2];
    static DismWimCustomizedInfo custom;
    langs[0].Value = u16("en-US");
    langs[1].Value = u16("de-DE");
    custom.Size = sizeof custom; custom.DirectoryCount = 3; custom.FileCount = 4;
    custom.CreatedTime.wYear = 2024; custom.CreatedTime.wMonth = 1; custom.CreatedTime.wDay = 2;
    custom.CreatedTime.wHour = 3; custom.CreatedTime.wMinute = 4; custom.CreatedTime.wSecond = 5;
    custom.CreatedTime.wMilliseconds = 6;
    for (UINT i = 0; i < 2; i++) {
        a[i].ImageType = DismImageTypeWim;
        a[i].ImageIndex = i + 1;
        a[i].ImageName = u16(i ? "Two" : "One");
        a[i].ImageSize = 0xFFFFFFFFFFFFFFFFull - i;
        a[i].Architecture = 9;
        a[i].MajorVersion = 10; a[i].MinorVersion = 0; a[i].Build = 19045 + i;
        a[i].Bootable = DismImageBootableNo;
        a[i].SystemRoot = u16("WINDOWS");
        a[i].Language = langs; a[i].LanguageCount = 2; a[i].DefaultLanguageIndex = 1;
        a[i].CustomizedInfo = i ? NULL : &custom;
    }
    *out = a;
    *count = 2;
    return 0;
}

HRESULT WINAPI DismCheckImageHealth(DismSession session, WINBOOL scan, HANDLE cancel,
                                    DISM_PROGRESS_CALLBACK progress, PVOID user, DismImageHealthState *health)
{
    (void)cancel;
    if (session == 0)
        return (HRESULT)0x80070057;
    if (progress) {
        progress(50, 1000, user);
        progress(1000, 1000, user);
    }
    *health = scan ? DismImageRepairable : DismImageHealthy;
    const char *codes = getenv("FAKE_DISM_HEALTH_CODES");
    int index = health_calls++;
    while (codes && *codes && index > 0) {
        codes = strchr(codes, ',');
        codes = codes ? codes + 1 : NULL;
        index--;
    }
    return (codes && *codes) ? (HRESULT)strtol(codes, NULL, 10) : 0;
}
