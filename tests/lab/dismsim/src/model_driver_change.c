/*
 * DismAddDriver and DismRemoveDriver (dism-api.md 2.2, 6.6, 6.10), on the store of model_drivers.c.
 *
 * DismAddDriver, in the order it checks:
 *   1. online session: ERROR_NOT_SUPPORTED 0x80070032 (drivers are added to offline images only);
 *   2. read-only mount: E_ACCESSDENIED 0x80070005;
 *   3. DriverPath must be an existing file: 0x80070002 (0x80070003 without its folder); a folder
 *      is E_INVALIDARG (the API takes one .inf; callers expand folders);
 *   4. the INF must parse (inf_parse.c: 0x800F0100 / 0x800F0003);
 *   5. it must have models for the image's architecture (NTamd64 for x64, NTx86 or NT for
 *      x86): else SPAPI_E_NO_COMPAT_DRIVERS 0x800F0228;
 *   6. x64 image without ForceUnsigned: no CatalogFile[.NTamd64] in the INF gives
 *      SPAPI_E_NO_CATALOG_FOR_OEM_INF 0x800F022F; a catalog that is missing or has no
 *      `LabSignature=<signer>` line gives TRUST_E_NOSIGNATURE 0x800B0100.  x86 images accept
 *      unsigned packages;
 *   7. the same package (same file name and identical INF bytes, i.e. the same FileRepository
 *      folder) already staged as a third-party driver: S_OK, nothing changes (the driver store
 *      keeps one copy; the existing published name stays);
 *   8. every file named in [SourceDisksFiles] and [SourceDisksFiles.<arch>] must be next to
 *      the INF: else 0x80070002 naming it;
 *   9. the package is staged: the INF, its catalog and those files are copied into
 *      FileRepository/<inf name>_<arch>_<16 hex digits of the INF's FNV-1a hash>/, the INF to
 *      <Windows>/INF/oemN.inf, and the list records it.  N is the lowest number from 0 that no
 *      package of the image uses (numbers freed by a removal are used again, as SetupAPI does).
 *      A newer version of a staged package gets its own folder and published name.
 *
 * DismRemoveDriver: 1 and 2 as above; then the published name must be in the store (a bare
 * name, case-insensitive; anything else is not a published name): 0x80070002; an inbox
 * driver: E_ACCESSDENIED 0x80070005; the entry, its FileRepository folder and INF\oemN.inf go.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lab.h"
#include "model_paths.h"
#include "model_state.h"

static HRESULT check_offline_writable(const lab_session *s, const char *func)
{
    if (s->online)
        return lab_fail(LAB_E_NOT_SUPPORTED, "%s works on offline images only (a mounted image or an applied "
                        "Windows folder); drivers of the running Windows are installed with PnP tools.", func);
    lab_mount *list = NULL;
    size_t n = 0;
    HRESULT hr = mounts_list(&list, &n);
    int i = hr == LAB_S_OK ? mounts_find(list, n, s->image_root) : -1;
    if (i >= 0 && list[i].mode == DismReadOnly)
        hr = lab_fail(LAB_E_ACCESS_DENIED, "The image at %s is mounted read-only; its drivers cannot be changed.",
                      list[i].mount_path);
    mounts_free_list(list, n);
    return hr;
}

static HRESULT read_all(const char *lab, unsigned char **buf, size_t *len)
{
    FILE *f = fopen(lab, "rb");
    if (!f)
        return lab_fail(lab_hr_from_errno(errno), "(%s)", lab);
    size_t cap = 4096, n = 0, got;
    unsigned char *b = malloc(cap);
    while (b && (got = fread(b + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *grown = realloc(b, cap *= 2);
            if (!grown)
                free(b);
            b = grown;
        }
    }
    fclose(f);
    if (!b)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    *buf = b;
    *len = n;
    return LAB_S_OK;
}

static HRESULT copy_file(const char *from, const char *to)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    HRESULT hr = read_all(from, &buf, &len);
    if (hr != LAB_S_OK)
        return hr;
    FILE *f = fopen(to, "wb");
    int bad = !f || fwrite(buf, 1, len, f) != len;
    if (f)
        bad |= fclose(f) != 0;
    free(buf);
    return bad ? lab_fail(LAB_E_ACCESS_DENIED, "The driver store file %s cannot be written.", to) : LAB_S_OK;
}

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static char *lower(const char *s)
{
    char *out = strdup(s);
    for (char *p = out; p && *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return out;
}

static void remove_tree(const char *dir)
{
    if (lab_is_dir(dir)) {
        lab_empty_dir(dir);
        rmdir(dir);
    }
}

/* Rule 6. */
static HRESULT check_signature(const lab_inf *inf, const lab_store *st, const char *dir, const char *win,
                               int force_unsigned)
{
    if (st->arch != 9 || force_unsigned)
        return LAB_S_OK;
    const char *cat = inf_catalog_for(inf, st->arch);
    if (!cat)
        return lab_fail(LAB_E_NO_CATALOG, "The driver package %s names no catalog file (CatalogFile), so it is "
                        "unsigned; x64 images accept unsigned drivers only with ForceUnsigned.", win);
    char *cat_lab = lab_find_ci(dir, cat);
    int ok = catalog_is_signed(cat_lab), missing = cat_lab == NULL;
    free(cat_lab);
    if (!ok)
        return lab_fail(LAB_E_NO_SIGNATURE, "The catalog %s of the driver package %s is %s, so the package is "
                        "unsigned; x64 images accept unsigned drivers only with ForceUnsigned.", cat, win,
                        missing ? "missing" : "not signed");
    return LAB_S_OK;
}

