"""Interoperability with other NER toolkits: gliner checkpoints."""
