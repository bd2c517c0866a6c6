"""Pure formulas of the environment pack: the air quality index of HJ 633-2012, the surface water
class of GB 3838-2002 by the single-factor method, and a check of measured discharges against
their permitted limits. No I/O; invalid arguments raise :class:`ValueError`."""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

__all__ = [
    "AQI_CATEGORIES",
    "IAQI_LEVELS",
    "INDICATORS",
    "WATER_PARAMETERS",
    "AqiCategory",
    "AqiResult",
    "DischargeCheck",
    "DischargeItem",
    "Indicator",
    "WaterClassResult",
    "WaterParameter",
    "Waterbody",
    "aqi_category",
    "check_discharge",
    "daily_aqi",
    "hourly_aqi",
    "iaqi",
    "water_class",
    "water_class_label",
]

# Interpolated values are rounded to this many decimals before rounding up, so that float error
# (50.00000000001) does not push an index past a whole number.
_DECIMALS = 6

# --- air quality index (HJ 633-2012) -------------------------------------------------------------

# The IAQI at each breakpoint; an indicator's breakpoints are the concentrations at these values.
IAQI_LEVELS: tuple[int, ...] = (0, 50, 100, 150, 200, 300, 400, 500)


@dataclass(frozen=True)
class Indicator:
    """One pollutant over one averaging time, with its HJ 633-2012 breakpoints (the
    concentrations at IAQI 0, 50, 100, 150, 200, 300, 400, 500; fewer where the standard stops)."""

    key: str
    label_zh: str
    label_en: str
    unit: str
    breakpoints: tuple[float, ...]


_UG = "µg/m³"
_MG = "mg/m³"

INDICATORS: Mapping[str, Indicator] = MappingProxyType(
    {
        indicator.key: indicator
        for indicator in (
            Indicator(
                "so2_24h",
                "二氧化硫(SO2)24小时平均",
                "SO2, 24-hour average",
                _UG,
                (0, 50, 150, 475, 800, 1600, 2100, 2620),
            ),
            # Above 800 the 1-hour SO2 has no breakpoints: its IAQI is reported from the 24-hour
            # value (see ``iaqi``).
            Indicator(
                "so2_1h",
                "二氧化硫(SO2)1小时平均",
                "SO2, 1-hour average",
                _UG,
                (0, 150, 500, 650, 800),
            ),
            Indicator(
                "no2_24h",
                "二氧化氮(NO2)24小时平均",
                "NO2, 24-hour average",
                _UG,
                (0, 40, 80, 180, 280, 565, 750, 940),
            ),
            Indicator(
                "no2_1h",
                "二氧化氮(NO2)1小时平均",
                "NO2, 1-hour average",
                _UG,
                (0, 100, 200, 700, 1200, 2340, 3090, 3840),
            ),
            Indicator(
                "pm10_24h",
                "颗粒物(PM10)24小时平均",
                "PM10, 24-hour average",
                _UG,
                (0, 50, 150, 250, 350, 420, 500, 600),
            ),
            Indicator(
                "co_24h",
                "一氧化碳(CO)24小时平均",
                "CO, 24-hour average",
                _MG,
                (0, 2, 4, 14, 24, 36, 48, 60),
            ),
            Indicator(
                "co_1h",
                "一氧化碳(CO)1小时平均",
                "CO, 1-hour average",
                _MG,
                (0, 5, 10, 35, 60, 90, 120, 150),
            ),
            Indicator(
                "o3_1h",
                "臭氧(O3)1小时平均",
                "O3, 1-hour average",
                _UG,
                (0, 160, 200, 300, 400, 800, 1000, 1200),
            ),
            # Above 800 the 8-hour O3 has no breakpoints: the 1-hour value's IAQI is used.
            Indicator(
                "o3_8h",
                "臭氧(O3)8小时滑动平均",
                "O3, 8-hour moving average",
                _UG,
                (0, 100, 160, 215, 265, 800),
            ),
            Indicator(
                "pm25_24h",
                "颗粒物(PM2.5)24小时平均",
                "PM2.5, 24-hour average",
                _UG,
                (0, 35, 75, 115, 150, 250, 350, 500),
            ),
        )
    }
)

