"""Blueprints: `patient` (public pages) and `staff` (behind login)."""

from intake.views import patient, staff

__all__ = ["patient", "staff"]
