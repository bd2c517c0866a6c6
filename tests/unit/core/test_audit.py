"""The audit log: every entry chained by SM3; tampering of any kind is found."""

from __future__ import annotations

import hashlib
import itertools

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.factories.core import actor, make_department, make_user
from yiwang.core import audit
from yiwang.core.audit import AuditEntry
from yiwang.core.errors import PermissionDenied
from yiwang.core.policy import SYSTEM, Role


def _write_entries(session: Session, n: int = 5) -> list[AuditEntry]:
    """Write ``n`` entries and detach them, so tests can read their values after tampering."""
    entries = [
        audit.record(
            session,
            actor=SYSTEM,
            action="test.write",
            object_type="thing",
            object_id=i,
            details={"n": i, "名称": "数据"},
        )
        for i in range(n)
    ]
    session.flush()
    for entry in entries:
        session.expunge(entry)
    return entries


def _drop_guard(session: Session, dialect: str) -> None:
    """What an intruder with database access does first: remove the append-only triggers."""
    if dialect == "postgresql":
        session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
    else:
        session.execute(text("DROP TRIGGER audit_entries_no_update"))
        session.execute(text("DROP TRIGGER audit_entries_no_delete"))


def test_entries_are_chained_with_sm3(session: Session) -> None:
    entries = _write_entries(session)
    for previous, entry in itertools.pairwise(entries):
        assert entry.seq == previous.seq + 1
        assert entry.prev_hash == previous.entry_hash
    last = entries[-1]
    assert last.entry_hash == audit.service.compute_hash(last.prev_hash, last)
    assert len(last.entry_hash) == 64
    assert hashlib.new("sm3", b"abc").hexdigest().startswith("66c7f0f4")  # GB/T 32905 example
    result = audit.verify(session, actor=SYSTEM)
    assert result.ok
    assert result.checked >= 5


def test_an_intact_log_verifies_after_reading_it_back(session: Session) -> None:
    _write_entries(session)
    session.commit()
    session.expire_all()
    assert audit.verify(session, actor=SYSTEM).ok


def test_the_database_refuses_to_change_an_entry(session: Session) -> None:
    entry = _write_entries(session, 1)[0]
    with pytest.raises(DBAPIError), session.begin_nested():
        session.execute(
            text("UPDATE audit_entries SET outcome = 'denied' WHERE seq = :s"), {"s": entry.seq}
        )
    with pytest.raises(DBAPIError), session.begin_nested():
        session.execute(text("DELETE FROM audit_entries WHERE seq = :s"), {"s": entry.seq})


def test_an_altered_entry_is_found(session: Session, dialect: str) -> None:
    entries = _write_entries(session)
    target = entries[2]
    _drop_guard(session, dialect)
    session.execute(
        text("UPDATE audit_entries SET actor_name = 'someone-else' WHERE seq = :s"),
        {"s": target.seq},
    )
    session.expire_all()
    result = audit.verify(session, actor=SYSTEM)
    assert not result.ok
    assert result.problem == "altered"
    assert result.seq == target.seq


def test_a_deleted_entry_is_found(session: Session, dialect: str) -> None:
    entries = _write_entries(session)
    target = entries[1]
    _drop_guard(session, dialect)
    session.execute(text("DELETE FROM audit_entries WHERE seq = :s"), {"s": target.seq})
    session.expire_all()
    result = audit.verify(session, actor=SYSTEM)
    assert (result.ok, result.problem, result.seq) == (False, "deleted", target.seq)


def test_a_deleted_tail_is_found(session: Session, dialect: str) -> None:
    entries = _write_entries(session)
    _drop_guard(session, dialect)
    session.execute(text("DELETE FROM audit_entries WHERE seq >= :s"), {"s": entries[3].seq})
    session.expire_all()
    result = audit.verify(session, actor=SYSTEM)
    assert (result.ok, result.problem, result.seq) == (False, "deleted", entries[3].seq)


def test_an_inserted_entry_is_found(session: Session) -> None:
    entries = _write_entries(session)
    last = entries[-1]
    # A forged entry, even one hashed correctly onto the chain, bypasses the head.
    forged = AuditEntry(
        seq=last.seq + 1,
        at=last.at,
        actor_id=None,
        actor_name="ghost",
        department_id=None,
        action="user.create",
        object_type="user",
        object_id="999",
        outcome="success",
        request_id=None,
        details=None,
        prev_hash=last.entry_hash,
    )
    forged.entry_hash = audit.service.compute_hash(last.entry_hash, forged)
    session.add(forged)
    session.flush()
    session.expire_all()
    result = audit.verify(session, actor=SYSTEM)
    assert (result.ok, result.problem, result.seq) == (False, "inserted", last.seq + 1)


def test_an_entry_inserted_in_the_middle_is_found(session: Session, dialect: str) -> None:
    entries = _write_entries(session)
    _drop_guard(session, dialect)
    # Shift the tail up by one and slip an entry into the gap.
    session.execute(
        text("UPDATE audit_entries SET seq = seq + 1000 WHERE seq >= :s"), {"s": entries[2].seq}
    )
    session.execute(text("UPDATE audit_entries SET seq = seq - 999 WHERE seq >= 1000"))
    session.execute(
        text(
            "INSERT INTO audit_entries (seq, at, actor_name, action, object_type, outcome, "
            "prev_hash, entry_hash) "
            "VALUES (:s, :at, 'ghost', 'x', 'y', 'success', :p, :h)"
        ),
        {
            "s": entries[2].seq,
            "at": entries[1].at.replace(tzinfo=None),
            "p": entries[1].entry_hash,
            "h": "0" * 64,
        },
    )
    session.expire_all()
    result = audit.verify(session, actor=SYSTEM)
    assert not result.ok
    assert result.seq == entries[2].seq


def test_writes_through_services_are_audited(session: Session) -> None:
    department = make_department(session, name_zh="审计测试厅", division_code="330100")
    rows = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "department.create", AuditEntry.object_id == str(department.id)
        )
    ).all()
    assert len(rows) == 1
    assert rows[0].details == {"name_zh": "审计测试厅", "division_code": "330100"}


def test_reading_the_log_is_for_sysadmins_and_is_itself_audited(session: Session) -> None:
    editor = make_user(session, role=Role.EDITOR)
    with pytest.raises(PermissionDenied):
        audit.list_entries(session, actor=actor(editor))
    admin = make_user(session, role=Role.SYSADMIN)
    rows, total = audit.list_entries(session, actor=actor(admin), limit=5)
    assert total >= len(rows) > 0
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
    assert (last.action, last.actor_id) == ("audit.read", admin.id)