# The concentration above which an indicator has no IAQI of its own (notes 1 and 2 of table 1).
_NO_BREAKPOINT_ABOVE = {"so2_1h": 800.0, "o3_8h": 800.0}


@dataclass(frozen=True)
class AqiCategory:
    """One of the six AQI levels of HJ 633-2012 with its 类别 and colour (appendix A)."""

    level: int  # 1..6
    level_zh: str  # 一级 .. 六级
    label_zh: str  # 优 .. 严重污染
    label_en: str
    colour_zh: str
    colour_rgb: tuple[int, int, int]
    upper: int  # the highest AQI of the level

    @property
    def colour_hex(self) -> str:
        """The colour as ``#RRGGBB``."""
        red, green, blue = self.colour_rgb
        return f"#{red:02X}{green:02X}{blue:02X}"


AQI_CATEGORIES: tuple[AqiCategory, ...] = (
    AqiCategory(1, "一级", "优", "Excellent", "绿色", (0, 228, 0), 50),
    AqiCategory(2, "二级", "良", "Good", "黄色", (255, 255, 0), 100),
    AqiCategory(3, "三级", "轻度污染", "Lightly polluted", "橙色", (255, 126, 0), 150),
    AqiCategory(4, "四级", "中度污染", "Moderately polluted", "红色", (255, 0, 0), 200),
    AqiCategory(5, "五级", "重度污染", "Heavily polluted", "紫色", (153, 0, 76), 300),
    AqiCategory(6, "六级", "严重污染", "Severely polluted", "褐红色", (126, 0, 35), 500),
)


@dataclass(frozen=True)
class AqiResult:
    """An AQI and how it was reached.

    ``iaqi`` maps each indicator key (``"pm25_24h"``, ``"o3_1h"``, ...; see :data:`INDICATORS`)
    that had a value to its IAQI. ``primary_pollutants`` is empty when the AQI is 50 or less and
    otherwise holds every indicator whose IAQI equals the AQI (首要污染物); ``exceeding_pollutants``
    holds those with an IAQI above 100 (超标污染物). Both list indicator keys in the order of
    :data:`INDICATORS`. ``not_computable`` names indicators that had a value but no IAQI: a
    1-hour SO2 above 800 µg/m³ without the 24-hour value, or an 8-hour O3 above 800 µg/m³
    without the 1-hour value.
    """

    aqi: int
    category: AqiCategory
    iaqi: Mapping[str, int]
    primary_pollutants: tuple[str, ...]
    exceeding_pollutants: tuple[str, ...]
    not_computable: tuple[str, ...] = ()


def iaqi(
    pollutant: str,
    concentration: float,
    *,
    so2_24h: float | None = None,
    o3_1h: float | None = None,
) -> int | None:
    """Return the individual air quality index (IAQI) of one concentration per HJ 633-2012.

    ``pollutant`` is an indicator key of :data:`INDICATORS`; the concentration is in µg/m³
    (CO in mg/m³). The IAQI is interpolated linearly between the two breakpoints around the
    concentration and rounded up to an integer; a concentration above the highest breakpoint
    gives 500.

    The two special rules of the standard:

    - ``so2_1h`` above 800 µg/m³ takes the IAQI of the 24-hour SO2 concentration, passed as
      ``so2_24h``; without it the IAQI cannot be computed and None is returned.
    - ``o3_8h`` above 800 µg/m³ takes the IAQI of the 1-hour O3 concentration, passed as
      ``o3_1h``; without it None is returned.

    ``so2_24h`` and ``o3_1h`` are used only by these rules. Raise ValueError for an unknown
    pollutant or a negative or non-finite concentration.
    """
    indicator = _indicator(pollutant)
    _check_concentration(pollutant, concentration)
    if concentration > _NO_BREAKPOINT_ABOVE.get(pollutant, math.inf):
        substitute_key, substitute = (
            ("so2_24h", so2_24h) if pollutant == "so2_1h" else ("o3_1h", o3_1h)
        )
        return None if substitute is None else iaqi(substitute_key, substitute)
    return _interpolate(indicator.breakpoints, concentration)


