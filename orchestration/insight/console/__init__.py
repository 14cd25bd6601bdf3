"""The local, read-only web console: executions, one execution's graph, timeline, datasets,
validation and history (pages.py), the lake files they link to (files.py), served on
127.0.0.1 by server.py."""
