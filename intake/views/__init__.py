"""Blueprints: `patient` (public pages)."""

from intake.views import patient

__all__ = ["patient"]
