"""Incremental builds: carry over the pages whose inputs did not change."""

from .incremental import register

__all__ = ["register"]
