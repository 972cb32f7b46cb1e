/* Export: DismGetMountedImageInfo.  No mounts: *MountedImageInfo = NULL, Count 0. */
#include "lab.h"

static HRESULT marshal_mounts(const lab_mount *m, size_t n, DismMountedImageInfo **out)
{
    size_t cap = n * sizeof(DismMountedImageInfo) + 2;
    for (size_t i = 0; i < n; i++)
        cap += arena_wstr_bound(m[i].mount_path) + arena_wstr_bound(m[i].image_path) + 4;
    lab_arena a;
    if (arena_init(&a, cap) != 0)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    DismMountedImageInfo *array = arena_take(&a, n * sizeof(DismMountedImageInfo));
    for (size_t i = 0; i < n; i++) {
        array[i].MountPath = arena_wstr(&a, m[i].mount_path);
        array[i].ImageFilePath = arena_wstr(&a, m[i].image_path);
        array[i].ImageIndex = m[i].index;
        array[i].MountMode = (DismMountMode)m[i].mode;
        array[i].MountStatus = (DismMountStatus)m[i].status;
    }
    if (!(*out = arena_publish(&a)))
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    return LAB_S_OK;
}

HRESULT WINAPI DismGetMountedImageInfo(DismMountedImageInfo **MountedImageInfo, UINT *Count)
{
    lab_call c;
    if (MountedImageInfo)
        *MountedImageInfo = NULL;
    if (Count)
        *Count = 0;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK && (!MountedImageInfo || !Count))
        hr = lab_fail(LAB_E_INVALIDARG, "MountedImageInfo and Count are required.");
    if (hr != LAB_S_OK)
        return call_leave(&c, hr);
    lab_mount *list = NULL;
    size_t n = 0;
    hr = mounts_list(&list, &n);
    if (hr == LAB_S_OK && n > 0)
        hr = marshal_mounts(list, n, MountedImageInfo);
    if (hr == LAB_S_OK)
        *Count = (UINT)n;
    mounts_free_list(list, n);
    return call_leave(&c, hr);
}
