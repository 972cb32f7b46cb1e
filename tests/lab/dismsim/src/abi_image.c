/* Export: DismGetImageInfo (marshals model_image.c's list into one block). */
#include <stdlib.h>
#include <string.h>
#include "lab.h"

#define TAKE_SLACK 2   /* worst-case alignment padding per arena_take */

static const char *const *image_strings(const lab_image *im, const char *out[9])
{
    out[0] = im->name;         out[1] = im->description;      out[2] = im->product_name;
    out[3] = im->edition_id;   out[4] = im->installation_type; out[5] = im->hal;
    out[6] = im->product_type; out[7] = im->product_suite;    out[8] = im->system_root;
    return out;
}

static size_t image_bound(const lab_image *im)
{
    const char *s[9];
    size_t n = sizeof(DismImageInfo) + sizeof(DismWimCustomizedInfo) + 16 * TAKE_SLACK;
    image_strings(im, s);
    for (int i = 0; i < 9; i++)
        n += arena_wstr_bound(s[i]) + TAKE_SLACK;
    n += im->language_count * (sizeof(DismLanguage) + TAKE_SLACK);
    for (size_t i = 0; i < im->language_count; i++)
        n += arena_wstr_bound(im->languages[i]) + TAKE_SLACK;
    return n;
}

static SYSTEMTIME to_systemtime(const lab_systime *t)
{
    SYSTEMTIME st = { t->v[0], t->v[1], t->v[2], t->v[3], t->v[4], t->v[5], t->v[6], t->v[7] };
    return st;
}

static void *customized_info(lab_arena *a, const lab_image *im)
{
    DismWimCustomizedInfo *ci = arena_take(a, sizeof(*ci));
    ci->Size = sizeof(*ci);
    ci->DirectoryCount = im->dir_count;
    ci->FileCount = im->file_count;
    ci->CreatedTime = to_systemtime(&im->created);
    ci->ModifiedTime = to_systemtime(&im->modified);
    return ci;
}

static void fill_languages(lab_arena *a, DismImageInfo *d, const lab_image *im)
{
    DismLanguage *langs = im->language_count ? arena_take(a, im->language_count * sizeof(DismLanguage)) : NULL;
    for (size_t i = 0; i < im->language_count; i++)
        langs[i].Value = arena_wstr(a, im->languages[i]);
    d->Language = langs;
    d->LanguageCount = (UINT)im->language_count;
    d->DefaultLanguageIndex = im->default_language;
}

static void fill_image(lab_arena *a, DismImageInfo *d, const lab_image *im)
{
    d->ImageType = (DismImageType)im->type;
    d->ImageIndex = im->index;
    d->ImageName = arena_wstr(a, im->name);
    d->ImageDescription = arena_wstr(a, im->description);
    d->ImageSize = im->size;
    d->Architecture = im->arch;
    d->ProductName = arena_wstr(a, im->product_name);
    d->EditionId = arena_wstr(a, im->edition_id);
    d->InstallationType = arena_wstr(a, im->installation_type);
    d->Hal = arena_wstr(a, im->hal);
    d->ProductType = arena_wstr(a, im->product_type);
    d->ProductSuite = arena_wstr(a, im->product_suite);
    d->MajorVersion = im->major;
    d->MinorVersion = im->minor;
    d->Build = im->build;
    d->SpBuild = im->sp_build;
    d->SpLevel = im->sp_level;
    d->Bootable = (DismImageBootable)im->bootable;
    d->SystemRoot = arena_wstr(a, im->system_root);
    fill_languages(a, d, im);
    d->CustomizedInfo = im->has_customized ? customized_info(a, im) : NULL;
}

static HRESULT marshal_images(const lab_image *list, size_t n, DismImageInfo **out)
{
    size_t cap = 0;
    for (size_t i = 0; i < n; i++)
        cap += image_bound(&list[i]);
    lab_arena a;
    if (arena_init(&a, cap) != 0)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    DismImageInfo *array = arena_take(&a, n * sizeof(DismImageInfo));
    for (size_t i = 0; i < n; i++)
        fill_image(&a, &array[i], &list[i]);
    if (!(*out = arena_publish(&a)))
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    return LAB_S_OK;
}

HRESULT WINAPI DismGetImageInfo(PCWSTR ImageFilePath, DismImageInfo **ImageInfo, UINT *Count)
{
    lab_call c;
    if (ImageInfo)
        *ImageInfo = NULL;
    if (Count)
        *Count = 0;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK && (!ImageFilePath || !ImageInfo || !Count))
        hr = lab_fail(LAB_E_INVALIDARG, "ImageFilePath, ImageInfo and Count are required.");
    if (hr != LAB_S_OK)
        return call_leave(&c, hr);
    char *path = u16_to_utf8(ImageFilePath);
    lab_image *list = NULL;
    size_t n = 0;
    hr = path ? image_read_info(path, &list, &n) : lab_fail(LAB_E_OUTOFMEMORY, NULL);
    if (hr == LAB_S_OK)
        hr = marshal_images(list, n, ImageInfo);
    if (hr == LAB_S_OK)
        *Count = (UINT)n;
    image_free_list(list, n);
    free(path);
    return call_leave(&c, hr);
}
