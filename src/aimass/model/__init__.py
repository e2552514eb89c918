"""The multi-task model (shared encoder + heads) and its artifact on disk."""
