/*
 * The lab's package files (a simulator format, not real cabinets; README "The package model"):
 *
 *   .cab          UTF-8 text: the line "DISMLAB-CAB 1", then key=value lines (name, token, arch,
 *                 language, version, release_type, display_name, ..., applies.*, supersedes,
 *                 requires, permanent, capability)
 *   folder        an expanded package: the folder holds update.mum, in the .cab format
 *   .msu          "DISMLAB-MSU 1", then [<inner file name>] sections, each the key=value lines of
 *                 one inner .cab; a section named WSUSSCAN.cab (any case) is the scan cab, skipped
 *   <id>.mum      the copy an image keeps of each installed package (servicing\Packages), in the
 *                 .cab format plus source_file=<the file it was added from>
 *
 * Rules, in the order package_file_load checks them:
 *   1. the path fits MAX_PATH (0x800700CE), and is a usable Windows path;
 *   2. it exists: else 0x80070002, or 0x80070003 when its folder is missing too;
 *   3. a folder must hold update.mum: else 0x80070002 (lab's choice);
 *   4. a name ending in .msu must start with "DISMLAB-MSU 1", anything else with "DISMLAB-CAB 1":
 *      else 0x800F0805 CBS_E_INVALID_PACKAGE "X is not a valid package.";
 *   5. each package needs name, token, arch and version (language may be empty), a known
 *      release_type / restart / offline value and numeric versions: else 0x800F0805;
 *   6. an .msu must hold at least one package besides its scan cab: else 0x800F0805.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "lab.h"
#include "model_paths.h"
#include "model_state.h"

#define E_INVALID_PACKAGE LAB_HR(0x800F0805)

static const char *const release_names[] = {
    "CriticalUpdate", "Driver", "FeaturePack", "Hotfix", "SecurityUpdate", "SoftwareUpdate", "Update",
    "UpdateRollup", "LanguagePack", "Foundation", "ServicePack", "Product", "LocalPack", "Other", "OnDemandPack",
};
static const char *const offline_names[] = { "Installable", "NotInstallable", "Undetermined" };

int package_release_type(const char *name)
{
    return textstore_parse_enum(name, release_names, 15);
}

const char *package_release_name(int type)
{
    return (type >= 0 && type < 15) ? release_names[type] : "Other";
}

/* a.b.c.d compared numerically, part by part (a missing part is 0). */
int package_version_cmp(const char *a, const char *b)
{
    while (*a || *b) {
        unsigned long x = strtoul(a, (char **)&a, 10), y = strtoul(b, (char **)&b, 10);
        if (x != y)
            return x < y ? -1 : 1;
        if (*a == '.')
            a++;
        if (*b == '.')
            b++;
        if ((*a && !isdigit((unsigned char)*a)) || (*b && !isdigit((unsigned char)*b)))
            return strcmp(a, b);
    }
    return 0;
}

static int version_ok(const char *v)
{
    if (!*v)
        return 0;
    for (const char *p = v; *p; p++)
        if (!isdigit((unsigned char)*p) && !(*p == '.' && p != v && p[1] && p[1] != '.'))
            return 0;
    return 1;
}

void package_meta_free(lab_pkg_meta *m)
{
    char **strings[] = { &m->name, &m->token, &m->arch, &m->language, &m->version, &m->identity,
                         &m->display_name, &m->description, &m->company, &m->copyright, &m->support,
                         &m->product_name, &m->product_version, &m->creation_time, &m->applies_arch,
                         &m->applies_edition, &m->supersedes, &m->requires, &m->capability, &m->file_name,
                         &m->body };
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        free(*strings[i]);
    memset(m, 0, sizeof(*m));
}

void package_metas_free(lab_pkg_meta *metas, size_t count)
{
    for (size_t i = 0; metas && i < count; i++)
        package_meta_free(&metas[i]);
    free(metas);
}

static HRESULT invalid(const char *where, const char *why)
{
    return lab_fail(E_INVALID_PACKAGE, "%s is not a valid package: %s.", where, why);
}

static void set(char **field, const char *v)
{
    free(*field);
    *field = strdup(v);
}

/* key=value lines of one package (no header line).  `file_name` is what InstallPackageName reports
 * (a source_file= line of a .mum copy wins); `where` names the file in messages. */
