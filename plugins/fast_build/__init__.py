"""Fast builds: carry over unchanged pages, and write on two cores."""

from .fast_build import register

__all__ = ["register"]
