/* Exports: DismAddDriver, DismRemoveDriver, DismGetDrivers, DismGetDriverInfo (marshalling only;
 * the rules are in model_drivers.c, model_driver_change.c and inf_parse.c).
 * An empty list is returned as NULL with Count 0.  DismGetDriverInfo's Driver array and its
 * optional DriverPackage are two blocks, each released by its own DismDelete. */
#include <stdlib.h>
#include <string.h>
#include "lab.h"

#define SLACK 2   /* worst-case alignment padding per arena_take */

_Static_assert(sizeof(DismDriverPackage) == 100, "DismDriverPackage is 100 bytes on x64 (pack 1)");
_Static_assert(sizeof(DismDriver) == 52, "DismDriver is 52 bytes on x64 (pack 1)");

static size_t pkg_bound(const lab_driver_pkg *p)
{
    return sizeof(DismDriverPackage) + 8 * SLACK + arena_wstr_bound(p->published) +
           arena_wstr_bound(p->original) + arena_wstr_bound(p->catalog) + arena_wstr_bound(p->class_name) +
           arena_wstr_bound(p->class_guid) + arena_wstr_bound(p->class_desc) + arena_wstr_bound(p->provider);
}

static void fill_pkg(lab_arena *a, DismDriverPackage *d, const lab_driver_pkg *p)
{
    d->PublishedName = arena_wstr(a, p->published);
    d->OriginalFileName = arena_wstr(a, p->original);
    d->InBox = p->inbox ? TRUE : FALSE;
    d->CatalogFile = arena_wstr(a, p->catalog);
    d->ClassName = arena_wstr(a, p->class_name);
    d->ClassGuid = arena_wstr(a, p->class_guid);
    d->ClassDescription = arena_wstr(a, p->class_desc);
    d->BootCritical = p->boot_critical ? TRUE : FALSE;
    d->DriverSignature = (DismDriverSignature)p->signature;
    d->ProviderName = arena_wstr(a, p->provider);
    memcpy(&d->Date, p->date.v, sizeof(d->Date));
    d->MajorVersion = p->version[0];
    d->MinorVersion = p->version[1];
    d->Build = p->version[2];
    d->Revision = p->version[3];
}

static HRESULT marshal_pkgs(const lab_driver_pkg *list, size_t n, DismDriverPackage **out)
{
    if (n == 0)
        return LAB_S_OK;
    size_t cap = SLACK;
    for (size_t i = 0; i < n; i++)
        cap += pkg_bound(&list[i]);
    lab_arena a;
    if (arena_init(&a, cap) != 0)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    DismDriverPackage *array = arena_take(&a, n * sizeof(DismDriverPackage));
    for (size_t i = 0; i < n; i++)
        fill_pkg(&a, &array[i], &list[i]);
    if (!(*out = arena_publish(&a)))
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    return LAB_S_OK;
}

static HRESULT marshal_drivers(const lab_inf *inf, DismDriver **out)
{
    if (inf->driver_count == 0)
        return LAB_S_OK;
    size_t cap = inf->driver_count * sizeof(DismDriver) + SLACK;
    for (size_t i = 0; i < inf->driver_count; i++) {
        const lab_inf_driver *x = &inf->drivers[i];
        cap += 5 * SLACK + arena_wstr_bound(x->manufacturer) + arena_wstr_bound(x->description) +
               arena_wstr_bound(x->hardware_id) + arena_wstr_bound(x->service) +
               arena_wstr_bound(x->compatible_ids);
    }
    lab_arena a;
    if (arena_init(&a, cap) != 0)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    DismDriver *array = arena_take(&a, inf->driver_count * sizeof(DismDriver));
    for (size_t i = 0; i < inf->driver_count; i++) {
        const lab_inf_driver *x = &inf->drivers[i];
        array[i].ManufacturerName = arena_wstr(&a, x->manufacturer);
        array[i].HardwareDescription = arena_wstr(&a, x->description);
        array[i].HardwareId = arena_wstr(&a, x->hardware_id);
        array[i].Architecture = x->arch;
        array[i].ServiceName = arena_wstr(&a, x->service);
        array[i].CompatibleIds = arena_wstr(&a, x->compatible_ids);
        array[i].ExcludeIds = NULL;
    }
    if (!(*out = arena_publish(&a)))
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    return LAB_S_OK;
}

