/*
 * libLabKernel32.so, part two: the few file-system calls the C# helper makes
 * for mount folders (GetFileAttributesW, CreateDirectoryW, and shlwapi's
 * PathIsDirectoryEmptyW, which the lab host maps here too), and the directory
 * enumeration it uses to expand driver folders (FindFirstFileW, FindNextFileW,
 * FindClose).
 *
 * Windows paths are translated exactly as the simulator translates them
 * (winpath.c), so the helper and DISM see the same folders.  Failures set the
 * Win32 last error both where GetLastError reads it and in errno, which is
 * where Mono's Marshal.GetLastWin32Error looks after a SetLastError P/Invoke.
 *
 * What Windows does that a Linux lab running as root would not (README "libLabKernel32.so"):
 *   - MAX_PATH: the helper is not long-path aware, so a path of 260 characters or more
 *     (CreateDirectoryW: 248) fails unless it has the \\?\ prefix (model_paths.c):
 *     GetFileAttributesW, CreateDirectoryW, PathIsDirectoryEmptyW set
 *     ERROR_FILENAME_EXCED_RANGE (206), FindFirstFileW sets ERROR_PATH_NOT_FOUND (3).
 *   - Access denied: root can list any folder, so a folder holding a file named
 *     `.lab-access-denied` stands for a folder whose ACL denies listing:
 *     FindFirstFileW inside it fails with ERROR_ACCESS_DENIED (5).
 *   - Junctions and symbolic links: a symbolic link is reported as a reparse point,
 *     FILE_ATTRIBUTE_REPARSE_POINT (0x400) with FILE_ATTRIBUTE_DIRECTORY for a link to a
 *     folder, dwReserved0 = IO_REPARSE_TAG_SYMLINK, and GetFileAttributesW does not follow it.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wctype.h>
#include "kernel32_lab.h"
#include "lab.h"
#include "model_paths.h"

#define FILE_ATTRIBUTE_DIRECTORY 0x10u
#define FILE_ATTRIBUTE_NORMAL    0x80u
#define INVALID_FILE_ATTRIBUTES  0xFFFFFFFFu
#define ERROR_FILE_NOT_FOUND     2u
#define ERROR_PATH_NOT_FOUND     3u
#define ERROR_ACCESS_DENIED      5u
#define ERROR_NO_MORE_FILES      18u
#define ERROR_INVALID_PARAMETER  87u
#define ERROR_INVALID_NAME       123u
#define ERROR_ALREADY_EXISTS     183u
#define FILE_ATTRIBUTE_REPARSE_POINT 0x400u
#define IO_REPARSE_TAG_SYMLINK   0xA000000Cu
#define CREATE_DIRECTORY_MAX     248u   /* CreateDirectoryW's documented limit (MAX_PATH - 12) */
#define ACCESS_DENIED_MARKER     ".lab-access-denied"

static void set_error(DWORD code)
{
    k32_set_last_error(code);
    errno = (int)code;
}

/* The lab path for a Windows path, or NULL with the last error set.  A path of `limit`
 * characters or more (the terminator included) without the \\?\ prefix fails with
 * ERROR_FILENAME_EXCED_RANGE, as for a process without long-path opt-in. */
static char *translate(const WCHAR *win, size_t limit)
{
    char *utf8 = win ? u16_to_utf8(win) : NULL;
    char *lab = NULL;
    if (utf8 && win32_path_too_long(utf8, limit)) {
        free(utf8);
        set_error(LAB_ERROR_FILENAME_EXCED);
        return NULL;
    }
    if (!utf8 || winpath_to_lab(utf8, &lab) != LAB_S_OK) {
        free(utf8);
        free(lab);
        set_error(ERROR_INVALID_NAME);
        return NULL;
    }
    free(utf8);
    return lab;
}

