"""The working-day calendar: which years have an official schedule, and the days that differ
from the plain Monday-to-Friday week."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from yiwang.core.db import Base, UTCDateTime


class CalendarYear(Base):
    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    has_schedule: Mapped[bool] = mapped_column(
        Boolean, comment="the State Council's holiday schedule for this year is loaded"
    )
    source: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class CalendarDay(Base):
    """A public holiday (休) on what would be a workday or weekend, or a make-up workday (班)."""

    __tablename__ = "calendar_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str | None] = mapped_column(String(100), comment="e.g. 国庆节, 春节")