static HRESULT required_utf8(PCWSTR in, const char *what, char **out)
{
    *out = NULL;
    if (!in || !in[0])
        return lab_fail(LAB_E_INVALIDARG, "%s is required.", what);
    if (!(*out = u16_to_utf8(in)))
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    return LAB_S_OK;
}

HRESULT WINAPI DismAddDriver(DismSession Session, PCWSTR DriverPath, WINBOOL ForceUnsigned)
{
    lab_call c;
    lab_session *s = NULL;
    char *path = NULL;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = session_acquire(Session, &s);
    if (hr == LAB_S_OK)
        hr = required_utf8(DriverPath, "DriverPath", &path);
    if (hr == LAB_S_OK)
        hr = drivers_add(s, path, ForceUnsigned != FALSE);
    free(path);
    session_release(s);
    return call_leave(&c, hr);
}

HRESULT WINAPI DismRemoveDriver(DismSession Session, PCWSTR DriverPath)
{
    lab_call c;
    lab_session *s = NULL;
    char *path = NULL;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = session_acquire(Session, &s);
    if (hr == LAB_S_OK)
        hr = required_utf8(DriverPath, "DriverPath", &path);
    if (hr == LAB_S_OK)
        hr = drivers_remove(s, path);
    free(path);
    session_release(s);
    return call_leave(&c, hr);
}

HRESULT WINAPI DismGetDrivers(DismSession Session, WINBOOL AllDrivers, DismDriverPackage **DriverPackage,
                              UINT *Count)
{
    lab_call c;
    lab_session *s = NULL;
    lab_driver_pkg *list = NULL;
    size_t n = 0;
    if (DriverPackage)
        *DriverPackage = NULL;
    if (Count)
        *Count = 0;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = session_acquire(Session, &s);
    if (hr == LAB_S_OK && (!DriverPackage || !Count))
        hr = lab_fail(LAB_E_INVALIDARG, "DriverPackage and Count are required.");
    if (hr == LAB_S_OK)
        hr = drivers_list(s, AllDrivers != FALSE, &list, &n);
    if (hr == LAB_S_OK)
        hr = marshal_pkgs(list, n, DriverPackage);
    if (hr == LAB_S_OK)
        *Count = (UINT)n;
    for (size_t i = 0; i < n; i++)
        driver_pkg_free(&list[i]);
    free(list);
    session_release(s);
    return call_leave(&c, hr);
}

HRESULT WINAPI DismGetDriverInfo(DismSession Session, PCWSTR DriverPath, DismDriver **Driver, UINT *Count,
                                 DismDriverPackage **DriverPackage)
{
    lab_call c;
    lab_session *s = NULL;
    char *path = NULL;
    lab_driver_pkg pkg = { 0 };
    lab_inf inf = { 0 };
    if (Driver)
        *Driver = NULL;
    if (Count)
        *Count = 0;
    if (DriverPackage)
        *DriverPackage = NULL;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = session_acquire(Session, &s);
    if (hr == LAB_S_OK && (!Driver || !Count))
        hr = lab_fail(LAB_E_INVALIDARG, "Driver and Count are required (DriverPackage is optional).");
    if (hr == LAB_S_OK)
        hr = required_utf8(DriverPath, "DriverPath", &path);
    if (hr == LAB_S_OK)
        hr = drivers_info(s, path, &pkg, &inf);
    if (hr == LAB_S_OK)
        hr = marshal_drivers(&inf, Driver);
    if (hr == LAB_S_OK && DriverPackage)
        hr = marshal_pkgs(&pkg, 1, DriverPackage);
    if (hr == LAB_S_OK) {
        *Count = (UINT)inf.driver_count;
    } else if (Driver && *Driver) {
        lab_mem_release(*Driver);
        *Driver = NULL;
    }
    driver_pkg_free(&pkg);
    inf_free(&inf);
    free(path);
    session_release(s);
    return call_leave(&c, hr);
}
