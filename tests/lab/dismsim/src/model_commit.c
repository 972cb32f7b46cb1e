/*
 * Writing a mount folder back into its image file: DismUnmountImage with
 * DISM_COMMIT_IMAGE and DismCommitImage share this.
 *
 *   no APPEND           the image at the mount's index gets the folder's
 *                       content; its position, name, description and WINDOWS
 *                       XML metadata stay; wimlib updates LASTMODIFICATIONTIME,
 *                       DIRCOUNT, FILECOUNT and TOTALBYTES
 *   APPEND              the mounted image is copied (all its XML metadata) to a
 *                       new last index named "<name> (<new index>)", and the
 *                       copy gets the folder's content; the original stays
 *   GENERATE_INTEGRITY  the new WIM has an integrity table (without the flag
 *                       a table the WIM already had is kept)
 *   VHD / VHDX          the folder becomes the disk's volume; APPEND and
 *                       GENERATE_INTEGRITY are E_INVALIDARG
 *
 * Safety: the new file is written next to the image as
 * ".<file name>.dismlab-XXXXXX", then the injectable fault `fault_point`
 * (e.g. "DismUnmountImage:write") is checked and the CancelEvent polled a last
 * time, then the file is renamed over the image.  Any failure before the
 * rename leaves the image file byte-identical and the mount as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wimlib.h>
#include "lab.h"
#include "model_state.h"

#define COMMIT_FLAGS (DISM_COMMIT_GENERATE_INTEGRITY | DISM_COMMIT_APPEND)

typedef struct commit_job {
    const lab_mount *m;
    DWORD flags;
    lab_progress *p;
    char *image;             /* lab path of the image file */
    char *folder;            /* lab path of the mount folder */
    int kind;
    WIMStruct *wim;
    char *volume;            /* VHD: the extracted volume WIM */
    char *new_volume;        /* VHD: the rewritten volume WIM */
    char *tmp;               /* the new image file, beside the image */
} commit_job;

static HRESULT check_commit(commit_job *j)
{
    const lab_mount *m = j->m;
    int vhd = j->kind == LAB_KIND_VHD || j->kind == LAB_KIND_VHDX;
    if (m->mode == DismReadOnly)
        return lab_fail(LAB_E_READONLY_COMMIT, "(%s is mounted read-only; unmount it with DISM_DISCARD_IMAGE)",
                        m->mount_path);
    if (vhd && (j->flags & COMMIT_FLAGS))
        return lab_fail(LAB_E_INVALIDARG, "DISM_COMMIT_APPEND and DISM_COMMIT_GENERATE_INTEGRITY do not apply "
                        "to VHD images (%s).", m->image_path);
    if (access(j->image, F_OK) != 0)
        return image_missing(j->image, m->image_path);
    if (image_is_read_only(j->image))
        return lab_fail(LAB_E_ACCESS_DENIED, "%s is read-only, so the changes cannot be saved.", m->image_path);
    if (!lab_is_dir(j->folder))
        return lab_fail(LAB_E_PATH_NOT_FOUND, "The mount folder is missing (%s).", m->mount_path);
    return LAB_S_OK;
}

static HRESULT open_wim(commit_job *j, const char *path, WIMStruct **out)
{
    wim_init();
    errno = 0;
    int err = wimlib_open_wim(path, 0, out);
    if (err) {
        *out = NULL;
        return wim_error(err, j->m->image_path);
    }
    return LAB_S_OK;
}

/* APPEND: copies the mounted image to a new last index; returns that index. */
static HRESULT append_copy(commit_job *j, const char *wim_path, int *target)
{
    WIMStruct *src = NULL;
    HRESULT hr = open_wim(j, wim_path, &src);
    if (hr != LAB_S_OK)
        return hr;
    struct wimlib_wim_info info;
    wimlib_get_wim_info(j->wim, &info);
    const char *base = wimlib_get_image_name(src, (int)j->m->index);
    char *name = NULL;
    for (unsigned k = info.image_count + 1; !name || wimlib_image_name_in_use(j->wim, name); k++) {
        free(name);
        if (!(name = lab_strdup_printf("%s (%u)", base ? base : "", k)))
            break;
    }
    int err = name ? wimlib_export_image(src, (int)j->m->index, j->wim, name, NULL, WIMLIB_EXPORT_FLAG_GIFT)
                   : WIMLIB_ERR_NOMEM;
    wimlib_free(src);   /* a gift: j->wim owns the copy now, and may update it */
    free(name);
    if (err)
        return wim_error(err, j->m->image_path);
    *target = (int)info.image_count + 1;
    return LAB_S_OK;
}

