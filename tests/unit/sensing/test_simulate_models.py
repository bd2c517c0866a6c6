"""The simulated values have the shapes the demo and the live stream promise: worse air on
winter mornings, crowds at midday on holidays, slow traffic at rush hours, counters that only
grow within their period, exits that follow entries."""

from __future__ import annotations

import datetime as dt
import random

from yiwang.sensing import packs
from yiwang.sensing.simulate import BEIJING, is_holiday, model_for


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BEIJING)


def test_pm25_is_worse_on_winter_mornings_than_on_summer_afternoons() -> None:
    model = model_for(packs.get_pack("environment"), "pm25", {"code": "x"})
    assert model is not None
    winter_morning = model.value(at(2026, 1, 14, 8))
    summer_afternoon = model.value(at(2026, 7, 15, 15))
    assert winter_morning > 2.5 * summer_afternoon


def test_a_thing_can_scale_its_simulated_levels() -> None:
    pack = packs.get_pack("environment")
    clean = model_for(pack, "pm25", {"code": "x", "simulate": {"factor": 0.5}})
    plain = model_for(pack, "pm25", {"code": "x"})
    assert clean is not None
    assert plain is not None
    assert clean.value(at(2026, 1, 14, 8)) < plain.value(at(2026, 1, 14, 8))


def test_visitors_peak_at_midday_and_more_on_holidays() -> None:
    pack = packs.get_pack("tourism")
    props = {"code": "spot", "simulate": {"entries_total": {"mean": 1000}}}
    entries = model_for(pack, "entries_total", props)
    exits = model_for(pack, "exits_total", props)
    assert entries is not None
    assert exits is not None
    holiday, workday = dt.date(2026, 10, 2), dt.date(2026, 10, 13)
    assert is_holiday(holiday)
    assert not is_holiday(workday)

    def present(day: dt.date, hour: int) -> float:
        when = at(day.year, day.month, day.day, hour)
        return entries.value(when) - exits.value(when)

    assert present(holiday, 13) > 1.5 * present(workday, 13)
    assert present(holiday, 13) > present(holiday, 9) > present(holiday, 7) == 0
    # Counters grow through the day and start again at midnight.
    day = [entries.value(at(2026, 10, 13, h)) for h in range(24)]
    assert day == sorted(day)
    assert entries.value(at(2026, 10, 14, 0)) == 0
    # Exit gates never count more than entered.
    assert all(
        exits.value(at(2026, 10, 13, h, 30)) <= entries.value(at(2026, 10, 13, h, 30))
        for h in range(24)
    )


def test_highway_speeds_drop_at_rush_hours_on_workdays() -> None:
    model = model_for(packs.get_pack("transport"), "speed", {"code": "hw", "free_flow_kmh": 100})
    assert model is not None
    workday = dt.date(2026, 11, 25)
    rush = model.value(at(workday.year, workday.month, workday.day, 8, 30))
    night = model.value(at(workday.year, workday.month, workday.day, 2))
    assert rush < 60
    assert night > 95


def test_noise_varies_levels_but_keeps_them_in_bounds() -> None:
    model = model_for(packs.get_pack("environment"), "ph", {"code": "w"})
    assert model is not None
    rng = random.Random(1)  # noqa: S311  (noise, not secrets)
    values = [model.value(at(2026, 11, 29, 10), rng) for _ in range(200)]
    assert len(set(values)) > 10
    assert all(5.5 <= v <= 9.5 for v in values)


def test_monthly_counters_restart_on_the_first() -> None:
    model = model_for(
        packs.get_pack("energy"),
        "energy_consumed",
        {"code": "e", "simulate": {"energy_consumed": {"mean": 10}}},
    )
    assert model is not None
    end_of_month = model.value(at(2026, 11, 30, 23, 50))
    assert 5000 < end_of_month < 9000
    assert model.value(at(2026, 12, 1, 0, 0)) == 0
