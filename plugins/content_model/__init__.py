"""Content model: the news-item format, its validation and its reader."""

from .content_model import register

__all__ = ["register"]