HRESULT package_meta_parse(const char *body, const char *file_name, const char *where, lab_pkg_meta *m)
{
    memset(m, 0, sizeof(*m));
    m->release_type = -1;
    m->restart = DismRestartNo;
    m->offline = DismFullyOfflineInstallable;
    char *copy = strdup(body ? body : "");
    if (!copy)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    HRESULT hr = LAB_S_OK;
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line && hr == LAB_S_OK; line = strtok_r(NULL, "\n", &save)) {
        line[strcspn(line, "\r")] = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (!*line || *line == '#')
            continue;
        char *eq = strchr(line, '=');
        if (!eq) {
            hr = invalid(where, "a line is not key=value");
            break;
        }
        *eq = '\0';
        const char *k = line, *v = eq + 1;
        struct { const char *key; char **field; } text[] = {
            { "name", &m->name }, { "token", &m->token }, { "arch", &m->arch }, { "language", &m->language },
            { "version", &m->version }, { "display_name", &m->display_name }, { "description", &m->description },
            { "company", &m->company }, { "copyright", &m->copyright }, { "support", &m->support },
            { "product_name", &m->product_name }, { "product_version", &m->product_version },
            { "creation_time", &m->creation_time }, { "applies.arch", &m->applies_arch },
            { "applies.edition", &m->applies_edition }, { "supersedes", &m->supersedes },
            { "requires", &m->requires }, { "capability", &m->capability }, { "source_file", &m->file_name },
        };
        int known = 0;
        for (size_t i = 0; i < sizeof(text) / sizeof(text[0]) && !known; i++)
            if (strcasecmp(k, text[i].key) == 0) {
                set(text[i].field, v);
                known = 1;
            }
        if (known)
            continue;
        if (strcasecmp(k, "release_type") == 0 && (m->release_type = package_release_type(v)) < 0)
            hr = invalid(where, "release_type is not a DismReleaseType name");
        else if (strcasecmp(k, "restart") == 0 && (m->restart = textstore_parse_restart(v)) < 0)
            hr = invalid(where, "restart is not No, Possible or Required");
        else if (strcasecmp(k, "offline") == 0 && (m->offline = textstore_parse_enum(v, offline_names, 3)) < 0)
            hr = invalid(where, "offline is not Installable, NotInstallable or Undetermined");
        else if (strcasecmp(k, "applies.build") == 0)
            m->applies_build = (unsigned)strtoul(v, NULL, 10);
        else if (strcasecmp(k, "permanent") == 0)
            m->permanent = strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0;
        /* other keys are ignored, as CBS ignores manifest parts it does not need */
    }
    free(copy);
    if (hr == LAB_S_OK && (!m->name || !*m->name || !m->token || !*m->token || !m->arch || !*m->arch ||
                           !m->version))
        hr = invalid(where, "it needs name=, token=, arch= and version=");
    if (hr == LAB_S_OK && !version_ok(m->version))
        hr = invalid(where, "version= is not a dotted number");
    if (hr == LAB_S_OK && m->release_type < 0)
        m->release_type = DismReleaseTypeOther;
    if (hr == LAB_S_OK) {
        char **optional[] = { &m->language, &m->display_name, &m->description, &m->company, &m->copyright,
                              &m->support, &m->product_name, &m->product_version };
        for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++)
            if (!*optional[i])
                *optional[i] = strdup("");
        if (!m->file_name)
            m->file_name = strdup(file_name ? file_name : "");
        m->identity = lab_strdup_printf("%s~%s~%s~%s~%s", m->name, m->token, m->arch, m->language, m->version);
        m->body = strdup(body ? body : "");
        if (!m->identity || !m->body || !m->file_name)
            hr = lab_fail(LAB_E_OUTOFMEMORY, NULL);
    }
    if (hr != LAB_S_OK)
        package_meta_free(m);
    return hr;
}

static char *read_text(const char *lab)
{
    FILE *f = fopen(lab, "r");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    char chunk[4096];
    size_t n;
    while (mem && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, n, mem);
    fclose(f);
    if (mem)
        fclose(mem);
    return buf;
}

/* The text after the first line when that line is `header`, else NULL. */
static const char *after_header(const char *text, const char *header)
{
    size_t n = strlen(header);
    if (!text || strncmp(text, header, n) != 0)
        return NULL;
    const char *p = text + n;
    while (*p == ' ' || *p == '\t' || *p == '\r')
        p++;
    if (*p && *p != '\n')
        return NULL;
    return *p ? p + 1 : p;
}

static HRESULT push(lab_pkg_meta **metas, size_t *count, const lab_pkg_meta *m)
{
    lab_pkg_meta *grown = realloc(*metas, (*count + 1) * sizeof(*grown));
    if (!grown)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    *metas = grown;
    grown[(*count)++] = *m;
    return LAB_S_OK;
}

