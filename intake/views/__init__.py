"""Blueprints: `patient` (public pages), `staff` and `staff_rules` (behind login)."""

from intake.views import patient, staff, staff_rules

__all__ = ["patient", "staff", "staff_rules"]
