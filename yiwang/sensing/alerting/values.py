"""What an alert's value means, as people read it: in the words of the pack that declares the
alert's rule (``value_text``, ``value_text_en`` and ``value_labels`` of its ``[[rules]]``), else
the value with the symbol of its stream's unit of measurement. The monitoring page, the console,
the live stream's events and the case an alert opens all say it with :func:`alert_value_text`."""

from __future__ import annotations

from typing import Any

from yiwang.sensing.packs import declared_rule

# Symbols written close to the number, as in 95%; other units follow after a space.
_CLOSE_SYMBOLS = ("%", "‰", "°")
_DIMENSIONLESS = "ucum.html#1"  # the UCUM unit "1": a count, ratio, index or class


def unit_symbol(unit: Any) -> str:
    """The symbol of a datastream's unit of measurement ({name, symbol, definition}): its
    symbol, else its name unless it is the dimensionless unit ("1")."""
    if not isinstance(unit, dict):
        return ""
    symbol = str(unit.get("symbol") or "").strip()
    if symbol:
        return symbol
    dimensionless = str(unit.get("definition") or "").endswith(_DIMENSIONLESS)
    return "" if dimensionless else str(unit.get("name") or "").strip()


def with_unit(value: float, unit: str) -> str:
    """A measured value with its unit symbol: ``1.2 mg/L``, ``95%``, ``4``."""
    if not unit:
        return f"{value:g}"
    return f"{value:g}{unit}" if unit.startswith(_CLOSE_SYMBOLS) else f"{value:g} {unit}"


def alert_value_text(
    value: float | None, *, pack: str | None, rule_name: str, unit: Any, zh: bool = True
) -> str:
    """What ``value`` of an alert of the rule ``rule_name`` on a thing of the kind ``pack``
    (the value ``Thing.pack`` holds) means, in Chinese or English: as the pack that declares
    the rule words it (``排放浓度为许可限值的 1.11 倍``), else the value with the symbol of the
    stream's ``unit`` of measurement (``9.1 m``); "" when there is no value."""
    if value is None:
        return ""
    rule = declared_rule(pack, rule_name)
    symbol = unit_symbol(unit)
    meaning = rule.describe(value, unit=symbol, zh=zh) if rule is not None else None
    return meaning or with_unit(value, symbol)


__all__ = ["alert_value_text", "unit_symbol", "with_unit"]