typedef struct name_list {
    char **v;
    size_t n, cap;
} name_list;

static int collect_child(const struct wimlib_dir_entry *d, void *ctx)
{
    name_list *l = ctx;
    if (l->n == l->cap) {
        char **bigger = realloc(l->v, (l->cap = l->cap ? l->cap * 2 : 16) * sizeof(char *));
        if (!bigger)
            return WIMLIB_ERR_NOMEM;
        l->v = bigger;
    }
    if (!(l->v[l->n] = lab_strdup_printf("/%s", d->filename)))
        return WIMLIB_ERR_NOMEM;
    l->n++;
    return 0;
}

/* The image's root gets exactly the folder's content: delete every top-level
 * entry, then add the folder at the root. */
static HRESULT replace_content(commit_job *j, int image)
{
    name_list l = { 0 };
    int err = wimlib_iterate_dir_tree(j->wim, image, WIMLIB_WIM_ROOT_PATH, WIMLIB_ITERATE_DIR_TREE_FLAG_CHILDREN,
                                      collect_child, &l);
    struct wimlib_update_command *cmds = err ? NULL : calloc(l.n + 1, sizeof(*cmds));
    if (!err && !cmds)
        err = WIMLIB_ERR_NOMEM;
    if (!err) {
        for (size_t i = 0; i < l.n; i++) {
            cmds[i].op = WIMLIB_UPDATE_OP_DELETE;
            cmds[i].delete_.wim_path = l.v[i];
            cmds[i].delete_.delete_flags = WIMLIB_DELETE_FLAG_RECURSIVE | WIMLIB_DELETE_FLAG_FORCE;
        }
        cmds[l.n].op = WIMLIB_UPDATE_OP_ADD;
        cmds[l.n].add.fs_source_path = j->folder;
        cmds[l.n].add.wim_target_path = WIMLIB_WIM_ROOT_PATH;
        lab_wim_progress wp;
        wim_progress_attach(j->wim, &wp, j->p, 100, 500);
        err = wimlib_update_image(j->wim, image, cmds, l.n + 1, WIMLIB_UPDATE_FLAG_SEND_PROGRESS);
        wimlib_register_progress_function(j->wim, NULL, NULL);
        if (err == WIMLIB_ERR_ABORTED_BY_PROGRESS) {
            free(cmds);
            for (size_t i = 0; i < l.n; i++)
                free(l.v[i]);
            free(l.v);
            return wp.hr;
        }
    }
    free(cmds);
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i]);
    free(l.v);
    return err ? wim_error(err, j->m->image_path) : LAB_S_OK;
}

/* A new empty file: next to `beside` (same folder, so rename is atomic) or in state/tmp. */
static char *temp_file(const char *beside)
{
    char *path;
    if (beside) {
        const char *slash = strrchr(beside, '/');
        path = lab_strdup_printf("%.*s/.%s.dismlab-XXXXXX", (int)(slash - beside), beside, slash + 1);
    } else {
        char *dir = lab_path("state/tmp");
        path = (dir && lab_mkdirs(dir) == 0) ? lab_path("state/tmp/volume-XXXXXX") : NULL;
        free(dir);
    }
    int fd = path ? mkstemp(path) : -1;
    if (fd < 0) {
        free(path);
        return NULL;
    }
    close(fd);
    return path;
}

