"""Complaints and reports with the reporter's identity sealed, and first-question inquiries (Art 24, 43)."""
