"""One module per lakeFS resource; each exposes ``ROUTES`` (see ../routing.py)."""
