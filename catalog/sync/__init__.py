"""Keeping records true to storage: storage access, hashing, stat cache, reconcile, replicate."""
