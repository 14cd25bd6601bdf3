"""Tooling that runs on a developer's machine or in CI: packaging, deploy, dataset scaffolding."""
