# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Grandfather-father-son retention: exhaustive checks against an independent oracle."""

from __future__ import annotations

import datetime
import itertools
import random

import pytest
from ansible_collections.bioimage.omero.plugins.module_utils._backup_retention import (
    BackupPoint,
    FailedPoint,
    plan_failed_retention,
    plan_retention,
)

UTC = datetime.timezone.utc


def at(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)


def point(text, good=True):
    return BackupPoint("omero-" + text.replace("-", "").replace(":", ""), at(text), good)


def oracle(points, daily, weekly, monthly):
    """The same rules written the other way round: group, then take the newest groups."""
    good = [p for p in points if p.good]
    keep = set()

    def rule(key, count):
        groups = {}
        for p in good:
            groups.setdefault(key(p.created), []).append(p)
        for k in sorted(groups, reverse=True)[:count]:
            keep.add(max(groups[k], key=lambda p: (p.created, p.name)).name)

    rule(lambda d: d.date(), daily)
    rule(lambda d: tuple(d.isocalendar())[:2], weekly)
    rule(lambda d: (d.year, d.month), monthly)
    if good:
        keep.add(max(good, key=lambda p: (p.created, p.name)).name)
    return keep


def check_invariants(points, daily, weekly, monthly):
    plan = plan_retention(points, daily, weekly, monthly)
    good = {p.name for p in points if p.good}
    keep, delete = set(plan.keep), set(plan.delete)
    assert keep == oracle(points, daily, weekly, monthly)
    assert keep | delete == good
    assert not keep & delete
    assert len(plan.keep) == len(keep) and len(plan.delete) == len(delete)
    if good:
        newest = max((p for p in points if p.good), key=lambda p: (p.created, p.name))
        assert newest.name in keep
        assert "newest" in plan.reasons[newest.name]
    assert len(keep) <= daily + weekly + monthly + 1
    assert set(plan.reasons) == keep
    # Applying the plan and pruning again with the same settings keeps everything.
    again = plan_retention([p for p in points if p.name in keep or not p.good], daily, weekly, monthly)
    assert set(again.keep) == keep and again.delete == []
    return plan


# Eight dates that cross days, ISO weeks (incl. a year-end week), months and years.
UNIVERSE = [
    point("2025-12-29T01:30"),  # Mon, ISO 2026-W01
    point("2026-01-01T01:30"),  # Thu, ISO 2026-W01, another month and year
    point("2026-01-01T23:59"),  # same day, later
    point("2026-01-04T12:00"),  # Sun, still W01
    point("2026-01-05T00:00"),  # Mon, W02
    point("2026-01-31T10:00"),
    point("2026-02-01T10:00"),
    point("2026-03-15T10:00"),
]


@pytest.mark.parametrize("mask", range(1 << len(UNIVERSE)))
def test_every_subset_every_setting_matches_the_oracle(mask):
    subset = [p for i, p in enumerate(UNIVERSE) if mask >> i & 1]
    for daily, weekly, monthly in itertools.product(range(4), repeat=3):
        check_invariants(subset, daily, weekly, monthly)


def test_random_histories_spanning_years_match_the_oracle():
    rng = random.Random(20261121)  # noqa: S311 - reproducible test data, not cryptography
    start = at("2024-01-01T00:00")
    for _round in range(300):
        minutes = sorted(rng.sample(range(0, 900 * 24 * 60, 37), rng.randint(0, 60)))
        points = [
            BackupPoint(f"omero-{i:04d}", start + datetime.timedelta(minutes=m), rng.random() > 0.1)
            for i, m in enumerate(minutes)
        ]
        rng.shuffle(points)
        check_invariants(points, rng.randint(0, 10), rng.randint(0, 6), rng.randint(0, 14))


