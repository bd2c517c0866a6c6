"""Fixtures of the sensing tests."""

from tests.functional.sensing.stations import station

__all__ = ["station"]
