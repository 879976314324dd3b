"""State machines built from the spec with `transitions`, and the named callbacks they may use."""
