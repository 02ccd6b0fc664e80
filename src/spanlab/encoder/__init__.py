"""Any Hugging Face encoder, loaded by local path or hub name, with word-level pooling."""
