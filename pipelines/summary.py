"""One verdict per recording from the drift trace and the unit metrics.

Inputs: drift_um (drift.um.npy from pipelines.drift), metrics (unit_metrics.json from
pipelines.qc).
Parameters: max_drift_um (default 20), min_good_units (default 3).
Output: summary.json.
Results: good_units, max_drift_um, median_firing_rate_hz, session_passes.
"""

from __future__ import annotations

import json
import statistics

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

OUTPUT = "summary.json"


def main() -> None:
    """Combine drift and unit quality into the recording's summary."""
    p = params()
    drift = np.load(input_path("drift_um"))
    try:
        units = json.loads(input_path("metrics").read_text(encoding="utf-8"))["units"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ContractError(f"metrics is not a unit_metrics.json file: {exc}") from None
    good = [u for u in units if u["label"] == "good"]
    max_drift = round(float(np.nanmax(np.abs(drift))), 2)
    median_rate = round(statistics.median(u["firing_rate_hz"] for u in units), 3) if units else 0.0
    passes = max_drift <= float(p.get("max_drift_um", 20.0)) and len(good) >= int(
        p.get("min_good_units", 3)
    )
    results = {
        "good_units": len(good),
        "max_drift_um": max_drift,
        "median_firing_rate_hz": median_rate,
        "session_passes": passes,
    }
    write_json(OUTPUT, {**results, "good_clusters": [u["cluster"] for u in good]})
    log(f"{len(good)} good units, max drift {max_drift} µm: {'pass' if passes else 'fail'}")
    write_results(results)


if __name__ == "__main__":
    run(main)
