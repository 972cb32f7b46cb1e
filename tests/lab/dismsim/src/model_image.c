/*
 * DismGetImageInfo's model: what an image file says about its images.
 *
 * WIM/ESD: one entry per image, read from the WIM's own XML metadata through
 * wimlib.  VHD/VHDX: one entry (index 1, no customized info) read from the
 * volume embedded in the lab disk format (model_disk.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wimlib.h>
#include "lab.h"
#include "model_paths.h"
#include "model_state.h"

#define ARCH_UNKNOWN 0xFFFF   /* PROCESSOR_ARCHITECTURE_UNKNOWN */
#define MAX_LANGUAGES 64

static pthread_once_t wimlib_once = PTHREAD_ONCE_INIT;

static void wimlib_start(void)
{
    wimlib_global_init(0);
}

void wim_init(void)
{
    pthread_once(&wimlib_once, wimlib_start);
}

/* wimlib error -> HRESULT with the lab's message (shared with mount and commit). */
HRESULT wim_error(int err, const char *win_path)
{
    switch (err) {
    case WIMLIB_ERR_INTEGRITY:
    case WIMLIB_ERR_INVALID_RESOURCE_HASH:
        return lab_fail(LAB_E_CRC, "%s is corrupt: %s.", win_path, wimlib_get_error_string(err));
    case WIMLIB_ERR_NOMEM:
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    case WIMLIB_ERR_OPEN:
        return lab_fail(lab_hr_from_errno(errno ? errno : EACCES), "(%s)", win_path);
    case WIMLIB_ERR_NOT_A_WIM_FILE:
    case WIMLIB_ERR_UNKNOWN_VERSION:
    case WIMLIB_ERR_INVALID_HEADER:
    case WIMLIB_ERR_INVALID_CHUNK_SIZE:
    case WIMLIB_ERR_INVALID_COMPRESSION_TYPE:
    case WIMLIB_ERR_INVALID_PART_NUMBER:
    case WIMLIB_ERR_IMAGE_COUNT:
    case WIMLIB_ERR_XML:
    case WIMLIB_ERR_READ:
    case WIMLIB_ERR_UNEXPECTED_END_OF_FILE:
    case WIMLIB_ERR_INVALID_LOOKUP_TABLE_ENTRY:
    case WIMLIB_ERR_INVALID_METADATA_RESOURCE:
    case WIMLIB_ERR_INVALID_INTEGRITY_TABLE:
        return lab_fail(LAB_E_BAD_FORMAT, "%s is not a valid image file (%s).", win_path,
                        wimlib_get_error_string(err));
    default:
        return lab_fail(LAB_E_FAIL, "%s could not be read: %s.", win_path, wimlib_get_error_string(err));
    }
}

static char *prop(WIMStruct *w, int img, const char *name)
{
    const char *v = wimlib_get_image_property(w, img, name);
    return v ? strdup(v) : NULL;
}

static uint64_t prop_u64(WIMStruct *w, int img, const char *name, uint64_t dflt)
{
    const char *v = wimlib_get_image_property(w, img, name);
    return (v && *v) ? strtoull(v, NULL, 0) : dflt;
}

/* FILETIME (100 ns since 1601, UTC) in <NAME>/HIGHPART + LOWPART -> SYSTEMTIME. */
static lab_systime prop_time(WIMStruct *w, int img, const char *name)
{
    lab_systime t = { { 0 } };
    char hi[64], lo[64];
    snprintf(hi, sizeof(hi), "%s/HIGHPART", name);
    snprintf(lo, sizeof(lo), "%s/LOWPART", name);
    uint64_t ft = (prop_u64(w, img, hi, 0) << 32) | (prop_u64(w, img, lo, 0) & 0xFFFFFFFFu);
    if (ft < 116444736000000000ULL)
        return t;   /* before 1970 or absent: "not set" (wYear 0) */
    time_t secs = (time_t)(ft / 10000000ULL - 11644473600ULL);
    struct tm tm;
    gmtime_r(&secs, &tm);
    unsigned short v[8] = { (unsigned short)(tm.tm_year + 1900), (unsigned short)(tm.tm_mon + 1),
                            (unsigned short)tm.tm_wday, (unsigned short)tm.tm_mday,
                            (unsigned short)tm.tm_hour, (unsigned short)tm.tm_min,
                            (unsigned short)tm.tm_sec, (unsigned short)((ft / 10000ULL) % 1000) };
    memcpy(t.v, v, sizeof(v));
    return t;
}

