"""The assessment of townships, departments and staff from recorded facts, with evidence (Art 38-39)."""