static HRESULT write_wim(commit_job *j, const char *path)
{
    int flags = WIMLIB_WRITE_FLAG_RETAIN_GUID | WIMLIB_WRITE_FLAG_FSYNC;
    if (j->flags & DISM_COMMIT_GENERATE_INTEGRITY)
        flags |= WIMLIB_WRITE_FLAG_CHECK_INTEGRITY;
    lab_wim_progress wp;
    wim_progress_attach(j->wim, &wp, j->p, 500, 900);
    int err = wimlib_write(j->wim, path, WIMLIB_ALL_IMAGES, flags, 0);
    wimlib_register_progress_function(j->wim, NULL, NULL);
    if (err == WIMLIB_ERR_ABORTED_BY_PROGRESS)
        return wp.hr;
    return err ? wim_error(err, j->m->image_path) : LAB_S_OK;
}

/* Builds the complete new image file in j->tmp. */
static HRESULT build_new_file(commit_job *j)
{
    int vhd = j->kind == LAB_KIND_VHD || j->kind == LAB_KIND_VHDX;
    const char *wim_path = j->image;
    HRESULT hr = LAB_S_OK;
    if (vhd && (hr = disk_extract_volume(j->image, j->m->image_path, j->kind == LAB_KIND_VHDX, &j->volume)) == LAB_S_OK)
        wim_path = j->volume;
    if (hr == LAB_S_OK)
        hr = open_wim(j, wim_path, &j->wim);
    int target = (int)j->m->index;
    if (hr == LAB_S_OK && (j->flags & DISM_COMMIT_APPEND))
        hr = append_copy(j, wim_path, &target);
    if (hr == LAB_S_OK)
        hr = replace_content(j, target);
    if (hr == LAB_S_OK && !(j->tmp = temp_file(j->image)))
        hr = lab_fail(lab_hr_from_errno(errno), "No temporary file could be created beside %s.", j->m->image_path);
    if (hr == LAB_S_OK && vhd && !(j->new_volume = temp_file(NULL)))
        hr = lab_fail(LAB_E_FAIL, "No temporary volume file could be created.");
    if (hr == LAB_S_OK)
        hr = write_wim(j, vhd ? j->new_volume : j->tmp);
    if (hr == LAB_S_OK && vhd)
        hr = disk_write_with_volume(j->image, j->m->image_path, j->kind == LAB_KIND_VHDX, j->new_volume, j->tmp);
    return hr;
}

/* The last moment the commit can still fail without touching the image. */
static HRESULT before_replace(commit_job *j, const char *fault_point)
{
    lab_fault_result late;
    HRESULT hr = faults_check(fault_point, &late);
    if (hr == LAB_S_OK)
        hr = progress_report(j->p, 950);
    struct stat st;
    if (hr == LAB_S_OK && stat(j->image, &st) == 0)
        chmod(j->tmp, st.st_mode & 07777);   /* the new file keeps the image's mode */
    return hr;
}

HRESULT commit_mount(const lab_mount *m, DWORD flags, lab_progress *p, const char *fault_point)
{
    commit_job j = { .m = m, .flags = flags, .p = p };
    p->total = 1000;
    HRESULT hr = winpath_to_lab(m->image_path, &j.image);
    if (hr == LAB_S_OK)
        hr = winpath_to_lab(m->mount_path, &j.folder);
    if (hr == LAB_S_OK) {
        j.kind = image_kind(j.image);
        hr = check_commit(&j);
    }
    if (hr == LAB_S_OK)
        hr = progress_report(p, 100);
    if (hr == LAB_S_OK)
        hr = build_new_file(&j);
    if (hr == LAB_S_OK)
        hr = before_replace(&j, fault_point);
    if (hr == LAB_S_OK && rename(j.tmp, j.image) != 0)
        hr = lab_fail(lab_hr_from_errno(errno), "%s could not be replaced.", m->image_path);
    if (hr == LAB_S_OK)
        log_write(LAB_LOG_INFO, "DismCommitImage", "Saved %s into %s%s", m->mount_path, m->image_path,
                  (flags & DISM_COMMIT_APPEND) ? " as a new image" : "");
    else if (j.tmp)
        unlink(j.tmp);
    if (j.wim)
        wimlib_free(j.wim);
    if (j.volume)
        unlink(j.volume);
    if (j.new_volume)
        unlink(j.new_volume);
    free(j.volume);
    free(j.new_volume);
    free(j.tmp);
    free(j.image);
    free(j.folder);
    return hr;
}
