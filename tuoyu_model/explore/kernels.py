"""The kernel Voilà starts for the explorer: ipykernel in this very Python, whatever kernelspecs exist.

A user's own ``python3`` kernelspec may point at another Python (one without this package, or an
older copy of it); ``tuoyu explore`` hands Voilà this spec manager
(``--VoilaConfiguration.kernel_spec_manager_class``) so the page always runs the library that
``tuoyu`` itself runs, as :func:`tuoyu_model.runs.notebook.execute_notebook` does for the reports.
"""

from __future__ import annotations

import sys

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

KERNEL_NAME = "python3"


class CurrentPythonKernelSpecManager(KernelSpecManager):
    """Offer one kernel, ``python3``: ipykernel started with ``sys.executable``."""

    def find_kernel_specs(self) -> dict[str, str]:
        """Return the one kernel name (its resource folder is not used)."""
        return {KERNEL_NAME: ""}

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        """Return ipykernel in this Python, for any name the notebook asks for."""
        return KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name="Python 3 (ipykernel)",
            language="python",
            resource_dir="",
        )

    def get_all_specs(self) -> dict[str, dict]:
        """Return the one spec as Jupyter's kernelspec listing shows it."""
        return {KERNEL_NAME: {"resource_dir": "", "spec": self.get_kernel_spec(KERNEL_NAME).to_dict()}}
