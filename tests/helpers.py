"""Small builders shared by the tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import FIXTURES


def copy_notes(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    shutil.copytree(FIXTURES / "notes", root)
    return root


def write_note(root: Path, name: str, title: str, body: str, **front) -> Path:
    lines = ["---", f"title: {title}"] + [f"{k}: {v}" for k, v in front.items()] + ["---", body, ""]
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
