"""Estimate the probe's vertical drift from how spike depths move over time.

Input: spikes (the table written by pipelines.preprocess).
Parameters: bin_s (default 10) — width of the time bins; min_spikes_per_bin (default 20).
Outputs: drift.um.npy (drift per bin in µm, relative to the first bin) and drift.times.npy
(bin centres in s) — the ALF drift.um / drift.times datasets.
Results: max_drift_um (largest absolute drift).
"""

from __future__ import annotations

import numpy as np

from pipelines.contract import ContractError, input_path, log, params, run, write_results

DRIFT_UM = "drift.um.npy"
DRIFT_TIMES = "drift.times.npy"


def estimate(table: np.ndarray, bin_s: float, min_spikes: int) -> tuple[np.ndarray, np.ndarray]:
    """Median depth offset from each spike's cluster median, per time bin (NaN when sparse)."""
    times, clusters, depths = table[:, 0], table[:, 1].astype(np.int64), table[:, 3]
    offset = np.empty_like(depths)
    # Comparing each spike with its own cluster's median removes the units' layout, so what
    # is left is the movement common to all of them.
    for c in np.unique(clusters):
        mask = clusters == c
        offset[mask] = depths[mask] - np.median(depths[mask])
    edges = np.arange(times.min(), times.max() + bin_s, bin_s)
    index = np.clip(np.digitize(times, edges) - 1, 0, len(edges) - 2)
    drift = np.full(len(edges) - 1, np.nan)
    for b in range(len(edges) - 1):
        in_bin = offset[index == b]
        if len(in_bin) >= min_spikes:
            drift[b] = np.median(in_bin)
    if np.isnan(drift).all():
        raise ContractError(f"no time bin holds {min_spikes} spikes; use a wider bin_s")
    drift -= drift[~np.isnan(drift)][0]
    centres = (edges[:-1] + edges[1:]) / 2
    return drift, centres


def main() -> None:
    """Bin the spikes in time and write the drift trace."""
    p = params()
    table = np.load(input_path("spikes"))
    if table.ndim != 2 or table.shape[1] != 4 or len(table) == 0:
        raise ContractError(f"spikes must be a non-empty (n, 4) table, got shape {table.shape}")
    drift, centres = estimate(
        table, float(p.get("bin_s", 10.0)), int(p.get("min_spikes_per_bin", 20))
    )
    np.save(DRIFT_UM, drift)
    np.save(DRIFT_TIMES, centres)
    max_drift = float(np.nanmax(np.abs(drift)))
    log(f"{len(drift)} bins, max drift {max_drift:.1f} µm")
    write_results({"max_drift_um": round(max_drift, 2)})


if __name__ == "__main__":
    run(main)
