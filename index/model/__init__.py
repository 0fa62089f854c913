"""Preparing the embedding model: the bundled e5 conversion, the ONNX export, the encoders."""
