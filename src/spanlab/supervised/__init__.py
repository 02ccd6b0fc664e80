"""Supervised NER over a fixed label set: (Efficient) GlobalPointer and a BIO token-classification
baseline, trained through the same Trainer engine as the GLiNER model (`training/`)."""
