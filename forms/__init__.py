"""Forms and thin WTForms adapters; the rules themselves live in program/."""