def aqi_category(aqi: int) -> AqiCategory:
    """Return the level, 类别 and colour of an AQI from 0 to 500; raise ValueError otherwise."""
    if isinstance(aqi, bool) or not isinstance(aqi, int) or not 0 <= aqi <= 500:
        raise ValueError(f"an AQI is an integer from 0 to 500, not {aqi!r}")
    return next(category for category in AQI_CATEGORIES if aqi <= category.upper)


# Input keys of the two reports and the indicator each one is. Real-time: 1-hour gases, 24-hour
# moving averages of particles. Daily: 24-hour averages, the day's largest 8-hour moving average
# of O3 and, when given, the day's largest 1-hour O3 (HJ 633-2012 5.1 reports both O3 values).
_HOURLY_INPUTS = MappingProxyType(
    {
        "so2": "so2_1h",
        "no2": "no2_1h",
        "co": "co_1h",
        "o3": "o3_1h",
        "pm10": "pm10_24h",
        "pm25": "pm25_24h",
    }
)
_DAILY_INPUTS = MappingProxyType(
    {
        "so2": "so2_24h",
        "no2": "no2_24h",
        "co": "co_24h",
        "pm10": "pm10_24h",
        "pm25": "pm25_24h",
        "o3_8h": "o3_8h",
        "o3_1h": "o3_1h",
    }
)


def hourly_aqi(concentrations: Mapping[str, float | None]) -> AqiResult | None:
    """Return the real-time (hourly) AQI, or None if no concentration given has an IAQI.

    Keys: ``so2``, ``no2``, ``co``, ``o3`` (1-hour averages) and ``pm10``, ``pm25`` (24-hour
    moving averages); µg/m³, CO in mg/m³. A missing key or None is skipped. The optional key
    ``so2_24h`` (the 24-hour SO2 average) is used only when the 1-hour SO2 is above 800 µg/m³,
    whose IAQI is then that of the 24-hour value; without it SO2 is reported in
    ``not_computable``. Raise ValueError for an unknown key or an invalid concentration.
    """
    _check_keys(concentrations, {*_HOURLY_INPUTS, "so2_24h"}, "hourly")
    so2_24h = concentrations.get("so2_24h")
    if so2_24h is not None:
        _check_concentration("so2_24h", so2_24h)
    values = {indicator: concentrations.get(key) for key, indicator in _HOURLY_INPUTS.items()}
    return _aqi(values, so2_24h=so2_24h, o3_1h=None)


def daily_aqi(concentrations: Mapping[str, float | None]) -> AqiResult | None:
    """Return the daily AQI, or None if no concentration given has an IAQI.

    Keys: ``so2``, ``no2``, ``co``, ``pm10``, ``pm25`` (24-hour averages), ``o3_8h`` (the day's
    largest 8-hour moving average of O3) and, optionally, ``o3_1h`` (the day's largest 1-hour
    O3); µg/m³, CO in mg/m³. A missing key or None is skipped. HJ 633-2012 reports the largest
    1-hour O3 among the daily indicators, so when it is given its IAQI counts towards the AQI
    like the others; it also stands in for an 8-hour O3 above 800 µg/m³, which without it is
    reported in ``not_computable``. Raise ValueError for an unknown key or an invalid
    concentration.
    """
    _check_keys(concentrations, set(_DAILY_INPUTS), "daily")
    values = {indicator: concentrations.get(key) for key, indicator in _DAILY_INPUTS.items()}
    return _aqi(values, so2_24h=None, o3_1h=concentrations.get("o3_1h"))


