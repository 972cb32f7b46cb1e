/* Exports: DismGetFeatures, DismGetFeatureInfo, DismGetFeatureParent, DismEnableFeature,
 * DismDisableFeature (marshalling only; the rules are in model_feature*.c and model_payload.c).
 * An empty feature list is returned as *Feature = NULL, Count 0. */
#include <stdlib.h>
#include <string.h>
#include "lab.h"

#define SLACK 2   /* worst-case alignment padding per arena_take */

/* UTF-8 copy of an optional PCWSTR (NULL stays NULL). */
static HRESULT marshal_features(const lab_catalog *c, const int *pick, size_t n, DismFeature **out)
{
    if (n == 0)
        return LAB_S_OK;
    size_t cap = n * sizeof(DismFeature) + SLACK;
    for (size_t i = 0; i < n; i++)
        cap += arena_wstr_bound(c->items[pick[i]].name) + SLACK;
    lab_arena a;
    if (arena_init(&a, cap) != 0)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    DismFeature *array = arena_take(&a, n * sizeof(DismFeature));
    for (size_t i = 0; i < n; i++) {
        array[i].FeatureName = arena_wstr(&a, c->items[pick[i]].name);
        array[i].State = (DismPackageFeatureState)c->items[pick[i]].state;
    }
    if (!(*out = arena_publish(&a)))
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    return LAB_S_OK;
}

/* "ServerComponent\Id=2" -> Path "ServerComponent", Name "Id", Value "2". */
static void split_property(const char *prop, char **path, char **name, char **value)
{
    const char *eq = strchr(prop, '=');
    size_t key_len = eq ? (size_t)(eq - prop) : strlen(prop);
    char *key = strndup(prop, key_len);
    char *slash = key ? strrchr(key, '\\') : NULL;
    *value = strdup(eq ? eq + 1 : "");
    *name = strdup(slash ? slash + 1 : (key ? key : ""));
    if (slash)
        *slash = '\0';
    *path = strdup(slash && key ? key : "");
    free(key);
}

static HRESULT marshal_info(const lab_feature *f, DismFeatureInfo **out)
{
    size_t cap = sizeof(DismFeatureInfo) + f->prop_count * (sizeof(DismCustomProperty) + 3 * SLACK) + 8 * SLACK;
    cap += arena_wstr_bound(f->name) + arena_wstr_bound(f->display_name) + arena_wstr_bound(f->description);
    for (size_t i = 0; i < f->prop_count; i++)
        cap += 3 * arena_wstr_bound(f->props[i]);
    lab_arena a;
    if (arena_init(&a, cap) != 0)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    DismFeatureInfo *info = arena_take(&a, sizeof(*info));
    info->FeatureName = arena_wstr(&a, f->name);
    info->FeatureState = (DismPackageFeatureState)f->state;
    info->DisplayName = arena_wstr(&a, f->display_name);
    info->Description = arena_wstr(&a, f->description);
    info->RestartRequired = (DismRestartType)f->restart;
    DismCustomProperty *props = f->prop_count ? arena_take(&a, f->prop_count * sizeof(*props)) : NULL;
    for (size_t i = 0; i < f->prop_count; i++) {
        char *path, *name, *value;
        split_property(f->props[i], &path, &name, &value);
        props[i].Name = arena_wstr(&a, name);
        props[i].Value = arena_wstr(&a, value);
        props[i].Path = arena_wstr(&a, path);
        free(path);
        free(name);
        free(value);
    }
    info->CustomProperty = props;
    info->CustomPropertyCount = (UINT)f->prop_count;
    if (!(*out = arena_publish(&a)))
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    return LAB_S_OK;
}

HRESULT WINAPI DismGetFeatures(DismSession Session, PCWSTR Identifier, DismPackageIdentifier PackageIdentifier,
                               DismFeature **Feature, UINT *Count)
{
    lab_call c;
    lab_session *s = NULL;
    lab_catalog cat = { 0 };
    char *ident = NULL;
    int *pick = NULL;
    if (Feature)
        *Feature = NULL;
    if (Count)
        *Count = 0;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = session_acquire(Session, &s);
    if (hr == LAB_S_OK && (!Feature || !Count))
        hr = lab_fail(LAB_E_INVALIDARG, "Feature and Count are required.");
    if (hr == LAB_S_OK)
        hr = abi_utf8(Identifier, &ident);
    if (hr == LAB_S_OK)
        hr = features_query(s, ident, PackageIdentifier, NULL, &cat, NULL);
    if (hr == LAB_S_OK && !(pick = calloc(cat.count ? cat.count : 1, sizeof(int))))
        hr = lab_fail(LAB_E_OUTOFMEMORY, NULL);
    for (size_t i = 0; hr == LAB_S_OK && i < cat.count; i++)
        pick[i] = (int)i;
    if (hr == LAB_S_OK)
        hr = marshal_features(&cat, pick, cat.count, Feature);
    if (hr == LAB_S_OK)
        *Count = (UINT)cat.count;
    free(pick);
    free(ident);
    features_free(&cat);
    session_release(s);
    return call_leave(&c, hr);
}

