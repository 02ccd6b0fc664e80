"""spanlab: span-based NER — GLiNER-style zero-shot and GlobalPointer models on any Hugging Face encoder."""

__version__ = "0.1.0"
__all__ = ["SpanModel", "__version__"]


def __getattr__(name: str):
    # Lazy, so `spanlab.data` and `spanlab.metrics` import without torch or transformers.
    if name == "SpanModel":
        from spanlab.model import SpanModel

        return SpanModel
    raise AttributeError(f"module 'spanlab' has no attribute {name!r}")