def _aqi(
    values: Mapping[str, float | None], *, so2_24h: float | None, o3_1h: float | None
) -> AqiResult | None:
    indexes: dict[str, int] = {}
    not_computable: list[str] = []
    for key in INDICATORS:  # the standard's order, which the result keeps
        concentration = values.get(key)
        if concentration is None:
            continue
        index = iaqi(key, concentration, so2_24h=so2_24h, o3_1h=o3_1h)
        if index is None:
            not_computable.append(key)
        else:
            indexes[key] = index
    if not indexes:
        return None
    aqi = max(indexes.values())
    return AqiResult(
        aqi=aqi,
        category=aqi_category(aqi),
        iaqi=MappingProxyType(indexes),
        primary_pollutants=tuple(k for k, v in indexes.items() if v == aqi) if aqi > 50 else (),
        exceeding_pollutants=tuple(k for k, v in indexes.items() if v > 100),
        not_computable=tuple(not_computable),
    )


def _indicator(pollutant: str) -> Indicator:
    try:
        return INDICATORS[pollutant]
    except KeyError:
        raise ValueError(
            f"unknown pollutant {pollutant!r}; expected one of {', '.join(INDICATORS)}"
        ) from None


def _check_concentration(name: str, value: float) -> None:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name}: a concentration is a finite number >= 0, not {value!r}")


def _check_keys(given: Mapping[str, object], allowed: set[str], report: str) -> None:
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise ValueError(
            f"unknown keys for the {report} AQI: {', '.join(unknown)}; "
            f"expected some of {', '.join(sorted(allowed))}"
        )


def _interpolate(breakpoints: tuple[float, ...], concentration: float) -> int:
    if concentration >= breakpoints[-1]:
        return IAQI_LEVELS[len(breakpoints) - 1]
    high = bisect.bisect_left(breakpoints, concentration)  # breakpoints[high] >= concentration
    if high == 0:
        return 0
    bp_lo, bp_hi = breakpoints[high - 1], breakpoints[high]
    iaqi_lo, iaqi_hi = IAQI_LEVELS[high - 1], IAQI_LEVELS[high]
    value = (iaqi_hi - iaqi_lo) / (bp_hi - bp_lo) * (concentration - bp_lo) + iaqi_lo
    return math.ceil(round(value, _DECIMALS))


# --- surface water class (GB 3838-2002) ----------------------------------------------------------

Waterbody = Literal["river", "lake"]  # "lake" covers lakes and reservoirs (湖、库)


@dataclass(frozen=True)
class WaterParameter:
    """A parameter of GB 3838-2002 table 1 that the single-factor method here evaluates."""

    key: str
    label_zh: str
    label_en: str
    unit: str


WATER_PARAMETERS: Mapping[str, WaterParameter] = MappingProxyType(
    {
        parameter.key: parameter
        for parameter in (
            WaterParameter("ph", "pH值", "pH", ""),  # dimensionless
            WaterParameter("do", "溶解氧", "Dissolved oxygen", "mg/L"),
            WaterParameter("codmn", "高锰酸盐指数", "Permanganate index (CODMn)", "mg/L"),
            WaterParameter("cod", "化学需氧量(COD)", "Chemical oxygen demand (COD)", "mg/L"),
            WaterParameter(
                "bod5", "五日生化需氧量(BOD5)", "Five-day biochemical oxygen demand", "mg/L"
            ),
            WaterParameter("nh3n", "氨氮(NH3-N)", "Ammonia nitrogen (NH3-N)", "mg/L"),
            WaterParameter("tp", "总磷(以P计)", "Total phosphorus (as P)", "mg/L"),
            WaterParameter("tn", "总氮(湖、库，以N计)", "Total nitrogen (as N)", "mg/L"),
        )
    }
)

