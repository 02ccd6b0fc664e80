"""Inference over inputs the encoder cannot take at once: sliding windows."""
