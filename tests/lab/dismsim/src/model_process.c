/*
 * DismInitialize / DismShutdown: the per-process DISM state machine.
 *
 *   not initialized --Initialize--> initialized --Shutdown--> not initialized
 *
 * Initialize twice: HRESULT_FROM_WIN32(ERROR_ALREADY_INITIALIZED) (the real
 * DISMAPI_E_DISMAPI_ALREADY_INITIALIZED value is unpublished).
 * Shutdown with open sessions: DISMAPI_E_OPEN_SESSION_HANDLES.
 * A log file that cannot be opened fails Initialize with
 * DISMAPI_E_LOGGING_DISABLED and leaves the process uninitialized.
 */
#include <pthread.h>
#include <stdlib.h>
#include "lab.h"
#include "model_paths.h"
#include "model_state.h"

pthread_mutex_t lab_state_lock = PTHREAD_MUTEX_INITIALIZER;
static int initialized;

int process_is_initialized(void)
{
    pthread_mutex_lock(&lab_state_lock);
    int v = initialized;
    pthread_mutex_unlock(&lab_state_lock);
    return v;
}

/* ScratchDirectory, when given, must be an existing directory. */
static HRESULT check_scratch(const char *scratch)
{
    if (!scratch)
        return LAB_S_OK;
    char *lab = NULL;
    HRESULT hr = winpath_to_lab(scratch, &lab);
    if (hr != LAB_S_OK)
        return hr;
    int exists = access(lab, F_OK) == 0, dir = lab_is_dir(lab);
    free(lab);
    if (!exists)
        return lab_fail(LAB_E_PATH_NOT_FOUND, "The scratch directory does not exist (%s).", scratch);
    if (!dir)
        return lab_fail(LAB_E_DIRECTORY, "The scratch directory is a file (%s).", scratch);
    return LAB_S_OK;
}

HRESULT process_initialize(int log_level, const char *log_path, const char *scratch)
{
    pthread_mutex_lock(&lab_state_lock);
    HRESULT hr = LAB_S_OK;
    if (initialized)
        hr = lab_fail(LAB_E_ALREADY_INIT, "DismInitialize was already called in this process; call DismShutdown first.");
    else if (log_level < LAB_LOG_ERROR || log_level > LAB_LOG_INFO)
        hr = lab_fail(LAB_E_INVALIDARG, "LogLevel %d is not a DismLogLevel value.", log_level);
    if (hr == LAB_S_OK)
        hr = dism_check_path("LogFilePath", log_path);
    if (hr == LAB_S_OK)
        hr = dism_check_path("ScratchDirectory", scratch);
    if (hr == LAB_S_OK)
        hr = check_scratch(scratch);
    if (hr == LAB_S_OK)
        hr = log_open(log_level, log_path);
    if (hr == LAB_S_OK)
        initialized = 1;
    pthread_mutex_unlock(&lab_state_lock);
    if (hr == LAB_S_OK)
        log_write(LAB_LOG_INFO, "DismInitialize", "Initialized DISM lab (LogLevel %d, Scratch %s)",
                  log_level, scratch ? scratch : "<default>");
    return hr;
}

HRESULT process_shutdown(void)
{
    pthread_mutex_lock(&lab_state_lock);
    HRESULT hr = LAB_S_OK;
    if (!initialized)
        hr = lab_fail(LAB_E_NOT_INITIALIZED, NULL);
    else if (sessions_open_locked() > 0)
        hr = lab_fail(LAB_E_OPEN_SESSIONS, "%zu session(s) are still open; close them with DismCloseSession.",
                      sessions_open_locked());
    if (hr == LAB_S_OK)
        initialized = 0;
    pthread_mutex_unlock(&lab_state_lock);
    if (hr == LAB_S_OK) {
        log_write(LAB_LOG_INFO, "DismShutdown", "Shut down DISM lab");
        log_close();
    }
    return hr;
}
