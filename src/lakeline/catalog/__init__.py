"""The catalog: a DuckDB index of the store (commits, objects, params, metrics, lineage, registry).

Derived and disposable: the store is the source of truth, and `lakeline catalog rebuild`
recreates the file from it. The schema lives in `schema`, syncing in `sync` (with `rows`,
`prefetch` and `derived`), safe opening in `connection`, read-only SQL in `sql`, lineage and
impact in `lineage`. Nothing here imports the CLI, the registry or the pipeline; duckdb and
pyarrow are imported inside functions.
"""
