"""What a material's content is (magic bytes, ZIP entries), and the state machine as data."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.factories.cases import JPEG, PDF, PNG, docx_bytes, ofd_bytes
from yiwang.cases import materials
from yiwang.cases.materials import Upload
from yiwang.cases.vocab import FINAL_STATES, TRANSITIONS, State, allowed_actions
from yiwang.core.errors import AppError, InvalidInput


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (PDF, "pdf"),
        (PNG, "png"),
        (JPEG, "jpeg"),
        (docx_bytes(), "docx"),
        (ofd_bytes(), "ofd"),
        (b"PK\x03\x04 not really a zip", None),
        (b"MZ\x90\x00 an executable", None),
        (b"<html>", None),
    ],
)
def test_sniff(tmp_path: Path, content: bytes, kind: str | None) -> None:
    path = tmp_path / "f"
    path.write_bytes(content)
    assert materials.sniff(content[:16], path) == kind


def test_claimed_type() -> None:
    assert materials.claimed_type("营业执照.JPG") == "jpeg"
    assert materials.claimed_type("a.tar.gz") is None
    assert materials.claimed_type("noextension") is None


def _store(tmp_path: Path, content: bytes, name: str, accepted: list[str], limit: int = 10**6):  # type: ignore[no-untyped-def]
    return materials.store(
        Session(),
        Upload("k", name, io.BytesIO(content)),
        root=tmp_path,
        max_bytes=limit,
        accepted=accepted,
        material_name="申请书",
    )


def test_store_keeps_a_file_by_its_digest(tmp_path: Path) -> None:
    stored = _store(tmp_path, PDF, "申请书.pdf", ["pdf"])
    assert stored.file_type == "pdf"
    assert stored.path.read_bytes() == PDF
    assert stored.path.name == stored.digest
    assert len(stored.digest) == 64
    assert list((tmp_path / "cases" / "materials" / "tmp").iterdir()) == []


@pytest.mark.parametrize(
    ("content", "name", "accepted", "code"),
    [
        (PNG, "a.pdf", ["pdf", "png"], "cases.material_mismatch"),
        (PNG, "a.png", ["pdf"], "cases.material_type"),
        (b"", "a.pdf", ["pdf"], "cases.material_empty"),
        (b"hello", "a.txt", ["pdf"], "cases.material_type"),
    ],
)
def test_store_refuses(
    tmp_path: Path, content: bytes, name: str, accepted: list[str], code: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        _store(tmp_path, content, name, accepted)
    assert refused.value.code == code
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_store_refuses_past_the_limit_and_keeps_nothing(tmp_path: Path) -> None:
    with pytest.raises(AppError) as refused:
        _store(tmp_path, PDF * 100, "a.pdf", ["pdf"], limit=100)
    assert refused.value.status_code == 413
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_every_state_but_the_final_ones_has_a_way_out() -> None:
    for state in State:
        assert bool(allowed_actions(state)) is (state not in FINAL_STATES), state
    assert allowed_actions(State.SUBMITTED) == [
        "accept",
        "reject",
        "request_supplement",
        "withdraw",
    ]


def test_only_the_applicant_supplements_and_withdraws() -> None:
    assert {a for a, t in TRANSITIONS.items() if "applicant" in t.who} == {
        "supplement",
        "withdraw",
    }
    assert all(
        t.reason_required
        for a, t in TRANSITIONS.items()
        if a in ("reject", "request_supplement", "withdraw")
    )
