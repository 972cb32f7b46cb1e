# Makes `ansible_collections.winimaging.dism` importable for every test, the way an installed
# collection is: .cache/ac/ansible_collections/winimaging/dism is a link to this checkout.
from __future__ import annotations

import os
import pathlib

REPO = pathlib.Path(__file__).resolve().parent
COLLECTIONS_ROOT = REPO / ".cache" / "ac"


def _link_collection() -> None:
    link = COLLECTIONS_ROOT / "ansible_collections" / "winimaging" / "dism"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        try:
            link.symlink_to(REPO, target_is_directory=True)
        except FileExistsError:
            pass


def _install_finder() -> None:
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

    _AnsibleCollectionFinder(paths=[str(COLLECTIONS_ROOT)])._install()


_link_collection()
_install_finder()
os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", str(COLLECTIONS_ROOT))
