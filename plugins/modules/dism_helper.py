#!/usr/bin/python
# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Documentation of the internal helper module plugins/modules/dism_helper.ps1.

from __future__ import annotations

DOCUMENTATION = r"""
module: dism_helper
short_description: Internal helper of the winimaging.dism modules
version_added: 0.1.0
description:
  - Internal use only. The winimaging.dism action plugins run this module on the Windows host;
    it refuses to run when called from a playbook (without O(caller)), and its options and results
    may change in any release. Ansible lists every module of a collection, so it appears in
    C(ansible-doc -l); use the collection's public modules instead.
  - It loads the collection's DISM helper assembly from a cache that only administrators can
    write, compiling it once per helper version when the controller sends the source, and runs
    one batch of DISM API calls in one DISM session.
options:
  caller:
    description:
      - Internal use only. The winimaging.dism module whose action plugin runs this one.
    type: str
    required: true
  helper_hash:
    description:
      - Internal use only. SHA-256 of the helper's C# source.
    type: str
    required: true
  helper_source:
    description:
      - Internal use only. The helper's C# source, sent only when the host does not have it yet.
    type: str
  request:
    description:
      - Internal use only. The batch of DISM operations to run.
    type: dict
    required: true
attributes:
  check_mode:
    support: full
    details:
      - The action plugins only send read operations in check mode, and in check mode the helper
        refuses, before DISM starts, any batch with an operation that would change the host.
      - The first call of a helper version still compiles and caches the helper under
        C(%ProgramData%\\winimaging.dism), in check mode too.
  diff_mode:
    support: none
  platform:
    platforms: windows
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
author:
  - winimaging.dism maintainers (@winimaging)
"""

EXAMPLES = r"""
# Internal use only: use winimaging.dism.dism_image_info and the other public modules instead.
"""

RETURN = r"""
helper_missing:
  description: Internal use only. The host does not have this helper version yet.
  returned: when the helper is not cached and no source was sent
  type: bool
helper_compiled:
  description: Internal use only. The helper was compiled during this call.
  returned: success
  type: bool
response:
  description: Internal use only. The executor's response.
  returned: success
  type: dict
"""