static HRESULT parse_msu(const char *body, const char *where, lab_pkg_meta **metas, size_t *count)
{
    HRESULT hr = LAB_S_OK;
    const char *p = body;
    char *section = NULL;
    char *lines = NULL;
    size_t len = 0;
    FILE *acc = NULL;
    for (;;) {
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char *line = strndup(p, n);
        if (!line) {
            hr = lab_fail(LAB_E_OUTOFMEMORY, NULL);
            break;
        }
        line[strcspn(line, "\r")] = '\0';
        int header = line[0] == '[' && strchr(line, ']');
        if (header || !end) {
            if (!header && acc)
                fprintf(acc, "%s\n", line);
            if (section && acc) {
                fclose(acc);
                acc = NULL;
                if (strcasecmp(section, "WSUSSCAN.cab") != 0) {
                    char *inner_where = lab_strdup_printf("%s [%s]", where, section);
                    lab_pkg_meta m;
                    hr = package_meta_parse(lines, section, inner_where ? inner_where : where, &m);
                    if (hr == LAB_S_OK && (hr = push(metas, count, &m)) != LAB_S_OK)
                        package_meta_free(&m);
                    free(inner_where);
                }
                free(lines);
                lines = NULL;
            }
            free(section);
            section = NULL;
            if (header && hr == LAB_S_OK) {
                *strchr(line, ']') = '\0';
                section = strdup(line + 1);
                acc = open_memstream(&lines, &len);
            }
        } else if (acc) {
            fprintf(acc, "%s\n", line);
        } else if (line[0] && line[0] != '#') {
            hr = invalid(where, "a line comes before the first [section]");
        }
        free(line);
        if (!end || hr != LAB_S_OK)
            break;
        p = end + 1;
    }
    if (acc)
        fclose(acc);
    free(lines);
    free(section);
    if (hr == LAB_S_OK && *count == 0)
        hr = invalid(where, "the .msu holds no package besides its scan cab");
    return hr;
}

static int has_msu_extension(const char *path)
{
    size_t n = strlen(path);
    return n >= 4 && strcasecmp(path + n - 4, ".msu") == 0;
}

int package_path_is_msu(const char *win_path)
{
    return win_path && has_msu_extension(win_path);
}

/* The file name part of a Windows path. */
static const char *base_name(const char *win)
{
    const char *b = win;
    for (const char *p = win; *p; p++)
        if (*p == '\\' || *p == '/')
            b = p + 1;
    return b;
}

HRESULT package_file_load(const char *what, const char *win_path, lab_pkg_meta **metas, size_t *count, int *kind)
{
    *metas = NULL;
    *count = 0;
    *kind = LAB_PKG_CAB;
    char *lab = NULL, *file = NULL, *text = NULL;
    HRESULT hr = dism_path_to_lab(what, win_path, &lab);
    struct stat st;
    if (hr == LAB_S_OK && stat(lab, &st) != 0)
        hr = errno == ENOENT || errno == ENOTDIR ? image_missing(lab, win_path)
                                                 : lab_fail(lab_hr_from_errno(errno), "(%s)", win_path);
    if (hr == LAB_S_OK && S_ISDIR(st.st_mode)) {
        *kind = LAB_PKG_FOLDER;
        file = lab_find_ci(lab, "update.mum");
        if (!file)
            hr = lab_fail(LAB_E_FILE_NOT_FOUND, "The folder %s holds no update.mum, so it is not an expanded "
                          "package.", win_path);
    } else if (hr == LAB_S_OK) {
        *kind = has_msu_extension(lab) ? LAB_PKG_MSU : LAB_PKG_CAB;
        file = strdup(lab);
    }
    if (hr == LAB_S_OK && !(text = read_text(file)))
        hr = invalid(win_path, "it cannot be read");
    if (hr == LAB_S_OK) {
        const char *body = after_header(text, *kind == LAB_PKG_MSU ? "DISMLAB-MSU 1" : "DISMLAB-CAB 1");
        if (!body)
            hr = lab_fail(E_INVALID_PACKAGE, "%s is not a valid package (not a DISM lab %s).", win_path,
                          *kind == LAB_PKG_MSU ? ".msu" : *kind == LAB_PKG_FOLDER ? "update.mum" : ".cab");
        else if (*kind == LAB_PKG_MSU)
            hr = parse_msu(body, win_path, metas, count);
        else {
            lab_pkg_meta m;
            hr = package_meta_parse(body, *kind == LAB_PKG_FOLDER ? "update.mum" : base_name(win_path), win_path,
                                    &m);
            if (hr == LAB_S_OK && (hr = push(metas, count, &m)) != LAB_S_OK)
                package_meta_free(&m);
        }
    }
    if (hr != LAB_S_OK) {
        package_metas_free(*metas, *count);
        *metas = NULL;
        *count = 0;
    }
    free(text);
    free(file);
    free(lab);
    return hr;
}