/* A parent that does not exist makes the path "not found" (3), a missing leaf "file not found" (2). */
static DWORD missing_error(const char *lab)
{
    char *parent = lab_strdup_printf("%s", lab);
    char *slash = parent ? strrchr(parent, '/') : NULL;
    if (slash)
        *slash = '\0';
    DWORD code = slash && lab_is_dir(parent) ? ERROR_FILE_NOT_FOUND : ERROR_PATH_NOT_FOUND;
    free(parent);
    return code;
}

/* A symbolic link is a reparse point of its own (not followed); a link to a folder is a
 * directory too, and a link whose target is gone is a plain reparse point. */
static DWORD link_attributes(const char *lab)
{
    struct stat target;
    return FILE_ATTRIBUTE_REPARSE_POINT |
           (stat(lab, &target) == 0 && S_ISDIR(target.st_mode) ? FILE_ATTRIBUTE_DIRECTORY : 0);
}

DWORD WINAPI GetFileAttributesW(const WCHAR *name)
{
    char *lab = translate(name, LAB_MAX_PATH);
    if (!lab)
        return INVALID_FILE_ATTRIBUTES;
    struct stat st;
    DWORD result = INVALID_FILE_ATTRIBUTES;
    if (lstat(lab, &st) == 0 && S_ISLNK(st.st_mode))
        result = link_attributes(lab);
    else if (stat(lab, &st) == 0)
        result = S_ISDIR(st.st_mode) ? FILE_ATTRIBUTE_DIRECTORY : FILE_ATTRIBUTE_NORMAL;
    else
        set_error(errno == EACCES ? ERROR_ACCESS_DENIED : missing_error(lab));
    free(lab);
    return result;
}

BOOL WINAPI CreateDirectoryW(const WCHAR *name, LPSECURITY_ATTRIBUTES attrs)
{
    (void)attrs;
    char *lab = translate(name, CREATE_DIRECTORY_MAX);
    if (!lab)
        return FALSE;
    BOOL ok = mkdir(lab, 0755) == 0;
    if (!ok)
        set_error(errno == EEXIST ? ERROR_ALREADY_EXISTS : errno == ENOENT ? ERROR_PATH_NOT_FOUND : ERROR_ACCESS_DENIED);
    free(lab);
    return ok;
}

BOOL WINAPI PathIsDirectoryEmptyW(const WCHAR *name)
{
    char *lab = translate(name, LAB_MAX_PATH);
    if (!lab)
        return FALSE;
    BOOL empty = lab_dir_is_empty(lab) == 1;
    free(lab);
    return empty;
}

/* ---- FindFirstFileW / FindNextFileW / FindClose ----
 *
 * The pattern is a Windows path whose last component may hold wildcards (`*`, `?`;
 * `*.*` matches every name), matched case-insensitively: `C:\dir\*`, `C:\dir\*.inf`,
 * `C:\dir\name.inf`.  The folder is listed once, at FindFirstFileW, sorted like NTFS
 * (".", "..", then names without case); "." and ".." are returned for folders other than
 * a drive root, as Windows does.  Errors: ERROR_PATH_NOT_FOUND (3) for a missing folder,
 * ERROR_FILE_NOT_FOUND (2) when nothing matches, ERROR_NO_MORE_FILES (18) at the end,
 * ERROR_INVALID_HANDLE (6) for a handle that is not an open search.
 *
 * Search handles are not pointers: like the event handles they encode a slot and a
 * generation, plus a tag bit (1 << 40) no event handle has, so a garbage, stale, closed or
 * event handle is rejected without being dereferenced. */

#define FIND_MAGIC 0x444E4946u   /* "FIND" */
#define MAX_FINDS  256
#define FIND_TAG   ((uint64_t)1 << 40)
#define FILE_ATTRIBUTE_READONLY 0x01u

typedef struct find_entry {
    char *name;
    DWORD attrs;
    uint64_t size;
    struct timespec ctime_, atime_, mtime_;
} find_entry;

