"""What people look at: the picture of a definition with an execution's path, the local web
console, the cost of an execution and the coverage of a set of executions. Reads the engine's
definition and execution store; runs nothing."""
