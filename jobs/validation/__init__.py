"""The Validate job's helpers: the checks, the Great Expectations suites and runner, the summary."""
