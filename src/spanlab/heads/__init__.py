"""Span heads: GLiNER (labels as prompts) and GlobalPointer."""
