/*
 * Windows paths of the simulated host <-> files under $DISM_LAB_ROOT.
 *
 *   C:\images\a.wim        -> $DISM_LAB_ROOT/drives/C/images/a.wim
 *   \\?\C:\images\a.wim    -> same (the long-path prefix is dropped)
 *   \images\a.wim          -> drive of the simulated current directory
 *   images\a.wim           -> relative to the simulated current directory
 *                             ($DISM_LAB_CWD, default C:\Windows\System32)
 *   \\server\share\a.wim   -> ERROR_BAD_NETPATH (no network in the lab)
 *   C:images\a.wim         -> ERROR_INVALID_NAME (drive-relative: not modelled)
 *
 * "." and ".." are folded lexically and trailing dots/spaces are trimmed from
 * each component, as Win32 does.  Existing components are matched like NTFS:
 * the exact name first, then a case-insensitive scan of the directory.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "lab.h"

#define MAX_PARTS 256

typedef struct win_parts {
    char drive;
    char *buf;               /* owns the component strings */
    char *part[MAX_PARTS];
    size_t n;
} win_parts;

static const char *lab_cwd(void)
{
    const char *c = getenv("DISM_LAB_CWD");
    return (c && *c) ? c : "C:\\Windows\\System32";
}

static int bad_component(const char *c)
{
    for (const unsigned char *p = (const unsigned char *)c; *p; p++)
        if (*p < 0x20 || strchr("<>:\"|?*", *p))
            return 1;
    return 0;
}

static void trim_dots_spaces(char *c)
{
    size_t n = strlen(c);
    if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0)
        return;
    while (n > 0 && (c[n - 1] == '.' || c[n - 1] == ' '))
        c[--n] = '\0';
}

/* Splits the part after "X:" into normalized components. */
static HRESULT split_components(win_parts *w, char *rest, const char *orig)
{
    for (char *tok = strtok(rest, "\\"); tok; tok = strtok(NULL, "\\")) {
        trim_dots_spaces(tok);
        if (*tok == '\0' || strcmp(tok, ".") == 0)
            continue;
        if (strcmp(tok, "..") == 0) {
            if (w->n > 0)
                w->n--;
            continue;
        }
        if (bad_component(tok))
            return lab_fail(LAB_E_INVALID_NAME, "(%s)", orig);
        if (w->n == MAX_PARTS)
            return lab_fail(LAB_HR(0x800700CE), "(%s)", orig); /* ERROR_FILENAME_EXCED_RANGE */
        w->part[w->n++] = tok;
    }
    return LAB_S_OK;
}

static HRESULT parse_win(const char *orig, win_parts *w, int depth)
{
    char *s = strdup(orig);
    if (!s)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    for (char *p = s; *p; p++)
        if (*p == '/')
            *p = '\\';
    char *p = s;
    if (strncmp(p, "\\\\?\\", 4) == 0 || strncmp(p, "\\\\.\\", 4) == 0) {
        p += 4;
        if (strncasecmp(p, "UNC\\", 4) == 0)
            p = "\\\\";
    }
    HRESULT hr = LAB_S_OK;
    if (*p == '\0') {
        hr = lab_fail(LAB_E_INVALIDARG, "An empty path was given.");
    } else if (strncmp(p, "\\\\", 2) == 0) {
        hr = lab_fail(LAB_E_BAD_NETPATH, "Network paths are not simulated by the DISM lab (%s).", orig);
    } else if (isalpha((unsigned char)p[0]) && p[1] == ':') {
        if (p[2] != '\0' && p[2] != '\\')
            hr = lab_fail(LAB_E_INVALID_NAME, "Drive-relative paths are not simulated (%s).", orig);
        w->drive = (char)toupper((unsigned char)p[0]);
        p += 2;
    } else if (*p == '\\') {
        w->drive = (char)toupper((unsigned char)lab_cwd()[0]);
    } else if (depth == 0) {
        char *full = lab_strdup_printf("%s\\%s", lab_cwd(), p);
        free(s);
        if (!full)
            return lab_fail(LAB_E_OUTOFMEMORY, NULL);
        hr = parse_win(full, w, 1);
        free(full);
        return hr;
    } else {
        hr = lab_fail(LAB_E_INVALID_NAME, "DISM_LAB_CWD is not an absolute path (%s).", lab_cwd());
    }
    if (hr == LAB_S_OK) {
        memmove(s, p, strlen(p) + 1);
        hr = split_components(w, s, orig);
    }
    if (hr != LAB_S_OK) {
        free(s);
        return hr;
    }
    w->buf = s;
    return LAB_S_OK;
}

/* Finds the on-disk spelling of `name` inside `dir`; NULL if none. */
static char *match_entry(const char *dir, const char *name)
{
    char *exact = lab_strdup_printf("%s/%s", dir, name);
    struct stat st;
    if (!exact || lstat(exact, &st) == 0)
        return exact;
    free(exact);
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char *found = NULL;
    for (struct dirent *e = readdir(d); e && !found; e = readdir(d))
        if (utf8_casecmp(e->d_name, name) == 0)
            found = lab_strdup_printf("%s/%s", dir, e->d_name);
    closedir(d);
    return found;
}

HRESULT winpath_to_lab(const char *win, char **lab_out)
{
    *lab_out = NULL;
    if (!lab_root())
        return lab_fail(LAB_E_ENVVAR_NOT_FOUND, "DISM_LAB_ROOT is not set.");
    win_parts w = { 0 };
    HRESULT hr = parse_win(win, &w, 0);
    if (hr != LAB_S_OK)
        return hr;
    char *path = lab_path("drives/%c", w.drive);
    int on_disk = path && lab_is_dir(path);
    for (size_t i = 0; path && i < w.n; i++) {
        char *next = on_disk ? match_entry(path, w.part[i]) : NULL;
        if (!next) {
            on_disk = 0;
            next = lab_strdup_printf("%s/%s", path, w.part[i]);
        }
        free(path);
        path = next;
    }
    free(w.buf);
    if (!path)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    *lab_out = path;
    return LAB_S_OK;
}

static char *from_prefix(const char *lab, const char *root)
{
    char *prefix = lab_strdup_printf("%s/drives/", root);
    if (!prefix)
        return NULL;
    size_t n = strlen(prefix);
    char *out = NULL;
    if (strncmp(lab, prefix, n) == 0 && isalpha((unsigned char)lab[n]) &&
        (lab[n + 1] == '/' || lab[n + 1] == '\0')) {
        const char *rest = lab + n + 1;
        while (*rest == '/')
            rest++;
        out = lab_strdup_printf("%c:\\%s", toupper((unsigned char)lab[n]), rest);
        for (char *p = out; p && *p; p++)
            if (*p == '/')
                *p = '\\';
    }
    free(prefix);
    return out;
}

char *winpath_from_lab(const char *lab)
{
    const char *root = lab_root();
    if (!root)
        return NULL;
    char *out = from_prefix(lab, root);
    if (out)
        return out;
    /* Symlinked roots: compare canonical forms. */
    char *real_root = realpath(root, NULL);
    char *real_lab = realpath(lab, NULL);
    if (real_root && real_lab)
        out = from_prefix(real_lab, real_root);
    free(real_root);
    free(real_lab);
    return out;
}

int winpath_same_file(const char *lab_a, const char *lab_b)
{
    struct stat a, b;
    return stat(lab_a, &a) == 0 && stat(lab_b, &b) == 0 &&
           a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}
