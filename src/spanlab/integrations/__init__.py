"""Integrations with other NLP toolkits (spaCy)."""
