/*
 * DismOpenSession / DismCloseSession and the per-process session table.
 *
 * Ids are small UINTs counting up from 1 for the life of the process
 * (DISM_SESSION_DEFAULT, 0, is never issued).  An unknown or closed id is
 * E_INVALIDARG; an id whose close is under way is DISMAPI_E_INVALID_DISM_SESSION.
 * DismCloseSession waits for operations other threads are running on it.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "lab.h"
#include "model_paths.h"
#include "model_state.h"

#define ONLINE_IMAGE "DISM_{53BFAE52-B167-4E2F-A258-0A37B57FF845}"

typedef struct entry {
    lab_session s;
    int busy;
    int closing;
    struct entry *next;
} entry;

static entry *sessions;
static UINT next_id = 1;
static pthread_cond_t idle_cond = PTHREAD_COND_INITIALIZER;

const char *session_online_path(void)
{
    return ONLINE_IMAGE;
}

size_t sessions_open_locked(void)
{
    size_t n = 0;
    for (entry *e = sessions; e; e = e->next)
        n++;
    return n;
}

size_t session_count(void)
{
    pthread_mutex_lock(&lab_state_lock);
    size_t n = sessions_open_locked();
    pthread_mutex_unlock(&lab_state_lock);
    return n;
}

char *online_root_lab(void)
{
    const char *d = getenv("DISM_LAB_SYSTEM_DRIVE");
    char letter = (d && isalpha((unsigned char)d[0])) ? (char)toupper((unsigned char)d[0]) : 'C';
    return lab_path("drives/%c", letter);
}

static void free_session(lab_session *s)
{
    free(s->image_root);
    free(s->windows_dir);
    free(s->system_drive);
}

static int valid_system_drive(const char *d)
{
    return isalpha((unsigned char)d[0]) && d[1] == ':' &&
           (d[2] == '\0' || (d[2] == '\\' && d[3] == '\0'));
}

static HRESULT resolve_online(lab_session *s)
{
    s->online = 1;
    s->image_root = online_root_lab();
    s->windows_dir = s->image_root ? lab_strdup_printf("%s/Windows", s->image_root) : NULL;
    if (!s->windows_dir)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    if (!lab_is_dir(s->windows_dir))
        return lab_fail(LAB_E_PATH_NOT_FOUND,
                        "The simulated host has no running Windows (%s is missing; build it with "
                        "tests/lab/fixtures/build_images.py --online-root).", s->windows_dir);
    return LAB_S_OK;
}

static HRESULT resolve_offline(lab_session *s, const char *image_path, const char *windows_dir)
{
    char *joined = lab_strdup_printf("%s\\%s", image_path, windows_dir ? windows_dir : "Windows");
    if (!joined)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    HRESULT hr = dism_path_to_lab("ImagePath", image_path, &s->image_root);
    if (hr == LAB_S_OK)
        hr = dism_check_path("The Windows directory (ImagePath\\WindowsDirectory)", joined);
    if (hr != LAB_S_OK) {
        free(joined);
        return hr;
    }
    if (!lab_is_dir(s->image_root)) {
        free(joined);
        return lab_fail(LAB_E_PATH_NOT_FOUND, "The image path is not an existing directory (%s).", image_path);
    }
    char *online = online_root_lab();
    int is_running_os = online && winpath_same_file(online, s->image_root);
    free(online);
    if (is_running_os) {
        free(joined);
        return lab_fail(LAB_E_MUST_BE_ONLINE, "%s is the running operating system; use DISM_ONLINE_IMAGE.", image_path);
    }
    /* WindowsDirectory is relative to ImagePath; translate the joined path. */
    hr = winpath_to_lab(joined, &s->windows_dir);
    if (hr == LAB_S_OK && !lab_is_dir(s->windows_dir))
        hr = lab_fail(LAB_E_PATH_NOT_FOUND, "No Windows directory was found in the image (%s).", joined);
    free(joined);
    if (hr == LAB_S_OK)
        hr = mounts_check_serviceable(s->image_root, image_path);
    return hr;
}

