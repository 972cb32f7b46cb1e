/* Where the simulated host lives: $DISM_LAB_ROOT, plus small file helpers. */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "lab.h"

/* Read at every call so a test process can switch hosts between calls. */
const char *lab_root(void)
{
    const char *r = getenv("DISM_LAB_ROOT");
    return (r && *r) ? r : NULL;
}

static char *vprintf_dup(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        return NULL;
    return s;
}

char *lab_strdup_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vprintf_dup(fmt, ap);
    va_end(ap);
    return s;
}

char *lab_path(const char *fmt, ...)
{
    const char *root = lab_root();
    if (!root)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    char *rel = vprintf_dup(fmt, ap);
    va_end(ap);
    if (!rel)
        return NULL;
    char *full = lab_strdup_printf("%s/%s", root, rel);
    free(rel);
    return full;
}

int lab_mkdirs(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = (mkdir(p, 0777) == 0 || errno == EEXIST) ? 0 : -1;
    free(p);
    return rc;
}

int lab_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* 1 when `path` is a directory with no entries, 0 when it has some, -1 on error. */
int lab_dir_is_empty(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int empty = 1;
    for (struct dirent *e = readdir(d); e && empty; e = readdir(d))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            empty = 0;
    closedir(d);
    return empty;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    if (ftw->level == 0)
        return 0;   /* keep the folder itself */
    return remove(path) == 0 ? 0 : -1;
}

/* Deletes everything inside `path` (depth first, symlinks not followed). */
int lab_empty_dir(const char *path)
{
    return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

/* Windows compares paths without case; translated paths of existing files
 * already have their on-disk spelling, so this only matters for missing ones. */
int lab_same_path(const char *lab_a, const char *lab_b)
{
    return utf8_casecmp(lab_a, lab_b) == 0 || winpath_same_file(lab_a, lab_b);
}

int lab_is_under(const char *lab_path, const char *lab_dir)
{
    size_t n = strlen(lab_dir);
    while (n > 1 && lab_dir[n - 1] == '/')
        n--;
    if (strlen(lab_path) < n)
        return 0;
    char *head = strndup(lab_path, n);
    int same = head && utf8_casecmp(head, lab_dir) == 0 && (lab_path[n] == '\0' || lab_path[n] == '/');
    free(head);
    return same;
}

HRESULT lab_hr_from_errno(int err)
{
    switch (err) {
    case ENOENT:  return LAB_E_FILE_NOT_FOUND;
    case ENOTDIR: return LAB_E_PATH_NOT_FOUND;
    case EACCES:
    case EPERM:
    case EISDIR:  return LAB_E_ACCESS_DENIED;
    case ENOMEM:  return LAB_E_OUTOFMEMORY;
    case ENAMETOOLONG: return LAB_HR(0x800700CE); /* ERROR_FILENAME_EXCED_RANGE */
    default:      return LAB_E_FAIL;
    }
}
