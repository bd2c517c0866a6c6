"""The files a refused application keeps for its retry: bounded in space and in time."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

from yiwang.cases import materials
from yiwang.cases.materials import Upload


def _upload(key: str, size: int) -> Upload:
    return Upload(key, f"{key}.pdf", io.BytesIO(b"%PDF" + b"x" * (size - 4)))


def test_files_past_the_space_for_them_are_not_kept(tmp_path: Path) -> None:
    first, second = materials.new_staging_token(), materials.new_staging_token()
    kept = materials.stage(tmp_path, first, [_upload("id_card", 600)], max_bytes=1000)
    assert set(kept) == {"id_card"}
    # A second refused application would take the kept files past the space: nothing of it is
    # kept (its applicant chooses the files again), and the first one's files stay.
    assert materials.stage(tmp_path, second, [_upload("id_card", 600)], max_bytes=1000) == {}
    assert set(materials.staged_files(tmp_path, first)) == {"id_card"}
    # Dropping a material frees its space.
    assert materials.stage(tmp_path, first, [], drop=["id_card"], max_bytes=1000) == {}
    kept = materials.stage(tmp_path, second, [_upload("licence", 600)], max_bytes=1000)
    assert set(kept) == {"licence"}


def test_files_past_their_time_are_swept(tmp_path: Path) -> None:
    old, fresh = materials.new_staging_token(), materials.new_staging_token()
    materials.stage(tmp_path, old, [_upload("id_card", 100)])
    materials.stage(tmp_path, fresh, [_upload("id_card", 100)])
    folder = tmp_path / "cases" / "staged" / old
    past = time.time() - materials.STAGED_SECONDS - 60
    os.utime(folder, (past, past))
    assert materials.staged_files(tmp_path, old) == {}  # past its time: not offered any more
    assert materials.sweep_staged(tmp_path) == 1
    assert not folder.exists()
    assert set(materials.staged_files(tmp_path, fresh)) == {"id_card"}


def test_a_file_gone_meanwhile_is_not_listed(tmp_path: Path) -> None:
    token = materials.new_staging_token()
    materials.stage(tmp_path, token, [_upload("id_card", 100), _upload("photo", 100)])
    (tmp_path / "cases" / "staged" / token / "photo").unlink()
    assert set(materials.staged_files(tmp_path, token)) == {"id_card"}
