"""Analysis steps run by the example catalog's experiment blocks.

Each module is one block command, run as ``python -m pipelines.<module>`` in a fresh working
directory, following the block execution contract:

- each input is a file at ``inputs/<name>``, its path also in ``CATALOG_INPUT_<NAME>``;
- parameters are in ``params.json`` (and in ``CATALOG_PARAMS`` as JSON);
- outputs are written to the paths the block declares, relative to the working directory;
- named result values go to ``results.json``.

Only the standard library and numpy are used, so any worker with numpy can run them.
"""
