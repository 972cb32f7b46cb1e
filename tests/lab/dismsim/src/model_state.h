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

/* The simulated running OS: drives/<letter>, letter from DISM_LAB_SYSTEM_DRIVE (C). */
char *online_root_lab(void);
#endif
