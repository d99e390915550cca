# Copyright: (c) 2026, bioimage.omero developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which objects to hand to ``omero render test --force``.

Three kinds, as in IDR's runbook:

- ``fileset``: the first image of every fileset (one Bio-Formats memo file
  per fileset, so one image is enough);
- ``plate``: the first image of every plate, through WellSample (the HQL
  ``select MIN(field.image.id) FROM WellSample AS field GROUP BY
  field.well.plate``);
- ``dataset``: every dataset (``render test Dataset:ID`` walks its images).

Each target carries a weight (number of images behind it) so the queue can
start the big ones first. SQL reads OMERO's own tables (fileset, image,
wellsample, well, plate, dataset, datasetimagelink); HQL goes through the
OMERO API with omero-py and needs a running server.
"""

from __future__ import annotations

KINDS = ("fileset", "plate", "dataset")

# Weight = images in the fileset / plate / dataset.
SQL = {
    "fileset": (
        "SELECT 'Image:' || min(i.id), count(*) FROM image i"
        " WHERE i.fileset IS NOT NULL GROUP BY i.fileset ORDER BY min(i.id)"
    ),
    "plate": (
        "SELECT 'Image:' || min(ws.image), count(*) FROM wellsample ws"
        " JOIN well w ON w.id = ws.well GROUP BY w.plate ORDER BY min(ws.image)"
    ),
    "dataset": (
        "SELECT 'Dataset:' || d.id, count(l.child) FROM dataset d"
        " LEFT JOIN datasetimagelink l ON l.parent = d.id GROUP BY d.id ORDER BY d.id"
    ),
}

HQL = {
    "fileset": ("select min(i.id), count(i.id) from Image i where i.fileset is not null group by i.fileset", "Image"),
    "plate": (
        "select min(field.image.id), count(field.id) from WellSample as field group by field.well.plate",
        "Image",
    ),
    "dataset": (
        "select d.id, count(l.id) from Dataset d left outer join d.imageLinks as l group by d.id",
        "Dataset",
    ),
}


class TargetsError(Exception):
    pass


def check_kinds(kinds):
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        raise TargetsError(f"kinds {kinds!r}: each must be one of {', '.join(KINDS)}")


def merge(per_kind):
    """Ordered, de-duplicated ``[{'target', 'weight', 'kind'}]`` from ``{kind: [(target, weight)]}``."""
    seen = {}
    for kind, rows in per_kind.items():
        for target, weight in rows:
            if target not in seen:
                seen[target] = {"target": target, "weight": int(weight), "kind": kind}
    return list(seen.values())


def from_sql(cur, kinds):
    check_kinds(kinds)
    per_kind = {}
    for kind in kinds:
        cur.execute(SQL[kind])
        per_kind[kind] = list(cur.fetchall())
    return per_kind


def from_hql(query_service, kinds, group="-1"):
    """Run the HQL queries through an omero-py ``IQuery`` proxy (all groups by default)."""
    check_kinds(kinds)
    per_kind = {}
    ctx = {"omero.group": str(group)}
    for kind in kinds:
        hql, prefix = HQL[kind]
        rows = query_service.projection(hql, None, ctx)
        per_kind[kind] = [(f"{prefix}:{row[0].val}", row[1].val) for row in rows if row and row[0] is not None]
    return per_kind


def hql_session(host, port, user, password, group="-1"):
    """Open an OMERO session with omero-py; returns (client, query service)."""
    import omero  # optional dependency, imported on use
    import omero.clients  # registers the model classes

    client = omero.client(host, int(port))
    try:
        session = client.createSession(user, password)
    except Exception:
        client.closeSession()
        raise
    return client, session.getQueryService()


def list_text(targets):
    """The list file: one target per line, the format GNU parallel ``-a`` reads too."""
    return "".join(t["target"] + "\n" for t in targets)


def counts(per_kind, targets):
    out = {kind: len(rows) for kind, rows in per_kind.items()}
    out["total"] = len(targets)
    return out
