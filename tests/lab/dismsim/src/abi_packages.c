/* Exports: DismGetPackages, DismGetPackageInfo, DismGetPackageInfoEx, DismAddPackage,
 * DismRemovePackage (marshalling only; the rules are in model_packages.c,
 * model_package_file.c and model_package_change.c).  An empty package list is returned as
 * *Package = NULL, Count 0; DismPackageInfo has no custom properties and no features in the lab
 * (NULL, 0). */
#define _XOPEN_SOURCE 700
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lab.h"

#define SLACK 2   /* worst-case alignment padding per arena_take */

_Static_assert(sizeof(DismPackage) == 32, "DismPackage is 32 bytes on x64 (pack 1)");
_Static_assert(sizeof(DismPackageInfo) == 172, "DismPackageInfo is 172 bytes on x64 (pack 1)");
_Static_assert(sizeof(DismPackageInfoEx) == 180, "DismPackageInfoEx is 180 bytes on x64 (pack 1)");

static const char INSTALL_CLIENT[] = "DISM Package Manager Provider";

/* ISO 8601 (UTC) -> SYSTEMTIME; empty or unparsable -> all zero ("not set"). */
static SYSTEMTIME iso_to_systemtime(const char *iso)
{
    SYSTEMTIME st;
    memset(&st, 0, sizeof(st));
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (!iso || !*iso || !strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm))
        return st;
    time_t t = timegm(&tm);
    gmtime_r(&t, &tm);
    st.wYear = (WORD)(tm.tm_year + 1900);
    st.wMonth = (WORD)(tm.tm_mon + 1);
    st.wDayOfWeek = (WORD)tm.tm_wday;
    st.wDay = (WORD)tm.tm_mday;
    st.wHour = (WORD)tm.tm_hour;
    st.wMinute = (WORD)tm.tm_min;
    st.wSecond = (WORD)tm.tm_sec;
    return st;
}

static HRESULT marshal_list(const lab_pkg_store *st, DismPackage **out)
{
    if (st->count == 0)
        return LAB_S_OK;
    size_t cap = st->count * sizeof(DismPackage) + SLACK;
    for (size_t i = 0; i < st->count; i++)
        cap += arena_wstr_bound(st->items[i].identity) + SLACK;
    lab_arena a;
    if (arena_init(&a, cap) != 0)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    DismPackage *array = arena_take(&a, st->count * sizeof(DismPackage));
    for (size_t i = 0; i < st->count; i++) {
        array[i].PackageName = arena_wstr(&a, st->items[i].identity);
        array[i].PackageState = (DismPackageFeatureState)st->items[i].state;
        array[i].ReleaseType = (DismReleaseType)st->items[i].release_type;
        array[i].InstallTime = iso_to_systemtime(st->items[i].install_time);
    }
    if (!(*out = arena_publish(&a)))
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    return LAB_S_OK;
}

/* What DismGetPackageInfo(Ex) describes: a package's metadata and, when it is in the store, its
 * entry (else state NotPresent and `applicable` from the applicability rule). */
typedef struct pkg_view {
    lab_pkg_meta meta;
    const lab_pkg_entry *entry;   /* NULL: not in the image */
    int applicable;
} pkg_view;

