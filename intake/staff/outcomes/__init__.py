"""The outcomes report, its charts and CSV, and follow-up flags for staff (issue 12)."""
