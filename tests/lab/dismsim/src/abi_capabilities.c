/* Exports: DismGetCapabilities, DismGetCapabilityInfo, DismAddCapability, DismRemoveCapability
 * (marshalling only; the rules are in model_capabilities.c, model_capability_change.c and
 * model_payload.c).  An empty capability list is returned as *Capability = NULL, Count 0. */
#include <stdlib.h>
#include <string.h>
#include "lab.h"

#define SLACK 2   /* worst-case alignment padding per arena_take */

_Static_assert(sizeof(DismCapability) == 12, "DismCapability is 12 bytes on x64 (pack 1)");
_Static_assert(sizeof(DismCapabilityInfo) == 36, "DismCapabilityInfo is 36 bytes on x64 (pack 1)");

static HRESULT marshal_list(const lab_cap_store *c, DismCapability **out)
{
    if (c->count == 0)
        return LAB_S_OK;
    size_t cap = c->count * sizeof(DismCapability) + SLACK;
    for (size_t i = 0; i < c->count; i++)
        cap += arena_wstr_bound(c->items[i].name) + SLACK;
    lab_arena a;
    if (arena_init(&a, cap) != 0)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    DismCapability *array = arena_take(&a, c->count * sizeof(DismCapability));
    for (size_t i = 0; i < c->count; i++) {
        array[i].Name = arena_wstr(&a, c->items[i].name);
        array[i].State = (DismPackageFeatureState)c->items[i].state;
    }
    if (!(*out = arena_publish(&a)))
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    return LAB_S_OK;
}

static HRESULT marshal_info(const lab_capability *x, DismCapabilityInfo **out)
{
    size_t cap = sizeof(DismCapabilityInfo) + 4 * SLACK + arena_wstr_bound(x->name) +
                 arena_wstr_bound(x->display_name) + arena_wstr_bound(x->description);
    lab_arena a;
    if (arena_init(&a, cap) != 0)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    DismCapabilityInfo *info = arena_take(&a, sizeof(*info));
    info->Name = arena_wstr(&a, x->name);
    info->State = (DismPackageFeatureState)x->state;
    info->DisplayName = arena_wstr(&a, x->display_name);
    info->Description = arena_wstr(&a, x->description);
    info->DownloadSize = x->download_size;
    info->InstallSize = x->install_size;
    if (!(*out = arena_publish(&a)))
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    return LAB_S_OK;
}

HRESULT WINAPI DismGetCapabilities(DismSession Session, DismCapability **Capability, UINT *Count)
{
    lab_call c;
    lab_session *s = NULL;
    lab_cap_store store = { 0 };
    if (Capability)
        *Capability = NULL;
    if (Count)
        *Count = 0;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = session_acquire(Session, &s);
    if (hr == LAB_S_OK && (!Capability || !Count))
        hr = lab_fail(LAB_E_INVALIDARG, "Capability and Count are required.");
    if (hr == LAB_S_OK)
        hr = capabilities_query(s, NULL, &store, NULL);
    if (hr == LAB_S_OK)
        hr = marshal_list(&store, Capability);
    if (hr == LAB_S_OK)
        *Count = (UINT)store.count;
    capabilities_free(&store);
    session_release(s);
    return call_leave(&c, hr);
}

HRESULT WINAPI DismGetCapabilityInfo(DismSession Session, PCWSTR Name, DismCapabilityInfo **Info)
{
    lab_call c;
    lab_session *s = NULL;
    lab_cap_store store = { 0 };
    char *name = NULL;
    int k = -1;
    if (Info)
        *Info = NULL;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = session_acquire(Session, &s);
    if (hr == LAB_S_OK && (!Name || !Info))
        hr = lab_fail(LAB_E_INVALIDARG, "Name and Info are required.");
    if (hr == LAB_S_OK)
        hr = abi_utf8(Name, &name);
    if (hr == LAB_S_OK)
        hr = capabilities_query(s, name, &store, &k);
    if (hr == LAB_S_OK)
        hr = marshal_info(&store.items[k], Info);
    free(name);
    capabilities_free(&store);
    session_release(s);
    return call_leave(&c, hr);
}

HRESULT WINAPI DismAddCapability(DismSession Session, PCWSTR Name, WINBOOL LimitAccess, PCWSTR *SourcePaths,
                                 UINT SourcePathCount, HANDLE CancelEvent,
                                 DISM_PROGRESS_CALLBACK Progress, PVOID UserData)
{
    lab_call c;
    lab_session *s = NULL;
    char *name = NULL;
    char **sources = NULL;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = session_acquire(Session, &s);
    if (hr == LAB_S_OK && (!Name || (SourcePathCount && !SourcePaths)))
        hr = lab_fail(LAB_E_INVALIDARG, "Name is required, and SourcePaths when SourcePathCount is not 0.");
    if (hr == LAB_S_OK)
        hr = abi_utf8(Name, &name);
    if (hr == LAB_S_OK)
        hr = abi_utf8_array(SourcePaths, SourcePathCount, &sources);
    if (hr == LAB_S_OK) {
        lab_progress p;
        progress_init(&p, CancelEvent, Progress, UserData, 1000);
        hr = capabilities_add(s, name, LimitAccess != FALSE, (const char *const *)sources, SourcePathCount, &p);
    }
    abi_free_array(sources, SourcePathCount);
    free(name);
    session_release(s);
    return call_leave(&c, hr);
}

HRESULT WINAPI DismRemoveCapability(DismSession Session, PCWSTR Name, HANDLE CancelEvent,
                                    DISM_PROGRESS_CALLBACK Progress, PVOID UserData)
{
    lab_call c;
    lab_session *s = NULL;
    char *name = NULL;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = session_acquire(Session, &s);
    if (hr == LAB_S_OK && !Name)
        hr = lab_fail(LAB_E_INVALIDARG, "Name is required.");
    if (hr == LAB_S_OK)
        hr = abi_utf8(Name, &name);
    if (hr == LAB_S_OK) {
        lab_progress p;
        progress_init(&p, CancelEvent, Progress, UserData, 1000);
        hr = capabilities_remove(s, name, &p);
    }
    free(name);
    session_release(s);
    return call_leave(&c, hr);
}