/* Rule 8: the files to stage besides the INF (catalog first); NULL entries are skipped. */
static HRESULT package_files(const lab_inf *inf, const lab_store *st, const char *dir, const char *win,
                             char ***out, size_t *count)
{
    char *const *arch_files = st->arch == 9 ? inf->files_amd64 : inf->files_x86;
    size_t arch_count = st->arch == 9 ? inf->files_amd64_count : inf->files_x86_count;
    size_t cap = 1 + inf->files_any_count + arch_count;
    char **files = calloc(cap, sizeof(char *));
    if (!files)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    size_t n = 0;
    const char *cat = inf_catalog_for(inf, st->arch);
    if (cat)
        files[n++] = lab_find_ci(dir, cat);   /* an absent catalog (ForceUnsigned) is not copied */
    HRESULT hr = LAB_S_OK;
    for (size_t i = 0; hr == LAB_S_OK && i < inf->files_any_count + arch_count; i++) {
        const char *name = i < inf->files_any_count ? inf->files_any[i] : arch_files[i - inf->files_any_count];
        char *lab = lab_find_ci(dir, name);
        if (!lab)
            hr = lab_fail(LAB_E_FILE_NOT_FOUND, "The file %s that the driver package %s lists in "
                          "[SourceDisksFiles] is not next to the INF.", name, win);
        files[n++] = lab;
    }
    *out = files;
    *count = n;
    return hr;
}

static char *next_published(const lab_store *st)
{
    for (unsigned n = 0;; n++) {
        char name[32];
        snprintf(name, sizeof(name), "oem%u.inf", n);
        if (store_find(st, name) < 0)
            return strdup(name);
    }
}

static HRESULT stage(lab_store *st, const char *inf_lab, const char *original, const char *folder,
                     char **files, size_t nfiles)
{
    char *target = lab_strdup_printf("%s/%s", st->repo, folder);
    char *tmp = lab_strdup_printf("%s/.%s.tmp", st->repo, folder);
    char *published = next_published(st);
    char *oem_copy = published ? lab_strdup_printf("%s/%s", st->inf_dir, published) : NULL;
    char *dest = NULL;
    HRESULT hr = (target && tmp && oem_copy) ? LAB_S_OK : lab_fail(LAB_E_OUTOFMEMORY, NULL);
    if (hr == LAB_S_OK) {
        remove_tree(tmp);
        if (lab_mkdirs(tmp) != 0 || lab_mkdirs(st->inf_dir) != 0)
            hr = lab_fail(LAB_E_ACCESS_DENIED, "The driver store folder %s cannot be created.", tmp);
    }
    if (hr == LAB_S_OK && (dest = lab_strdup_printf("%s/%s", tmp, original)))
        hr = copy_file(inf_lab, dest);
    for (size_t i = 0; hr == LAB_S_OK && i < nfiles; i++) {
        if (!files[i])
            continue;
        const char *slash = strrchr(files[i], '/');
        free(dest);
        dest = lab_strdup_printf("%s/%s", tmp, slash ? slash + 1 : files[i]);
        hr = dest ? copy_file(files[i], dest) : lab_fail(LAB_E_OUTOFMEMORY, NULL);
    }
    if (hr == LAB_S_OK) {
        remove_tree(target);   /* a leftover of a crashed add with no list entry */
        if (rename(tmp, target) != 0)
            hr = lab_fail(LAB_E_ACCESS_DENIED, "The driver store folder %s cannot be created.", target);
    }
    if (hr == LAB_S_OK)
        hr = copy_file(inf_lab, oem_copy);
    lab_store_entry *grown = hr == LAB_S_OK ? realloc(st->items, (st->count + 1) * sizeof(*grown)) : NULL;
    if (hr == LAB_S_OK && !grown)
        hr = lab_fail(LAB_E_OUTOFMEMORY, NULL);
    if (hr == LAB_S_OK) {
        st->items = grown;
        lab_store_entry *e = &st->items[st->count++];
        e->published = published;
        e->inbox = 0;
        e->original = strdup(original);
        e->folder = strdup(folder);
        published = NULL;
        hr = store_save(st);
        if (hr == LAB_S_OK)
            log_write(LAB_LOG_INFO, "DismAddDriver", "Staged %s as %s (FileRepository\\%s)", original,
                      e->published, folder);
    }
    if (hr != LAB_S_OK) {
        remove_tree(tmp);
        remove_tree(target);
        if (oem_copy)
            unlink(oem_copy);
    }
    free(dest);
    free(target);
    free(tmp);
    free(published);
    free(oem_copy);
    return hr;
}