_WORSE_THAN_V = 6
_ROMAN = ("I", "II", "III", "IV", "V", "劣V")
_PH_RANGE = (6.0, 9.0)
# Limits of classes I..V (mg/L). Dissolved oxygen is a minimum, the others are maxima.
_DO_MINIMA = (7.5, 6.0, 5.0, 3.0, 2.0)
_MAXIMA: Mapping[str, tuple[float, ...]] = MappingProxyType(
    {
        "codmn": (2.0, 4.0, 6.0, 10.0, 15.0),
        "cod": (15.0, 15.0, 20.0, 30.0, 40.0),
        "bod5": (3.0, 3.0, 4.0, 6.0, 10.0),
        "nh3n": (0.15, 0.5, 1.0, 1.5, 2.0),
    }
)
_TP_MAXIMA: Mapping[str, tuple[float, ...]] = MappingProxyType(
    {"river": (0.02, 0.1, 0.2, 0.3, 0.4), "lake": (0.01, 0.025, 0.05, 0.1, 0.2)}
)
_TN_MAXIMA = (0.2, 0.5, 1.0, 1.5, 2.0)  # lakes and reservoirs only


def water_class_label(water_class: int) -> str:
    """Return the label of a class 1..6: ``I``, ``II``, ``III``, ``IV``, ``V`` or ``劣V``."""
    if isinstance(water_class, bool) or water_class not in range(1, 7):
        raise ValueError(f"a water class is 1..6, not {water_class!r}")
    return _ROMAN[water_class - 1]


