/* State shared by the model_*.c files of one process (not by the ABI layer). */
#ifndef WINIMAGING_MODEL_STATE_H
#define WINIMAGING_MODEL_STATE_H
#include <pthread.h>
#include <unistd.h>
#include "lab.h"

/* Guards the process state and the session table together, so Shutdown
 * cannot race with OpenSession. */
extern pthread_mutex_t lab_state_lock;
size_t sessions_open_locked(void);

/* model_disk.c: copies the volume of a lab VHD/VHDX to a temporary WIM file
 * (*volume_out, malloc'd); the caller unlinks and frees it. */
HRESULT disk_extract_volume(const char *lab_path, const char *win_path, int vhdx, char **volume_out);

/* model_image.c: wimlib set-up and its errors as HRESULTs. */
void wim_init(void);
HRESULT wim_error(int err, const char *win_path);

/* progress.c: forwards wimlib's progress (extract, update, write) to a lab_progress,
 * scaled into [from, to]; a cancel makes wimlib stop with ABORTED_BY_PROGRESS
 * and leaves the HRESULT in `hr`. */
struct WIMStruct;
typedef struct lab_wim_progress {
    lab_progress *p;
    UINT from, to, last;
    HRESULT hr;
} lab_wim_progress;
void wim_progress_attach(struct WIMStruct *w, lab_wim_progress *wp, lab_progress *p, UINT from, UINT to);

/* model_disk.c: writes a copy of the lab disk `lab_path` whose volume is the
 * WIM file `volume` to `out_path` (header and footer kept, wim_length updated). */
HRESULT disk_write_with_volume(const char *lab_path, const char *win_path, int vhdx,
                               const char *volume, const char *out_path);

/* model_commit.c: writes the mount folder back into its image file (shared by
 * DismUnmountImage and DismCommitImage).  `fault_point` names the injectable
 * fault checked after the new file is complete, before it replaces the image. */
HRESULT commit_mount(const lab_mount *m, DWORD flags, lab_progress *p, const char *fault_point);

/* model_mount.c: extracts image `index` of the image file into `lab_folder`
 * (a WIM, or the volume of a lab VHD/VHDX), reporting progress from `from` to `to`. */
HRESULT mount_extract(const char *image_lab, const char *image_win, unsigned index,
                      const char *lab_folder, lab_progress *p, UINT from, UINT to);

/* Image kinds by extension, as DISM decides them. */
enum lab_image_kind { LAB_KIND_OTHER, LAB_KIND_WIM, LAB_KIND_ESD, LAB_KIND_VHD, LAB_KIND_VHDX };
int image_kind(const char *path);
HRESULT image_missing(const char *lab, const char *win_path); /* 0x80070002, or 0x80070003 without its folder */
/* Windows' read-only attribute: no write bit in the mode, or not writable for us. */
int image_is_read_only(const char *lab_path);

/* model_drivers.c: the driver store of an image (README "The driver model"). */
typedef struct lab_store_entry {
    char *published;         /* oemN.inf, or an inbox driver's own INF name */
    int inbox;
    char *original;          /* the INF's file name as staged */
    char *folder;            /* FileRepository\<folder> */
} lab_store_entry;
typedef struct lab_store {
    char *path;              /* lab path of <Windows>/System32/DriverStore/LabDriverStore.txt */
    char *repo;              /* lab path of .../DriverStore/FileRepository */
    char *inf_dir;           /* lab path of <Windows>/INF */
    char *arch_name;         /* amd64 | x86 */
    unsigned arch;           /* 9 | 0 */
    lab_store_entry *items;
    size_t count;
} lab_store;
HRESULT store_open(const lab_session *s, lab_store *st, int *lock_fd);   /* lock, then read */
HRESULT store_save(const lab_store *st);
void store_close(lab_store *st, int lock_fd);
int store_find(const lab_store *st, const char *published);
char *store_inf_path(const lab_store *st, const lab_store_entry *e);    /* lab path of the staged INF */
char *lab_find_ci(const char *dir, const char *name);  /* dir/name with the on-disk spelling, NULL if absent */
int catalog_is_signed(const char *lab_cat);

/* The simulated running OS: drives/<letter>, letter from DISM_LAB_SYSTEM_DRIVE (C). */
char *online_root_lab(void);
#endif
