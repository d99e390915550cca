# Copyright: contributors to bioimage.omero
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Grandfather-father-son retention for backup sets: a pure function, no I/O.

Semantics (the same as ``restic forget``): every rule looks at all good backups
independently and a backup kept by several rules is kept once.

* ``keep_daily = N``: the newest backup of each of the N most recent calendar days
  (UTC) that have a good backup;
* ``keep_weekly = M``: the same per ISO week (Monday to Sunday);
* ``keep_monthly = K``: the same per calendar month.

Whatever the settings, the newest good backup is always kept. Backups that are not
good (failed sanity, incomplete) are never counted and never selected by
``plan_retention``; ``plan_failed_retention`` decides about them on its own rule: the
newest one is kept for diagnosis, older ones go once they are older than a maximum age.
"""

from __future__ import annotations

import datetime
from typing import Callable, Dict, Hashable, Iterable, List, NamedTuple, Set, Tuple


class BackupPoint(NamedTuple):
    """One backup as retention sees it."""

    name: str
    created: datetime.datetime
    good: bool


class RetentionPlan(NamedTuple):
    """What to keep and what to delete, with the reasons for keeping."""

    keep: List[str]
    delete: List[str]
    reasons: Dict[str, List[str]]


def _as_utc(when: datetime.datetime) -> datetime.datetime:
    if when.tzinfo is None:
        return when.replace(tzinfo=datetime.timezone.utc)
    return when.astimezone(datetime.timezone.utc)


def day_bucket(when: datetime.datetime) -> Tuple[int, int, int]:
    when = _as_utc(when)
    return (when.year, when.month, when.day)


def week_bucket(when: datetime.datetime) -> Tuple[int, int]:
    iso = _as_utc(when).isocalendar()
    return (iso[0], iso[1])


def month_bucket(when: datetime.datetime) -> Tuple[int, int]:
    when = _as_utc(when)
    return (when.year, when.month)


def _newest_per_bucket(
    ordered: List[BackupPoint], bucket: Callable[[datetime.datetime], Hashable], count: int
) -> List[str]:
    """Names of the newest backup in each of the ``count`` newest buckets.

    ``ordered`` is sorted newest first, so the first backup seen in a bucket is its newest.
    """
    picked: List[str] = []
    seen: Set[Hashable] = set()
    for point in ordered:
        if len(seen) >= count:
            break
        key = bucket(point.created)
        if key in seen:
            continue
        seen.add(key)
        picked.append(point.name)
    return picked


def _sort_key(point: BackupPoint) -> Tuple[datetime.datetime, str]:
    return (_as_utc(point.created), point.name)


def plan_retention(
    points: Iterable[BackupPoint], keep_daily: int, keep_weekly: int, keep_monthly: int
) -> RetentionPlan:
    """Decide which good backups to keep. Non-good backups appear in neither list."""
    for label, value in (("keep_daily", keep_daily), ("keep_weekly", keep_weekly), ("keep_monthly", keep_monthly)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{label} must be an integer >= 0, got {value!r}")
    good = sorted((p for p in points if p.good), key=_sort_key, reverse=True)
    names = [p.name for p in good]
    if len(set(names)) != len(names):
        raise ValueError("backup names must be unique")
    reasons: Dict[str, List[str]] = {}

    def mark(selected: List[str], reason: str) -> None:
        for name in selected:
            reasons.setdefault(name, []).append(reason)

    if good:
        mark([good[0].name], "newest")
    mark(_newest_per_bucket(good, day_bucket, keep_daily), "daily")
    mark(_newest_per_bucket(good, week_bucket, keep_weekly), "weekly")
    mark(_newest_per_bucket(good, month_bucket, keep_monthly), "monthly")
    keep = [n for n in names if n in reasons]
    delete = [n for n in names if n not in reasons]
    return RetentionPlan(keep=keep, delete=delete, reasons=reasons)


class FailedPoint(NamedTuple):
    """A set that is not good, as retention sees it: ``created`` from its manifest, or
    the time its directory was last modified when it has no readable manifest."""

    name: str
    created: datetime.datetime


def plan_failed_retention(
    points: Iterable[FailedPoint], now: datetime.datetime, max_age_days: int
) -> Tuple[List[str], List[str]]:
    """(keep, delete) for the sets that are not good, both newest first.

    The newest one is always kept (the evidence of the latest failure); each older one is
    deleted once it is more than ``max_age_days`` old, so a burst of failures stays
    readable for that long.
    """
    if not isinstance(max_age_days, int) or isinstance(max_age_days, bool) or max_age_days < 0:
        raise ValueError(f"failed_max_age_days must be an integer >= 0, got {max_age_days!r}")
    ordered = sorted(points, key=lambda p: (_as_utc(p.created), p.name), reverse=True)
    limit = _as_utc(now) - datetime.timedelta(days=max_age_days)
    keep = [p.name for i, p in enumerate(ordered) if i == 0 or _as_utc(p.created) > limit]
    delete = [p.name for p in ordered if p.name not in keep]
    return keep, delete
