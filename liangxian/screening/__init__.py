"""Screening of cash data, the townships' self-checks and the working group's seeded sample (Art 40-41)."""
