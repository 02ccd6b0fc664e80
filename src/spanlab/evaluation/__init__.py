"""Model × suite → report: the zero-shot protocol, its diagnostics and its tables."""