static void read_languages(WIMStruct *w, int img, lab_image *out)
{
    char name[64];
    out->languages = calloc(MAX_LANGUAGES, sizeof(char *));
    for (int i = 1; out->languages && i <= MAX_LANGUAGES; i++) {
        snprintf(name, sizeof(name), "WINDOWS/LANGUAGES/LANGUAGE[%d]", i);
        char *lang = prop(w, img, name);
        if (!lang)
            break;
        out->languages[out->language_count++] = lang;
    }
    const char *dflt = wimlib_get_image_property(w, img, "WINDOWS/LANGUAGES/DEFAULT");
    for (size_t i = 0; dflt && i < out->language_count; i++)
        if (utf8_casecmp(out->languages[i], dflt) == 0)
            out->default_language = (unsigned)i;
}

static void read_image(WIMStruct *w, int img, unsigned boot_index, lab_image *out)
{
    out->index = (unsigned)img;
    out->name = strdup(wimlib_get_image_name(w, img));
    out->description = prop(w, img, "DESCRIPTION");
    out->size = prop_u64(w, img, "TOTALBYTES", 0);
    out->arch = (unsigned)prop_u64(w, img, "WINDOWS/ARCH", ARCH_UNKNOWN);
    out->product_name = prop(w, img, "WINDOWS/PRODUCTNAME");
    out->edition_id = prop(w, img, "WINDOWS/EDITIONID");
    out->installation_type = prop(w, img, "WINDOWS/INSTALLATIONTYPE");
    out->hal = prop(w, img, "WINDOWS/HAL");
    out->product_type = prop(w, img, "WINDOWS/PRODUCTTYPE");
    out->product_suite = prop(w, img, "WINDOWS/PRODUCTSUITE");
    out->system_root = prop(w, img, "WINDOWS/SYSTEMROOT");
    out->major = (unsigned)prop_u64(w, img, "WINDOWS/VERSION/MAJOR", 0);
    out->minor = (unsigned)prop_u64(w, img, "WINDOWS/VERSION/MINOR", 0);
    out->build = (unsigned)prop_u64(w, img, "WINDOWS/VERSION/BUILD", 0);
    out->sp_build = (unsigned)prop_u64(w, img, "WINDOWS/VERSION/SPBUILD", 0);
    out->sp_level = (unsigned)prop_u64(w, img, "WINDOWS/VERSION/SPLEVEL", 0);
    out->bootable = boot_index == (unsigned)img ? DismImageBootableYes : DismImageBootableNo;
    read_languages(w, img, out);
    out->dir_count = (unsigned)prop_u64(w, img, "DIRCOUNT", 0);
    out->file_count = (unsigned)prop_u64(w, img, "FILECOUNT", 0);
    out->created = prop_time(w, img, "CREATIONTIME");
    out->modified = prop_time(w, img, "LASTMODIFICATIONTIME");
}

/* Reads every image of the WIM at `path` (a VHD volume: only the first). */
static HRESULT read_wim(const char *path, const char *win_path, int type, lab_image **out, size_t *count)
{
    wim_init();
    WIMStruct *w = NULL;
    errno = 0;
    int err = wimlib_open_wim(path, 0, &w);
    if (err)
        return wim_error(err, win_path);
    struct wimlib_wim_info info;
    wimlib_get_wim_info(w, &info);
    size_t n = type == DismImageTypeVhd ? 1 : info.image_count;
    if (n == 0 || info.image_count == 0) {
        wimlib_free(w);
        return lab_fail(LAB_E_BAD_FORMAT, "%s holds no images.", win_path);
    }
    lab_image *list = calloc(n, sizeof(*list));
    if (!list) {
        wimlib_free(w);
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        read_image(w, (int)i + 1, info.boot_index, &list[i]);
        list[i].type = type;
        list[i].has_customized = type == DismImageTypeWim;
    }
    wimlib_free(w);
    *out = list;
    *count = n;
    return LAB_S_OK;
}

