"""The Transform job's helpers: what a batch reads and how curated tables are built."""
