"""Jobs from records: plan what is ready, reuse cached outputs, run, report, apply."""