static HRESULT read_disk(const char *lab, const char *win_path, int vhdx, lab_image **out, size_t *count)
{
    char *volume = NULL;
    HRESULT hr = disk_extract_volume(lab, win_path, vhdx, &volume);
    if (hr != LAB_S_OK)
        return hr;
    hr = read_wim(volume, win_path, DismImageTypeVhd, out, count);
    unlink(volume);
    free(volume);
    return hr;
}

static const char *extension(const char *path)
{
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    return (dot && (!slash || dot > slash)) ? dot : "";
}

/* Missing file: ERROR_FILE_NOT_FOUND, or ERROR_PATH_NOT_FOUND when its folder is missing too. */
HRESULT image_missing(const char *lab, const char *win_path)
{
    char *dir = strdup(lab);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        *slash = '\0';
    int parent_ok = dir && lab_is_dir(dir);
    free(dir);
    return lab_fail(parent_ok ? LAB_E_FILE_NOT_FOUND : LAB_E_PATH_NOT_FOUND, "(%s)", win_path);
}

HRESULT image_read_info(const char *win_path, lab_image **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    char *lab = NULL;
    HRESULT hr = dism_path_to_lab("ImageFilePath", win_path, &lab);
    if (hr != LAB_S_OK)
        return hr;
    struct stat st;
    const char *ext = extension(lab);
    if (stat(lab, &st) != 0)
        hr = errno == ENOENT ? image_missing(lab, win_path) : lab_fail(lab_hr_from_errno(errno), "(%s)", win_path);
    else if (S_ISDIR(st.st_mode))
        hr = lab_fail(LAB_E_ACCESS_DENIED, "%s is a directory, not an image file.", win_path);
    else if (strcasecmp(ext, ".wim") == 0 || strcasecmp(ext, ".esd") == 0)
        hr = read_wim(lab, win_path, DismImageTypeWim, out, count);
    else if (strcasecmp(ext, ".vhd") == 0 || strcasecmp(ext, ".vhdx") == 0)
        hr = read_disk(lab, win_path, strcasecmp(ext, ".vhdx") == 0, out, count);
    else
        hr = lab_fail(LAB_E_INVALIDARG, "Only .wim, .esd, .vhd and .vhdx image files can be read (%s).", win_path);
    free(lab);
    return hr;
}

static void free_image(lab_image *im)
{
    char *strs[] = { im->name, im->description, im->product_name, im->edition_id,
                     im->installation_type, im->hal, im->product_type, im->product_suite,
                     im->system_root };
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        free(strs[i]);
    for (size_t i = 0; i < im->language_count; i++)
        free(im->languages[i]);
    free(im->languages);
}

void image_free_list(lab_image *list, size_t count)
{
    for (size_t i = 0; list && i < count; i++)
        free_image(&list[i]);
    free(list);
}

int image_kind(const char *path)
{
    const char *ext = extension(path);
    if (strcasecmp(ext, ".wim") == 0)
        return LAB_KIND_WIM;
    if (strcasecmp(ext, ".esd") == 0)
        return LAB_KIND_ESD;
    if (strcasecmp(ext, ".vhd") == 0)
        return LAB_KIND_VHD;
    if (strcasecmp(ext, ".vhdx") == 0)
        return LAB_KIND_VHDX;
    return LAB_KIND_OTHER;
}

/* The lab's read-only attribute is a mode without write bits (chmod a-w); a file
 * this process cannot write is read-only too.  Root ignores modes, hence both. */
int image_is_read_only(const char *lab_path)
{
    struct stat st;
    if (stat(lab_path, &st) != 0)
        return 0;
    return (st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0 || access(lab_path, W_OK) != 0;
}
