"""HTTP serving: a FastAPI app with micro-batched extraction and a small web page (`spanlab serve`)."""
