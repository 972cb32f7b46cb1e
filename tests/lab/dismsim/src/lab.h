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
char **split_list(const char *s, char sep, size_t *count);  /* trimmed, non-empty items */
void free_list(char **list, size_t n);
const char *feature_state_name(int state);
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