HRESULT session_open(const char *image_path, const char *windows_dir,
                     const char *system_drive, UINT *id_out)
{
    lab_session s = { 0 };
    HRESULT hr;
    if (strcasecmp(image_path, ONLINE_IMAGE) == 0) {
        hr = (windows_dir || system_drive)
                 ? lab_fail(LAB_E_INVALIDARG, "WindowsDirectory and SystemDrive must be NULL for DISM_ONLINE_IMAGE.")
                 : resolve_online(&s);
    } else if (system_drive && !valid_system_drive(system_drive)) {
        hr = lab_fail(LAB_E_INVALIDARG, "SystemDrive must be a drive letter such as C: (%s).", system_drive);
    } else {
        hr = resolve_offline(&s, image_path, windows_dir);
    }
    if (hr == LAB_S_OK && system_drive && !(s.system_drive = strdup(system_drive)))
        hr = lab_fail(LAB_E_OUTOFMEMORY, NULL);
    entry *e = hr == LAB_S_OK ? calloc(1, sizeof(*e)) : NULL;
    if (hr == LAB_S_OK && !e)
        hr = lab_fail(LAB_E_OUTOFMEMORY, NULL);
    if (hr != LAB_S_OK) {
        free_session(&s);
        return hr;
    }
    pthread_mutex_lock(&lab_state_lock);
    s.id = next_id++;
    if (next_id == DISM_SESSION_DEFAULT)
        next_id = 1;
    pthread_mutex_unlock(&lab_state_lock);
    /* Recorded on disk so other processes' unmount/remount see it (model_session_registry.c). */
    if ((hr = sessreg_add(s.id, s.image_root)) != LAB_S_OK) {
        free_session(&s);
        free(e);
        return hr;
    }
    pthread_mutex_lock(&lab_state_lock);
    e->s = s;
    e->next = sessions;
    sessions = e;
    pthread_mutex_unlock(&lab_state_lock);
    *id_out = s.id;
    log_write(LAB_LOG_INFO, "DismOpenSession", "Opened session %u on %s", s.id, image_path);
    return LAB_S_OK;
}

static entry **find_locked(UINT id)
{
    entry **link = &sessions;
    while (*link && (*link)->s.id != id)
        link = &(*link)->next;
    return link;
}

HRESULT session_close(UINT id)
{
    pthread_mutex_lock(&lab_state_lock);
    entry **link = find_locked(id);
    entry *e = *link;
    if (!e || e->closing) {
        pthread_mutex_unlock(&lab_state_lock);
        return lab_fail(LAB_E_INVALIDARG, "DismSession %u is not open.", id);
    }
    e->closing = 1;
    while (e->busy > 0)
        pthread_cond_wait(&idle_cond, &lab_state_lock);
    *find_locked(id) = e->next;
    pthread_mutex_unlock(&lab_state_lock);
    sessreg_remove(id);
    free_session(&e->s);
    free(e);
    log_write(LAB_LOG_INFO, "DismCloseSession", "Closed session %u", id);
    return LAB_S_OK;
}

HRESULT session_acquire(UINT id, lab_session **out)
{
    *out = NULL;
    pthread_mutex_lock(&lab_state_lock);
    entry *e = *find_locked(id);
    HRESULT hr = LAB_S_OK;
    if (!e)
        hr = lab_fail(LAB_E_INVALIDARG, "DismSession %u is not open.", id);
    else if (e->closing)
        hr = lab_fail(LAB_E_INVALID_SESSION, "DismSession %u is being closed.", id);
    else {
        e->busy++;
        *out = &e->s;
    }
    pthread_mutex_unlock(&lab_state_lock);
    return hr;
}

void session_release(lab_session *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&lab_state_lock);
    entry *e = *find_locked(s->id);
    if (e && --e->busy == 0)
        pthread_cond_broadcast(&idle_cond);
    pthread_mutex_unlock(&lab_state_lock);
}
