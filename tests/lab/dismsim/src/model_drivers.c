/*
 * The driver store of an image, DismGetDrivers and DismGetDriverInfo (dism-api.md 2.2, 3.4, 6.10).
 *
 * Every image keeps its drivers in its own Windows tree, so a commit keeps added drivers, a
 * discard drops them, and the running OS (drives/C/Windows) has its own store:
 *
 *   <Windows>/System32/DriverStore/LabDriverStore.txt   the list (format below)
 *   <Windows>/System32/DriverStore/FileRepository/<inf name>_<arch>_<16 hex>/  the staged package
 *   <Windows>/INF/oemN.inf                               a copy of a third-party INF, as Windows keeps
 *
 *   # comment
 *   arch=amd64|x86                       the image's architecture (drivers must match it)
 *   driver=<published>|inbox|oem|<original file name>|<FileRepository folder>
 *
 * Everything DISM reports about a driver (class, provider, version, hardware ids, ...) is
 * parsed from the staged INF copy by inf_parse.c.  A missing list is a store without drivers.
 *
 * Rules, in the order they are applied:
 *   1. the list is read under the host's driver lock (state/drivers.lock);
 *   2. DismGetDrivers: AllDrivers FALSE lists only third-party (oem) packages, in store order;
 *   3. DismGetDriverInfo: a bare file name (no `\`, `/` or `:`) is looked up as a published
 *      name first (case-insensitive); the image's architecture's entries only.  Anything
 *      else, or a bare name that is not published, is a source .inf path on the host (a
 *      relative path resolves against DISM_LAB_CWD): every architecture's entries.  A file
 *      that does not exist: 0x80070002 (0x80070003 when its folder is missing too);
 *   4. OriginalFileName is the full Windows path of the staged INF in the image's driver store
 *      (as Get-WindowsDriver prints it); for a source INF, the path as given;
 *   5. BootCritical: a service of the package starts at boot (StartType 0), or the class is
 *      SCSIAdapter or HDC;
 *   6. DriverSignature (dism-api.md 3.4): only boot-critical packages are checked: Signed when
 *      the package is inbox or its catalog (CatalogFile[.NT<arch>], next to the INF) carries a
 *      `LabSignature=<signer>` line, else Unsigned.  Other packages report Unknown.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "lab.h"
#include "model_paths.h"
#include "model_state.h"

static const struct { const char *name, *description; } class_table[] = {
    { "Net", "Network adapters" },
    { "SCSIAdapter", "Storage controllers" },
    { "HDC", "IDE ATA/ATAPI controllers" },
    { "Display", "Display adapters" },
    { "System", "System devices" },
    { "USB", "Universal Serial Bus controllers" },
    { "DiskDrive", "Disk drives" },
    { "MEDIA", "Sound, video and game controllers" },
    { "Keyboard", "Keyboards" },
    { "Mouse", "Mice and other pointing devices" },
    { "Printer", "Printers" },
    { "Bluetooth", "Bluetooth" },
    { "Camera", "Cameras" },
    { "HIDClass", "Human Interface Devices" },
    { "Monitor", "Monitors" },
    { "Ports", "Ports (COM & LPT)" },
    { "SoftwareDevice", "Software devices" },
    { "Extension", "Extensions" },
};

static const char *class_description(const char *cls)
{
    for (size_t i = 0; i < sizeof(class_table) / sizeof(class_table[0]); i++)
        if (strcasecmp(class_table[i].name, cls) == 0)
            return class_table[i].description;
    return cls;   /* an unknown class describes itself */
}

static int boot_critical_class(const char *cls)
{
    return strcasecmp(cls, "SCSIAdapter") == 0 || strcasecmp(cls, "HDC") == 0;
}

/* ---- the store file ---- */

static void free_entry(lab_store_entry *e)
{
    free(e->published);
    free(e->original);
    free(e->folder);
}

static void store_free(lab_store *st)
{
    for (size_t i = 0; i < st->count; i++)
        free_entry(&st->items[i]);
    free(st->items);
    free(st->path);
    free(st->repo);
    free(st->inf_dir);
    free(st->arch_name);
    memset(st, 0, sizeof(*st));
}

static HRESULT parse_entry(char *v, lab_store_entry *e)
{
    char *f[4];
    if (textstore_fields(v, f, 4) < 4)
        return -1;
    if (!f[0][0] || !f[2][0] || !f[3][0] || (strcmp(f[1], "inbox") != 0 && strcmp(f[1], "oem") != 0))
        return -1;
    e->published = strdup(f[0]);
    e->inbox = strcmp(f[1], "inbox") == 0;
    e->original = strdup(f[2]);
    e->folder = strdup(f[3]);
    return (e->published && e->original && e->folder) ? 0 : -1;
}

