"""The HTTP service: FastAPI app, micro-batched model calls, storage, security, widget, console.

Import ``aimass.service.app`` to build the app; this package itself imports nothing heavy.
"""
