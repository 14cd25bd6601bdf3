"""The command line: `sfn-etl` (main.py) and a module per command group (commands/)."""
