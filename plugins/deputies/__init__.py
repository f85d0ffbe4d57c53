"""Deputies: a directory and a page for every deputy (代表风采)."""

from .deputies import register

__all__ = ["register"]
