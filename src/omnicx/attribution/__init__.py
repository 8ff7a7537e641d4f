"""Attribution: which marketing channels get credit for conversions and their value.

`engine` holds the models as pure functions on a columnar set of paths (no database, no I/O), `pathfile`
reads the analyst path format (CSV, gzip CSV, Parquet), and `cli` exposes both as `omnicx attribution paths`.
"""
