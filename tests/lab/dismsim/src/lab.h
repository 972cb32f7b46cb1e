/*
 * Internal interface of the DISM lab simulator.
 *
 * Layers (each file has one job):
 *   abi_*.c    exported DISM functions: UTF-16 in/out, returned memory, the
 *              common call prologue/epilogue (abi_call.c)
 *   model_*.c  the DISM rules and the simulated host's state, in UTF-8
 *   support    utf16.c, winpath.c, lasterror.c, memory.c, log.c, faults.c, calls.c,
 *              progress.c, labroot.c
 *
 * Model code never sees UTF-16 and never allocates memory the caller frees;
 * ABI code never decides a DISM rule.
 */
#ifndef WINIMAGING_LAB_H
#define WINIMAGING_LAB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "dismapi_lab.h"

/* ---- HRESULTs the lab returns (values from dism-api.md section 5) ---- */
#define LAB_HR(x)               ((HRESULT)(uint32_t)(x))
#define LAB_S_OK                LAB_HR(0x00000000)
#define LAB_S_RELOAD            LAB_HR(0x00000001)
#define LAB_S_REBOOT            LAB_HR(0x00000BC2)
#define LAB_E_NOTIMPL           LAB_HR(0x80004001)
#define LAB_E_FAIL              LAB_HR(0x80004005)
#define LAB_E_FILE_NOT_FOUND    LAB_HR(0x80070002)
#define LAB_E_PATH_NOT_FOUND    LAB_HR(0x80070003)
#define LAB_E_ACCESS_DENIED     LAB_HR(0x80070005)
#define LAB_E_EXCLUSIVE_WOULD_MERGE LAB_HR(0x800F082F)   /* CBS: a pending change blocks this one */
#define LAB_E_INVALID_HANDLE    LAB_HR(0x80070006)
#define LAB_E_BAD_FORMAT        LAB_HR(0x8007000B)
#define LAB_E_CRC               LAB_HR(0x80070017)
#define LAB_E_OUTOFMEMORY       LAB_HR(0x8007000E)
#define LAB_E_BAD_NETPATH       LAB_HR(0x80070035)
#define LAB_E_INVALIDARG        LAB_HR(0x80070057)
#define LAB_E_INVALID_NAME      LAB_HR(0x8007007B)
#define LAB_E_ENVVAR_NOT_FOUND  LAB_HR(0x800700CB)
#define LAB_E_DIRECTORY         LAB_HR(0x8007010B)
#define LAB_E_NOT_FOUND         LAB_HR(0x80070490)
#define LAB_E_FILE_CORRUPT      LAB_HR(0x80070570)
#define LAB_E_CANCELLED         LAB_HR(0x800704C7)
#define LAB_E_ALREADY_INIT      LAB_HR(0x800704DF)
#define LAB_E_NOT_INITIALIZED   LAB_HR(0xC0040001)
#define LAB_E_OPEN_SESSIONS     LAB_HR(0xC0040003)
#define LAB_E_INVALID_SESSION   LAB_HR(0xC0040004)
#define LAB_E_LOGGING_DISABLED  LAB_HR(0xC0040009)
#define LAB_E_INVALID_INDEX     LAB_HR(0xC0040005)
#define LAB_E_INVALID_NAME_IMG  LAB_HR(0xC0040006)
#define LAB_E_NOT_A_MOUNT       LAB_HR(0xC0040007)
#define LAB_E_SESSIONS_UNMOUNT  LAB_HR(0xC004000A)
#define LAB_E_SESSIONS_MOUNT    LAB_HR(0xC004000B)
#define LAB_E_SESSIONS_REMOUNT  LAB_HR(0xC004000C)
#define LAB_E_MUST_BE_ONLINE    LAB_HR(0xC004000E)
/* Mount layer (dism-api.md 5.4; the lab's choices for low-confidence ones are in the README). */
#define LAB_E_READONLY_COMMIT   LAB_HR(0xC142010C)
#define LAB_E_DIR_MOUNTED       LAB_HR(0xC1420113)
#define LAB_E_DIR_NOT_EMPTY     LAB_HR(0xC1420114)
#define LAB_E_FILES_OPEN        LAB_HR(0xC1420117)
#define LAB_E_ALREADY_RW        LAB_HR(0xC1420127)
#define LAB_E_ESD_NOT_MOUNTABLE LAB_HR(0xC142013C)
#define LAB_E_NEEDS_REMOUNT     LAB_HR(0xC1510114)
/* Driver servicing (README "The driver model"): HRESULT_FROM_SETUPAPI values and WinTrust. */
#define LAB_E_NOT_SUPPORTED     LAB_HR(0x80070032)   /* add/remove driver on an online image */
#define LAB_E_INF_SYNTAX        LAB_HR(0x800F0003)   /* SPAPI_E_GENERAL_SYNTAX */
#define LAB_E_INF_STYLE         LAB_HR(0x800F0100)   /* SPAPI_E_WRONG_INF_STYLE */
#define LAB_E_NO_COMPAT_DRIVERS LAB_HR(0x800F0228)   /* SPAPI_E_NO_COMPAT_DRIVERS */
#define LAB_E_NO_CATALOG        LAB_HR(0x800F022F)   /* SPAPI_E_NO_CATALOG_FOR_OEM_INF */
#define LAB_E_NO_SIGNATURE      LAB_HR(0x800B0100)   /* TRUST_E_NOSIGNATURE */

