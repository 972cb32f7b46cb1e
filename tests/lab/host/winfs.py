"""What Windows does to the helper's cache that Linux does not, for the lab's dism_helper.

Two Windows behaviours decide how dism_helper.ps1 may install the helper DLL, and Linux has
neither, so the lab models them here and helper.py goes through this module for every file
operation on the cache:

* A loaded assembly stays locked for the life of the process that loaded it (.NET cannot unload
  it from the default AppDomain / load context). Deleting or moving the DLL, or a folder that
  holds it, fails with "Access to the path ... is denied" until that process exits. Linux
  happily unlinks a file mono has mapped.
* A named mutex (``Global\\...``) serialises processes on one host. The lab takes a flock on a
  file per name: flock locks belong to the open file, so they exclude threads of the lab host
  (each module execution is a thread) as well as other processes.

What the lab cannot model: Windows ACL inheritance (the lab's "ACL" is the POSIX mode set when a
folder is created), and whether an antivirus scanner holds a freshly written DLL open.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path


class WindowsIOError(OSError):
    """An IOException/UnauthorizedAccessException as .NET would raise it on Windows."""


class LoadedImages:
    """Files that live processes have loaded as assemblies (one registry per lab host)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._owners: dict[Path, Counter[str]] = {}

    @contextlib.contextmanager
    def loaded(self, path: Path, owner: str) -> Iterator[None]:
        """``path`` is loaded by ``owner`` (a process) until the block ends."""
        key = path.resolve()
        with self._guard:
            self._owners.setdefault(key, Counter())[owner] += 1
        try:
            yield
        finally:
            with self._guard:
                owners = self._owners[key]
                owners[owner] -= 1
                if owners[owner] <= 0:
                    del owners[owner]
                if not owners:
                    del self._owners[key]

    def holders(self, path: Path) -> list[Path]:
        """Loaded files at or below ``path``."""
        key = path.resolve()
        with self._guard:
            return [p for p in self._owners if p == key or key in p.parents]

    def _refuse_if_loaded(self, path: Path) -> None:
        held = self.holders(path)
        if held:
            # .NET's wording for a delete or move of a mapped image.
            raise WindowsIOError(f"Access to the path '{held[0]}' is denied.")

    # -- the file operations helper.py uses on the cache ------------------------------------------
    def remove_tree(self, path: Path) -> None:
        """Remove-Item -Recurse -Force: refused while anything inside is loaded."""
        self._refuse_if_loaded(path)
        shutil.rmtree(path)

    def remove_file(self, path: Path) -> None:
        self._refuse_if_loaded(path)
        path.unlink()

    def move(self, source: Path, destination: Path) -> None:
        """[IO.Directory]::Move / [IO.File]::Move: refused while the source is loaded; never replaces."""
        self._refuse_if_loaded(source)
        if destination.exists():
            raise WindowsIOError(f"Cannot create a file when that file already exists: '{destination}'.")
        os.rename(source, destination)


@contextlib.contextmanager
def named_mutex(control_dir: Path, name: str, timeout: float) -> Iterator[None]:
    """System.Threading.Mutex(name).WaitOne(timeout) ... ReleaseMutex(), as a flock."""
    folder = control_dir / "mutexes"
    folder.mkdir(parents=True, exist_ok=True)
    lock_file = folder / hashlib.sha256(name.encode("utf-8")).hexdigest()[:32]
    with open(lock_file, "a+b") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for the mutex '{name}'") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