typedef struct find_state {
    uint32_t magic;
    find_entry *items;
    size_t count, next;
} find_state;

typedef struct find_slot {
    find_state *state;
    uint32_t generation;
} find_slot;

static pthread_mutex_t find_lock = PTHREAD_MUTEX_INITIALIZER;
static find_slot find_slots[MAX_FINDS];

static void free_state(find_state *f)
{
    for (size_t i = 0; f && i < f->count; i++)
        free(f->items[i].name);
    if (f) {
        f->magic = 0;
        free(f->items);
        free(f);
    }
}

/* Caller holds find_lock.  The slot, or NULL for a handle that is not an open search. */
static find_slot *find_lookup(HANDLE h)
{
    uint64_t v = (uint64_t)(uintptr_t)h;
    uint64_t index = ((v >> 2) & 0x3FFFF) - 1;
    if ((v & 3) || (v & ~(FIND_TAG | 0xFFFFFFFFFull)) || !(v & FIND_TAG) || index >= MAX_FINDS ||
        !find_slots[index].state || find_slots[index].state->magic != FIND_MAGIC ||
        (find_slots[index].generation & 0xFFFF) != ((v >> 20) & 0xFFFF))
        return NULL;
    return &find_slots[index];
}

static WCHAR fold(WCHAR c)
{
    return (c < 0xD800) ? (WCHAR)towupper(c) : c;
}

static int wild_match(const WCHAR *pat, const WCHAR *name)
{
    for (; *pat; pat++, name++) {
        if (*pat == '*') {
            while (pat[1] == '*')
                pat++;
            if (!pat[1])
                return 1;
            for (const WCHAR *n = name; *n; n++)
                if (wild_match(pat + 1, n))
                    return 1;
            return wild_match(pat + 1, name + u16_len(name));
        }
        if (!*name || (*pat != '?' && fold(*pat) != fold(*name)))
            return 0;
    }
    return *name == 0;
}

static int name_matches(const char *pattern, const char *name)
{
    if (strcmp(pattern, "*.*") == 0 || strcmp(pattern, "*") == 0)
        return 1;
    WCHAR *p = malloc(utf8_to_u16(pattern, NULL) * sizeof(WCHAR));
    WCHAR *n = malloc(utf8_to_u16(name, NULL) * sizeof(WCHAR));
    int ok = 0;
    if (p && n) {
        utf8_to_u16(pattern, p);
        utf8_to_u16(name, n);
        ok = wild_match(p, n);
    }
    free(p);
    free(n);
    return ok;
}

static int entry_order(const void *a, const void *b)
{
    const char *x = ((const find_entry *)a)->name, *y = ((const find_entry *)b)->name;
    int dx = strcmp(x, ".") == 0 ? 0 : strcmp(x, "..") == 0 ? 1 : 2;
    int dy = strcmp(y, ".") == 0 ? 0 : strcmp(y, "..") == 0 ? 1 : 2;
    if (dx != dy || dx < 2)
        return dx - dy;
    int c = utf8_casecmp(x, y);
    return c ? c : strcmp(x, y);
}

static int is_drive_root(const char *lab_dir)
{
    char *drives = lab_path("drives");
    const char *slash = strrchr(lab_dir, '/');
    int root = drives && slash && strlen(drives) == (size_t)(slash - lab_dir) &&
               strncmp(drives, lab_dir, strlen(drives)) == 0;
    free(drives);
    return root;
}

