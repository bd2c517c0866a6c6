"""The coherent per-process cache: a change on one node reaches the others within the window,
and its own node at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.factories.core import actor, make_department, make_token, make_user
from tests.support.databases import BoundDatabase
from yiwang.core import cache, identity
from yiwang.core.cache import VersionedCache
from yiwang.core.errors import Unauthenticated
from yiwang.core.identity import ApiToken
from yiwang.core.policy import ANONYMOUS, SYSTEM


@pytest.fixture
def other_node(db: BoundDatabase) -> Iterator[Session]:
    """A session of a second node: same database, its own cache."""
    factory = sessionmaker(
        bind=db.connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        info={"cache": VersionedCache()},
    )
    with factory() as session:
        yield session


def _page(session: Session) -> list[str]:
    page = identity.cached_department_page(
        session, division_code="330900", q=None, limit=50, offset=0
    )
    if page is None:
        page = identity.department_page(session, actor=ANONYMOUS, division_code="330900")
    return [str(d["name_zh"]) for d in page.items]


def test_a_change_is_seen_at_once_on_its_own_node(session: Session) -> None:
    assert _page(session) == []
    assert (
        identity.cached_department_page(session, division_code="330900", q=None, limit=50, offset=0)
        is not None
    )
    make_department(session, name_zh="舟山市数据局", division_code="330900")
    session.commit()
    assert _page(session) == ["舟山市数据局"]


def test_another_node_sees_a_change_within_the_window(
    session: Session, other_node: Session
) -> None:
    remote = cache.of(other_node)
    assert remote is not None
    assert _page(other_node) == []
    make_department(session, name_zh="舟山市海事局", division_code="330900")
    session.commit()
    assert _page(other_node) == []  # still inside the window: the cached page stands
    remote.window = 0  # the window has passed
    assert _page(other_node) == ["舟山市海事局"]


def test_a_token_revoked_on_one_node_is_refused_by_another(
    session: Session, other_node: Session
) -> None:
    user = make_user(session)
    raw = make_token(session, user)
    session.commit()
    assert identity.authenticate_token(other_node, raw).user_id == user.id
    assert identity.cached_token_actor(other_node, raw) is not None
    token = session.query(ApiToken).filter_by(user_id=user.id).one()
    identity.revoke_token(session, actor=actor(user), token_id=token.id)
    session.commit()
    remote = cache.of(other_node)
    assert remote is not None
    remote.window = 0
    assert identity.cached_token_actor(other_node, raw) is None
    with pytest.raises(Unauthenticated):
        identity.authenticate_token(other_node, raw)


def test_a_load_that_raced_an_invalidation_is_not_kept() -> None:
    store = VersionedCache()
    generation = store._generation.get("x", 0)

    store.invalidate("x")  # a write committed while the value was being loaded
    store.put("x", "key", "stale", generation=generation)
    assert store._values.get("x", {}).get("key") is None


def test_bumps_of_a_rolled_back_transaction_are_forgotten(session: Session) -> None:
    with session.begin_nested():
        cache.bump(session, "scratch")
    session.rollback()
    assert "yiwang.cache_bumped" not in session.info
    assert SYSTEM.is_sysadmin


def test_a_transaction_sees_its_own_change_before_it_commits(session: Session) -> None:
    """A long transaction that changes what it also reads (a demo installing one pack's alert
    rules after another's observations were evaluated) must not read the value cached before."""
    store = cache.of(session)
    assert store is not None
    generation = store.begin_load(session, "scratch")
    store.put("scratch", "key", "before", generation=generation)
    assert store.get(session, "scratch", "key") == "before"
    cache.bump(session, "scratch")
    assert store.get(session, "scratch", "key") is cache.MISSING
    # A value loaded inside the changing transaction is not kept for others either.
    store.put("scratch", "key", "uncommitted", generation=store.begin_load(session, "scratch"))
    session.commit()
    assert store.get(session, "scratch", "key") is cache.MISSING
