"""Public notices, publicity, training and drills, and the special inspections of cash (Art 15, 23, 25, 40, 42)."""
