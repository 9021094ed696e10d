"""Gather one probe's spikes into a single table and drop low-amplitude spikes.

Inputs: spike_times (s), spike_clusters, spike_amps (V), spike_depths (µm).
Parameters: min_amp_uv (default 50) — spikes below this amplitude are dropped.
Output: spikes_filtered.npy, an (n, 4) float64 array of time (s), cluster, amplitude (µV)
and depth (µm), sorted by time.
Results: n_spikes_kept, fraction_kept.
"""

from __future__ import annotations

import numpy as np

from pipelines.contract import ContractError, input_path, log, params, run, write_results

OUTPUT = "spikes_filtered.npy"


def main() -> None:
    """Load the four spike arrays, filter by amplitude, write the table."""
    min_amp_uv = float(params().get("min_amp_uv", 50.0))
    times = np.load(input_path("spike_times"))
    clusters = np.load(input_path("spike_clusters"))
    amps_uv = np.load(input_path("spike_amps")) * 1e6
    depths = np.load(input_path("spike_depths"))
    sizes = {len(times), len(clusters), len(amps_uv), len(depths)}
    if len(sizes) != 1:
        raise ContractError(f"spike arrays differ in length: {sorted(sizes)}")
    keep = amps_uv >= min_amp_uv
    table = np.column_stack([times, clusters, amps_uv, depths]).astype(np.float64)[keep]
    table = table[np.argsort(table[:, 0], kind="stable")]
    np.save(OUTPUT, table)
    fraction = float(keep.mean()) if len(keep) else 0.0
    log(f"kept {len(table)} of {len(times)} spikes (amplitude >= {min_amp_uv:g} µV)")
    write_results({"n_spikes_kept": len(table), "fraction_kept": round(fraction, 4)})


if __name__ == "__main__":
    run(main)