#define LAB_FAILED(hr)          ((hr) < 0)

/* The two reserved-storage exports are in Microsoft's DismApi.h but not in
 * the mingw-w64 copy, so their prototypes are declared here. */
HRESULT WINAPI DismGetReservedStorageState(DismSession Session, PDWORD State);
HRESULT WINAPI DismSetReservedStorageState(DismSession Session, DWORD State);

/* ---- labroot.c: where the simulated host lives ---- */
const char *lab_root(void);                  /* $DISM_LAB_ROOT or NULL */
char *lab_path(const char *fmt, ...)         /* $DISM_LAB_ROOT/<fmt>, malloc'd */
    __attribute__((format(printf, 1, 2)));
char *lab_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int lab_mkdirs(const char *path);            /* mkdir -p; 0 or -1 */
int lab_is_dir(const char *path);
int lab_dir_is_empty(const char *path);     /* 1 empty, 0 not, -1 error */
int lab_empty_dir(const char *path);        /* removes the contents; 0 or -1 */
int lab_same_path(const char *lab_a, const char *lab_b); /* same file, or equal ignoring case */
int lab_is_under(const char *lab_path, const char *lab_dir); /* lab_dir itself or inside it */
HRESULT lab_hr_from_errno(int err);

/* ---- utf16.c ---- */
size_t u16_len(const WCHAR *s);
char *u16_to_utf8(const WCHAR *s);           /* malloc'd; NULL on ENOMEM */
size_t utf8_to_u16(const char *s, WCHAR *dst); /* units written incl. NUL; dst NULL = count */
int utf8_casecmp(const char *a, const char *b); /* NTFS-like case-insensitive compare */

