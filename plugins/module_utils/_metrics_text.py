# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Prometheus text exposition format for node exporter's textfile collector (no Ansible needed).

A metric family is a name, a type, a help line and samples (labels, value). The file is
written atomically: node exporter must never read half a file.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from typing import Dict, Iterable, List, Optional, Tuple

NAME_RE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
TYPES = ("gauge", "counter", "untyped")

Sample = Tuple[Dict[str, str], float]


class Family:
    """One metric family: name, type, help and its samples."""

    def __init__(self, name: str, kind: str, help_text: str):
        if not NAME_RE.match(name):
            raise ValueError(f"bad metric name {name!r}")
        if kind not in TYPES:
            raise ValueError(f"bad metric type {kind!r}: one of {TYPES}")
        self.name = name
        self.kind = kind
        self.help_text = help_text
        self.samples: List[Sample] = []

    def add(self, value: Optional[float], **labels: str) -> None:
        """Add a sample; a value of None (unknown) adds nothing."""
        if value is None:
            return
        for key in labels:
            if not LABEL_RE.match(key):
                raise ValueError(f"bad label name {key!r}")
        self.samples.append(({k: str(v) for k, v in labels.items()}, float(value)))


def escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def escape_help(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def render(families: Iterable[Family]) -> str:
    """The exposition text of the families that have samples, in the order given."""
    lines: List[str] = []
    for family in families:
        if not family.samples:
            continue
        lines.append(f"# HELP {family.name} {escape_help(family.help_text)}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        for labels, value in family.samples:
            if labels:
                inner = ",".join(f'{k}="{escape_label(v)}"' for k, v in sorted(labels.items()))
                lines.append(f"{family.name}{{{inner}}} {format_value(value)}")
            else:
                lines.append(f"{family.name} {format_value(value)}")
    return "\n".join(lines) + "\n" if lines else ""


def write_atomically(path: str, text: str, mode: int = 0o644) -> None:
    """Write to a temporary file in the same directory, then rename over the target."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".metrics-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