def test_the_forged_months_of_the_molecule_scenario():
    points = [
        point(t)
        for t in (
            "2026-04-10T01:30",
            "2026-05-31T01:30",
            "2026-06-15T01:30",
            "2026-07-01T01:30",
            "2026-07-20T01:30",
            "2026-08-02T01:30",
            "2026-08-03T01:30",
            "2026-08-05T01:30",
            "2026-08-05T13:30",
            "2026-08-06T01:30",
        )
    ] + [point("2026-08-07T01:30", good=False)]
    plan = check_invariants(points, 3, 2, 3)
    assert plan.keep == [
        "omero-20260806T0130",
        "omero-20260805T1330",
        "omero-20260803T0130",
        "omero-20260802T0130",
        "omero-20260720T0130",
        "omero-20260615T0130",
    ]
    assert plan.delete == ["omero-20260805T0130", "omero-20260701T0130", "omero-20260531T0130", "omero-20260410T0130"]
    assert plan.reasons["omero-20260806T0130"] == ["newest", "daily", "weekly", "monthly"]
    assert plan.reasons["omero-20260802T0130"] == ["weekly"]
    assert "omero-20260807T0130" not in plan.keep + plan.delete


def test_zero_everywhere_keeps_only_the_newest_good():
    points = [point("2026-01-01T00:00"), point("2026-02-01T00:00"), point("2026-03-01T00:00", good=False)]
    plan = plan_retention(points, 0, 0, 0)
    assert plan.keep == ["omero-20260201T0000"]
    assert plan.delete == ["omero-20260101T0000"]


def test_nothing_good_keeps_and_deletes_nothing():
    plan = plan_retention([point("2026-01-01T00:00", good=False)], 7, 4, 6)
    assert plan.keep == [] and plan.delete == []
    assert plan_retention([], 1, 1, 1).keep == []


def test_days_are_utc_days():
    paris = datetime.timezone(datetime.timedelta(hours=2))
    late = BackupPoint("a", datetime.datetime(2026, 8, 6, 1, 0, tzinfo=paris), True)  # 2026-08-05 23:00 UTC
    later = BackupPoint("b", datetime.datetime(2026, 8, 5, 23, 30, tzinfo=UTC), True)
    plan = plan_retention([late, later], 1, 0, 0)
    assert plan.keep == ["b"] and plan.delete == ["a"]


def test_naive_times_are_taken_as_utc():
    naive = BackupPoint("n", datetime.datetime(2026, 1, 1, 12, 0), True)
    aware = BackupPoint("a", datetime.datetime(2026, 1, 1, 13, 0, tzinfo=UTC), True)
    assert plan_retention([naive, aware], 1, 0, 0).keep == ["a"]


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True, None])
def test_bad_settings_are_refused(bad):
    with pytest.raises(ValueError, match="keep_weekly must be an integer >= 0"):
        plan_retention([], 1, bad, 1)


def test_duplicate_names_are_refused():
    with pytest.raises(ValueError, match="unique"):
        plan_retention([point("2026-01-01T00:00"), point("2026-01-01T00:00")], 1, 1, 1)


# ---------------------------------------------------------------- sets that are not good

NOW = at("2026-08-20T12:00")


def failed(text):
    return FailedPoint("omero-" + text.replace("-", "").replace(":", ""), at(text))


def test_the_newest_failed_set_is_kept_whatever_its_age():
    keep, delete = plan_failed_retention([failed("2025-01-01T00:00")], NOW, 0)
    assert keep == ["omero-20250101T0000"] and delete == []


def test_older_failed_sets_go_once_past_the_age():
    points = [failed(t) for t in ("2026-08-19T01:30", "2026-08-10T01:30", "2026-08-06T12:01", "2026-08-01T01:30")]
    keep, delete = plan_failed_retention(points, NOW, 14)
    assert keep == ["omero-20260819T0130", "omero-20260810T0130", "omero-20260806T1201"]
    assert delete == ["omero-20260801T0130"]
    keep, delete = plan_failed_retention(points, NOW, 0)
    assert keep == ["omero-20260819T0130"] and len(delete) == 3


def test_no_failed_sets_nothing_to_do():
    assert plan_failed_retention([], NOW, 14) == ([], [])


@pytest.mark.parametrize("bad", [-1, True, 1.5, "3"])
def test_failed_age_must_be_a_non_negative_integer(bad):
    with pytest.raises(ValueError, match="failed_max_age_days must be an integer >= 0"):
        plan_failed_retention([failed("2026-08-19T01:30")], NOW, bad)
