/*
 * The lab's VHD/VHDX format: a real container signature, a small lab header
 * and an embedded WIM holding the volume's content (one Windows volume).
 *
 *   offset 0            .vhdx: "vhdxfile" (the real VHDX file identifier),
 *                       then the creator as UTF-16LE (512 bytes)
 *   offset 0x1000       lab header, little endian:
 *                         char  magic[8]   "DISMLAB1"
 *                         u32   version    1
 *                         u32   reserved   0
 *                         u64   wim_offset (0x100000 when written by the lab)
 *                         u64   wim_length
 *   offset wim_offset   the volume as a WIM with one image
 *   last 512 bytes      .vhd only: a fixed-disk VHD footer, cookie "conectix"
 *
 * Commit writes a new disk: the bytes before the volume unchanged, the new
 * volume, the header's wim_length updated and (.vhd) the old footer after
 * padding to 512 bytes.  The footer's size fields are not updated.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lab.h"
#include "model_state.h"

#define LAB_HEADER_OFFSET 0x1000
#define LAB_MAGIC "DISMLAB1"

static uint64_t le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static int has_signature(int fd, off_t size, int vhdx)
{
    char sig[8];
    off_t at = vhdx ? 0 : size - 512;
    return at >= 0 && pread(fd, sig, 8, at) == 8 &&
           memcmp(sig, vhdx ? "vhdxfile" : "conectix", 8) == 0;
}

/* Copies [off, off+len) of `in` to the current position of `out`; 0 or -1. */
static int copy_bytes(int in, uint64_t off, uint64_t len, int out)
{
    char buf[65536];
    while (len > 0) {
        size_t want = len < sizeof(buf) ? (size_t)len : sizeof(buf);
        ssize_t got = pread(in, buf, want, (off_t)off);
        if (got <= 0 || write(out, buf, (size_t)got) != got)
            return -1;
        off += (uint64_t)got;
        len -= (uint64_t)got;
    }
    return 0;
}

/* Copies [off, off+len) of `in` to a new file under $DISM_LAB_ROOT/state/tmp
 * (wimlib opens WIMs by a real file name); returns its path or NULL. */
static char *copy_volume(int in, uint64_t off, uint64_t len)
{
    char *dir = lab_path("state/tmp");
    char *path = lab_path("state/tmp/volume-XXXXXX.wim");
    int out = (dir && path && lab_mkdirs(dir) == 0) ? mkstemps(path, 4) : -1;
    free(dir);
    int ok = out >= 0 && copy_bytes(in, off, len, out) == 0;
    if (out >= 0)
        close(out);
    if (!ok) {
        if (out >= 0)
            unlink(path);
        free(path);
        return NULL;
    }
    return path;
}

/* Checks the signature and header of an open lab disk; gives the volume's place. */
static HRESULT read_layout(int fd, const char *win_path, int vhdx, uint64_t *off, uint64_t *len, off_t *size)
{
    struct stat st;
    unsigned char h[32];
    if (fstat(fd, &st) != 0 || !has_signature(fd, st.st_size, vhdx) ||
        pread(fd, h, sizeof(h), LAB_HEADER_OFFSET) != (ssize_t)sizeof(h) || memcmp(h, LAB_MAGIC, 8) != 0)
        return lab_fail(LAB_E_BAD_FORMAT, "%s is not a DISM lab %s file.", win_path, vhdx ? "VHDX" : "VHD");
    *off = le64(h + 16);
    *len = le64(h + 24);
    *size = st.st_size;
    if (*len == 0 || *off + *len > (uint64_t)st.st_size || *off + *len < *off || *off < LAB_HEADER_OFFSET + 32)
        return lab_fail(LAB_E_BAD_FORMAT, "The volume inside %s is truncated.", win_path);
    return LAB_S_OK;
}

HRESULT disk_extract_volume(const char *lab_path, const char *win_path, int vhdx, char **volume_out)
{
    *volume_out = NULL;
    int fd = open(lab_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lab_fail(lab_hr_from_errno(errno), "(%s)", win_path);
    uint64_t off = 0, len = 0;
    off_t size = 0;
    HRESULT hr = read_layout(fd, win_path, vhdx, &off, &len, &size);
    if (hr == LAB_S_OK && !(*volume_out = copy_volume(fd, off, len)))
        hr = lab_fail(LAB_E_FAIL, "Could not read the volume inside %s.", win_path);
    close(fd);
    return hr;
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        p[i] = (unsigned char)(v & 0xFF);
}

HRESULT disk_write_with_volume(const char *lab_path, const char *win_path, int vhdx,
                               const char *volume, const char *out_path)
{
    int in = open(lab_path, O_RDONLY | O_CLOEXEC);
    int vol = open(volume, O_RDONLY | O_CLOEXEC);
    int out = open(out_path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    uint64_t off = 0, len = 0;
    off_t size = 0;
    struct stat vst;
    HRESULT hr = (in < 0 || vol < 0 || out < 0 || fstat(vol, &vst) != 0)
                     ? lab_fail(lab_hr_from_errno(errno), "(%s)", win_path)
                     : read_layout(in, win_path, vhdx, &off, &len, &size);
    if (hr == LAB_S_OK) {
        uint64_t new_len = (uint64_t)vst.st_size;
        unsigned char le[8];
        static const char zeros[512];
        int ok = copy_bytes(in, 0, off, out) == 0 && copy_bytes(vol, 0, new_len, out) == 0;
        if (ok && !vhdx) {
            size_t pad = (size_t)((512 - (off + new_len) % 512) % 512);
            ok = write(out, zeros, pad) == (ssize_t)pad && copy_bytes(in, (uint64_t)size - 512, 512, out) == 0;
        }
        put_le64(le, new_len);
        ok = ok && pwrite(out, le, 8, LAB_HEADER_OFFSET + 24) == 8 && fsync(out) == 0;
        if (!ok)
            hr = lab_fail(lab_hr_from_errno(errno), "The new disk for %s could not be written.", win_path);
    }
    if (in >= 0)
        close(in);
    if (vol >= 0)
        close(vol);
    if (out >= 0)
        close(out);
    return hr;
}