static HRESULT driver_line(void *ctx, const char *key, char *v, size_t lineno)
{
    lab_store *st = ctx;
    if (strcmp(key, "arch") == 0) {
        free(st->arch_name);
        st->arch_name = strdup(v);
        return LAB_S_OK;
    }
    lab_store_entry *grown = strcmp(key, "driver") == 0 ? realloc(st->items, (st->count + 1) * sizeof(*grown)) : NULL;
    if (grown) {
        st->items = grown;
        memset(&st->items[st->count], 0, sizeof(lab_store_entry));
        if (parse_entry(v, &st->items[st->count++]) == 0)
            return LAB_S_OK;
    }
    return lab_fail(LAB_E_FAIL, "The lab driver store %s is malformed at line %zu.", st->path, lineno);
}

static HRESULT store_read(const lab_session *s, lab_store *st)
{
    memset(st, 0, sizeof(*st));
    st->path = lab_strdup_printf("%s/System32/DriverStore/LabDriverStore.txt", s->windows_dir);
    st->repo = lab_strdup_printf("%s/System32/DriverStore/FileRepository", s->windows_dir);
    st->inf_dir = lab_strdup_printf("%s/INF", s->windows_dir);
    if (!st->path || !st->repo || !st->inf_dir)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    FILE *f = fopen(st->path, "r");
    HRESULT hr = LAB_S_OK;
    if (f) {
        hr = textstore_parse(f, st->path, "driver store", driver_line, st);
        fclose(f);
    }
    if (hr == LAB_S_OK && !st->arch_name) {
        /* No list (or no arch line): take the architecture from the feature catalog. */
        lab_catalog c;
        if (features_read(s, &c) == LAB_S_OK && c.arch)
            st->arch_name = strdup(c.arch);
        features_free(&c);
        if (!st->arch_name)
            st->arch_name = strdup("amd64");
    }
    if (hr == LAB_S_OK && !st->arch_name)
        hr = lab_fail(LAB_E_OUTOFMEMORY, NULL);
    if (hr == LAB_S_OK)
        st->arch = strcasecmp(st->arch_name, "x86") == 0 ? 0 : 9;
    return hr;
}

static void driver_lines(FILE *f, const void *ctx)
{
    const lab_store *st = ctx;
    fprintf(f, "# DISM lab driver store (tests/lab/dismsim/README.md, \"The driver model\")\n");
    fprintf(f, "arch=%s\n", st->arch_name);
    for (size_t i = 0; i < st->count; i++) {
        const lab_store_entry *e = &st->items[i];
        fprintf(f, "driver=%s|%s|%s|%s\n", e->published, e->inbox ? "inbox" : "oem", e->original, e->folder);
    }
}

