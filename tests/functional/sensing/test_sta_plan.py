"""The observations of a stream ordered by phenomenon time are read from the
(stream_id, phenomenon_time) index in order, never sorted, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.factories.sensing import add_observations, make_datastream, make_network, make_thing
from yiwang.core.policy import ANONYMOUS
from yiwang.sensing.sta import reads
from yiwang.sensing.sta.query import parse_options


def _plan(session: Session, dialect: str, path: str, options: dict[str, str]) -> str:
    ctx = reads.Context(session=session, actor=ANONYMOUS, base_url="http://x/sta/v1.1")
    target = reads.resolve(ctx, path)
    statement = reads.collection_statement(
        ctx, target.entity, target.where, parse_options(options), one_stream=True
    )
    compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    if dialect == "sqlite":
        rows = session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
        return "\n".join(str(row[-1]) for row in rows)
    # A few rows make sorting cheap; say it is not, to see whether the index can serve the order.
    for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
        session.execute(text(f"SET LOCAL {setting} = off"))
    return "\n".join(row[0] for row in session.execute(text(f"EXPLAIN {compiled}")))


def test_observations_of_a_stream_by_time_use_the_index(session: Session, dialect: str) -> None:
    net = make_network(session)
    stream = make_datastream(session, make_thing(session, department=net.env))
    add_observations(session, stream, [float(i) for i in range(50)])
    for order in ("phenomenonTime", "phenomenonTime desc"):
        plan = _plan(
            session, dialect, f"Datastreams({stream.id})/Observations", {"$orderby": order}
        )
        if dialect == "sqlite":
            assert "sqlite_autoindex_sensing_observations" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
        else:
            assert "stream_id_phenomenon_time" in plan, plan
            assert not re.search(r"(^|->\s*)Sort\b", plan, re.MULTILINE), plan