HRESULT WINAPI DismGetFeatureInfo(DismSession Session, PCWSTR FeatureName, PCWSTR Identifier,
                                  DismPackageIdentifier PackageIdentifier, DismFeatureInfo **FeatureInfo)
{
    lab_call c;
    lab_session *s = NULL;
    lab_catalog cat = { 0 };
    char *ident = NULL, *name = NULL;
    int k = -1;
    if (FeatureInfo)
        *FeatureInfo = NULL;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = session_acquire(Session, &s);
    if (hr == LAB_S_OK && (!FeatureName || !FeatureInfo))
        hr = lab_fail(LAB_E_INVALIDARG, "FeatureName and FeatureInfo are required.");
    if (hr == LAB_S_OK)
        hr = abi_utf8(Identifier, &ident);
    if (hr == LAB_S_OK)
        hr = abi_utf8(FeatureName, &name);
    if (hr == LAB_S_OK)
        hr = features_query(s, ident, PackageIdentifier, name, &cat, &k);
    if (hr == LAB_S_OK)
        hr = marshal_info(&cat.items[k], FeatureInfo);
    free(ident);
    free(name);
    features_free(&cat);
    session_release(s);
    return call_leave(&c, hr);
}

HRESULT WINAPI DismGetFeatureParent(DismSession Session, PCWSTR FeatureName, PCWSTR Identifier,
                                    DismPackageIdentifier PackageIdentifier, DismFeature **Feature, UINT *Count)
{
    lab_call c;
    lab_session *s = NULL;
    lab_catalog cat = { 0 };
    char *ident = NULL, *name = NULL;
    int k = -1, *pick = NULL;
    size_t n = 0;
    if (Feature)
        *Feature = NULL;
    if (Count)
        *Count = 0;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = session_acquire(Session, &s);
    if (hr == LAB_S_OK && (!FeatureName || !Feature || !Count))
        hr = lab_fail(LAB_E_INVALIDARG, "FeatureName, Feature and Count are required.");
    if (hr == LAB_S_OK)
        hr = abi_utf8(Identifier, &ident);
    if (hr == LAB_S_OK)
        hr = abi_utf8(FeatureName, &name);
    if (hr == LAB_S_OK)
        hr = features_query(s, ident, PackageIdentifier, name, &cat, &k);
    if (hr == LAB_S_OK && !(pick = calloc(cat.items[k].parent_count + 1, sizeof(int))))
        hr = lab_fail(LAB_E_OUTOFMEMORY, NULL);
    for (size_t j = 0; hr == LAB_S_OK && j < cat.items[k].parent_count; j++) {
        int p = features_find(&cat, cat.items[k].parents[j]);
        if (p >= 0)
            pick[n++] = p;
    }
    if (hr == LAB_S_OK)
        hr = marshal_features(&cat, pick, n, Feature);
    if (hr == LAB_S_OK)
        *Count = (UINT)n;
    free(pick);
    free(ident);
    free(name);
    features_free(&cat);
    session_release(s);
    return call_leave(&c, hr);
}

HRESULT WINAPI DismEnableFeature(DismSession Session, PCWSTR FeatureName, PCWSTR Identifier,
                                 DismPackageIdentifier PackageIdentifier, WINBOOL LimitAccess,
                                 PCWSTR *SourcePaths, UINT SourcePathCount, WINBOOL EnableAll,
                                 HANDLE CancelEvent, DISM_PROGRESS_CALLBACK Progress, PVOID UserData)
{
    lab_call c;
    lab_session *s = NULL;
    char *names = NULL, *ident = NULL;
    char **sources = NULL;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = session_acquire(Session, &s);
    if (hr == LAB_S_OK && (!FeatureName || (SourcePathCount && !SourcePaths)))
        hr = lab_fail(LAB_E_INVALIDARG, "FeatureName is required, and SourcePaths when SourcePathCount is not 0.");
    if (hr == LAB_S_OK)
        hr = abi_utf8(FeatureName, &names);
    if (hr == LAB_S_OK)
        hr = abi_utf8(Identifier, &ident);
    if (hr == LAB_S_OK)
        hr = abi_utf8_array(SourcePaths, SourcePathCount, &sources);
    if (hr == LAB_S_OK) {
        lab_progress p;
        lab_enable_args a = { names, ident, PackageIdentifier, LimitAccess != FALSE,
                              (const char *const *)sources, SourcePathCount, EnableAll != FALSE };
        progress_init(&p, CancelEvent, Progress, UserData, 1000);
        hr = features_enable(s, &a, &p);
    }
    abi_free_array(sources, SourcePathCount);
    free(names);
    free(ident);
    session_release(s);
    return call_leave(&c, hr);
}

HRESULT WINAPI DismDisableFeature(DismSession Session, PCWSTR FeatureName, PCWSTR PackageName,
                                  WINBOOL RemovePayload, HANDLE CancelEvent,
                                  DISM_PROGRESS_CALLBACK Progress, PVOID UserData)
{
    lab_call c;
    lab_session *s = NULL;
    char *names = NULL, *package = NULL;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = session_acquire(Session, &s);
    if (hr == LAB_S_OK && !FeatureName)
        hr = lab_fail(LAB_E_INVALIDARG, "FeatureName is required.");
    if (hr == LAB_S_OK)
        hr = abi_utf8(FeatureName, &names);
    if (hr == LAB_S_OK)
        hr = abi_utf8(PackageName, &package);
    if (hr == LAB_S_OK) {
        lab_progress p;
        progress_init(&p, CancelEvent, Progress, UserData, 1000);
        hr = features_disable(s, names, package, RemovePayload != FALSE, &p);
    }
    free(names);
    free(package);
    session_release(s);
    return call_leave(&c, hr);
}
