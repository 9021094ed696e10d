"""Where a catalog's settings come from, named without reading them (see config.py).

Kept free of imports so that a quick "did the settings change?" check (sync's snapshot)
costs nothing.
"""

CONFIG_FILE = "catalog.yaml"
"""The settings file, at the catalog root."""
ENV_PREFIX = "CATALOG_"
"""Environment variables that override settings (CATALOG_SITE__BASE_URL=/x/)."""
STATE_DIR = ".catalog"
"""Default folder (gitignored) for caches, reports and service state."""
