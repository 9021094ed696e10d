"""Single-unit quality metrics: firing rate, refractory-period violations, amplitude.

Input: spikes (the table written by pipelines.preprocess).
Parameters: isi_threshold_ms (default 1.5), max_isi_violations (default 0.1, a fraction of
a unit's inter-spike intervals), min_firing_rate_hz (default 0.5).
Output: unit_metrics.json — one entry per cluster with its metrics and label
('good' when it passes both limits, else 'mua').
Results: n_good_units.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pipelines.contract import (
    ContractError,
    input_path,
    log,
    params,
    run,
    write_json,
    write_results,
)

OUTPUT = "unit_metrics.json"


def unit_metrics(
    table: np.ndarray, isi_threshold_ms: float, max_isi: float, min_rate: float
) -> list[dict[str, Any]]:
    """Metrics and label of every cluster in the spike table."""
    times, clusters, amps = table[:, 0], table[:, 1].astype(np.int64), table[:, 2]
    duration = max(float(times.max() - times.min()), 1e-9)
    units = []
    for c in np.unique(clusters):
        t = np.sort(times[clusters == c])
        isis = np.diff(t)
        violations = float((isis < isi_threshold_ms / 1000).mean()) if len(isis) else 0.0
        rate = len(t) / duration
        units.append(
            {
                "cluster": int(c),
                "n_spikes": len(t),
                "firing_rate_hz": round(rate, 3),
                "isi_violations": round(violations, 4),
                "amp_median_uv": round(float(np.median(amps[clusters == c])), 1),
                "label": "good" if violations <= max_isi and rate >= min_rate else "mua",
            }
        )
    return units


def main() -> None:
    """Compute the metrics of every unit and write them."""
    p = params()
    table = np.load(input_path("spikes"))
    if table.ndim != 2 or table.shape[1] != 4 or len(table) == 0:
        raise ContractError(f"spikes must be a non-empty (n, 4) table, got shape {table.shape}")
    units = unit_metrics(
        table,
        float(p.get("isi_threshold_ms", 1.5)),
        float(p.get("max_isi_violations", 0.1)),
        float(p.get("min_firing_rate_hz", 0.5)),
    )
    good = sum(u["label"] == "good" for u in units)
    write_json(OUTPUT, {"units": units})
    log(f"{good} of {len(units)} units pass")
    write_results({"n_good_units": good})


if __name__ == "__main__":
    run(main)