HRESULT store_save(const lab_store *st)
{
    char *dir = strdup(st->path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        *slash = '\0';
    if (dir)
        lab_mkdirs(dir);
    free(dir);
    return textstore_rewrite(st->path, "driver store", driver_lines, st);
}

HRESULT store_open(const lab_session *s, lab_store *st, int *lock_fd)
{
    memset(st, 0, sizeof(*st));
    HRESULT hr = textstore_lock("drivers", "driver", lock_fd);
    if (hr != LAB_S_OK)
        return hr;
    return store_read(s, st);
}

void store_close(lab_store *st, int lock_fd)
{
    store_free(st);
    textstore_unlock(lock_fd);
}

int store_find(const lab_store *st, const char *published)
{
    for (size_t i = 0; i < st->count; i++)
        if (utf8_casecmp(st->items[i].published, published) == 0)
            return (int)i;
    return -1;
}

char *store_inf_path(const lab_store *st, const lab_store_entry *e)
{
    return lab_strdup_printf("%s/%s/%s", st->repo, e->folder, e->original);
}

char *lab_find_ci(const char *dir, const char *name)
{
    char *exact = lab_strdup_printf("%s/%s", dir, name);
    if (!exact || access(exact, F_OK) == 0)
        return exact;
    free(exact);
    DIR *d = opendir(dir);
    char *found = NULL;
    for (struct dirent *e = d ? readdir(d) : NULL; e && !found; e = readdir(d))
        if (utf8_casecmp(e->d_name, name) == 0)
            found = lab_strdup_printf("%s/%s", dir, e->d_name);
    if (d)
        closedir(d);
    return found;
}

int catalog_is_signed(const char *lab_cat)
{
    FILE *f = lab_cat ? fopen(lab_cat, "r") : NULL;
    if (!f)
        return 0;
    char *line = NULL;
    size_t cap = 0;
    int signed_ = 0;
    while (!signed_ && getline(&line, &cap, f) >= 0) {
        line[strcspn(line, "\r\n")] = '\0';
        signed_ = strncmp(line, "LabSignature=", 13) == 0 && line[13] != '\0';
    }
    free(line);
    fclose(f);
    return signed_;
}

/* ---- packages ---- */

void driver_pkg_free(lab_driver_pkg *p)
{
    free(p->published);
    free(p->original);
    free(p->catalog);
    free(p->class_name);
    free(p->class_guid);
    free(p->class_desc);
    free(p->provider);
    memset(p, 0, sizeof(*p));
}

static char *dir_of(const char *lab)
{
    char *d = strdup(lab);
    char *slash = d ? strrchr(d, '/') : NULL;
    if (slash)
        *slash = '\0';
    return d;
}

/* Everything but the names: rules 5 and 6.  `inf_lab` locates the catalog. */
static HRESULT make_pkg(const lab_inf *inf, unsigned arch, const char *inf_lab, int inbox, lab_driver_pkg *p)
{
    const char *cat = inf_catalog_for(inf, arch);
    p->inbox = inbox;
    p->catalog = strdup(cat ? cat : "");
    p->class_name = strdup(inf->class_name);
    p->class_guid = strdup(inf->class_guid);
    p->class_desc = strdup(class_description(inf->class_name));
    p->provider = strdup(inf->provider ? inf->provider : "");
    p->date = inf->date;
    memcpy(p->version, inf->version, sizeof(p->version));
    p->boot_critical = inf->boot_start || boot_critical_class(inf->class_name);
    p->signature = DismDriverSignatureUnknown;
    if (p->boot_critical) {
        int ok = inbox;
        if (!ok && cat) {
            char *dir = dir_of(inf_lab);
            char *cat_lab = dir ? lab_find_ci(dir, cat) : NULL;
            ok = catalog_is_signed(cat_lab);
            free(cat_lab);
            free(dir);
        }
        p->signature = ok ? DismDriverSignatureSigned : DismDriverSignatureUnsigned;
    }
    if (!p->catalog || !p->class_name || !p->class_guid || !p->class_desc || !p->provider)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    return LAB_S_OK;
}

/* A staged package of the store: its INF parsed and its DismDriverPackage. */
static HRESULT staged_pkg(const lab_store *st, const lab_store_entry *e, lab_inf *inf, lab_driver_pkg *p)
{
    memset(inf, 0, sizeof(*inf));
    char *lab = store_inf_path(st, e);
    char *win = lab ? winpath_from_lab(lab) : NULL;
    HRESULT hr = (lab && win) ? inf_parse(lab, win, inf) : lab_fail(LAB_E_OUTOFMEMORY, NULL);
    if (hr == LAB_S_OK)
        hr = make_pkg(inf, st->arch, lab, e->inbox, p);
    if (hr == LAB_S_OK) {
        p->published = strdup(e->published);
        p->original = win;
        win = NULL;
        if (!p->published)
            hr = lab_fail(LAB_E_OUTOFMEMORY, NULL);
    }
    free(lab);
    free(win);
    return hr;
}

HRESULT drivers_list(const lab_session *s, int all, lab_driver_pkg **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    lab_store st;
    int fd = -1;
    HRESULT hr = store_open(s, &st, &fd);
    lab_driver_pkg *list = hr == LAB_S_OK ? calloc(st.count + 1, sizeof(*list)) : NULL;
    if (hr == LAB_S_OK && !list)
        hr = lab_fail(LAB_E_OUTOFMEMORY, NULL);
    size_t n = 0;
    for (size_t i = 0; hr == LAB_S_OK && i < st.count; i++) {
        if (st.items[i].inbox && !all)
            continue;
        lab_inf inf;
        hr = staged_pkg(&st, &st.items[i], &inf, &list[n++]);
        inf_free(&inf);
    }
    store_close(&st, fd);
    if (hr != LAB_S_OK) {
        for (size_t i = 0; list && i < n; i++)
            driver_pkg_free(&list[i]);
        free(list);
        return hr;
    }
    *out = list;
    *count = n;
    return LAB_S_OK;
}

static int is_bare_name(const char *path)
{
    return !strpbrk(path, "\\/:");
}

HRESULT drivers_info(const lab_session *s, const char *path, lab_driver_pkg *pkg, lab_inf *inf)
{
    memset(pkg, 0, sizeof(*pkg));
    memset(inf, 0, sizeof(*inf));
    lab_store st;
    int fd = -1;
    HRESULT hr = store_open(s, &st, &fd);
    int k = hr == LAB_S_OK && is_bare_name(path) ? store_find(&st, path) : -1;
    if (k >= 0) {
        hr = staged_pkg(&st, &st.items[k], inf, pkg);
        if (hr == LAB_S_OK)
            inf_keep_arch(inf, st.arch);   /* rule 3: only what the image can use */
    } else if (hr == LAB_S_OK) {
        char *lab = NULL;
        hr = dism_path_to_lab("DriverPath", path, &lab);
        if (hr == LAB_S_OK && access(lab, F_OK) != 0)
            hr = is_bare_name(path)
                 ? lab_fail(LAB_E_FILE_NOT_FOUND, "%s is neither a published driver name in the image's driver "
                            "store nor an existing .inf file.", path)
                 : image_missing(lab, path);
        if (hr == LAB_S_OK)
            hr = inf_parse(lab, path, inf);
        if (hr == LAB_S_OK)
            hr = make_pkg(inf, st.arch, lab, 0, pkg);
        if (hr == LAB_S_OK) {
            const char *slash = strrchr(lab, '/');
            pkg->published = strdup(slash ? slash + 1 : lab);
            pkg->original = strdup(path);
            if (!pkg->published || !pkg->original)
                hr = lab_fail(LAB_E_OUTOFMEMORY, NULL);
        }
        free(lab);
    }
    store_close(&st, fd);
    if (hr != LAB_S_OK) {
        driver_pkg_free(pkg);
        inf_free(inf);
    }
    return hr;
}