static HRESULT marshal_info(const pkg_view *v, int ex, void **out)
{
    const lab_pkg_meta *m = &v->meta;
    const char *strings[] = { m->identity, m->copyright, m->company, m->display_name, m->description,
                              INSTALL_CLIENT, m->file_name, m->product_name, m->product_version, m->support,
                              m->capability };
    size_t size = ex ? sizeof(DismPackageInfoEx) : sizeof(DismPackageInfo);
    size_t cap = size + SLACK;
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        cap += arena_wstr_bound(strings[i]) + SLACK;
    lab_arena a;
    if (arena_init(&a, cap) != 0)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    DismPackageInfoEx *info = arena_take(&a, size);   /* DismPackageInfo is its first 172 bytes */
    info->PackageName = arena_wstr(&a, m->identity);
    info->PackageState = (DismPackageFeatureState)(v->entry ? v->entry->state : DismStateNotPresent);
    info->ReleaseType = (DismReleaseType)(v->entry ? v->entry->release_type : m->release_type);
    info->InstallTime = iso_to_systemtime(v->entry ? v->entry->install_time : NULL);
    info->Applicable = v->applicable ? TRUE : FALSE;
    info->Copyright = arena_wstr(&a, m->copyright);
    info->Company = arena_wstr(&a, m->company);
    info->CreationTime = iso_to_systemtime(m->creation_time);
    info->DisplayName = arena_wstr(&a, m->display_name);
    info->Description = arena_wstr(&a, m->description);
    info->InstallClient = arena_wstr(&a, INSTALL_CLIENT);
    info->InstallPackageName = arena_wstr(&a, m->file_name);
    info->LastUpdateTime = info->InstallTime;
    info->ProductName = arena_wstr(&a, m->product_name);
    info->ProductVersion = arena_wstr(&a, m->product_version);
    info->RestartRequired = (DismRestartType)m->restart;
    info->FullyOffline = (DismFullyOfflineInstallableType)m->offline;
    info->SupportInformation = arena_wstr(&a, m->support);
    if (ex)
        info->CapabilityId = arena_wstr(&a, m->capability);
    if (!(*out = arena_publish(&a)))
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    return LAB_S_OK;
}

/* DismGetPackageInfo's rules: by name an installed package (0x800F080C when unknown); by path a
 * .cab or expanded folder (an .msu is E_INVALIDARG), with the state of the same identity in the
 * image; any other PackageIdentifier E_INVALIDARG. */
static HRESULT describe(const lab_session *s, const char *identifier, int kind, lab_pkg_store *st, pkg_view *v)
{
    memset(v, 0, sizeof(*v));
    if (kind != DismPackageName && kind != DismPackagePath)
        return lab_fail(LAB_E_INVALIDARG, "PackageIdentifier must be DismPackageName or DismPackagePath.");
    if (kind == DismPackagePath && package_path_is_msu(identifier))
        return lab_fail(LAB_E_INVALIDARG, "DismGetPackageInfo takes a .cab or an expanded package folder, not an "
                        ".msu (%s).", identifier);
    HRESULT hr = packages_query(s, st);
    if (hr != LAB_S_OK)
        return hr;
    if (kind == DismPackageName) {
        int k = packages_find(st, identifier);
        if (k < 0)
            return lab_fail(LAB_HR(0x800F080C), "Package %s is unknown.", identifier);
        v->entry = &st->items[k];
        v->applicable = 1;
        return packages_meta(st, k, &v->meta);
    }
    lab_pkg_meta *metas = NULL;
    size_t count = 0;
    int file_kind = 0;
    hr = package_file_load("Identifier", identifier, &metas, &count, &file_kind);
    if (hr != LAB_S_OK)
        return hr;
    v->meta = metas[0];
    memset(&metas[0], 0, sizeof(metas[0]));
    package_metas_free(metas, count);
    int k = packages_find(st, v->meta.identity);
    v->entry = k >= 0 ? &st->items[k] : NULL;
    char *why = NULL;
    v->applicable = v->entry ? 1 : packages_applicable(st, &v->meta, &why);
    free(why);
    return LAB_S_OK;
}

static HRESULT get_info(DismSession Session, PCWSTR Identifier, DismPackageIdentifier PackageIdentifier, int ex,
                        void **out)
{
    lab_session *s = NULL;
    lab_pkg_store st = { 0 };
    pkg_view v;
    memset(&v, 0, sizeof(v));
    char *identifier = NULL;
    HRESULT hr = session_acquire(Session, &s);
    if (hr == LAB_S_OK && (!Identifier || !out))
        hr = lab_fail(LAB_E_INVALIDARG, "Identifier and PackageInfo are required.");
    if (hr == LAB_S_OK)
        hr = abi_utf8(Identifier, &identifier);
    if (hr == LAB_S_OK)
        hr = describe(s, identifier, (int)PackageIdentifier, &st, &v);
    if (hr == LAB_S_OK)
        hr = marshal_info(&v, ex, out);
    package_meta_free(&v.meta);
    packages_free(&st);
    free(identifier);
    session_release(s);
    return hr;
}