HRESULT drivers_add(const lab_session *s, const char *path, int force_unsigned)
{
    HRESULT hr = check_offline_writable(s, "DismAddDriver");
    char *lab = NULL, *dir = NULL, *folder = NULL, **files = NULL;
    size_t nfiles = 0;
    lab_inf inf = { 0 };
    lab_store st = { 0 };
    int fd = -1;
    if (hr == LAB_S_OK)
        hr = dism_path_to_lab("DriverPath", path, &lab);
    if (hr == LAB_S_OK && access(lab, F_OK) != 0)
        hr = image_missing(lab, path);
    if (hr == LAB_S_OK)
        hr = inf_parse(lab, path, &inf);
    if (hr == LAB_S_OK)
        hr = store_open(s, &st, &fd);
    if (hr == LAB_S_OK && !inf_has_arch(&inf, st.arch))
        hr = lab_fail(LAB_E_NO_COMPAT_DRIVERS, "The driver package %s has no models for the image's architecture "
                      "(%s): its [Manufacturer] section names no %s models section.", path, st.arch_name,
                      st.arch == 9 ? "NTamd64" : "NTx86");
    if (hr == LAB_S_OK && !(dir = strdup(lab)))
        hr = lab_fail(LAB_E_OUTOFMEMORY, NULL);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    const char *original = slash ? slash + 1 : "";
    if (slash)
        *slash = '\0';
    if (hr == LAB_S_OK)
        hr = check_signature(&inf, &st, dir, path, force_unsigned);
    if (hr == LAB_S_OK) {
        unsigned char *bytes = NULL;
        size_t len = 0;
        hr = read_all(lab, &bytes, &len);
        char *name = hr == LAB_S_OK ? lower(original) : NULL;
        if (hr == LAB_S_OK)
            folder = name ? lab_strdup_printf("%s_%s_%016llx", name, st.arch_name,
                                              (unsigned long long)fnv1a(bytes, len)) : NULL;
        if (hr == LAB_S_OK && !folder)
            hr = lab_fail(LAB_E_OUTOFMEMORY, NULL);
        free(name);
        free(bytes);
    }
    int already = -1;
    for (size_t i = 0; hr == LAB_S_OK && i < st.count && already < 0; i++)
        if (!st.items[i].inbox && strcmp(st.items[i].folder, folder) == 0)
            already = (int)i;
    if (hr == LAB_S_OK && already >= 0)
        log_write(LAB_LOG_INFO, "DismAddDriver", "%s is already staged as %s; nothing to do", path,
                  st.items[already].published);
    if (hr == LAB_S_OK && already < 0)
        hr = package_files(&inf, &st, dir, path, &files, &nfiles);
    if (hr == LAB_S_OK && already < 0)
        hr = stage(&st, lab, original, folder, files, nfiles);
    if (fd >= 0)
        store_close(&st, fd);
    free_list(files, nfiles);
    inf_free(&inf);
    free(folder);
    free(dir);
    free(lab);
    return hr;
}

HRESULT drivers_remove(const lab_session *s, const char *published)
{
    HRESULT hr = check_offline_writable(s, "DismRemoveDriver");
    lab_store st = { 0 };
    int fd = -1;
    if (hr == LAB_S_OK)
        hr = store_open(s, &st, &fd);
    int k = hr == LAB_S_OK && !strpbrk(published, "\\/:") ? store_find(&st, published) : -1;
    if (hr == LAB_S_OK && k < 0)
        hr = lab_fail(LAB_E_FILE_NOT_FOUND, "The driver package %s is not in the image's driver store; "
                      "DismRemoveDriver takes a published name such as oem0.inf (see DismGetDrivers).", published);
    if (hr == LAB_S_OK && st.items[k].inbox)
        hr = lab_fail(LAB_E_ACCESS_DENIED, "%s is an inbox driver of the image; inbox drivers cannot be removed.",
                      st.items[k].published);
    if (hr == LAB_S_OK) {
        lab_store_entry gone = st.items[k];
        memmove(&st.items[k], &st.items[k + 1], (st.count - (size_t)k - 1) * sizeof(gone));
        st.count--;
        hr = store_save(&st);
        char *folder = lab_strdup_printf("%s/%s", st.repo, gone.folder);
        char *oem = lab_find_ci(st.inf_dir, gone.published);
        if (hr == LAB_S_OK) {
            if (folder)
                remove_tree(folder);
            if (oem)
                unlink(oem);
            log_write(LAB_LOG_INFO, "DismRemoveDriver", "Removed %s (%s)", gone.published, gone.original);
        } else {
            st.items[st.count++] = gone;   /* still owned by the list, freed with it */
            memset(&gone, 0, sizeof(gone));
        }
        free(folder);
        free(oem);
        free(gone.published);
        free(gone.original);
        free(gone.folder);
    }
    if (fd >= 0)
        store_close(&st, fd);
    return hr;
}
