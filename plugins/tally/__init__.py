"""The tally: the office's monthly, quarterly and yearly publication report."""

from .tally import register

__all__ = ["register"]