/* Lists the matches of `pattern` in `lab_dir`; 0, or a Win32 error. */
static DWORD list_matches(const char *lab_dir, const char *pattern, find_state *f)
{
    char *marker = lab_strdup_printf("%s/%s", lab_dir, ACCESS_DENIED_MARKER);
    int denied = marker && access(marker, F_OK) == 0;
    free(marker);
    if (denied)
        return ERROR_ACCESS_DENIED;   /* the lab's stand-in for an ACL that denies listing */
    DIR *d = opendir(lab_dir);
    if (!d)
        return errno == EACCES ? ERROR_ACCESS_DENIED : ERROR_PATH_NOT_FOUND;
    int root = is_drive_root(lab_dir);
    DWORD err = 0;
    size_t cap = 0;
    for (struct dirent *e = readdir(d); e && !err; e = readdir(d)) {
        int dots = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
        if ((dots && root) || !name_matches(pattern, e->d_name))
            continue;
        char *full = lab_strdup_printf("%s/%s", lab_dir, e->d_name);
        struct stat st, own;
        if (!full || lstat(full, &own) != 0 || stat(full, &st) != 0) {
            free(full);
            continue;   /* a dangling link or a file removed meanwhile */
        }
        free(full);
        int link = S_ISLNK(own.st_mode);
        if (f->count == cap) {
            cap = cap ? cap * 2 : 16;
            find_entry *grown = realloc(f->items, cap * sizeof(*grown));
            if (!grown) {
                err = 8;   /* ERROR_NOT_ENOUGH_MEMORY */
                break;
            }
            f->items = grown;
        }
        find_entry *x = &f->items[f->count];
        if (!(x->name = strdup(e->d_name))) {
            err = 8;
            break;
        }
        f->count++;
        x->attrs = S_ISDIR(st.st_mode) ? FILE_ATTRIBUTE_DIRECTORY
                 : (st.st_mode & 0222) ? FILE_ATTRIBUTE_NORMAL : FILE_ATTRIBUTE_READONLY;
        if (link)   /* a reparse point; NORMAL is only ever alone */
            x->attrs = (x->attrs & ~FILE_ATTRIBUTE_NORMAL) | FILE_ATTRIBUTE_REPARSE_POINT;
        x->size = S_ISDIR(st.st_mode) || link ? 0 : (uint64_t)st.st_size;
        x->ctime_ = st.st_ctim;
        x->atime_ = st.st_atim;
        x->mtime_ = st.st_mtim;
    }
    closedir(d);
    if (!err && f->count == 0)
        err = ERROR_FILE_NOT_FOUND;
    if (!err)
        qsort(f->items, f->count, sizeof(find_entry), entry_order);
    return err;
}

static FILETIME filetime(struct timespec t)
{
    uint64_t v = ((uint64_t)t.tv_sec + 11644473600ull) * 10000000ull + (uint64_t)t.tv_nsec / 100;
    FILETIME ft = { (DWORD)v, (DWORD)(v >> 32) };
    return ft;
}

static void fill_find_data(const find_entry *x, LPWIN32_FIND_DATAW data)
{
    memset(data, 0, sizeof(*data));
    data->dwFileAttributes = x->attrs;
    data->ftCreationTime = filetime(x->ctime_);
    data->ftLastAccessTime = filetime(x->atime_);
    data->ftLastWriteTime = filetime(x->mtime_);
    data->nFileSizeHigh = (DWORD)(x->size >> 32);
    data->nFileSizeLow = (DWORD)x->size;
    if (x->attrs & FILE_ATTRIBUTE_REPARSE_POINT)
        data->dwReserved0 = IO_REPARSE_TAG_SYMLINK;
    size_t units = utf8_to_u16(x->name, NULL);
    WCHAR *w = malloc(units * sizeof(WCHAR));
    if (w) {
        utf8_to_u16(x->name, w);
        size_t n = units - 1 < 259 ? units - 1 : 259;
        memcpy(data->cFileName, w, n * sizeof(WCHAR));
        free(w);
    }
}

