"""Where to draw a country on the dashboard's map: a point inside its largest polygon in the vendored
world-atlas TopoJSON (Natural Earth 1:110m, keyed by ISO 3166 numeric code), for the ends of flow arcs."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

WORLD = Path(__file__).parents[1] / "data" / "geo" / "countries-110m.json"


def _arcs(topo: dict[str, Any]) -> list[np.ndarray]:
    """The TopoJSON arcs as longitude/latitude arrays (delta-decoded and de-quantised)."""
    scale = np.asarray(topo["transform"]["scale"], dtype=float)
    shift = np.asarray(topo["transform"]["translate"], dtype=float)
    return [np.cumsum(np.asarray(a, dtype=float), axis=0) * scale + shift for a in topo["arcs"]]


def _ring(arcs: list[np.ndarray], indices: list[int]) -> np.ndarray:
    """One ring from its arc indices (``~i`` is arc ``i`` reversed; shared end points kept once)."""
    parts = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in indices]
    return np.concatenate([parts[0], *(p[1:] for p in parts[1:])])


def _centroid(ring: np.ndarray) -> tuple[float, float, float]:
    """Planar area and centroid (longitude, latitude) of a closed ring (shoelace formula); a ring across the
    antimeridian (Russia, Fiji) is unwrapped first and its centroid wrapped back into [-180, 180)."""
    x, y = ring[:, 0], ring[:, 1]
    if x.max() - x.min() > 180:
        x = np.where(x < 0, x + 360, x)
    cross = x[:-1] * y[1:] - x[1:] * y[:-1]
    area = cross.sum() / 2
    if abs(area) < 1e-12:
        return 0.0, float(x.mean()), float(y.mean())
    cx = (((x[:-1] + x[1:]) * cross).sum() / (6 * area) + 180) % 360 - 180
    cy = ((y[:-1] + y[1:]) * cross).sum() / (6 * area)
    return abs(float(area)), float(cx), float(cy)


@cache
def country_points() -> dict[str, tuple[float, float]]:
    """ISO 3166 numeric code → (longitude, latitude) of the centroid of the country's largest polygon."""
    topo = json.loads(WORLD.read_text(encoding="utf-8"))
    arcs = _arcs(topo)
    out: dict[str, tuple[float, float]] = {}
    for geometry in topo["objects"]["countries"]["geometries"]:
        if "id" not in geometry or geometry["type"] not in ("Polygon", "MultiPolygon"):
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        best = max((_centroid(_ring(arcs, polygon[0])) for polygon in polygons), key=lambda c: c[0])
        out[str(geometry["id"])] = (round(best[1], 3), round(best[2], 3))
    return out
