"""The interpreter's performance patches compute what moto's own code computes."""

from __future__ import annotations

import copy
import sys
from datetime import UTC, datetime
from decimal import Decimal

from orchestration.engine import interpreter
from orchestration.engine.speedups import json_copy


def test_a_json_copy_equals_the_value_and_shares_no_container_with_it():
    value = {"batch": {"datasets": [{"tables": ["orders", "lineitem"], "count": 3}]}}
    value["batch"]["flags"] = {"has_work": True, "ratio": 0.5, "note": None}

    copied = json_copy(value)

    assert copied == {
        "batch": {
            "datasets": [{"tables": ["orders", "lineitem"], "count": 3}],
            "flags": {"has_work": True, "ratio": 0.5, "note": None},
        }
    }
    copied["batch"]["datasets"][0]["tables"].append("part")
    copied["batch"]["flags"]["has_work"] = False
    assert value["batch"]["datasets"][0]["tables"] == ["orders", "lineitem"]
    assert value["batch"]["flags"]["has_work"] is True


def test_a_value_marshal_cannot_take_is_deep_copied_with_its_types():
    class Marker:
        def __init__(self, items: list[int]):
            self.items = items

    moment = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    value = {"at": moment, "amount": Decimal("1.10"), "marker": Marker([1, 2])}

    copied = json_copy(value)

    assert copied["at"] == moment
    assert copied["amount"] == Decimal("1.10")
    assert isinstance(copied["marker"], Marker) and copied["marker"].items == [1, 2]
    copied["marker"].items.append(3)
    assert value["marker"].items == [1, 2]


def test_booleans_stay_booleans_and_tuples_stay_tuples():
    copied = json_copy({"flag": True, "pair": (1, 2), "count": 1})

    assert copied["flag"] is True
    assert copied["pair"] == (1, 2) and isinstance(copied["pair"], tuple)
    assert type(copied["count"]) is int


def test_once_installed_no_module_of_motos_interpreter_copies_with_copy_deepcopy():
    interpreter.install()

    asl_modules = {
        n: m for n, m in sys.modules.items() if n.startswith("moto.stepfunctions.parser.asl")
    }
    still_on_deepcopy = [n for n, m in asl_modules.items() if getattr(m, "copy", None) is copy]

    assert still_on_deepcopy == []