@dataclass(frozen=True)
class WaterClassResult:
    """The class of a sample: ``water_class`` 1..6 (6 is 劣V, worse than class V).

    ``by_parameter`` maps each evaluated parameter to its own class, in the order of
    :data:`WATER_PARAMETERS`; ``deciding`` names the parameters whose class is the sample's
    (all of them when every one meets class I). ``ignored`` names parameters given but not
    evaluated for this waterbody (total nitrogen in a river).
    """

    water_class: int
    waterbody: Waterbody
    by_parameter: Mapping[str, int]
    deciding: tuple[str, ...]
    ignored: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``I`` .. ``V`` or ``劣V``."""
        return water_class_label(self.water_class)

    @property
    def label_zh(self) -> str:
        """``I类`` .. ``V类`` or ``劣V类``."""
        return f"{self.label}类"

    @property
    def label_en(self) -> str:
        """``Class I`` .. ``Class V`` or ``Worse than class V``."""
        if self.water_class == _WORSE_THAN_V:
            return "Worse than class V"
        return f"Class {self.label}"


def water_class(
    measurements: Mapping[str, float | None], *, waterbody: Waterbody = "river"
) -> WaterClassResult | None:
    """Return the GB 3838-2002 class of a surface water sample by the single-factor method, or
    None if no parameter has a value.

    Keys (mg/L, pH dimensionless): ``do`` (dissolved oxygen, at least the limit), ``codmn``,
    ``cod``, ``bod5``, ``nh3n``, ``tp``, ``tn`` (at most the limit) and ``ph``. Each parameter
    is in the best class whose limit it meets; the worst parameter decides the sample's class,
    and a parameter that misses class V puts it in 劣V (6). Total phosphorus uses the column of
    the waterbody (``"river"`` or ``"lake"``, which covers reservoirs); total nitrogen counts
    only for lakes and reservoirs and is listed in ``ignored`` for a river. A pH outside 6-9
    makes the sample 劣V. Class I of dissolved oxygen is taken as 7.5 mg/L; the standard's
    alternative of 90 % saturation is not evaluated. Missing keys and None are skipped.
    Raise ValueError for an unknown key or waterbody, or a negative or non-finite value.
    """
    if waterbody not in _TP_MAXIMA:
        raise ValueError(f"waterbody is 'river' or 'lake', not {waterbody!r}")
    _check_keys_water(measurements)
    by_parameter: dict[str, int] = {}
    ignored: list[str] = []
    for key in WATER_PARAMETERS:
        value = measurements.get(key)
        if value is None:
            continue
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{key}: a measurement is a finite number >= 0, not {value!r}")
        if key == "tn" and waterbody == "river":
            ignored.append(key)
            continue
        by_parameter[key] = _parameter_class(key, value, waterbody)
    if not by_parameter:
        return None
    worst = max(by_parameter.values())
    return WaterClassResult(
        water_class=worst,
        waterbody=waterbody,
        by_parameter=MappingProxyType(by_parameter),
        deciding=tuple(k for k, v in by_parameter.items() if v == worst),
        ignored=tuple(ignored),
    )


def _parameter_class(key: str, value: float, waterbody: Waterbody) -> int:
    if key == "ph":
        low, high = _PH_RANGE
        return 1 if low <= value <= high else _WORSE_THAN_V
    if key == "do":
        return next((i for i, limit in enumerate(_DO_MINIMA, 1) if value >= limit), _WORSE_THAN_V)
    if key == "tp":
        maxima = _TP_MAXIMA[waterbody]
    elif key == "tn":
        maxima = _TN_MAXIMA
    else:
        maxima = _MAXIMA[key]
    return next((i for i, limit in enumerate(maxima, 1) if value <= limit), _WORSE_THAN_V)


def _check_keys_water(measurements: Mapping[str, object]) -> None:
    unknown = sorted(set(measurements) - set(WATER_PARAMETERS))
    if unknown:
        raise ValueError(
            f"unknown water quality parameters: {', '.join(unknown)}; "
            f"expected some of {', '.join(WATER_PARAMETERS)}"
        )


# --- discharges against permitted limits ---------------------------------------------------------


@dataclass(frozen=True)
class DischargeItem:
    """One parameter measured in a discharge and its permitted (upper) limit, same unit."""

    parameter: str
    measured: float
    limit: float

    @property
    def ratio(self) -> float:
        """Measured ÷ limit; above 1 the limit is exceeded."""
        return self.measured / self.limit

    @property
    def excess_multiple(self) -> float:
        """超标倍数 as enforcement reports it: (measured − limit) ÷ limit; 0 within the limit."""
        return max(0.0, (self.measured - self.limit) / self.limit)

    @property
    def exceeded(self) -> bool:
        """True when the measured value is above the limit (equal to it is compliant)."""
        return self.measured > self.limit


@dataclass(frozen=True)
class DischargeCheck:
    """The result of :func:`check_discharge`.

    ``items`` holds every parameter that has both a measurement and a limit, in the order of
    the limits; ``unchecked`` names measured parameters without a limit and ``unmeasured``
    limits without a measurement.
    """

    items: tuple[DischargeItem, ...]
    unchecked: tuple[str, ...] = ()
    unmeasured: tuple[str, ...] = ()

    @property
    def exceedances(self) -> tuple[DischargeItem, ...]:
        """The items above their limits."""
        return tuple(item for item in self.items if item.exceeded)

    @property
    def exceeded(self) -> bool:
        """True when any limit is exceeded."""
        return any(item.exceeded for item in self.items)


def check_discharge(measured: Mapping[str, float], limits: Mapping[str, float]) -> DischargeCheck:
    """Compare measured pollutant concentrations (or amounts) with their permitted upper limits,
    parameter by parameter, in whatever unit the two share.

    A value exceeds its limit when it is strictly above it. Only upper limits are handled; a
    range such as pH 6-9 is not. Raise ValueError for a limit that is not a finite number above
    zero or a measurement that is not a finite number >= 0.
    """
    for parameter, limit in limits.items():
        if not math.isfinite(limit) or limit <= 0:
            raise ValueError(f"{parameter}: a limit is a finite number > 0, not {limit!r}")
    for parameter, value in measured.items():
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{parameter}: a measurement is a finite number >= 0, not {value!r}")
    return DischargeCheck(
        items=tuple(
            DischargeItem(parameter, measured[parameter], limit)
            for parameter, limit in limits.items()
            if parameter in measured
        ),
        unchecked=tuple(p for p in measured if p not in limits),
        unmeasured=tuple(p for p in limits if p not in measured),
    )
