"""Read the tested stack from requirements.txt, the one place it is written, for the banner and the pages.

Pages write ``{{ qiskit_version }}``, ``{{ runtime_version }}`` and ``{{ aer_version }}`` (MyST substitutions);
every page shows a "tested with" announcement built from the same pins.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config

PINNED = {"qiskit_version": "qiskit", "runtime_version": "qiskit-ibm-runtime", "aer_version": "qiskit-aer"}


def pinned_versions(requirements: Path) -> dict[str, str]:
    """Map each distribution pinned with ``==`` in ``requirements`` (lower-case name) to its version."""
    pins = {}
    for line in requirements.read_text().splitlines():
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)==(\S+)\s*(#.*)?", line)
        if match:
            pins[match[1].lower().replace("_", "-")] = match[2]
    return pins


def add_versions(app: Sphinx, config: Config) -> None:
    """Put the pinned versions into the MyST substitutions and the theme's announcement."""
    pins = pinned_versions(Path(app.confdir) / "requirements.txt")
    versions = {key: pins[name] for key, name in PINNED.items()}
    config.myst_substitutions = {**config.myst_substitutions, **versions}
    banner = (
        f"Tested with qiskit {versions['qiskit_version']}, qiskit-ibm-runtime {versions['runtime_version']} "
        f"and qiskit-aer {versions['aer_version']}, on fake backends: no IBM Quantum account needed."
    )
    config.html_theme_options = {**config.html_theme_options, "announcement": banner}


def setup(app: Sphinx) -> dict[str, object]:
    """Register the config hook."""
    app.connect("config-inited", add_versions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