HRESULT WINAPI DismGetPackages(DismSession Session, DismPackage **Package, UINT *Count)
{
    lab_call c;
    lab_session *s = NULL;
    lab_pkg_store st = { 0 };
    if (Package)
        *Package = NULL;
    if (Count)
        *Count = 0;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = session_acquire(Session, &s);
    if (hr == LAB_S_OK && (!Package || !Count))
        hr = lab_fail(LAB_E_INVALIDARG, "Package and Count are required.");
    if (hr == LAB_S_OK)
        hr = packages_query(s, &st);
    if (hr == LAB_S_OK)
        hr = marshal_list(&st, Package);
    if (hr == LAB_S_OK)
        *Count = (UINT)st.count;
    packages_free(&st);
    session_release(s);
    return call_leave(&c, hr);
}

HRESULT WINAPI DismGetPackageInfo(DismSession Session, PCWSTR Identifier,
                                  DismPackageIdentifier PackageIdentifier, DismPackageInfo **PackageInfo)
{
    lab_call c;
    if (PackageInfo)
        *PackageInfo = NULL;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = get_info(Session, Identifier, PackageIdentifier, 0, (void **)PackageInfo);
    return call_leave(&c, hr);
}

HRESULT WINAPI DismGetPackageInfoEx(DismSession Session, PCWSTR Identifier,
                                    DismPackageIdentifier PackageIdentifier, DismPackageInfoEx **PackageInfoEx)
{
    lab_call c;
    if (PackageInfoEx)
        *PackageInfoEx = NULL;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = get_info(Session, Identifier, PackageIdentifier, 1, (void **)PackageInfoEx);
    return call_leave(&c, hr);
}

HRESULT WINAPI DismAddPackage(DismSession Session, PCWSTR PackagePath, WINBOOL IgnoreCheck,
                              WINBOOL PreventPending, HANDLE CancelEvent, DISM_PROGRESS_CALLBACK Progress,
                              PVOID UserData)
{
    lab_call c;
    lab_session *s = NULL;
    char *path = NULL;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = session_acquire(Session, &s);
    if (hr == LAB_S_OK && !PackagePath)
        hr = lab_fail(LAB_E_INVALIDARG, "PackagePath is required.");
    if (hr == LAB_S_OK)
        hr = abi_utf8(PackagePath, &path);
    if (hr == LAB_S_OK) {
        lab_progress p;
        progress_init(&p, CancelEvent, Progress, UserData, 1000);
        hr = packages_add(s, path, IgnoreCheck != FALSE, PreventPending != FALSE, &p);
    }
    free(path);
    session_release(s);
    return call_leave(&c, hr);
}

HRESULT WINAPI DismRemovePackage(DismSession Session, PCWSTR Identifier,
                                 DismPackageIdentifier PackageIdentifier, HANDLE CancelEvent,
                                 DISM_PROGRESS_CALLBACK Progress, PVOID UserData)
{
    lab_call c;
    lab_session *s = NULL;
    char *identifier = NULL;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = session_acquire(Session, &s);
    if (hr == LAB_S_OK && !Identifier)
        hr = lab_fail(LAB_E_INVALIDARG, "Identifier is required.");
    if (hr == LAB_S_OK)
        hr = abi_utf8(Identifier, &identifier);
    if (hr == LAB_S_OK) {
        lab_progress p;
        progress_init(&p, CancelEvent, Progress, UserData, 1000);
        hr = packages_remove(s, identifier, (int)PackageIdentifier, &p);
    }
    free(identifier);
    session_release(s);
    return call_leave(&c, hr);
}