HANDLE WINAPI FindFirstFileW(const WCHAR *pattern, LPWIN32_FIND_DATAW data)
{
    if (!pattern || !data) {
        set_error(ERROR_INVALID_PARAMETER);
        return INVALID_HANDLE_VALUE;
    }
    char *utf8 = u16_to_utf8(pattern);
    if (!utf8) {
        set_error(ERROR_INVALID_NAME);
        return INVALID_HANDLE_VALUE;
    }
    if (win32_path_too_long(utf8, LAB_MAX_PATH)) {
        free(utf8);
        set_error(ERROR_PATH_NOT_FOUND);   /* FindFirstFileW's error for a path over MAX_PATH */
        return INVALID_HANDLE_VALUE;
    }
    /* The folder part is translated like any path; only the last component may have wildcards. */
    char *sep = utf8 + strlen(utf8);
    while (sep > utf8 && sep[-1] != '\\' && sep[-1] != '/')
        sep--;
    char *last = strdup(sep);
    char *dir_win = NULL;
    if (sep == utf8)
        dir_win = strdup(".");
    else if (sep - utf8 == 3 && utf8[1] == ':')
        dir_win = strndup(utf8, 3);                      /* C:\ */
    else
        dir_win = strndup(utf8, (size_t)(sep - utf8 - 1));
    free(utf8);
    char *lab = NULL;
    DWORD err = 0;
    if (!last || !dir_win)
        err = 8;
    else if (!last[0])
        err = ERROR_FILE_NOT_FOUND;                      /* "C:\dir\" names no file */
    else if (strpbrk(dir_win + (lab_path_is_extended(dir_win) ? 4 : 0), "*?") ||   /* \\?\ is no wildcard */
             winpath_to_lab(dir_win, &lab) != LAB_S_OK)
        err = ERROR_INVALID_NAME;
    else if (!lab_is_dir(lab))
        err = ERROR_PATH_NOT_FOUND;
    find_state *f = err ? NULL : calloc(1, sizeof(*f));
    if (!err && !f)
        err = 8;
    if (!err)
        err = list_matches(lab, last, f);
    free(lab);
    free(last);
    free(dir_win);
    HANDLE h = INVALID_HANDLE_VALUE;
    if (!err) {
        pthread_mutex_lock(&find_lock);
        size_t i = 0;
        while (i < MAX_FINDS && find_slots[i].state)
            i++;
        if (i < MAX_FINDS) {
            f->magic = FIND_MAGIC;
            find_slots[i].state = f;
            find_slots[i].generation++;
            h = (HANDLE)(uintptr_t)(FIND_TAG | ((uint64_t)(find_slots[i].generation & 0xFFFF) << 20) |
                                    ((uint64_t)(i + 1) << 2));
            fill_find_data(&f->items[0], data);
            f->next = 1;
        }
        pthread_mutex_unlock(&find_lock);
        if (h == INVALID_HANDLE_VALUE)
            err = 4;   /* ERROR_TOO_MANY_OPEN_FILES */
    }
    if (err) {
        free_state(f);
        set_error(err);
        return INVALID_HANDLE_VALUE;
    }
    k32_set_last_error(0);
    return h;
}

BOOL WINAPI FindNextFileW(HANDLE h, LPWIN32_FIND_DATAW data)
{
    DWORD err = 0;
    pthread_mutex_lock(&find_lock);
    find_slot *s = find_lookup(h);
    if (!s)
        err = ERROR_INVALID_HANDLE;
    else if (!data)
        err = ERROR_INVALID_PARAMETER;
    else if (s->state->next >= s->state->count)
        err = ERROR_NO_MORE_FILES;
    else
        fill_find_data(&s->state->items[s->state->next++], data);
    pthread_mutex_unlock(&find_lock);
    if (err)
        set_error(err);
    return err == 0;
}

BOOL WINAPI FindClose(HANDLE h)
{
    pthread_mutex_lock(&find_lock);
    find_slot *s = find_lookup(h);
    find_state *f = s ? s->state : NULL;
    if (s)
        s->state = NULL;
    pthread_mutex_unlock(&find_lock);
    free_state(f);
    if (!s)
        set_error(ERROR_INVALID_HANDLE);
    return s != NULL;
}