/* ---- lasterror.c: per-thread last-error message ---- */
HRESULT lab_fail(HRESULT hr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
HRESULT lab_fail_text(HRESULT hr, const char *text); /* message exactly `text` */
const char *lab_hr_text(HRESULT hr);         /* Windows wording, or NULL */
void lab_error_mark(void);                   /* start of a call */
int lab_error_fresh(void);                   /* set since lab_error_mark()? */
const char *lab_error_get(void);             /* NULL when none on this thread */

/* ---- memory.c: blocks handed to the caller, released by DismDelete ---- */
typedef struct lab_arena {
    char *base;
    size_t used, cap;
} lab_arena;
int arena_init(lab_arena *a, size_t cap);    /* 0 or -1 */
void *arena_take(lab_arena *a, size_t n);    /* zeroed; 2-byte aligned */
WCHAR *arena_wstr(lab_arena *a, const char *utf8); /* NULL in -> NULL out */
size_t arena_wstr_bound(const char *utf8);
void *arena_publish(lab_arena *a);           /* registers a->base, returns it */
void arena_discard(lab_arena *a);
HRESULT lab_mem_release(void *p);            /* S_OK, or E_INVALIDARG if unknown */

/* ---- winpath.c: Windows path <-> lab path ---- */
HRESULT winpath_to_lab(const char *win, char **lab_out);
char *winpath_from_lab(const char *lab);     /* NULL if not under drives/ */
int winpath_same_file(const char *lab_a, const char *lab_b);

/* ---- log.c: dism.log ---- */
enum lab_log_level { LAB_LOG_ERROR = 0, LAB_LOG_WARNING = 1, LAB_LOG_INFO = 2 };
HRESULT log_open(int level, const char *win_path);
void log_close(void);
void log_write(enum lab_log_level lvl, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- faults.c ---- */
typedef struct lab_fault_result {
    HRESULT late_success;   /* success code to return after the work, or 0 */
} lab_fault_result;
HRESULT faults_check(const char *func, lab_fault_result *out);

/* ---- progress.c: one helper for every long operation ---- */
typedef struct lab_progress {
    HANDLE cancel;
    DISM_PROGRESS_CALLBACK callback;
    PVOID user_data;
    UINT total;
    unsigned calls;
} lab_progress;
void progress_init(lab_progress *p, HANDLE cancel, DISM_PROGRESS_CALLBACK cb, PVOID user, UINT total);
HRESULT progress_cancelled(lab_progress *p);       /* S_OK or ERROR_CANCELLED */
HRESULT progress_report(lab_progress *p, UINT current); /* pause, cancel check, callback */
HRESULT progress_run(lab_progress *p, UINT steps);     /* steps evenly up to total */
void progress_finish(lab_progress *p);                 /* Current == Total, not cancellable */

/* ---- calls.c: per-host accounting of every exported call (lab/dism-calls.log) ---- */
void calls_count(const char *func);

/* ---- abi_call.c: prologue/epilogue shared by every export ---- */
enum lab_call_flags {
    LAB_CALL_NEEDS_INIT = 1,   /* 0xC0040001 before DismInitialize */
    LAB_CALL_NEEDS_ROOT = 2,   /* fails when DISM_LAB_ROOT is unset */
    LAB_CALL_SETS_ERROR = 4,   /* failures update the last-error message */
};
typedef struct lab_call {
    const char *func;
    int flags;
    lab_fault_result fault;
} lab_call;
HRESULT call_enter(lab_call *c, const char *func, int flags);
HRESULT call_leave(lab_call *c, HRESULT hr);
HRESULT abi_utf8(PCWSTR in, char **out);                         /* NULL -> NULL; E_OUTOFMEMORY */
HRESULT abi_utf8_array(PCWSTR *in, UINT count, char ***out);     /* count 0 -> NULL; NULL `in` -> E_INVALIDARG */
void abi_free_array(char **list, UINT count);
#define LAB_CALL_DEFAULT (LAB_CALL_NEEDS_INIT | LAB_CALL_NEEDS_ROOT | LAB_CALL_SETS_ERROR)
HRESULT call_not_simulated(const char *func);

/* ---- model_process.c: DismInitialize/DismShutdown state ---- */
HRESULT process_initialize(int log_level, const char *log_path, const char *scratch);
HRESULT process_shutdown(void);
int process_is_initialized(void);

/* ---- model_session.c ---- */
typedef struct lab_session {
    UINT id;
    int online;
    char *image_root;        /* lab path of the image root (online: drives/C) */
    char *windows_dir;       /* lab path of <root>\<WindowsDirectory> */
    char *system_drive;      /* "C:" style, or NULL */
} lab_session;
HRESULT session_open(const char *image_path, const char *windows_dir,
                     const char *system_drive, UINT *id_out);
HRESULT session_close(UINT id);
HRESULT session_acquire(UINT id, lab_session **out);  /* pins against close */
void session_release(lab_session *s);
size_t session_count(void);
const char *session_online_path(void);   /* the DISM_ONLINE_IMAGE text in UTF-8 */

/* ---- model_image.c: image files ---- */
typedef struct lab_systime { unsigned short v[8]; } lab_systime;
typedef struct lab_image {
    int type;                /* DismImageTypeWim / DismImageTypeVhd */
    unsigned index;
    char *name, *description;
    uint64_t size;
    unsigned arch;
    char *product_name, *edition_id, *installation_type, *hal;
    char *product_type, *product_suite, *system_root;
    unsigned major, minor, build, sp_build, sp_level;
    int bootable;            /* DismImageBootable */
    char **languages;
    size_t language_count;
    unsigned default_language;
    int has_customized;
    unsigned dir_count, file_count;
    lab_systime created, modified;
} lab_image;
HRESULT image_read_info(const char *win_path, lab_image **out, size_t *count);
void image_free_list(lab_image *list, size_t count);

/* ---- model_mounts.c: the machine-wide mount registry ---- */
typedef struct lab_mount {
    char *id;
    char *mount_path;        /* Windows path */
    char *image_path;        /* Windows path */
    unsigned index;
    int mode;                /* DismMountMode */
    int status;              /* DismMountStatus */
    int optimize;            /* mounted with DISM_MOUNT_OPTIMIZE */
} lab_mount;
HRESULT mounts_list(lab_mount **out, size_t *count);
HRESULT mounts_save(const lab_mount *m);   /* records the current boot id */
HRESULT mounts_delete(const lab_mount *m);
void mounts_free_list(lab_mount *list, size_t count);
char *mounts_new_id(void);                 /* sortable by mount time; malloc'd */
int mounts_find(const lab_mount *list, size_t n, const char *lab_folder); /* index or -1 */
HRESULT mounts_lock(int *fd_out);          /* machine-wide mount-layer lock (flock) */
void mounts_unlock(int fd);

/* ---- model_session_registry.c: open sessions of every process of the host ---- */
HRESULT sessreg_add(UINT id, const char *image_root_lab);
void sessreg_remove(UINT id);
size_t sessreg_count_on(const char *lab_folder);  /* live sessions on that image root */

/* ---- model_mount.c, model_unmount.c, model_remount.c: DISM's mounting rules ---- */
typedef struct lab_mount_args {
    const char *image_path;  /* Windows path */
    const char *mount_path;  /* Windows path */
    unsigned index;
    const char *name;        /* NULL unless identifier is DismImageName */
    int identifier;          /* DismImageIdentifier */
    DWORD flags;             /* DISM_MOUNT_* */
} lab_mount_args;
HRESULT mount_image(const lab_mount_args *a, lab_progress *p);
HRESULT unmount_image(const char *mount_path, DWORD flags, lab_progress *p);
HRESULT commit_session(const lab_session *s, DWORD flags, lab_progress *p);
HRESULT remount_image(const char *mount_path);
HRESULT cleanup_mountpoints(void);
HRESULT mounts_check_serviceable(const char *lab_folder, const char *win_path); /* for OpenSession */

/* ---- model_features.c, model_feature_*.c, model_payload.c: optional features ---- */
typedef struct lab_feature {
    char *name, *display_name, *description;
    int state;               /* DismPackageFeatureState */
    int next_state;          /* the state at the next boot (pending states), else -1 */
    int restart;             /* DismRestartType */
    char **parents;
    size_t parent_count;
    char **props;            /* custom properties, "Path\Name=Value" */
    size_t prop_count;
} lab_feature;
typedef struct lab_catalog {
    char *path;              /* lab path of <WindowsDir>/servicing/LabFeatures.txt */
    int server;              /* sku=server */
    unsigned build;
    char *arch;
    char *pending_boot;      /* boot id the pending states wait to leave */
    lab_feature *items;
    size_t count;
} lab_catalog;
typedef struct lab_enable_args {
    const char *names;       /* one name or a ';'-separated list */
    const char *identifier;  /* package name/path or NULL */
    int package_kind;        /* DismPackageIdentifier */
    int limit_access;
    const char *const *sources; /* Windows paths (NULL entries are skipped) */
    size_t source_count;
    int enable_all;
} lab_enable_args;
/* textstore.c: the text stores of features, capabilities, packages and drivers. */
typedef HRESULT (*textstore_line_fn)(void *ctx, const char *key, char *value, size_t lineno);
typedef void (*textstore_write_fn)(FILE *f, const void *ctx);
HRESULT textstore_lock(const char *kinds, const char *kind, int *fd_out);  /* state/<kinds>.lock, exclusive */
void textstore_unlock(int fd);                                              /* -1: nothing */
/* Calls on_line for each key=value line (comments and blank lines skipped); stops at the first error. */
HRESULT textstore_parse(FILE *f, const char *path, const char *what, textstore_line_fn on_line, void *ctx);
/* Writes <path>.tmp with write_lines, syncs it and renames it over path. */
HRESULT textstore_rewrite(const char *path, const char *what, textstore_write_fn write_lines, const void *ctx);
int textstore_fields(char *value, char **field, int max);  /* cuts at '|': how many fields (<= max) */
char *textstore_next_state(char *state_field);             /* "A>B": cuts at '>', returns "B" or NULL */
int textstore_parse_enum(const char *v, const char *const *names, int n);  /* a name or its number, or -1 */
int textstore_parse_state(const char *v);                  /* DismPackageFeatureState name or number, or -1 */
int textstore_parse_restart(const char *v);                /* No, Possible, Required (0..2), or -1 */
const char *textstore_restart_name(int restart);
const char *feature_state_name(int state);
char **split_list(const char *s, char sep, size_t *count);  /* trimmed, non-empty items */
void free_list(char **list, size_t n);
int feature_is_enabled(int state);               /* Installed or InstallPending */
HRESULT features_read(const lab_session *s, lab_catalog *c);
HRESULT features_open(const lab_session *s, lab_catalog *c, int *lock_fd); /* lock, read, reboot rule */
void features_close(lab_catalog *c, int lock_fd);
void features_free(lab_catalog *c);
HRESULT features_save(const lab_catalog *c);
int features_find(const lab_catalog *c, const char *name);
HRESULT features_lookup(const lab_catalog *c, const char *name, int *index);
char *features_foundation_package(const lab_catalog *c);
HRESULT features_check_package(const lab_catalog *c, const char *identifier, int kind, int *not_added);
HRESULT features_query(const lab_session *s, const char *identifier, int kind, const char *name,
                       lab_catalog *c, int *index);
HRESULT features_resolve_names(const lab_catalog *c, const char *names, int **idx, size_t *n);
HRESULT features_check_writable(const lab_session *s);
HRESULT features_check_pending_block(const lab_session *s, const lab_catalog *c, const int *idx, size_t n);
HRESULT features_commit(lab_session *s, lab_catalog *c, int any_pending, lab_progress *p);
HRESULT payload_find(const lab_session *s, const lab_catalog *c, const lab_enable_args *a, const char *feature);
HRESULT features_enable(lab_session *s, const lab_enable_args *a, lab_progress *p);
HRESULT features_disable(lab_session *s, const char *names, const char *package, int remove_payload,
                         lab_progress *p);
char *lab_boot_id(void);                         /* contents of state/boot-id, "0" if absent */

/* ---- model_capabilities.c, model_capability_change.c: capabilities (Features on Demand),
 *      README "The capability model"; model_payload.c finds their payloads too ---- */
typedef struct lab_capability {
    char *name, *display_name, *description;
    int state;               /* DismPackageFeatureState */
    int next_state;          /* the state at the next boot (pending states), else -1 */
    int restart;             /* DismRestartType */
    int payload;             /* 1: the payload is on disk (no source needed to add it) */
    unsigned download_size, install_size;
} lab_capability;
typedef struct lab_cap_store {
    char *path;              /* lab path of <WindowsDir>/servicing/LabCapabilities.txt */
    char *pending_boot;      /* boot id the pending states wait to leave */
    lab_capability *items;
    size_t count;
} lab_cap_store;
enum lab_payload_kind { LAB_PAYLOAD_FEATURE, LAB_PAYLOAD_CAPABILITY };
HRESULT payload_search(const lab_session *s, const lab_catalog *c, const lab_enable_args *a, const char *name,
                       int kind, const char *func);   /* payload_find for features or capabilities */
HRESULT capabilities_read(const char *windows_dir, lab_cap_store *c);   /* no lock, no reboot rule */
HRESULT capabilities_open(const lab_session *s, lab_cap_store *c, int *lock_fd); /* lock, read, reboot rule */
void capabilities_close(lab_cap_store *c, int lock_fd);
void capabilities_free(lab_cap_store *c);
HRESULT capabilities_save(const lab_cap_store *c);
HRESULT capabilities_query(const lab_session *s, const char *name, lab_cap_store *c, int *index);
int capabilities_find(const lab_cap_store *c, const char *name);
HRESULT capabilities_lookup(const lab_cap_store *c, const char *name, int *index);
HRESULT capabilities_add(lab_session *s, const char *name, int limit_access, const char *const *sources,
                         size_t source_count, lab_progress *p);
HRESULT capabilities_remove(lab_session *s, const char *name, lab_progress *p);

/* ---- model_servicing.c: the checks every servicing change shares ---- */
HRESULT servicing_check_writable(const lab_session *s, const char *what);   /* read-only mount: 0x80070005 */
int servicing_pending_block(const lab_session *s, HRESULT *code);  /* online + lab/pending-block: 1, its code */
int servicing_rebooted_since(const char *pending_boot);  /* set, and state/boot-id differs from it */
int servicing_is_pending(int state);             /* InstallPending or UninstallPending */
char *servicing_pending_feature(const lab_session *s, int *state); /* a feature pending in this boot, or NULL */

/* ---- model_package_file.c, model_packages.c, model_package_change.c: packages (.cab, .msu,
 *      expanded folders), README "The package model" ---- */
typedef struct lab_pkg_meta {
    char *name, *token, *arch, *language, *version;   /* the identity's parts */
    char *identity;          /* name~token~arch~language~version */
    char *display_name, *description, *company, *copyright, *support, *product_name, *product_version;
    char *creation_time;     /* ISO 8601, or NULL */
    char *applies_arch, *applies_edition, *supersedes, *requires, *capability;
    char *file_name;         /* the file it was read from (InstallPackageName) */
    char *body;              /* its key=value lines, as stored in servicing/Packages/<identity>.mum */
    int release_type;        /* DismReleaseType */
    int restart;             /* DismRestartType */
    int offline;             /* DismFullyOfflineInstallableType */
    unsigned applies_build;  /* 0: any */
    int permanent;
} lab_pkg_meta;
enum lab_pkg_kind { LAB_PKG_CAB, LAB_PKG_FOLDER, LAB_PKG_MSU };
HRESULT package_file_load(const char *what, const char *win_path, lab_pkg_meta **metas, size_t *count, int *kind);
HRESULT package_meta_parse(const char *body, const char *file_name, const char *where, lab_pkg_meta *m);
void package_meta_free(lab_pkg_meta *m);
void package_metas_free(lab_pkg_meta *metas, size_t count);
int package_version_cmp(const char *a, const char *b);
int package_release_type(const char *name);      /* a DismReleaseType name or number -> value, else -1 */
const char *package_release_name(int type);
int package_path_is_msu(const char *win_path);
typedef struct lab_pkg_entry {
    char *identity;
    int state;               /* DismPackageFeatureState */
    int next_state;          /* the state at the next boot (NotPresent: the entry goes), else -1 */
    int release_type;        /* DismReleaseType */
    char *install_time;      /* ISO 8601 UTC */
    int permanent;
} lab_pkg_entry;
typedef struct lab_pkg_store {
    char *path;              /* lab path of <WindowsDir>/servicing/LabPackages.txt */
    char *mum_dir;           /* lab path of <WindowsDir>/servicing/Packages */
    char *pending_boot;      /* boot id the pending states wait to leave */
    unsigned build;          /* the image's build, architecture and edition (applicability) */
    char *arch, *edition;
    lab_pkg_entry *items;
    size_t count;
} lab_pkg_store;
HRESULT packages_open(const lab_session *s, lab_pkg_store *st, int *lock_fd);   /* lock, read, reboot rule */
HRESULT packages_query(const lab_session *s, lab_pkg_store *st);                 /* the same, lock released */
void packages_close(lab_pkg_store *st, int lock_fd);
void packages_free(lab_pkg_store *st);
HRESULT packages_save(const lab_pkg_store *st);
int packages_find(const lab_pkg_store *st, const char *identity);               /* case-insensitive, or -1 */
HRESULT packages_meta(const lab_pkg_store *st, int index, lab_pkg_meta *m);     /* its .mum copy */
HRESULT packages_write_meta(const lab_pkg_store *st, const lab_pkg_meta *m);
void packages_delete(lab_pkg_store *st, int index);                             /* entry and .mum */
int packages_applicable(const lab_pkg_store *st, const lab_pkg_meta *m, char **why);  /* 1, or 0 + why */
void packages_restore_superseded(lab_pkg_store *st, const char *identity);      /* after it went */
HRESULT packages_add(lab_session *s, const char *path, int ignore_check, int prevent_pending, lab_progress *p);
HRESULT packages_remove(lab_session *s, const char *identifier, int kind, lab_progress *p);
char *lab_now_iso(void);                         /* the current UTC time, ISO 8601 */

/* ---- inf_parse.c: driver INF files ---- */
typedef struct lab_inf_driver {
    char *manufacturer, *description, *hardware_id;
    unsigned arch;           /* PROCESSOR_ARCHITECTURE: 9 amd64, 0 x86, 12 arm64 */
    char *service;           /* AddService of the install section, or NULL */
    char *compatible_ids;    /* the model line's further ids, comma-separated, or NULL */
} lab_inf_driver;
typedef struct lab_inf {
    char *class_name, *class_guid, *provider;
    char *catalog, *catalog_amd64, *catalog_x86;   /* CatalogFile[.NTamd64|.NTx86] or NULL */
    lab_systime date;        /* DriverVer */
    unsigned version[4];
    int boot_start;          /* a service of the package has StartType 0 */
    lab_inf_driver *drivers;
    size_t driver_count;
    char **files_any, **files_amd64, **files_x86;  /* [SourceDisksFiles[.amd64|.x86]] */
    size_t files_any_count, files_amd64_count, files_x86_count;
} lab_inf;
HRESULT inf_parse(const char *lab_path, const char *win_path, lab_inf *out);
const char *inf_catalog_for(const lab_inf *inf, unsigned arch);
int inf_has_arch(const lab_inf *inf, unsigned arch);
void inf_keep_arch(lab_inf *inf, unsigned arch);  /* drops the other architectures' entries */
void inf_driver_free(lab_inf_driver *x);
void inf_free(lab_inf *inf);

/* ---- model_drivers.c, model_driver_change.c: the image's driver store ---- */
typedef struct lab_driver_pkg {
    char *published, *original, *catalog, *class_name, *class_guid, *class_desc, *provider;
    int inbox, boot_critical, signature;   /* DismDriverSignature */
    lab_systime date;
    unsigned version[4];
} lab_driver_pkg;
HRESULT drivers_list(const lab_session *s, int all, lab_driver_pkg **out, size_t *count);
HRESULT drivers_info(const lab_session *s, const char *path, lab_driver_pkg *pkg, lab_inf *inf);
HRESULT drivers_add(const lab_session *s, const char *path, int force_unsigned);
HRESULT drivers_remove(const lab_session *s, const char *published);
void driver_pkg_free(lab_driver_pkg *p);

/* ---- model_health.c ---- */
HRESULT health_check(lab_session *s, int scan, lab_progress *p, int *state_out);

#endif
