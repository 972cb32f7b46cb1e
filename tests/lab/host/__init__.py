"""A simulated Windows host for the winimaging.dism lab: a WS-Management (WinRM) endpoint.

Real Ansible reaches it through its ``winrm`` connection plugin and pywinrm.  It runs
``winimaging.dism.dism_helper`` as architecture.md section 1 describes (mcs + mono instead of
Add-Type + PowerShell), answers minimal Windows facts and refuses every other module.
"""
